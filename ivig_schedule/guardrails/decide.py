"""Limits → breaches → one decision.

Every computed value (weight, doses, rounding, each programmed rate, infusion time, data flags,
dates) is measured from the plan and compared with the rules of a `Limits` set. Nothing here
raises for a breach; `decide` is the one place that turns breaches into ok, warn or refuse, so
``plan``, ``check`` and ``explain`` cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Literal

import attrs

from ivig_schedule.engine import pump
from ivig_schedule.input.limits_file import BOUNDS, QUANTITIES, Limits, Rule
from ivig_schedule.model.errors import RefusedBySafetyRule
from ivig_schedule.model.inputs import Prescription
from ivig_schedule.model.plan import (
    Course,
    Finding,
    Override,
    Plan,
    RateCap,
)
from ivig_schedule.model.units import MINUTES_PER_HOUR

Measurements = dict[str, list[tuple[Decimal, str]]]
Status = Literal["ok", "warn", "refused"]


@attrs.frozen
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
    severity: Literal["hard", "soft"]
    value: Decimal
    limit: Decimal
    where: str
    direction: Literal["above", "below"]
    count: int = 1

    @property
    def unit(self) -> str:
        """The rule's unit with a leading space, or nothing for yes/no facts."""
        return "" if self.rule.unit == "flag" else f" {self.rule.unit}"

    def describe(self) -> str:
        """One sentence: value, limit, where, and what to check."""
        message = self.rule.says(self.direction)
        if self.rule.quantity == "plan":
            return message
        if self.rule.unit == "flag":
            return f"{self.where}: {message}"
        if self.rule.quantity == "start_days_from_today" and self.value < 0:
            return f"{self.where} is {-self.value} days before today: {message}"
        more = f" and {self.count - 1} more" if self.count > 1 else ""
        return (f"{number(self.value)}{self.unit} is {self.direction} the {self.severity} limit "
                f"{number(self.limit)}{self.unit} ({self.where}{more}): {message}")


def number(value: Decimal) -> str:
    """A value for a message: at most three decimals, no trailing zeros."""
    return format(value.quantize(Decimal("0.001")).normalize(), "f")


def describe_bound(bound: object) -> str:
    """A bound for display: a number, or the name of the plan-carried limit."""
    return bound if isinstance(bound, str) else number(bound)  # type: ignore[arg-type]


# --- measuring ------------------------------------------------------------------------


def _flag(value: bool) -> Decimal:
    return Decimal(1) if value else Decimal(0)


def input_measurements(prescription: Prescription, today: dt.date | None) -> Measurements:
    """Values known before any calculation: weight, prescribed g/kg, data flags, dates."""
    product, regimen = prescription.product, prescription.regimen
    values: Measurements = {
        "weight_kg": [(prescription.patient.weight_kg, "patient")],
        "course_dose_g_per_kg": [(p.dose_g_per_kg, f"phase {p.name}") for p in regimen.phases],
        "product_unverified": [(_flag(not product.verified and not product.local),
                                f"product {product.id}")],
        "regimen_unverified": [(_flag(not regimen.verified), f"regimen {regimen.id}")],
    }
    if today is not None:
        days = (prescription.order.start - today).days
        values["start_days_from_today"] = [(Decimal(days), f"start {prescription.order.start}")]
    return values


def _course_values(values: Measurements, course: Course, weight: Decimal) -> None:
    place = f"course {course.number}"
    values["rounding_deviation_percent"].append((course.rounding_deviation_percent, place))
    for day in course.days:
        where = f"{place} day {day.day}"
        values["day_grams"].append((day.grams, where))
        values["day_dose_g_per_kg"].append((day.grams / weight, where))
        values["infusion_minutes"].append((Decimal(day.infusion_minutes), where))
        for index, step in enumerate(day.steps, start=1):
            at = f"{where} step {index}"
            values["step_rate_ml_per_h"].append((step.rate_ml_per_h, at))
            values["step_rate_ml_per_kg_min"].append(
                (pump.ml_per_kg_min(step.rate_ml_per_h, weight), at))
            values["step_rate_mg_per_kg_min"].append((step.programmed_mg_per_kg_min, at))


def plan_measurements(plan: Plan) -> Measurements:
    """Values the calculation produced: doses, rounding, every programmed rate, durations."""
    weight = plan.dosing_weight.kg
    values: Measurements = {name: [] for name in QUANTITIES}
    values["dosing_weight_kg"] = [(weight, "patient")]
    values["ladder_default_doubling"] = [(_flag(plan.ladder.default_doubling),
                                          f"ladder {plan.ladder.indication}")]
    for course in plan.courses:
        _course_values(values, course, weight)
    return {k: v for k, v in values.items() if v}


