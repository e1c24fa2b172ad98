"""Safety limits as data (catalog/limits.toml) → breaches.

Every computed value (weight, doses, rounding, each programmed rate, infusion time, data flags,
dates) is measured and compared with the rules. A hard breach refuses the plan; a soft breach is a
warning that a pharmacist may acknowledge with a reason. Nothing here raises for a breach: the
engine decides what to do with them, so `check` can list them all at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

import attrs

from ivig_schedule.errors import CatalogError, PrescriptionError
from ivig_schedule.fields import Fields, to_decimal
from ivig_schedule.model import Plan, Prescription

QUANTITIES = (
    "weight_kg", "dosing_weight_kg", "course_dose_g_per_kg", "day_dose_g_per_kg", "day_grams",
    "rounding_deviation_percent", "step_rate_mg_per_kg_min", "step_rate_ml_per_kg_min",
    "step_rate_ml_per_h", "infusion_minutes", "start_days_from_today", "product_unverified",
    "ladder_default_doubling", "regimen_unverified",
)
PLAN_LIMITS = ("cap_mg_per_kg_min", "max_infusion_minutes", "regimen_max_weight_kg")
BOUNDS = ("lower_hard", "lower_soft", "upper_soft", "upper_hard")
SCOPES = ("product", "indication", "regimen", "risk_factor")
RULE_KEYS = ("id", "quantity", "unit", *BOUNDS, "scope", "message", "source")
BUILT_IN = "built-in"

Bound = Decimal | str | None
Measurements = dict[str, list[tuple[Decimal, str]]]


@attrs.frozen
class Rule:
    """One limit on one quantity; a bound is a number or the name of a plan-carried limit."""

    id: str
    quantity: str
    unit: str
    message: str
    source: str
    lower_hard: Bound = None
    lower_soft: Bound = None
    upper_soft: Bound = None
    upper_hard: Bound = None
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()


@attrs.frozen
class Limits:
    """A rule set and where it came from (recorded in every plan)."""

    name: str
    version: str
    origin: str
    rules: tuple[Rule, ...]


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

    def describe(self) -> str:
        """One sentence: value, limit, where, and what to check."""
        if self.rule.unit == "flag":
            return f"{self.where}: {self.rule.message}"
        unit = f" {self.rule.unit}"
        more = f" and {self.count - 1} more" if self.count > 1 else ""
        return (f"{number(self.value)}{unit} is {self.direction} the {self.severity} limit "
                f"{number(self.limit)}{unit} ({self.where}{more}): {self.rule.message}")


def number(value: Decimal) -> str:
    """A value for a message: at most three decimals, no trailing zeros."""
    return format(value.quantize(Decimal("0.001")).normalize(), "f")


def _bound(table: Fields, key: str) -> Bound:
    if not table.has(key):
        return None
    value = table.data[key]
    if isinstance(value, str):
        if value not in PLAN_LIMITS:
            raise PrescriptionError(table.at(key), value,
                                    "must be a number or one of: " + ", ".join(PLAN_LIMITS))
        return value
    return to_decimal(value, table.at(key), unit="the rule's unit", above=None)


def _rule(table: Fields) -> Rule:
    table.reject_unknown(RULE_KEYS)
    quantity = table.choice("quantity", QUANTITIES)
    if quantity is None:
        raise PrescriptionError(table.at("quantity"), None, "is required")
    scope: list[tuple[str, tuple[str, ...]]] = []
    scope_table = table.table("scope")
    if scope_table is not None:
        scope_table.reject_unknown(SCOPES)
        for key in SCOPES:
            if scope_table.has(key):
                raw = scope_table.data[key]
                values = raw if isinstance(raw, list) else [raw]
                if not values or not all(isinstance(v, str) and v for v in values):
                    raise PrescriptionError(scope_table.at(key), raw,
                                            "must be a name or a list of names")
                scope.append((key, tuple(values)))
    bounds = {key: _bound(table, key) for key in BOUNDS}
    if all(b is None for b in bounds.values()):
        raise PrescriptionError(table.path, None, "needs at least one of " + ", ".join(BOUNDS))
    return Rule(
        id=table.text("id", required=True) or "",
        quantity=quantity,
        unit=table.text("unit", required=True) or "",
        message=table.text("message", required=True) or "",
        source=table.text("source", required=True) or "",
        scope=tuple(scope),
        **bounds,
    )


def load_limits(text: str, origin: str) -> Limits:
    """Parse a limits file; errors name the file, the rule and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(origin, "(toml)", f"not valid TOML: {e}") from None
    try:
        top = Fields(data, "")
        top.reject_unknown(("name", "version", "rule"))
        raw_rules = data.get("rule")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise PrescriptionError("rule", raw_rules, "needs one or more [[rule]] tables")
        rules = tuple(_rule(Fields(r, f"rule[{i}]")) for i, r in enumerate(raw_rules))
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            raise PrescriptionError("rule", ids, "rule ids must be unique")
        return Limits(name=top.text("name", required=True) or "",
                      version=top.text("version", required=True) or "",
                      origin=origin, rules=rules)
    except PrescriptionError as e:
        raise CatalogError(origin, e.field, f"{e.allowed} (got {e.value!r})") from e


