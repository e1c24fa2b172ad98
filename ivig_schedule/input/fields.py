"""Read typed values out of TOML mappings, raising errors that carry the field path.

TOML floats are converted with ``Decimal(str(x))`` so that 0.3 stays 0.3 (``Decimal(0.3)`` would
carry the binary error, and 0.3 × 72 would floor to 21.5 instead of 21.6).

`Collector` gathers every error of a file instead of stopping at the first, so that ``check``
can list them all and ``plan`` can say how many there are.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ivig_schedule.model.errors import InputErrors, PrescriptionError, unsafe_character

T = TypeVar("T")
MAX_NUMBER = Decimal(10) ** 6
"""No quantity here reaches a million; larger numbers are typing errors."""


def did_you_mean(given: str, known: Collection[str]) -> str:
    """``did you mean X? `` for the nearest known name (case-insensitive), or nothing."""
    import difflib  # only a misspelt name needs it

    lowered = {k.lower(): k for k in known}
    near = difflib.get_close_matches(given.lower(), list(lowered), n=1)
    return f"did you mean {lowered[near[0]]}? " if near else ""


def choice_error(path: str, given: Any, known: Collection[str]) -> PrescriptionError:
    """An unknown name: the nearest one suggested, and every allowed one listed."""
    return PrescriptionError(path, given, did_you_mean(str(given), known) + "allowed: "
                             + ", ".join(known))


class Incomplete(Exception):
    """A table had errors that were already collected; its value cannot be built."""


class Collector:
    """Collects input errors so that one bad field does not hide the next."""

    def __init__(self) -> None:
        self.errors: list[PrescriptionError] = []

    def run(self, read: Callable[[], T], default: T | None = None) -> T | None:
        """The value `read` returns, or `default` after recording its error."""
        try:
            return read()
        except InputErrors as e:
            self.errors.extend(e.errors)
        except PrescriptionError as e:
            self.errors.append(e)
        except Incomplete:
            pass
        return default

    def mark(self) -> int:
        """A position to compare with `failed_since`."""
        return len(self.errors)

    def failed_since(self, mark: int) -> bool:
        """True when errors were recorded after `mark`."""
        return len(self.errors) > mark

    def raise_if_any(self) -> None:
        """Raise `InputErrors` with every recorded error."""
        if self.errors:
            raise InputErrors(tuple(self.errors))


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

    def unknown(self, known: Collection[str]) -> list[PrescriptionError]:
        """An error for every key not in `known`, each suggesting the nearest valid key."""
        errors = []
        for key in self.data:
            if key not in known:
                hint = (did_you_mean(str(key), sorted(known)).rstrip()
                        or "allowed: " + ", ".join(sorted(known)))
                errors.append(PrescriptionError(self.at(str(key)), str(key),
                                                f"unknown key; {hint}"))
        return errors

    def reject_unknown(self, known: Collection[str]) -> None:
        """Fail on unknown keys (all of them at once), suggesting the nearest valid key."""
        errors = self.unknown(known)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InputErrors(tuple(errors))

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
        if isinstance(value, str):  # checked whole: a control character is never stripped away
            checked_text(value, self.at(key))
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
        maximum: int | None = None, required: bool = False,
    ) -> int | None:
        """A whole number, at least `minimum` (and at most `maximum`)."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, f"is required ({unit})")
            return default
        return to_int(self.data[key], self.at(key), unit=unit, minimum=minimum, maximum=maximum)

    def numbers(self, key: str, *, unit: str, required: bool = False,
                most: int | None = None) -> tuple[Decimal, ...] | None:
        """A non-empty list of positive numbers (at most `most` of them)."""
        if key not in self.data:
            if required:
                raise PrescriptionError(self.at(key), None, f"is required (a list of {unit})")
            return None
        value = self.data[key]
        if not isinstance(value, list) or not value:
            raise PrescriptionError(self.at(key), value, f"must be a non-empty list of {unit}")
        if most is not None and len(value) > most:
            raise PrescriptionError(self.at(key), value, f"must list at most {most} {unit}")
        return tuple(to_decimal(v, f"{self.at(key)}[{i}]", unit=unit) for i, v in enumerate(value))


def checked_text(text: str, path: str) -> str:
    """Free text as it may be stored and shown: refused when it holds a control character (C0,
    C1, DEL), a bidirectional override or another invisible formatting character, or bytes that
    were not valid UTF-8. Checked once, here, so that no renderer has to escape it."""
    index = unsafe_character(text)
    if index is not None:
        code = ord(text[index])
        what = "an undecodable byte" if 0xD800 <= code <= 0xDFFF else f"U+{code:04X}"
        raise PrescriptionError(path, text, "must be text without control, invisible or "
                                f"bidirectional characters (found {what} at character "
                                f"{index + 1})")
    return text


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
    text = str(value).strip()
    if len(text) > 40:
        raise PrescriptionError(path, value, f"must be a number of {unit} below {MAX_NUMBER}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise PrescriptionError(path, value, f"must be a number of {unit}") from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise PrescriptionError(path, value, f"must be a finite number of {unit} below {MAX_NUMBER}")
    if minimum is not None and number < minimum:
        raise PrescriptionError(path, value, f"must be a number of {unit} of at least {minimum}")
    if minimum is None and above is not None and number <= above:
        raise PrescriptionError(path, value, f"must be a number of {unit} above {above}")
    return number


def to_int(value: Any, path: str, *, unit: str, minimum: int = 1,
           maximum: int | None = None) -> int:
    """Convert to a whole number, at least `minimum` and at most `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PrescriptionError(path, value, f"must be a whole number of {unit}, at least {minimum}")
    top = maximum if maximum is not None else int(MAX_NUMBER) - 1
    if value > top:
        raise PrescriptionError(path, value, f"must be a whole number of {unit}, at most {top}")
    return value


def mapping_or_empty(data: Mapping[str, Any], key: str) -> Any:
    """A section of `data`, or an empty table when it is absent."""
    return data.get(key, {})