def course_judge(limits: Limits, prescription: Prescription, cap: RateCap,
                 weight: Decimal) -> Callable[[Course], tuple[int, int]]:
    """For rule h: how many rules a candidate course breaks, (hard, soft)."""
    named = _named(prescription, cap)

    def judge(course: Course) -> tuple[int, int]:
        values: Measurements = {name: [] for name in QUANTITIES}
        _course_values(values, course, weight)
        hard = soft = 0
        for rule in limits.rules:
            if rule.quantity in values and _applies(rule, prescription, None):
                found = [b for v, w in values[rule.quantity]
                         for b in _crossings(rule, v, w, named)]
                hard += any(b.severity == "hard" for b in found)
                soft += bool(found) and not any(b.severity == "hard" for b in found)
        return hard, soft

    return judge


def measure(prescription: Prescription, plan: Plan | None, today: dt.date | None) -> Measurements:
    """Everything measurable: the inputs, and the plan when there is one."""
    values = input_measurements(prescription, today)
    if plan is not None:
        for key, found in plan_measurements(plan).items():
            values.setdefault(key, []).extend(found)
    return values


# --- evaluating -----------------------------------------------------------------------


@attrs.frozen
class _Named:
    """The limits a rule may name instead of a number; `exclusive` ones must not be reached."""

    values: dict[str, Decimal | None]
    exclusive: frozenset[str]


def _named(prescription: Prescription, cap: RateCap | None) -> _Named:
    return _Named(
        values={
            "cap_mg_per_kg_min": cap.cap_mg_per_kg_min if cap is not None else None,
            "max_infusion_minutes": prescription.order.max_infusion_hours * MINUTES_PER_HOUR,
            "regimen_max_weight_kg": prescription.regimen.max_weight_kg,
        },
        exclusive=frozenset({"cap_mg_per_kg_min"} if cap is not None and cap.exclusive else ()),
    )


def _applies(rule: Rule, prescription: Prescription, indication: str | None) -> bool:
    facts: dict[str, set[str]] = {
        "product": {prescription.product.id},
        "indication": {indication or ""},
        "regimen": {prescription.regimen.id},
        "risk_factor": set(prescription.patient.risk_factors),
    }
    return all(facts[key] & set(names) for key, names in rule.scope)


def _crossings(rule: Rule, value: Decimal, where: str, named: _Named) -> Iterator[Breach]:
    for key, severity, direction in (("upper_hard", "hard", "above"),
                                     ("lower_hard", "hard", "below"),
                                     ("upper_soft", "soft", "above"),
                                     ("lower_soft", "soft", "below")):
        bound = getattr(rule, key)
        limit = named.values.get(bound) if isinstance(bound, str) else bound
        if limit is None:
            continue
        reached = isinstance(bound, str) and bound in named.exclusive and value == limit
        if (direction == "above" and (value > limit or reached)) or (
                direction == "below" and (value < limit or reached)):
            yield Breach(rule, severity, value, limit, where, direction)  # type: ignore[arg-type]
            return


def evaluate(limits: Limits, prescription: Prescription, measurements: Measurements,
             plan: Plan | None) -> tuple[Breach, ...]:
    """One breach per broken rule (hard before soft, then the value furthest beyond)."""
    named = _named(prescription, plan.cap if plan is not None else None)
    indication = plan.ladder.indication if plan is not None else (
        prescription.order.indication or prescription.regimen.indication)
    found = []
    for rule in limits.rules:
        if rule.quantity not in measurements or not _applies(rule, prescription, indication):
            continue
        breaches = [b for value, where in measurements[rule.quantity]
                    for b in _crossings(rule, value, where, named)]
        if breaches:
            worst = max(breaches, key=lambda b: (b.severity == "hard", abs(b.value - b.limit)))
            found.append(attrs.evolve(worst, count=len(breaches)))
    return tuple(found)


@attrs.frozen
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


# --- deciding -------------------------------------------------------------------------


