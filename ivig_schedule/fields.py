"""Read typed values out of TOML mappings, raising errors that carry the field path.

TOML floats are converted with ``Decimal(str(x))`` so that 0.3 stays 0.3 (``Decimal(0.3)`` would
carry the binary error, and 0.3 × 72 would floor to 21.5 instead of 21.6).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ivig_schedule.errors import PrescriptionError

MAX_NUMBER = Decimal(10) ** 6
"""No clinical quantity here reaches a million; larger numbers are typing errors."""


class Fields:
    """A view of one TOML table that knows its dotted path.

    Args:
        data: The table.
        path: Dotted path of the table, e.g. ``patient``; empty for the top level.
    """

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise PrescriptionError(path or "(top level)", data, "must be a table")
        self.data: Mapping[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        """Dotted path of `key` inside this table."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """True when `key` is present."""
        return key in self.data

    def reject_unknown(self, known: Collection[str]) -> None:
        """Fail on the first key not in `known`, suggesting the nearest valid key."""
        for key in self.data:
            if key not in known:
                near = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = f"did you mean {near[0]}?" if near else "allowed: " + ", ".join(sorted(known))
                raise PrescriptionError(self.at(str(key)), str(key), f"unknown key; {hint}")

    def table(self, key: str) -> Fields | None:
        """A sub-table, or None when absent."""
        if key not in self.data:
            return None
        return Fields(self.data[key], self.at(key))

    def text(self, key: str, *, default: str | None = None, required: bool = False) -> str | None:
        """A non-empty string."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, "is required")
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            raise PrescriptionError(self.at(key), value, "must be a non-empty string")
        return value.strip()

    def choice(self, key: str, allowed: Collection[str], *, default: str | None = None) -> str | None:
        """One of `allowed`."""
        value = self.text(key, default=default)
        if value is not None and value not in allowed:
            raise PrescriptionError(self.at(key), value, "allowed: " + ", ".join(allowed))
        return value

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A boolean."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise PrescriptionError(self.at(key), value, "must be true or false")
        return value

    def number(
        self,
        key: str,
        *,
        unit: str,
        default: Decimal | None = None,
        required: bool = False,
        minimum: Decimal | None = None,
        above: Decimal | None = Decimal(0),
    ) -> Decimal | None:
        """A number (int or float) as an exact Decimal, above `above` / at least `minimum`."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, f"is required ({unit})")
            return default
        return to_decimal(self.data[key], self.at(key), unit=unit, minimum=minimum, above=above)

    def integer(
        self, key: str, *, unit: str, default: int | None = None, minimum: int = 1,
        required: bool = False,
    ) -> int | None:
        """A whole number, at least `minimum`."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, f"is required ({unit})")
            return default
        return to_int(self.data[key], self.at(key), unit=unit, minimum=minimum)

    def numbers(self, key: str, *, unit: str, required: bool = False) -> tuple[Decimal, ...] | None:
        """A non-empty list of positive numbers."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, f"is required (a list of {unit})")
            return None
        value = self.data[key]
        if not isinstance(value, list) or not value:
            raise PrescriptionError(self.at(key), value, f"must be a non-empty list of {unit}")
        return tuple(to_decimal(v, f"{self.at(key)}[{i}]", unit=unit) for i, v in enumerate(value))


def to_decimal(
    value: Any,
    path: str,
    *,
    unit: str,
    minimum: Decimal | None = None,
    above: Decimal | None = Decimal(0),
) -> Decimal:
    """Convert a TOML/JSON/flag number to Decimal via its text, checking its range."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PrescriptionError(path, value, f"must be a number of {unit}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PrescriptionError(path, value, f"must be a number of {unit}") from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise PrescriptionError(path, value, f"must be a finite number of {unit}")
    if minimum is not None and number < minimum:
        raise PrescriptionError(path, value, f"must be a number of {unit} of at least {minimum}")
    if minimum is None and above is not None and number <= above:
        raise PrescriptionError(path, value, f"must be a number of {unit} above {above}")
    return number


def to_int(value: Any, path: str, *, unit: str, minimum: int = 1) -> int:
    """Convert to a whole number, at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PrescriptionError(path, value, f"must be a whole number of {unit}, at least {minimum}")
    if value >= MAX_NUMBER:
        raise PrescriptionError(path, value, f"must be a whole number of {unit} below {MAX_NUMBER}")
    return value
