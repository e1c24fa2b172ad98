"""The limits as values: rules, rule sets, the quantities they name, and each rule's verdict.

Rules are data (``limits.toml``, or a pharmacy's own file); measuring and deciding are in
`ivig_schedule.guardrails`. These types are here, below every stage, so that the parser, the
guardrails and the listings share them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from attrs import frozen

from ivig_schedule.model.numbers import plain

FLAG = "flag"
"""The unit of a yes/no fact: measured as 1 (true) or 0 (false)."""


@frozen
class Quantity:
    """One measurable quantity.

    Attributes:
        name: The id a rule names in ``quantity``.
        unit: The only unit a rule on it may state.
        measured: What is measured, and on which part of the plan.
    """

    name: str
    unit: str
    measured: str


ENGINE_QUANTITY = "plan"
"""The quantity of a soft warning the engine raised itself (a DST shift, a ladder fallback)."""

Severity = Literal["hard", "soft"]
Direction = Literal["above", "below"]
BOUNDS = ("lower_hard", "lower_soft", "upper_soft", "upper_hard")


@frozen
class Named:
    """A bound the plan carries, by name (`quantities.NAMED_BOUNDS`)."""

    name: str


Bound = Decimal | Named


@frozen
class Rule:
    """One limit on one quantity.

    Attributes:
        id: Stable identifier, shown in errors, JSON and ``--accept``.
        quantity: What is measured (a name in `quantities.QUANTITIES`).
        unit: The quantity's unit (checked when the file is read).
        message: What to check, for the pharmacist.
        source: Where the limit comes from.
        lower_hard, lower_soft, upper_soft, upper_hard: The bounds; a value at a bound is within.
        scope: (key, names) pairs; the rule applies only where every key matches.
        message_below, message_above: Optional wording for one direction.
        needs_reason: A soft limit that refuses (exit 3) until it is acknowledged with a
            reason (``--accept ID --reason``), with or without ``--strict``: an opt-out a
            policy asks to justify.
    """

    id: str
    quantity: str
    unit: str
    message: str
    source: str
    lower_hard: Bound | None = None
    lower_soft: Bound | None = None
    upper_soft: Bound | None = None
    upper_hard: Bound | None = None
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()
    message_below: str = ""
    message_above: str = ""
    needs_reason: bool = False

    def says(self, direction: str) -> str:
        """The message for a breach in `direction` (``above`` or ``below``)."""
        specific = self.message_above if direction == "above" else self.message_below
        return specific or self.message

    def bounds(self) -> tuple[tuple[str, Bound], ...]:
        """The bounds this rule sets, by key."""
        return tuple((key, bound) for key in BOUNDS
                     if (bound := getattr(self, key)) is not None)


@frozen
class Limits:
    """A rule set and where it came from (recorded in every plan)."""

    name: str
    version: str
    origin: str
    rules: tuple[Rule, ...]


@frozen
class RuleOutcome:
    """What one checked rule concluded, for the explain trail.

    Attributes:
        rule: The rule.
        outcome: ``ok``, ``soft``, ``accepted`` or ``hard``.
        detail: The breach in words (empty when ok).
        reason: The pharmacist's reason, for an accepted soft breach.
    """

    rule: Rule
    outcome: str
    detail: str
    reason: str


def describe_bound(bound: Bound) -> str:
    """A bound for display: a number, or the name of the plan-carried limit."""
    return bound.name if isinstance(bound, Named) else plain(bound)


