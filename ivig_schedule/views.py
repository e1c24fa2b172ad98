"""Plan → the record every renderer draws from, for one view.

This is the one place that decides what a view shows. For a blinded course the nurse view drops
every field that differs between arms (arm, product, contents, grams, g/kg, course grams), so
each renderer only shows what is in the record and cannot unblind by accident.

Numbers are quantized here, once, as the JSON contract says: grams and mL to 0.1, mL/h at the pump
resolution (already rounded down by the engine), minutes as integers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ivig_schedule.model import (
    Course,
    InfusionDay,
    PlaceboContents,
    Plan,
    ProductContents,
    View,
)

FORMAT = "ivig-schedule/plan@1"
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")

Record = dict[str, Any]


def tenth(value: Decimal) -> Decimal:
    """Round half-even to 0.1 for display (grams, mL)."""
    return value.quantize(TENTH)


def _contents(contents: ProductContents | PlaceboContents) -> Record:
    if isinstance(contents, PlaceboContents):
        return {"kind": "placebo", "solution": contents.solution, "ml": tenth(contents.ml)}
    return {
        "kind": "product",
        "vials": [
            {"grams": tenth(v.grams), "ml": tenth(v.ml), "count": v.count}
            for v in contents.vials
        ],
    }


def _day(day: InfusionDay, hide: bool) -> Record:
    record: Record = {
        "day": day.day,
        "date": day.date.isoformat(),
        "start": day.start.isoformat(),
        "end": day.end.isoformat(),
        "location": day.location,
    }
    if not hide:
        record["grams"] = tenth(day.grams)
    record["volume_ml"] = tenth(day.volume_ml)
    if not hide:
        record["contents"] = _contents(day.contents)
    record["steps"] = [
        {"rate_ml_per_h": s.rate_ml_per_h, "minutes": s.minutes, "volume_ml": tenth(s.volume_ml)}
        for s in day.steps
    ]
    record["infusion_minutes"] = day.infusion_minutes
    return record


def _course(course: Course, hide: bool) -> Record:
    record: Record = {
        "number": course.number,
        "phase": course.phase,
        "week": course.week,
        "blinded": course.blinded,
    }
    if not hide:
        record["dose_g_per_kg"] = course.dose_g_per_kg
        record["prescribed_g"] = tenth(course.prescribed_g)
        record["rounded_g"] = tenth(course.rounded_g)
    record["days"] = [_day(d, hide) for d in course.days]
    return record


def plan_record(plan: Plan, view: View) -> Record:
    """The plan as the given view may see it (the JSON contract, with Decimal numbers)."""
    prescription = plan.prescription
    blinded = prescription.regimen.blinded and view == "nurse"
    record: Record = {
        "format": FORMAT,
        "view": view,
        "patient": {
            "id": prescription.patient.id,
            "timezone": prescription.patient.timezone,
            "weight_kg": prescription.patient.weight_kg,
            "dosing_weight_kg": plan.dosing_weight.kg.quantize(HUNDREDTH),
            "dosing_weight_basis": plan.dosing_weight.used,
            "weight_input": prescription.patient.weight_input,
            "height_cm": (None if prescription.patient.height_cm is None
                          else prescription.patient.height_cm.quantize(TENTH)),
            "height_input": prescription.patient.height_input,
        },
        "regimen": {"id": prescription.regimen.id, "name": prescription.regimen.name},
    }
    if not blinded:
        product = prescription.product
        record["product"] = {
            "id": product.id,
            "name": product.name,
            "concentration_mg_per_ml": product.concentration_mg_per_ml,
        }
        record["arm"] = prescription.arm
    record["courses"] = [
        _course(c, hide=c.blinded and view == "nurse") for c in plan.courses
    ]
    record["warnings"] = [{"code": w.code, "message": w.message} for w in plan.warnings]
    record["visits"] = [
        {"week": v.week, "date": v.date.isoformat(), "name": v.name} for v in plan.visits
    ]
    record["overrides"] = [
        {"rule": o.rule, "value": o.value, "limit": o.limit, "reason": o.reason}
        for o in plan.overrides
    ]
    record["limits"] = (None if plan.limits is None else
                        {"name": plan.limits.name, "version": plan.limits.version,
                         "source": plan.limits.origin})
    return record
