"""The calculation trail for the pharmacist's independent double-check.

Every number comes from the trail the engine recorded (`PlanView.trail`), so it equals what
``plan`` prints; this module only lays out each formula with the values that went into it. The
formula texts are the ones `dosing` and `pump` compute by.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from ivig_schedule.model.limits import BOUNDS, Limits, RuleOutcome, describe_bound
from ivig_schedule.model.numbers import plain as number
from ivig_schedule.model.numbers import written
from ivig_schedule.model.plan import Calc
from ivig_schedule.render.listing import ladder_record
from ivig_schedule.views.trail import CourseTrail, StepTrail, Trail
from ivig_schedule.views.views import PlanView, tenth

FORMAT = "ivig-schedule/explain@1"
Record = dict[str, Any]


def _filled(calc: Calc) -> str:
    """A recorded calculation as text: the formula with its values, and its result."""
    values = {name: number(value) for name, value in calc.inputs}
    return f"{calc.formula.format(**values)} = {number(calc.result)} {calc.unit}"


def _calc(calc: Calc) -> str:
    return f"{calc.name}: {_filled(calc)}"


def _step(step: StepTrail, trail: Trail) -> Record:
    if step.held is not None:
        held = f"{_filled(step.held)} → {step.minutes} min (rounded up)"
    else:
        held = f"held {step.minutes} min"
    return {
        "rate_mg_per_kg_min": step.rate_mg_per_kg_min,
        "rate_formula": f"{_filled(step.rate)} → {written(step.rate_ml_per_h)} mL/h (down to "
                        f"{written(trail.pump_resolution_ml_h)})",
        "rate_ml_per_h": step.rate_ml_per_h,
        "minutes": step.minutes,
        "minutes_formula": held,
        "volume_ml": tenth(step.volume_ml),
    }


def _course(course: CourseTrail, trail: Trail) -> Record:
    days = []
    for day in course.days:
        days.append({
            "day": day.day,
            "grams": tenth(day.grams),
            "vials": (f"saline {written(tenth(day.volume.result))} mL (placebo)"
                      if day.placebo
                      else " + ".join(f"{v.count} × {written(v.grams)} g" for v in day.vials)),
            "volume_formula": _filled(day.volume),
            "volume_ml": tenth(day.volume.result),
            "steps": [_step(s, trail) for s in day.steps],
            "infusion_minutes": day.infusion_minutes,
        })
    return {
        "number": course.number,
        "phase": course.phase,
        "week": course.week,
        "dose_g_per_kg": course.dose_g_per_kg,
        "prescribed_formula": _filled(course.prescribed),
        "prescribed_g": tenth(course.prescribed.result),
        "rounding": {
            "method": course.rounding.method,
            "grain_g": course.rounding.grain_g,
            "whole_vials_below_g": course.rounding.below_g,
            "whole_vials_above_g": course.rounding.above_g,
            "rounded_g": tenth(course.rounded_g),
            "deviation_percent": course.deviation_percent,
            "policy_step_g": course.rounding.policy_step_g,
            "policy_g": course.rounding.policy_g,
        },
        "split": [tenth(d.grams) for d in course.days],
        "weight_kg": course.weight.weight_kg,
        "weight_input": course.weight.weight_input,
        "dosing_weight_basis": course.weight.used,
        "dosing_weight_reason": course.weight.reason,
        "dosing_policy": course.weight.policy or None,
        "dosing_policy_excluded": course.weight.excluded or None,
        "dosing_weight_steps": [_calc(c) for c in course.weight.trail],
        "product_id": course.product_id,
        "slow_start": list(course.slow_start),
        "dosing_weight_kg": course.dosing_weight_kg,
        "cap_ml_per_h": course.cap.cap_ml_per_h,
        "cap_mg_per_kg_min": course.cap.cap_mg_per_kg_min,
        "cap_from": course.cap.binding,
        "cap_exclusive": course.cap.exclusive,
        "days": days,
    }


def _rules(outcomes: tuple[RuleOutcome, ...]) -> list[Record]:
    return [{
        "rule": row.rule.id,
        "quantity": row.rule.quantity,
        "unit": row.rule.unit,
        "bounds": {key: describe_bound(getattr(row.rule, key))
                   for key in BOUNDS if getattr(row.rule, key) is not None},
        "outcome": row.outcome,
        "detail": row.detail,
        "reason": row.reason,
        "source": row.rule.source,
    } for row in outcomes]


def trail(view: PlanView, limits: Limits, outcomes: tuple[RuleOutcome, ...]) -> Record:
    """The whole calculation trail as a record (JSON-ready apart from Decimals)."""
    assert view.trail is not None, "the trail is part of the pharmacy view"
    t = view.trail
    assert view.product is not None
    weights = view.patient.weights
    assert weights is not None, "the trail goes with the weights"
    return {
        "format": FORMAT,
        "patient": view.patient.id,
        "regimen": view.regimen_id,
        "product": {"id": view.product.id,
                    "concentration_mg_per_ml": t.concentration_mg_per_ml,
                    "vials_g": list(t.vials_g)},
        "dosing_weight": {
            "basis": weights.dosing_weight_basis,
            "used": t.dosing_weight_used,
            "weight_kg": weights.weight_kg,
            "weight_input": weights.weight_input,
            "dosing_weight_kg": t.dosing_weight_kg,
            "reason": t.dosing_weight_reason,
            "steps": [_calc(c) for c in t.dosing_weight]
                     + [f"dosing weight ({t.dosing_weight_used}): {number(t.dosing_weight_kg)} kg"],
        },
        "ladder": {
            **ladder_record(t.ladder),
            "reason": t.ladder_reason,
            "at_risk_max_rate": t.cap.at_risk_mg_per_kg_min,
            "risk_factors": list(t.risk_factors),
            "label_max_mg_per_kg_min": t.cap.label_mg_per_kg_min,
            "max_rate_ml_h": t.cap.absolute_ml_per_h,
            "max_rate_mg_per_kg_min": t.cap.absolute_mg_per_kg_min,
            "cap_mg_per_kg_min": t.cap.cap_mg_per_kg_min,
            "cap_ml_per_h": t.cap.cap_ml_per_h,
            "cap_from": t.cap.binding,
            "cap_exclusive": t.cap.exclusive,
        },
        "courses": [_course(c, t) for c in t.courses],
        "changes": [{"index": c.index, "on": c.on.isoformat(), "kind": c.kind,
                     "reason": c.reason, "effect": c.effect, "fired": c.fired}
                    for c in view.changes],
        "limits": {"name": limits.name, "version": limits.version, "source": limits.origin,
                   "rules": _rules(outcomes)},
    }


def to_text(record: Record, width: int = 100) -> str:
    """The trail as plain text for the terminal, wrapped to `width`."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, emoji=False)

    def say(text: str = "") -> None:
        console.print(text, markup=False)

    say(f"Calculation trail · patient {record['patient']} · regimen {record['regimen']} · "
        f"product {record['product']['id']}")
    say()
    say("Dosing weight")
    for step in record["dosing_weight"]["steps"]:
        say(f"  {step}")
    say(f"  why: {record['dosing_weight']['reason']}")
    ladder = record["ladder"]
    say()
    say(f"Ladder ({ladder['indication']}): "
        f"{', '.join(written(r) for r in ladder['titration'])} {ladder['rate_unit']}, "
        f"{ladder['step_minutes']} min a step; cap {number(ladder['cap_mg_per_kg_min'])} "
        "mg/kg/min" + (" (default doubling)" if ladder["default_doubling"] else ""))
    say(f"  why: {ladder['reason']}")
    parts = [f"label {number(ladder['label_max_mg_per_kg_min'])}"]
    if ladder["at_risk_max_rate"] is not None:
        parts.append(f"at-risk {number(ladder['at_risk_max_rate'])}")
    if ladder["max_rate_ml_h"] is not None:
        parts.append(f"order {written(ladder['max_rate_ml_h'])} mL/h = "
                     f"{number(ladder['max_rate_mg_per_kg_min'])}")
    bound = "below" if ladder["cap_exclusive"] else "at most"
    say(f"  cap: lowest of {', '.join(parts)} mg/kg/min → {ladder['cap_from']}; rates {bound} "
        f"{written(ladder['cap_ml_per_h'])} mL/h for this patient")
    for course in record["courses"]:
        rounding = course["rounding"]
        below: Decimal | None = rounding["whole_vials_below_g"]
        say()
        say(f"Course {course['number']} ({course['phase']}, week {course['week']})")
        if course["weight_kg"] != record["dosing_weight"]["weight_kg"] \
                or course["dosing_weight_kg"] != record["dosing_weight"]["dosing_weight_kg"]:
            say(f"  weight for this course (a recorded change): {number(course['weight_kg'])} "
                f"kg → dosing weight {number(course['dosing_weight_kg'])} kg "
                f"({course['dosing_weight_basis']})")
            for step in course["dosing_weight_steps"]:
                say(f"    {step}")
            say(f"    why: {course['dosing_weight_reason']}")
        elif course["dosing_weight_reason"] != record["dosing_weight"]["reason"]:
            say(f"  dosing weight for this course: {course['dosing_weight_reason']}")
        if course["product_id"] != record["product"]["id"]:
            say(f"  product for this course (a recorded change): {course['product_id']}")
        for why in course["slow_start"]:
            say(f"  slow start on day 1: {why}")
        say(f"  prescribed: {course['prescribed_formula']}")
        if rounding["policy_step_g"] is not None:
            say(f"  dosing policy: to the nearest {written(rounding['policy_step_g'])} g → "
                f"{written(rounding['policy_g'])} g")
        say(f"  rounding {rounding['method']} (grain {written(rounding['grain_g'])} g): "
            f"below {'none' if below is None else written(below)} g, above "
            f"{written(rounding['whole_vials_above_g'])} g → "
            f"{written(rounding['rounded_g'])} g ({written(rounding['deviation_percent'])}% off)")
        say(f"  split: {' + '.join(written(g) for g in course['split'])} g")
        if course["cap_ml_per_h"] != ladder["cap_ml_per_h"]:
            say(f"  cap for this course's dosing weight {number(course['dosing_weight_kg'])} kg: "
                f"{number(course['cap_mg_per_kg_min'])} mg/kg/min → rates "
                f"{'below' if course['cap_exclusive'] else 'at most'} "
                f"{written(course['cap_ml_per_h'])} mL/h ({course['cap_from']})")
        for day in course["days"]:
            say(f"  day {day['day']}: {written(day['grams'])} g = {day['vials']}; "
                f"{day['volume_formula']}")
            for i, step in enumerate(day["steps"], start=1):
                say(f"    step {i}: {step['rate_formula']}")
                say(f"            {step['minutes_formula']}; VTBI "
                    f"{written(step['volume_ml'])} mL")
            say(f"    total {day['infusion_minutes']} min")
    if record["changes"]:
        say()
        say("History")
        for change in record["changes"]:
            say(f"  change[{change['index']}] {change['on']} {change['kind']}: {change['effect']}"
                f" (reason: {change['reason']})")
    limits = record["limits"]
    say()
    say(f"Limits ({limits['name']} {limits['version']}, {limits['source']})")
    for row in limits["rules"]:
        detail = f": {row['detail']}" if row["detail"] else ""
        reason = f" (reason: {row['reason']})" if row["reason"] else ""
        say(f"  [{row['outcome']}] {row['rule']}{detail}{reason}")
    return out.getvalue()