@attrs.frozen
class Decision:
    """What the breaches mean for this plan, decided once for plan, check and explain.

    Attributes:
        status: ``ok`` (nothing to say), ``warn`` (plans, with warnings) or ``refused``.
        breaches: Every breach, hard first.
        refusals: The breaches that refuse: every hard one, and under ``--strict`` every
            unacknowledged soft one.
        warnings: Soft breaches not acknowledged, as findings (and unused ``--accept``s).
        overrides: Soft breaches acknowledged with a reason.
        accepted: The ``--accept`` rule ids and their reasons.
        strict: Whether ``--strict`` was given.
    """

    status: Status
    breaches: tuple[Breach, ...]
    refusals: tuple[Breach, ...]
    warnings: tuple[Finding, ...]
    overrides: tuple[Override, ...]
    accepted: tuple[tuple[str, str], ...]
    strict: bool

    def outcome_of(self, breach: Breach) -> str:
        """``hard``, ``accepted`` or ``soft`` for one breach (``ok`` rules have none)."""
        if breach.severity == "hard":
            return "hard"
        return "accepted" if breach.rule.id in dict(self.accepted) else "soft"

    def refusal(self) -> RefusedBySafetyRule:
        """The error that speaks for a refused decision: the first refusing breach."""
        assert self.refusals, "only a refused decision has a refusal"
        breach = self.refusals[0]
        reasons = dict(self.accepted)
        if breach.severity == "soft":
            note = "; --strict refuses unacknowledged soft limits: acknowledge it with --accept " \
                   f"{breach.rule.id} --reason TEXT"
        elif breach.rule.id in reasons:
            note = ("; hard limits cannot be overridden from the command line: "
                    "change them in your own --limits file")
        else:
            note = ""
        others = len(self.refusals) - 1
        if others:
            note += f"; {others} more: run `ivig-schedule check`"
        flag = breach.rule.unit == "flag"
        if breach.rule.quantity == "plan":
            value, message = breach.describe(), note.removeprefix("; ")
        elif flag:
            value, message = breach.where, breach.rule.says(breach.direction) + note
        else:
            value = f"{number(breach.value)}{breach.unit} ({breach.where})"
            message = breach.rule.says(breach.direction) + note
        return RefusedBySafetyRule(
            breach.rule.id, value, "" if flag else f"{number(breach.limit)}{breach.unit}",
            breach.rule.source, message, breach.direction, breach.severity)


def rule_outcomes(limits: Limits, measured: frozenset[str],
                  decision: Decision) -> tuple[RuleOutcome, ...]:
    """Every rule whose quantity was measured, with what it concluded."""
    by_rule = {b.rule.id: b for b in decision.breaches}
    reasons = dict(decision.accepted)
    rows = []
    for rule in limits.rules:
        if rule.quantity not in measured:
            continue
        breach = by_rule.get(rule.id)
        outcome = "ok" if breach is None else decision.outcome_of(breach)
        rows.append(RuleOutcome(rule, outcome, breach.describe() if breach else "",
                                reasons.get(rule.id, "") if outcome == "accepted" else ""))
    return tuple(rows)


def finding_breach(finding: Finding) -> Breach:
    """A soft engine warning (DST shift, ladder fallback …) as a soft breach, decided alike."""
    rule = Rule(id=finding.code, quantity="plan", unit="flag", message=finding.message,
                source=finding.source or "ivig-schedule engine", upper_soft=Decimal(0))
    return Breach(rule, "soft", Decimal(1), Decimal(0), "plan", "above")


def decide(breaches: tuple[Breach, ...], accepted: tuple[tuple[str, str], ...],
           strict: bool) -> Decision:
    """Hard refuses; soft warns, or is an override when accepted; ``--strict`` refuses soft."""
    reasons = dict(accepted)
    ordered = tuple(sorted(breaches, key=lambda b: b.severity != "hard"))
    hard = tuple(b for b in ordered if b.severity == "hard")
    soft = tuple(b for b in ordered if b.severity == "soft")
    unacknowledged = tuple(b for b in soft if b.rule.id not in reasons)
    overrides = tuple(
        Override(b.rule.id, b.describe() if b.rule.unit == "flag" else f"{number(b.value)}{b.unit}",
                 "" if b.rule.unit == "flag" else f"{number(b.limit)}{b.unit}",
                 reasons[b.rule.id])
        for b in soft if b.rule.id in reasons
    )
    broken = {b.rule.id for b in soft}
    warnings = tuple(Finding(b.rule.id, b.describe()) for b in unacknowledged) + tuple(
        Finding("override.unused", f"--accept {rule} matched no soft breach; nothing recorded")
        for rule in reasons if rule not in broken
    )
    refusals = hard + (unacknowledged if strict else ())
    status: Status = "refused" if refusals else ("warn" if soft else "ok")
    return Decision(status=status, breaches=ordered, refusals=refusals, warnings=warnings,
                    overrides=overrides, accepted=accepted, strict=strict)


__all__ = ["BOUNDS", "Breach", "Decision", "Measurements", "decide", "evaluate", "measure"]
