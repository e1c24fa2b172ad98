"""JSON (the ``ivig-schedule/plan@1`` contract) and CSV renderings of a `PlanView`.

Fields are added, never renamed or removed; a field a view hides is left out of the JSON and left
empty in the CSV.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from ivig_schedule.views import ContentsView, CourseView, DayView, PlanView, StepView

CSV_COLUMNS = (
    "patient_id", "regimen_id", "course", "phase", "week", "blinded", "day", "date", "start",
    "end", "location", "grams", "volume_ml", "contents", "infusion_minutes", "steps", "arrive",
    "leave",
)
"""The CSV header, one row per infusion day. Columns are added at the end, never removed."""

Record = dict[str, Any]


def number_text(value: Decimal) -> str:
    """A Decimal as plain text with at least one decimal place (48 → "48.0")."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def dumps(record: Record) -> str:
    """A record as indented JSON with Decimals as JSON numbers, ending in a newline."""
    return json.dumps(_jsonable(record), indent=2, ensure_ascii=False) + "\n"


def _contents(contents: ContentsView) -> Record:
    if contents.kind == "placebo":
        return {"kind": "placebo", "solution": contents.solution, "ml": contents.ml}
    return {"kind": "product",
            "vials": [{"grams": v.grams, "ml": v.ml, "count": v.count} for v in contents.vials]}


def _steps(steps: tuple[StepView, ...]) -> list[Record]:
    return [{"rate_ml_per_h": s.rate_ml_per_h, "minutes": s.minutes, "volume_ml": s.volume_ml}
            for s in steps]


def _day(day: DayView) -> Record:
    record: Record = {
        "day": day.day,
        "date": day.date.isoformat(),
        "start": day.start.isoformat(),
        "end": day.end.isoformat(),
        "arrive": day.arrive.isoformat(),
        "leave": day.leave.isoformat(),
        "location": day.location,
    }
    if day.grams is not None:
        record["grams"] = day.grams
    record["volume_ml"] = day.volume_ml
    if day.contents is not None:
        record["contents"] = _contents(day.contents)
    record["steps"] = _steps(day.steps)
    record["infusion_minutes"] = day.infusion_minutes
    return record


def _course(course: CourseView) -> Record:
    record: Record = {"number": course.number, "phase": course.phase, "week": course.week,
                      "blinded": course.blinded}
    if not course.masked:
        record["dose_g_per_kg"] = course.dose_g_per_kg
        record["prescribed_g"] = course.prescribed_g
        record["rounded_g"] = course.rounded_g
    record["days"] = [_day(d) for d in course.days]
    return record


def plan_record(view: PlanView) -> Record:
    """The view as the JSON contract's object (Decimals still exact)."""
    patient = view.patient
    record: Record = {
        "format": view.format,
        "view": view.view,
        "patient": {
            "id": patient.id,
            "timezone": patient.timezone,
            "weight_kg": patient.weight_kg,
            "dosing_weight_kg": patient.dosing_weight_kg,
            "dosing_weight_basis": patient.dosing_weight_basis,
            "weight_input": patient.weight_input,
            "height_cm": patient.height_cm,
            "height_input": patient.height_input,
        },
        "regimen": {"id": view.regimen_id, "name": view.regimen_name},
    }
    if view.product is not None:
        record["product"] = {"id": view.product.id, "name": view.product.name,
                             "concentration_mg_per_ml": view.product.concentration_mg_per_ml}
    if view.shows_arm:
        record["arm"] = view.arm
    record["courses"] = [_course(c) for c in view.courses]
    record["warnings"] = [{"code": w.code, "message": w.message} for w in view.warnings]
    record["visits"] = [{"week": v.week, "date": v.date.isoformat(), "name": v.name}
                        for v in view.visits]
    record["overrides"] = [{"rule": o.rule, "value": o.value, "limit": o.limit,
                            "reason": o.reason} for o in view.overrides]
    record["limits"] = (None if view.limits is None else
                        {"name": view.limits.name, "version": view.limits.version,
                         "source": view.limits.source})
    return record


def to_json(view: PlanView) -> str:
    """The view as the JSON contract, indented, ending in a newline."""
    return dumps(plan_record(view))


def contents_text(contents: ContentsView | None) -> str:
    """Contents as one line, e.g. ``30.0 g x1 + 10.0 g x1`` or ``sodium chloride 0.9% 400.0 mL``."""
    if contents is None:
        return ""
    if contents.kind == "placebo":
        return f"{contents.solution} {number_text(contents.ml)} mL"
    return " + ".join(f"{number_text(v.grams)} g x{v.count}" for v in contents.vials)


def steps_text(steps: tuple[StepView, ...], separator: str = "; ") -> str:
    """Pump steps as text, e.g. ``48.0 mL/h for 30 min (VTBI 24.0 mL)``."""
    return separator.join(
        f"{number_text(s.rate_ml_per_h)} mL/h for {s.minutes} min (VTBI {number_text(s.volume_ml)} mL)"
        for s in steps
    )


def to_csv(view: PlanView) -> str:
    """One row per infusion day under `CSV_COLUMNS`; cells hidden by the view are empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for course in view.courses:
        for day in course.days:
            writer.writerow([
                view.patient.id, view.regimen_id, course.number, course.phase, course.week,
                str(course.blinded).lower(), day.day, day.date.isoformat(),
                day.start.isoformat(), day.end.isoformat(), day.location,
                "" if day.grams is None else number_text(day.grams),
                number_text(day.volume_ml), contents_text(day.contents), day.infusion_minutes,
                steps_text(day.steps), day.arrive.isoformat(), day.leave.isoformat(),
            ])
    return out.getvalue()
