"""Unit-safe weights and heights: ``72.5``, ``"72.5 kg"``, ``"160 lb"``, ``"5 ft 9 in"``.

Conversions are exact: 1 lb = 0.45359237 kg and 1 in = 2.54 cm by definition. A bare number is
kg or cm; any other unit is rejected rather than guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ivig_schedule.errors import PrescriptionError
from ivig_schedule.fields import to_decimal

KG_PER_LB = Decimal("0.45359237")
CM_PER_IN = Decimal("2.54")
IN_PER_FT = 12
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_WEIGHT = re.compile(rf"\s*{_NUMBER}\s*(kg|kgs|lb|lbs)?\s*", re.IGNORECASE)
_HEIGHT_METRIC = re.compile(rf"\s*{_NUMBER}\s*(cm|m|in)?\s*", re.IGNORECASE)
_HEIGHT_IMPERIAL = re.compile(rf"\s*{_NUMBER}\s*ft(?:\s*{_NUMBER}\s*in)?\s*", re.IGNORECASE)

WEIGHT_ALLOWED = 'must be a weight like 72.5, "72.5 kg" or "160 lb"'
HEIGHT_ALLOWED = 'must be a height like 175, "175 cm" or "5 ft 9 in", above 0'


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value)


def weight_kg(value: Any, path: str) -> tuple[Decimal, str]:
    """(kilograms, the input as written)."""
    text = _text(value)
    match = _WEIGHT.fullmatch(text) if text is not None else None
    if text is None or match is None:
        raise PrescriptionError(path, value, WEIGHT_ALLOWED)
    number = to_decimal(match.group(1), path, unit="kilograms")
    unit = (match.group(2) or "kg").lower()
    kg = number * KG_PER_LB if unit.startswith("lb") else number
    return kg, text.strip()


def height_cm(value: Any, path: str) -> tuple[Decimal, str]:
    """(centimetres, the input as written)."""
    text = _text(value)
    if text is None:
        raise PrescriptionError(path, value, HEIGHT_ALLOWED)
    imperial = _HEIGHT_IMPERIAL.fullmatch(text)
    if imperial is not None:
        feet = Decimal(imperial.group(1))
        inches = Decimal(imperial.group(2) or 0)
        cm = (feet * IN_PER_FT + inches) * CM_PER_IN
    else:
        metric = _HEIGHT_METRIC.fullmatch(text)
        if metric is None:
            raise PrescriptionError(path, value, HEIGHT_ALLOWED)
        number = Decimal(metric.group(1))
        unit = (metric.group(2) or "cm").lower()
        cm = {"cm": number, "m": number * 100, "in": number * CM_PER_IN}[unit]
    if cm <= 0:
        raise PrescriptionError(path, value, "must be a number of centimetres above 0")
    return cm, text.strip()
