"""Limits files (catalog/limits.toml, or a pharmacy's own ``--limits`` file) → `Limits`.

Parsing only; measuring and evaluating live in `ivig_schedule.guardrails`. Every rule names a
quantity from the registry (`guardrails.quantities`) and states that quantity's own unit; an
unknown quantity, a unit that does not match it, or an unknown named bound is an error naming
the file, the rule, the key and the line.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

from ivig_schedule.guardrails.quantities import NAMED_BOUNDS, QUANTITIES
from ivig_schedule.input import tomltext
from ivig_schedule.input.catalog import shipped
from ivig_schedule.input.fields import Fields, to_decimal
from ivig_schedule.model.errors import CatalogError, InputErrors, PrescriptionError, show_field
from ivig_schedule.model.limits import BOUNDS, Bound, Limits, Named, Rule

SCOPES = ("product", "indication", "regimen", "risk_factor")
RULE_KEYS = ("id", "quantity", "unit", *BOUNDS, "scope", "message", "message_below",
             "message_above", "source", "needs_reason")
BUILT_IN = "built-in"
MAX_RULES = 200
_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]", re.M)


def _bound(table: Fields, key: str) -> Bound | None:
    if not table.has(key):
        return None
    value = table.data[key]
    if isinstance(value, str):
        if value not in NAMED_BOUNDS:
            raise PrescriptionError(table.at(key), value,
                                    "must be a number or one of: " + ", ".join(NAMED_BOUNDS))
        return Named(value)
    number: Decimal = to_decimal(value, table.at(key), unit="the rule's unit", above=None)
    return number


def _rule(table: Fields) -> Rule:
    table.reject_unknown(RULE_KEYS)
    name = table.text("quantity", required=True) or ""
    quantity = QUANTITIES.get(name)
    if quantity is None:
        raise PrescriptionError(table.at("quantity"), name,
                                "unknown quantity; allowed: " + ", ".join(QUANTITIES))
    unit = table.text("unit", required=True) or ""
    if unit != quantity.unit:
        raise PrescriptionError(table.at("unit"), unit,
                                f"must be {quantity.unit!r}, the unit {name} is measured in")
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
        quantity=name,
        unit=unit,
        message=table.text("message", required=True) or "",
        message_below=table.text("message_below", default="") or "",
        message_above=table.text("message_above", default="") or "",
        source=table.text("source", required=True) or "",
        scope=tuple(scope),
        needs_reason=table.flag("needs_reason"),
        **bounds,
    )


def _line(text: str, field: str) -> int | None:
    """The line of ``rule[i].key`` (or of the i-th ``[[rule]]`` header) in the file's text."""
    match = re.match(r"rule\[(\d+)\](?:\.(\w+))?", field)
    if match is None:
        return None
    headers = list(_RULE_HEADER.finditer(text))
    index = int(match.group(1))
    if index >= len(headers):
        return None
    start = headers[index].start()
    end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
    line = text.count("\n", 0, start) + 1
    key = match.group(2)
    if key:
        found = re.search(rf"^\s*{re.escape(key)}\s*=", text[start:end], re.M)
        if found is not None:
            return line + text.count("\n", start, start + found.start())
    return line


def load_limits(text: str, origin: str, data: dict[str, Any] | None = None) -> Limits:
    """Parse a limits file; errors name the file, the rule, the key and its line. `data`: the
    text already parsed (the shipped file's, from the catalog's generated parse)."""
    try:
        if data is None:
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
        raise as_catalog_error(origin, e.errors[0], text) from e
    except PrescriptionError as e:
        raise as_catalog_error(origin, e, text) from e


def as_catalog_error(origin: str, error: PrescriptionError, text: str = "") -> CatalogError:
    """The same problem, reported against a rules file instead of a prescription."""
    problem = error.message[len(show_field(error.field)) + 2:]
    line = _line(text, error.field) if text else None
    field = error.field if line is None else f"{error.field} (line {line})"
    return CatalogError(origin, field, problem)


@functools.cache
def built_in_limits() -> Limits:
    """The limits shipped in catalog/limits.toml."""
    text, data = shipped("limits.toml")
    return load_limits(text, BUILT_IN, data)
