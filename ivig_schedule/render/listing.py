"""Catalog listings (`ivig-schedule products` / `regimens` / `policies`) as tables or JSON."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from ivig_schedule.model.inputs import DosingPolicy, Ladder, Product, Regimen, SlowStart
from ivig_schedule.model.limits import Limits, Quantity, Rule, describe_bound
from ivig_schedule.model.numbers import written
from ivig_schedule.render.records import Record, dumps


def ladder_record(ladder: Ladder) -> Record:
    """A titration ladder in the label's own unit."""
    return {
        "indication": ladder.indication,
        "rate_unit": ladder.rate_unit,
        "titration": list(ladder.titration),
        "step_minutes": ladder.step_minutes,
        "max_rate": ladder.max_rate,
        "default_doubling": ladder.default_doubling,
        "source": ladder.source,
    }


def _product(product: Product) -> Record:
    return {
        "id": product.id,
        "name": product.name,
        "concentration_mg_per_ml": product.concentration_mg_per_ml,
        "vials_g": list(product.vials_g) if product.vials_g else None,
        "ladders": [ladder_record(ladder) for ladder in product.ladders],
        "at_risk_max_rate": product.at_risk_max_rate,
        "at_risk_rate_unit": product.at_risk_rate_unit,
        "at_risk_exclusive": product.at_risk_exclusive,
        "missing": list(product.missing_fields()),
        "verified": product.verified,
        "source": product.source,
        "slow_start": _slow_start(product.slow_start),
    }


def _slow_start(start: SlowStart | None) -> Record | None:
    if start is None:
        return None
    return {"triggers": list(start.triggers), "observation_minutes": start.observation_minutes,
            "interval_weeks": start.interval_weeks, "interval_source": start.interval_source,
            "routine_observation_minutes": start.routine_observation_minutes,
            "routine_source": start.routine_source,
            "initial_rate_source": start.initial_rate_source, "source": start.source,
            "verified": start.verified}


def _policy(policy: DosingPolicy) -> Record:
    return {
        "id": policy.id, "name": policy.name, "weight": policy.weight,
        "adjusted_factor": policy.adjusted_factor, "bmi_above": policy.bmi_above,
        "ibw_percent_above": policy.ibw_percent_above, "min_age_years": policy.min_age_years,
        "min_height_cm": policy.min_height_cm,
        "min_weight_kg": dict(policy.min_weight_kg) or None,
        "exclude_pregnant": policy.exclude_pregnant, "pregnancy_note": policy.pregnancy_note,
        "round_to_g": policy.round_to_g, "opt_out": policy.opt_out,
        "verified": policy.verified, "notes": policy.notes, "source": policy.source,
    }


def policy_rule(policy: DosingPolicy) -> str:
    """A policy's rule in one line, e.g. ``adjusted (IBW + 0.4 × (actual − IBW)); actual under
    18 years, below 152 cm, when pregnant``."""
    factor = written(policy.adjusted_factor) if policy.adjusted_factor is not None else ""
    adjusted = f"adjusted (IBW + {factor} × (actual − IBW))"
    if policy.weight == "adjusted-above-bmi" and policy.bmi_above is not None:
        rule = f"{adjusted} when BMI > {written(policy.bmi_above)}, else actual"
    elif policy.weight == "adjusted-above-ibw-percent" and policy.ibw_percent_above is not None:
        rule = f"actual up to {written(policy.ibw_percent_above)}% of IBW, else {adjusted}"
    elif policy.weight == "adjusted":
        rule = adjusted
    else:
        rule = "actual body weight"
    exclusions = []
    if policy.min_age_years is not None:
        exclusions.append(f"under {policy.min_age_years} years")
    if policy.min_height_cm is not None:
        exclusions.append(f"below {written(policy.min_height_cm)} cm")
    if policy.min_weight_kg:
        exclusions.append("at or below " + " / ".join(
            f"{written(kg)} kg ({sex})" for sex, kg in policy.min_weight_kg))
    if policy.exclude_pregnant:
        exclusions.append("when pregnant")
    if exclusions:
        rule += "; actual " + ", ".join(exclusions)
    if policy.round_to_g is not None:
        rule += f"; dose to the nearest {written(policy.round_to_g)} g"
    return rule


def policies_json(policies: Iterable[DosingPolicy]) -> str:
    """Dosing policies as a JSON list."""
    return dumps({"policies": [_policy(p) | {"rule": policy_rule(p)} for p in policies]})


def policies_table(policies: Iterable[DosingPolicy], width: int = 100) -> str:
    """Dosing policies as a terminal table: id, rule, opt-out, verified, source."""
    rows = [(p.id, policy_rule(p), p.opt_out or "-",
             "yes" if p.verified else "no" + (f": {p.notes}" if p.notes else ""), p.source)
            for p in policies]
    return _render("Dosing policies", ("id", "rule", "opt-out needs", "verified", "source"),
                   rows, width, wide="source")