@functools.cache
def built_in_limits() -> Limits:
    """The limits shipped in catalog/limits.toml."""
    text = resources.files("ivig_schedule.catalog").joinpath("limits.toml").read_text("utf-8")
    return load_limits(text, BUILT_IN)


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


def plan_measurements(plan: Plan) -> Measurements:
    """Values the calculation produced: doses, rounding, every programmed rate, durations."""
    weight = plan.dosing_weight.kg
    concentration = plan.prescription.product.concentration_mg_per_ml
    values: Measurements = {name: [] for name in QUANTITIES}
    values["dosing_weight_kg"] = [(weight, "patient")]
    values["ladder_default_doubling"] = [(_flag(plan.ladder.default_doubling),
                                          f"ladder {plan.ladder.indication}")]
    for course in plan.courses:
        place = f"course {course.number}"
        values["rounding_deviation_percent"].append((course.rounding_deviation_percent, place))
        for day in course.days:
            where = f"{place} day {day.day}"
            values["day_grams"].append((day.grams, where))
            values["day_dose_g_per_kg"].append((day.grams / weight, where))
            values["infusion_minutes"].append((Decimal(day.infusion_minutes), where))
            for number_, step in enumerate(day.steps, start=1):
                at = f"{where} step {number_}"
                ml_per_kg_min = step.rate_ml_per_h / (weight * 60)
                values["step_rate_ml_per_h"].append((step.rate_ml_per_h, at))
                values["step_rate_ml_per_kg_min"].append((ml_per_kg_min, at))
                values["step_rate_mg_per_kg_min"].append((ml_per_kg_min * concentration, at))
    return {k: v for k, v in values.items() if v}


def plan_limits(prescription: Prescription, plan: Plan | None) -> dict[str, Decimal | None]:
    """The limits a rule may name instead of a number."""
    return {
        "cap_mg_per_kg_min": plan.cap_mg_per_kg_min if plan is not None else None,
        "max_infusion_minutes": prescription.order.max_infusion_hours * 60,
        "regimen_max_weight_kg": prescription.regimen.max_weight_kg,
    }


def _applies(rule: Rule, prescription: Prescription, indication: str | None) -> bool:
    facts: dict[str, set[str]] = {
        "product": {prescription.product.id},
        "indication": {indication or ""},
        "regimen": {prescription.regimen.id},
        "risk_factor": set(prescription.patient.risk_factors),
    }
    return all(facts[key] & set(names) for key, names in rule.scope)


def _resolve(bound: Bound, named: dict[str, Decimal | None]) -> Decimal | None:
    if isinstance(bound, str):
        return named.get(bound)
    return bound


def _crossings(rule: Rule, value: Decimal, where: str,
               named: dict[str, Decimal | None]) -> Iterator[Breach]:
    for key, severity, direction in (("upper_hard", "hard", "above"),
                                     ("lower_hard", "hard", "below"),
                                     ("upper_soft", "soft", "above"),
                                     ("lower_soft", "soft", "below")):
        limit = _resolve(getattr(rule, key), named)
        if limit is None:
            continue
        if (direction == "above" and value > limit) or (direction == "below" and value < limit):
            yield Breach(rule, severity, value, limit, where, direction)  # type: ignore[arg-type]
            return


def evaluate(limits: Limits, prescription: Prescription, measurements: Measurements,
             plan: Plan | None) -> tuple[Breach, ...]:
    """One breach per broken rule (hard before soft, then the value furthest beyond)."""
    named = plan_limits(prescription, plan)
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


def rules_checked(limits: Limits, measurements: Iterable[str]) -> tuple[Rule, ...]:
    """Rules whose quantity was measured (for the explain trail)."""
    measured = set(measurements)
    return tuple(r for r in limits.rules if r.quantity in measured)


def merged(*parts: Measurements) -> Measurements:
    """Measurements from several stages, in one mapping."""
    out: Measurements = {}
    for part in parts:
        for key, values in part.items():
            out.setdefault(key, []).extend(values)
    return out


def describe_bound(bound: Any) -> str:
    """A bound for display: a number, or the name of the plan-carried limit."""
    return bound if isinstance(bound, str) else number(bound)
