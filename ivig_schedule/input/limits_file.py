"""Limits files (catalog/limits.toml, or a pharmacy's own ``--limits`` file) → `Limits`.

Parsing only; measuring and evaluating live in `ivig_schedule.guardrails`. Every error is a
`CatalogError` naming the file and the key.
"""

from __future__ import annotations

import functools
from importlib import resources

import attrs

from ivig_schedule.input import tomltext
from ivig_schedule.input.fields import Fields, to_decimal
from ivig_schedule.model.errors import CatalogError, InputErrors, PrescriptionError, show_field

QUANTITIES = (
    "weight_kg", "dosing_weight_kg", "course_dose_g_per_kg", "day_dose_g_per_kg", "day_grams",
    "rounding_deviation_percent", "step_rate_mg_per_kg_min", "step_rate_ml_per_kg_min",
    "step_rate_ml_per_h", "infusion_minutes", "start_days_from_today", "product_unverified",
    "ladder_default_doubling", "regimen_unverified",
)
PLAN_LIMITS = ("cap_mg_per_kg_min", "max_infusion_minutes", "regimen_max_weight_kg")
BOUNDS = ("lower_hard", "lower_soft", "upper_soft", "upper_hard")
SCOPES = ("product", "indication", "regimen", "risk_factor")
RULE_KEYS = ("id", "quantity", "unit", *BOUNDS, "scope", "message", "message_below",
             "message_above", "source")
BUILT_IN = "built-in"
MAX_RULES = 200


@attrs.frozen
class Rule:
    """One limit on one quantity; a bound is a number or the name of a plan-carried limit.

    Attributes:
        id: Stable identifier, shown in errors, JSON and ``--accept``.
        quantity: What is measured (one of `QUANTITIES`).
        unit: Unit of the quantity and the bounds (``flag`` for yes/no facts).
        message: What to check, for the pharmacist.
        source: Where the limit comes from.
        lower_hard, lower_soft, upper_soft, upper_hard: The bounds; a value at a bound is within.
        scope: (key, names) pairs; the rule applies only where every key matches.
        message_below, message_above: Optional wording for one direction (e.g. "start date is
            in the past"), replacing `message` there.
    """

    id: str
    quantity: str
    unit: str
    message: str
    source: str
    lower_hard: object = None
    lower_soft: object = None
    upper_soft: object = None
    upper_hard: object = None
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()
    message_below: str = ""
    message_above: str = ""

    def says(self, direction: str) -> str:
        """The message for a breach in `direction` (``above`` or ``below``)."""
        specific = self.message_above if direction == "above" else self.message_below
        return specific or self.message


@attrs.frozen
class Limits:
    """A rule set and where it came from (recorded in every plan)."""

    name: str
    version: str
    origin: str
    rules: tuple[Rule, ...]


def _bound(table: Fields, key: str) -> object:
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
        message_below=table.text("message_below", default="") or "",
        message_above=table.text("message_above", default="") or "",
        source=table.text("source", required=True) or "",
        scope=tuple(scope),
        **bounds,
    )


def load_limits(text: str, origin: str) -> Limits:
    """Parse a limits file; errors name the file, the rule and the key."""
    try:
        data = tomltext.loads(text)
        top = Fields(data, "")
        top.reject_unknown(("name", "version", "rule"))
        raw_rules = data.get("rule")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise PrescriptionError("rule", raw_rules, "needs one or more [[rule]] tables")
        if len(raw_rules) > MAX_RULES:
            raise PrescriptionError("rule", len(raw_rules), f"at most {MAX_RULES} rules")
        rules = tuple(_rule(Fields(r, f"rule[{i}]")) for i, r in enumerate(raw_rules))
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            raise PrescriptionError("rule", ids, "rule ids must be unique")
        return Limits(name=top.text("name", required=True) or "",
                      version=top.text("version", required=True) or "",
                      origin=origin, rules=rules)
    except InputErrors as e:
        raise as_catalog_error(origin, e.errors[0]) from e
    except PrescriptionError as e:
        raise as_catalog_error(origin, e) from e


def as_catalog_error(origin: str, error: PrescriptionError) -> CatalogError:
    """The same problem, reported against a rules file instead of a prescription."""
    problem = error.message[len(show_field(error.field)) + 2:]
    return CatalogError(origin, error.field, problem)


@functools.cache
def built_in_limits() -> Limits:
    """The limits shipped in catalog/limits.toml."""
    text = resources.files("ivig_schedule.input.catalog").joinpath("limits.toml").read_text("utf-8")
    return load_limits(text, BUILT_IN)
