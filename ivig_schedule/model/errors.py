"""The project's errors: one root, each error carrying the fields that explain it.

Warnings are never raised; they are returned as `ivig_schedule.model.Finding` values. Every text
that came from the user (a value, a key name inside a field path) is escaped and shortened before
it reaches a message, so an error line can neither write control sequences to a terminal nor
echo a whole file back.
"""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_SHOWN_VALUE = 60
"""Longest quoted value in a message, in characters; longer values are cut with an ellipsis."""
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def escape(text: str) -> str:
    """Escape backslashes, quotes and every control or invisible formatting character.

    C0 and C1 controls (ESC, BEL, CR, CSI …), bidirectional overrides and line separators become
    ``\\uXXXX``, so a key or value from a file cannot move the cursor or recolour a terminal.
    """
    out = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif unicodedata.category(char) in _UNSAFE_CATEGORIES:
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def unsafe_character(text: str) -> int | None:
    """The index of the first control, invisible formatting, bidirectional or undecodable
    character in `text` (C0, C1, DEL, U+202E …, a lone surrogate), or None when there is none."""
    if text.isascii():
        return next((i for i, char in enumerate(text) if char < " " or char == "\x7f"), None)
    return next((i for i, char in enumerate(text)
                 if unicodedata.category(char) in _UNSAFE_CATEGORIES), None)


def show_value(value: Any) -> str:
    """Quote a user's value for a one-line message: escaped, whitespace folded, shortened."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 1] + "…"
    return '"' + escape(text) + '"'


def show_field(field: str) -> str:
    """A field path for a message; key names come from the file, so they are escaped too."""
    if len(field) > MAX_SHOWN_VALUE * 2:
        field = field[: MAX_SHOWN_VALUE * 2 - 1] + "…"
    return escape(field)


class FileContent(str):
    """A value that is a line copied from an input file (a TOML syntax error shows it): shown
    to the person running the command, never written into a shared output such as a roster's
    ``errors.csv``."""

    __slots__ = ()


class IvigScheduleError(Exception):
    """Root of every error this project raises on purpose."""


class PrescriptionError(IvigScheduleError, ValueError):
    """An input field holds a value that cannot be planned.

    Fix it by changing the named field to one of the allowed values.

    Attributes:
        field: Dotted path of the field, e.g. ``patient.weight_kg`` or ``change[2].course``.
        value: The value that was given (``None`` when the field is missing).
        allowed: What the field accepts, phrased to complete "must be …" or as a hint.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``field: allowed (got "value")`` on one line."""
        got = "nothing" if self.value is None else show_value(self.value)
        return f"{show_field(self.field)}: {self.allowed} (got {got})"


class InputErrors(PrescriptionError):
    """Several input errors found at once; the first speaks for all on a one-line channel.

    Attributes:
        errors: Every error, in the order the fields were read.
    """

    def __init__(self, errors: tuple[PrescriptionError, ...]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.field, first.value, first.allowed)

    @property
    def message(self) -> str:
        """The first error, with how many more there are."""
        first = self.errors[0].message
        more = len(self.errors) - 1
        return first if not more else f"{first}; and {more} more: run `ivig-schedule check`"


class CatalogError(IvigScheduleError, ValueError):
    """A catalog, limits or local rules file is malformed; the message names the file and key.

    Attributes:
        source: The file (``products.toml``, a ``--limits`` path, …).
        field: The key inside it, e.g. ``rule[3].upper_hard``.
        problem: What is wrong, and what is allowed.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{show_field(source)}: {show_field(field)}: {problem}")


class MissingExtra(IvigScheduleError):
    """A command needs an optional extra that is not installed (``pdf``, ``caldav``); the
    message says what to install. Exit 1, like bad input: nothing was done."""


class OutputError(IvigScheduleError, OSError):
    """An output could not be written; nothing was changed.

    Attributes:
        target: ``--output PATH``, ``stdout`` or the folder.
        reason: The operating system's reason, or why the target is refused.
    """

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"{show_field(target)}: {reason}")


class RefusedBySafetyRule(IvigScheduleError):
    """A plan was refused because a value breaks a hard rule (or a soft one under --strict).

    Hard limits cannot be overridden from the command line; a pharmacy changes the rule in its
    own limits file. Soft ones are acknowledged with ``--accept RULE --reason TEXT``.

    Attributes:
        rule: Identifier of the rule, e.g. ``eligibility.max_weight``.
        value: The value that broke it, with its unit.
        limit: The limit, with its unit.
        source: Where the rule comes from.
    """

    def __init__(self, rule: str, value: str, limit: str, source: str, message: str = "",
                 direction: str = "beyond", severity: str = "hard") -> None:
        self.rule = rule
        self.value = value
        self.limit = limit
        self.source = source
        self.detail = message
        text = f"refused by rule {rule}: {value}"
        if limit:
            text += f" is {direction} the {severity} limit {limit}"
        if message:
            text += f": {message}"
        if source:
            text += f"; source: {source}"
        super().__init__(text)
