"""Units: every conversion constant lives here (parsing weights and heights is in `input.units`).

Conversions are exact: 1 lb = 0.45359237 kg and 1 in = 2.54 cm by definition.
"""

from __future__ import annotations

from decimal import Decimal

KG_PER_LB = Decimal("0.45359237")
"""Exact, by the international yard and pound agreement (1959)."""
CM_PER_IN = Decimal("2.54")
"""Exact, by the same agreement."""
IN_PER_FT = 12
CM_PER_M = 100
MG_PER_G = 1000
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR


def hours_and_minutes(minutes: int) -> str:
    """A duration as ``2 h 05 min``."""
    return f"{minutes // MINUTES_PER_HOUR} h {minutes % MINUTES_PER_HOUR:02d} min"
