"""Rules and their evaluation: measured values → breaches. Nothing here raises for a breach.

A rule bounds one quantity (`quantities.QUANTITIES`) with any of four bounds; a bound is a number
in the rule's unit or a named limit the plan carries (each course's own rate cap, say). The same
evaluation serves the day-count search (rule h) and the final check, with the same rules, so the
two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import attrs
from attrs import frozen

from ivig_schedule.model.limits import (
    ENGINE_QUANTITY,
    FLAG,
    Direction,
    Limits,
    Named,
    Rule,
    Severity,
)
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.prescription import Prescription

_CHECKS: tuple[tuple[str, Severity, Direction], ...] = (
    ("upper_hard", "hard", "above"), ("lower_hard", "hard", "below"),
    ("upper_soft", "soft", "above"), ("lower_soft", "soft", "below"))

@frozen
class Context:
    """The named limits in force for a measured value (a course's own cap, the order's hours).

    Attributes:
        values: Named limit → its value here (None: not set, the bound is skipped).
        exclusive: Named limits a value must stay below, not reach ("less than" labels).
    """

    values: Mapping[str, Decimal | None]
    exclusive: frozenset[str] = frozenset()


Measured = tuple[Decimal, str, Context]
"""A measured value, where in the plan it was measured, and the limits in force there."""
Measurements = dict[str, list[Measured]]


@frozen
class Breach:
    """A value beyond a rule's bound.

    Attributes:
        rule: The rule.
        severity: ``hard`` refuses the plan; ``soft`` warns.
        value: The measured value, in the rule's unit.
        limit: The bound it crossed.
        where: Which part of the plan, e.g. ``course 2 day 1 step 3``.
        direction: ``above`` or ``below``.
        count: How many values crossed this rule (the worst is reported).
    """

    rule: Rule
    severity: Severity
    value: Decimal
    limit: Decimal
    where: str
    direction: Direction
    count: int = 1

    @property
    def unit(self) -> str:
        """The rule's unit with a leading space, or nothing for yes/no facts."""
        return "" if self.rule.unit == FLAG else f" {self.rule.unit}"

    def describe(self) -> str:
        """One sentence: value, limit, where, and what to check."""
        message = self.rule.says(self.direction)
        if self.rule.quantity == ENGINE_QUANTITY:
            return message
        if self.rule.unit == FLAG:
            return f"{self.where}: {message}"
        if self.rule.quantity == "start_days_from_today" and self.value < 0:
            return f"{self.where} is {plain(-self.value)} days before today: {message}"
        more = f" and {self.count - 1} more" if self.count > 1 else ""
        return (f"{plain(self.value)}{self.unit} is {self.direction} the {self.severity} limit "
                f"{plain(self.limit)}{self.unit} ({self.where}{more}): {message}")


_Check = tuple[Decimal | Named, Severity, Direction]


def _checks(rule: Rule) -> tuple[_Check, ...]:
    """The rule's bounds that are set, in `_CHECKS` order (read once per rule, not per value)."""
    return tuple((bound, severity, direction) for key, severity, direction in _CHECKS
                 if (bound := getattr(rule, key)) is not None)


def _crossing(rule: Rule, checks: tuple[_Check, ...], value: Decimal, where: str,
              context: Context) -> Breach | None:
    for bound, severity, direction in checks:
        if isinstance(bound, Named):
            limit = context.values.get(bound.name)
            if limit is None:
                continue
            reached = bound.name in context.exclusive and value == limit
        else:
            limit, reached = bound, False
        if (value > limit or reached) if direction == "above" else (value < limit or reached):
            return Breach(rule, severity, value, limit, where, direction)
    return None


def evaluate(rules: Iterable[Rule], measurements: Mapping[str, Sequence[Measured]]
             ) -> tuple[Breach, ...]:
    """One breach per broken rule: the hard one furthest beyond its limit, else the soft one."""
    found = []
    for rule in rules:
        values = measurements.get(rule.quantity)
        if not values:
            continue
        checks = _checks(rule)
        breaches = [b for value, where, context in values
                    if (b := _crossing(rule, checks, value, where, context)) is not None]
        if breaches:
            worst = max(breaches, key=lambda b: (b.severity == "hard", abs(b.value - b.limit)))
            found.append(attrs.evolve(worst, count=len(breaches)))
    return tuple(found)


def applicable(limits: Limits, facts: Mapping[str, frozenset[str]]) -> tuple[Rule, ...]:
    """The rules whose scope matches the plan's facts (product, indication, regimen, risk).

    Chosen once per plan, so the day-count search and the final check use the same rules.
    """
    return tuple(rule for rule in limits.rules
                 if all(facts.get(key, frozenset()) & set(names) for key, names in rule.scope))


def facts(rx: Prescription, indication: str | None) -> dict[str, frozenset[str]]:
    """What a rule's scope is matched against: product, indication (the ladder's), regimen,
    risk factors."""
    return {"product": frozenset({rx.product.id}),
            "indication": frozenset({indication or ""}),
            "regimen": frozenset({rx.regimen.id}),
            "risk_factor": frozenset(rx.patient.risk_factors)}
