"""The project's errors: one root, each error carrying the fields that explain it.

Warnings are never raised; they are returned as `ivig_schedule.model.Finding` values.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_SHOWN_VALUE = 60


def show_value(value: Any) -> str:
    """Quote a user's value for a one-line message, shortened so a huge input stays one line."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(str(text).split())
    if len(text) > _MAX_SHOWN_VALUE:
        text = text[: _MAX_SHOWN_VALUE - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


class IvigScheduleError(Exception):
    """Root of every error this project raises on purpose."""


class PrescriptionError(IvigScheduleError, ValueError):
    """An input field holds a value that cannot be planned.

    Fix it by changing the named field to one of the allowed values.

    Attributes:
        field: Dotted path of the field, e.g. ``patient.weight_kg``.
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
        got = "nothing" if self.value is None else show_value(self.value)
        return f"{self.field}: {self.allowed} (got {got})"


class CatalogError(IvigScheduleError, ValueError):
    """A catalog or local rules file is malformed; the message names the file and key."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


class RefusedBySafetyRule(IvigScheduleError):
    """A plan was refused because a value breaks a hard rule.

    It cannot be overridden from the command line; a pharmacy changes the rule in its own data.

    Attributes:
        rule: Identifier of the rule, e.g. ``might.max_weight_kg``.
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
