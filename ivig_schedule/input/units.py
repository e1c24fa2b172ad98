"""Unit-safe weights and heights, as a user writes them.

Weights and heights are read as ``72.5``, ``"72.5 kg"``, ``"160 lb"``, ``"1.75 m"`` or
``"5 ft 9 in"``. A bare number is kg or cm; any other unit is rejected rather than guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ivig_schedule.input.fields import to_decimal
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.units import CM_PER_IN, CM_PER_M, IN_PER_FT, KG_PER_LB

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_WEIGHT = re.compile(rf"\s*{_NUMBER}\s*(kg|kgs|lb|lbs)?\s*", re.IGNORECASE)
_HEIGHT_METRIC = re.compile(rf"\s*{_NUMBER}\s*(cm|m|in)?\s*", re.IGNORECASE)
_HEIGHT_IMPERIAL = re.compile(rf"\s*{_NUMBER}\s*ft(?:\s*{_NUMBER}\s*in)?\s*", re.IGNORECASE)
METRES_LOOKALIKE_BELOW_CM = Decimal(3)
"""A bare height under 3 "cm" is a height in metres written without its unit (1.75)."""

WEIGHT_ALLOWED = 'must be a weight like 72.5, "72.5 kg" or "160 lb"'
HEIGHT_ALLOWED = 'must be a height like 175, "175 cm", "1.75 m" or "5 ft 9 in", above 0'


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value)


def weight_kg(value: Any, path: str) -> tuple[Decimal, str, Decimal | None]:
    """(kilograms, the input as written, the pounds when it was written in pounds)."""
    text = _text(value)
    match = _WEIGHT.fullmatch(text) if text is not None else None
    if text is None or match is None:
        raise PrescriptionError(path, value, WEIGHT_ALLOWED)
    number = to_decimal(match.group(1), path, unit="kilograms")
    unit = (match.group(2) or "kg").lower()
    if unit.startswith("lb"):
        return number * KG_PER_LB, text.strip(), number
    return number, text.strip(), None


def height_cm(value: Any, path: str) -> tuple[Decimal, str]:
    """(centimetres, the input as written)."""
    text = _text(value)
    if text is None:
        raise PrescriptionError(path, value, HEIGHT_ALLOWED)
    imperial = _HEIGHT_IMPERIAL.fullmatch(text)
    if imperial is not None:
        feet = to_decimal(imperial.group(1), path, unit="feet")
        inches = to_decimal(imperial.group(2) or "0", path, unit="inches", minimum=Decimal(0))
        cm = (feet * IN_PER_FT + inches) * CM_PER_IN
    else:
        metric = _HEIGHT_METRIC.fullmatch(text)
        if metric is None:
            raise PrescriptionError(path, value, HEIGHT_ALLOWED)
        number = to_decimal(metric.group(1), path, unit="centimetres")
        unit = (metric.group(2) or "").lower()
        if not unit and number < METRES_LOOKALIKE_BELOW_CM:
            raise PrescriptionError(path, value,
                                    f'a bare number is centimetres; for metres write "{text} m"')
        cm = {"": number, "cm": number, "m": number * CM_PER_M,
              "in": number * CM_PER_IN}[unit]
    return cm, text.strip()
