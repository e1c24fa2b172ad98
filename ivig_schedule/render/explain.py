"""The calculation trail for the pharmacist's independent double-check.

Every number is taken from the `Plan` the engine produced (so it equals what `plan` prints); the
trail only adds the formula and inputs that led to it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from ivig_schedule import guardrails
from ivig_schedule.dosing import CM_PER_INCH, VialSet, unrounded_vial_set, vial_neighbours
from ivig_schedule.guardrails import Breach, Limits
from ivig_schedule.model import Plan
from ivig_schedule.render.listing import ladder_record
from ivig_schedule.render.records import number_text
from ivig_schedule.views import tenth

FORMAT = "ivig-schedule/explain@1"
Record = dict[str, Any]


def _n(value: Decimal) -> str:
    return guardrails.number(value)


def _dosing_weight(plan: Plan) -> Record:
    patient = plan.prescription.patient
    weight = plan.dosing_weight
    record: Record = {
        "basis": weight.basis,
        "used": weight.used,
        "weight_kg": patient.weight_kg,
        "weight_input": patient.weight_input,
        "dosing_weight_kg": weight.kg,
        "steps": [],
    }
    steps: list[str] = record["steps"]
    if patient.weight_input.lower().endswith(("lb", "lbs")):
        steps.append(f"weight: {patient.weight_input} × 0.45359237 kg/lb = "
                     f"{_n(patient.weight_kg)} kg")
    if weight.ideal_kg is not None and patient.height_cm is not None:
        base = "50" if patient.sex == "male" else "45.5"
        steps.append(f"IBW (Devine, {patient.sex}): {base} + 2.3 × ({_n(patient.height_cm)} cm ÷ "
                     f"{CM_PER_INCH} − 60) = {_n(weight.ideal_kg)} kg")
    if weight.bmi_kg_per_m2 is not None and patient.height_cm is not None:
        steps.append(f"BMI: {_n(patient.weight_kg)} ÷ ({_n(patient.height_cm / 100)} m)² = "
                     f"{_n(weight.bmi_kg_per_m2)} kg/m²")
    if weight.used == "adjusted" and weight.ideal_kg is not None:
        steps.append(f"adjusted: {_n(weight.ideal_kg)} + 0.4 × ({_n(patient.weight_kg)} − "
                     f"{_n(weight.ideal_kg)}) = {_n(weight.kg)} kg (never above the actual weight)")
    steps.append(f"dosing weight ({weight.used}): {_n(weight.kg)} kg")
    return record


def _ladder(plan: Plan) -> Record:
    return {
        **ladder_record(plan.ladder),
        "at_risk_max_rate": plan.prescription.product.at_risk_max_rate,
        "risk_factors": list(plan.prescription.patient.risk_factors),
        "cap_mg_per_kg_min": plan.cap_mg_per_kg_min,
    }


def _courses(plan: Plan) -> list[Record]:
    prescription = plan.prescription
    product, order = prescription.product, prescription.order
    concentration = product.concentration_mg_per_ml
    weight = plan.dosing_weight.kg
    assert product.vials_g is not None
    grid = (unrounded_vial_set(concentration) if order.rounding == "none"
            else VialSet(product.vials_g, concentration))
    courses = []
    for course in plan.courses:
        below, above = vial_neighbours(course.prescribed_g, grid)
        days = []
        for day in course.days:
            steps = []
            for step in day.steps:
                exact = step.exact_ml_per_h if step.exact_ml_per_h is not None else Decimal(0)
                held = (f"held {step.minutes} min" if step is not day.steps[-1] else
                        f"{number_text(step.volume_ml)} mL ÷ {number_text(step.rate_ml_per_h)} "
                        f"mL/h × 60 = {_n(step.volume_ml * 60 / step.rate_ml_per_h)} → "
                        f"{step.minutes} min (rounded up)")
                steps.append({
                    "rate_mg_per_kg_min": step.rate_mg_per_kg_min,
                    "rate_formula": f"{_n(step.rate_mg_per_kg_min)} mg/kg/min × {_n(weight)} kg "
                                    f"× 60 ÷ {_n(concentration)} mg/mL = {_n(exact)} mL/h → "
                                    f"{number_text(step.rate_ml_per_h)} mL/h (down to "
                                    f"{number_text(order.pump_resolution_ml_h)})",
                    "rate_ml_per_h": step.rate_ml_per_h,
                    "minutes": step.minutes,
                    "minutes_formula": held,
                    "volume_ml": tenth(step.volume_ml),
                })
            contents = day.contents
            vials = getattr(contents, "vials", ())
            days.append({
                "day": day.day,
                "grams": tenth(day.grams),
                "vials": " + ".join(f"{v.count} × {number_text(v.grams)} g" for v in vials)
                         or f"saline {number_text(tenth(day.volume_ml))} mL (placebo)",
                "volume_formula": f"{number_text(day.grams)} g × 1000 ÷ {_n(concentration)} "
                                  f"mg/mL = {number_text(day.volume_ml)} mL",
                "volume_ml": tenth(day.volume_ml),
                "steps": steps,
                "infusion_minutes": day.infusion_minutes,
            })
        courses.append({
            "number": course.number,
            "phase": course.phase,
            "week": course.week,
            "dose_g_per_kg": course.dose_g_per_kg,
            "prescribed_formula": f"{_n(course.dose_g_per_kg)} g/kg × {_n(weight)} kg = "
                                  f"{_n(course.prescribed_g)} g",
            "prescribed_g": tenth(course.prescribed_g),
            "rounding": {
                "method": order.rounding,
                "grain_g": grid.grain_g,
                "whole_vials_below_g": below,
                "whole_vials_above_g": above,
                "rounded_g": tenth(course.rounded_g),
                "deviation_percent": course.rounding_deviation_percent.quantize(Decimal("0.01")),
            },
            "split": [tenth(d.grams) for d in course.days],
            "days": days,
        })
    return courses


def _limits(limits: Limits, breaches: tuple[Breach, ...], accepted: dict[str, str],
            measured: set[str]) -> list[Record]:
    by_rule = {b.rule.id: b for b in breaches}
    rows = []
    for rule in guardrails.rules_checked(limits, measured):
        breach = by_rule.get(rule.id)
        if breach is None:
            outcome = "ok"
        elif breach.severity == "soft" and rule.id in accepted:
            outcome = "accepted"
        else:
            outcome = breach.severity
        rows.append({
            "rule": rule.id,
            "quantity": rule.quantity,
            "unit": rule.unit,
            "bounds": {key: guardrails.describe_bound(getattr(rule, key))
                       for key in guardrails.BOUNDS if getattr(rule, key) is not None},
            "outcome": outcome,
            "detail": breach.describe() if breach else "",
            "reason": accepted.get(rule.id, "") if outcome == "accepted" else "",
            "source": rule.source,
        })
    return rows


def trail(plan: Plan, limits: Limits, breaches: tuple[Breach, ...],
          accepted: dict[str, str], measured: set[str]) -> Record:
    """The whole calculation trail as a record (JSON-ready apart from Decimals)."""
    prescription = plan.prescription
    return {
        "format": FORMAT,
        "patient": prescription.patient.id,
        "regimen": prescription.regimen.id,
        "product": {"id": prescription.product.id,
                    "concentration_mg_per_ml": prescription.product.concentration_mg_per_ml,
                    "vials_g": list(prescription.product.vials_g or ())},
        "dosing_weight": _dosing_weight(plan),
        "ladder": _ladder(plan),
        "courses": _courses(plan),
        "limits": {"name": limits.name, "version": limits.version, "source": limits.origin,
                   "rules": _limits(limits, breaches, accepted, measured)},
    }


def to_text(record: Record) -> str:
    """The trail as plain text for the terminal."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, highlight=False, emoji=False)

    def say(text: str = "") -> None:
        console.print(text, markup=False)

    say(f"Calculation trail · patient {record['patient']} · regimen {record['regimen']} · "
        f"product {record['product']['id']}")
    say()
    say("Dosing weight")
    for step in record["dosing_weight"]["steps"]:
        say(f"  {step}")
    ladder = record["ladder"]
    say()
    say(f"Ladder ({ladder['indication']}): "
        f"{', '.join(number_text(r) for r in ladder['titration'])} {ladder['rate_unit']}, "
        f"{ladder['step_minutes']} min a step; cap {_n(ladder['cap_mg_per_kg_min'])} mg/kg/min"
        + (" (default doubling)" if ladder["default_doubling"] else ""))
    for course in record["courses"]:
        rounding = course["rounding"]
        below = rounding["whole_vials_below_g"]
        say()
        say(f"Course {course['number']} ({course['phase']}, week {course['week']})")
        say(f"  prescribed: {course['prescribed_formula']}")
        say(f"  rounding {rounding['method']} (grain {number_text(rounding['grain_g'])} g): "
            f"below {'none' if below is None else number_text(below)} g, above "
            f"{number_text(rounding['whole_vials_above_g'])} g → "
            f"{number_text(rounding['rounded_g'])} g ({rounding['deviation_percent']}% off)")
        say(f"  split: {' + '.join(number_text(g) for g in course['split'])} g")
        for day in course["days"]:
            say(f"  day {day['day']}: {number_text(day['grams'])} g = {day['vials']}; "
                f"{day['volume_formula']}")
            for i, step in enumerate(day["steps"], start=1):
                say(f"    step {i}: {step['rate_formula']}")
                say(f"            {step['minutes_formula']}; VTBI "
                    f"{number_text(step['volume_ml'])} mL")
            say(f"    total {day['infusion_minutes']} min")
    limits = record["limits"]
    say()
    say(f"Limits ({limits['name']} {limits['version']}, {limits['source']})")
    for row in limits["rules"]:
        detail = f": {row['detail']}" if row["detail"] else ""
        reason = f" (reason: {row['reason']})" if row["reason"] else ""
        say(f"  [{row['outcome']}] {row['rule']}{detail}{reason}")
    return out.getvalue()