def _regimen(regimen: Regimen) -> Record:
    return {
        "id": regimen.id,
        "name": regimen.name,
        "product": regimen.product,
        "indication": regimen.indication,
        "blinded": regimen.blinded,
        "max_weight_kg": regimen.max_weight_kg,
        "first_infusion_g": regimen.first_infusion_g,
        "first_infusion_location": regimen.first_infusion_location,
        "unblinded": list(regimen.unblinded),
        "masking_source": regimen.masking_source,
        "rules": [{"when": rule.when, "at_week": rule.at_week, "switch_to": rule.switch_to,
                   "first_course": rule.first_course, "source": rule.source,
                   "verified": rule.verified} for rule in regimen.rules],
        "phases": [
            {
                "name": p.name,
                "dose_g_per_kg": p.dose_g_per_kg,
                "days": [p.days_min, p.days_max],
                "weeks": list(p.weeks) if p.weeks is not None else None,
                "every_weeks": p.every_weeks,
                "count": p.count,
                "start_week": p.start_week,
                "blinded": p.blinded,
                "scheduled": p.scheduled,
            }
            for p in regimen.phases
        ],
        "visits": [{"week": v.week, "name": v.name, "source": v.source} for v in regimen.visits],
        "verified": regimen.verified,
        "notes": regimen.notes,
        "source": regimen.source,
    }


def products_json(products: Iterable[Product]) -> str:
    """Products as a JSON list."""
    return dumps({"products": [_product(p) for p in products]})


def regimens_json(regimens: Iterable[Regimen]) -> str:
    """Regimens as a JSON list."""
    return dumps({"regimens": [_regimen(r) for r in regimens]})


def _render(title: str, columns: tuple[str, ...], rows: Sequence[Sequence[str]],
            width: int, wide: str = "") -> str:
    """A table; the `wide` column takes most of the width, the others what they need."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    table = Table(title=title, show_lines=True, expand=bool(wide))
    for column in columns:
        table.add_column(column, overflow="fold",
                         ratio=(4 if column == wide else 1) if wide and column != "mg/mL" else None,
                         no_wrap=column in ("mg/mL", "id"))
    for row in rows:
        table.add_row(*row)
    Console(file=out, width=width, color_system=None, highlight=False).print(table)
    return out.getvalue()


def products_table(products: Iterable[Product], width: int = 100) -> str:
    """Products as a terminal table; the slowest ladder (used when no ladder fits the
    indication) is marked."""
    rows = []
    for p in products:
        slowest = p.slowest_ladder() if p.ladders else None
        ladders = "\n".join(
            f"{lad.indication}: {written(lad.titration[0])}→{written(lad.max_rate)} "
            f"{lad.rate_unit}, {lad.step_minutes}-min steps"
            + (" (doubling)" if lad.default_doubling else "")
            + (" [slowest]" if lad is slowest and len(p.ladders) > 1 else "")
            for lad in p.ladders
        )
        rows.append((
            p.id, written(p.concentration_mg_per_ml),
            ", ".join(written(v) for v in sorted(p.vials_g)) if p.vials_g else "unconfirmed",
            ladders or "unconfirmed",
            "yes" if p.verified else "no: " + ", ".join(p.missing_fields()),
        ))
    return _render("Products (ladders by indication)",
                   ("id", "mg/mL", "vials g", "ladders", "verified"), rows, width,
                   wide="ladders")


def regimens_table(regimens: Iterable[Regimen], width: int = 100) -> str:
    """Regimens as a terminal table."""
    rows = []
    for r in regimens:
        phases = "\n".join(
            f"{p.name}: {written(p.dose_g_per_kg)} g/kg over {p.days_min}-{p.days_max} d, "
            + (f"weeks {', '.join(map(str, p.weeks))}" if p.weeks is not None
               else f"every {p.every_weeks} wk x {p.count}")
            + (" (blinded)" if p.blinded else "")
            for p in r.phases
        )
        extra = f"\nindication: {r.indication or 'not named'}"
        if r.blinded:
            extra += f"; unblinded: {', '.join(r.unblinded)}"
        extra += "".join(f"\nrule: {rule.when} at week {rule.at_week} → {rule.switch_to}"
                         for rule in r.rules)
        rows.append((r.id, r.name, r.product or "any", phases + extra,
                     "yes" if r.verified else "no"))
    return _render("Regimens", ("id", "name", "product", "phases", "verified"), rows, width,
                   wide="phases")


def _rule(rule: Rule) -> Record:
    return {"id": rule.id, "quantity": rule.quantity, "unit": rule.unit,
            "bounds": {key: describe_bound(bound) for key, bound in rule.bounds()},
            "scope": {key: list(names) for key, names in rule.scope},
            "message": rule.message, "source": rule.source}


def limits_json(limits: Limits, quantities: Iterable[Quantity]) -> str:
    """A rule set and the quantities a rule may name, as JSON."""
    return dumps({"name": limits.name, "version": limits.version, "source": limits.origin,
                  "rules": [_rule(r) for r in limits.rules],
                  "quantities": [{"name": q.name, "unit": q.unit, "measured": q.measured}
                                 for q in quantities]})


def limits_table(limits: Limits, quantities: Iterable[Quantity], width: int = 100) -> str:
    """A rule set as a terminal table, then the quantities a rule may name."""
    rows = [(r.id, f"{r.quantity} ({r.unit})",
             "\n".join(f"{key}: {describe_bound(bound)}" for key, bound in r.bounds()),
             r.source) for r in limits.rules]
    rules = _render(f"Limits: {limits.name} {limits.version} ({limits.origin})",
                    ("rule", "quantity", "bounds", "source"), rows, width, wide="source")
    measured = _render("Quantities a rule may name", ("quantity", "unit", "measured"),
                       [(q.name, q.unit, q.measured) for q in quantities], width,
                       wide="measured")
    return rules + measured
