"""JSON (the ``ivig-schedule/plan@1`` contract) and CSV renderings of a `PlanView`.

Fields are added, never renamed or removed; a field a view hides is left out of the JSON and left
empty in the CSV.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the fallback writes the same
    _orjson = None  # type: ignore[assignment]

from ivig_schedule.model.numbers import written
from ivig_schedule.render import csvcells
from ivig_schedule.render.formats import Options
from ivig_schedule.views.views import (
    ContentsView,
    CourseView,
    DayView,
    DispenseView,
    PlanView,
    StepView,
)

CSV_COLUMNS = (
    "patient_id", "regimen_id", "course", "phase", "week", "blinded", "day", "date", "start",
    "end", "location", "grams", "volume_ml", "contents", "infusion_minutes", "steps", "arrive",
    "leave", "course_dispense", "cap_ml_per_h", "status", "weight_kg", "dosing_weight_kg",
    "dosing_weight_basis",
)
"""The CSV header, one row per infusion day. Columns are added at the end, never removed.
``course_dispense`` is filled on a course's first day only, so the column can be added up."""

Record = dict[str, Any]


def number_text(value: Decimal) -> str:
    """A Decimal as plain text with at least one decimal place (48 → "48.0")."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _number(value: Any) -> float:
    """A Decimal as the JSON number it stands for (the JSON contract writes numbers, not
    strings)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def dumps(record: Record) -> str:
    """A record as indented JSON (two spaces, UTF-8 as is) with Decimals as JSON numbers, ending
    in a newline.

    orjson writes the same bytes as the standard library's ``json.dumps(indent=2,
    ensure_ascii=False)`` about five times faster (the JSON is a quarter of a roster's work);
    without it the standard library writes them.
    """
    if _orjson is None:
        import json

        return json.dumps(record, indent=2, ensure_ascii=False, default=_number) + "\n"
    return (_orjson.dumps(record, default=_number, option=_orjson.OPT_INDENT_2)
            .decode("utf-8") + "\n")


def _contents(contents: ContentsView) -> Record:
    if contents.kind == "placebo":
        return {"kind": "placebo", "solution": contents.solution, "ml": contents.ml,
                "matches_g": contents.matches_g}
    return {"kind": "product",
            "vials": [{"grams": v.grams, "ml": v.ml, "count": v.count} for v in contents.vials]}


def _steps(steps: tuple[StepView, ...]) -> list[Record]:
    return [{"rate_ml_per_h": s.rate_ml_per_h, "minutes": s.minutes, "volume_ml": s.volume_ml}
            for s in steps]


def _day(day: DayView) -> Record:
    record: Record = {"day": day.day, "date": day.date.isoformat()}
    for key in ("start", "end", "arrive", "leave"):
        moment = getattr(day, key)
        if moment is not None:
            record[key] = moment.isoformat()
    if day.location is not None:
        record["location"] = day.location
    if day.grams is not None:
        record["grams"] = day.grams
    if day.volume_ml is not None:
        record["volume_ml"] = day.volume_ml
    if day.contents is not None:
        record["contents"] = _contents(day.contents)
    if day.steps is not None:
        record["steps"] = _steps(day.steps)
        record["infusion_minutes"] = day.infusion_minutes
    record["status"] = day.status
    if day.given is not None:
        given: Record = {"on": day.given.on.isoformat(), "change": day.given.change}
        if day.given.lot is not None:
            given["lot"] = day.given.lot
        if day.given.expiry is not None:
            given["expiry"] = day.given.expiry.isoformat()
        if day.given.note is not None:
            given["note"] = day.given.note
        record["given"] = given
    return record


def _dispense(dispense: DispenseView) -> Record:
    return {"vials": [{"grams": v.grams, "ml": v.ml, "count": v.count} for v in dispense.vials],
            "bags_ml": list(dispense.bags_ml), "grams": dispense.grams,
            "volume_ml": dispense.volume_ml, "text": dispense_text(dispense)}


def _course(course: CourseView) -> Record:
    record: Record = {"number": course.number, "phase": course.phase, "week": course.week,
                      "blinded": course.blinded}
    if course.dose_g_per_kg is not None:
        record["dose_g_per_kg"] = course.dose_g_per_kg
        record["prescribed_g"] = course.prescribed_g
        record["rounded_g"] = course.rounded_g
    if course.dispense is not None:
        record["dispense"] = _dispense(course.dispense)
    record["status"] = course.status
    record["moved_days"] = course.moved_days
    if course.dosing_weight_kg is not None:
        record["dosing_weight_kg"] = course.dosing_weight_kg
    if course.cap is not None:
        record["cap_ml_per_h"] = course.cap.cap_ml_per_h
        record["cap_mg_per_kg_min"] = course.cap.cap_mg_per_kg_min
        record["cap_from"] = course.cap.cap_from
    if course.weight is not None:
        record["weight_kg"] = course.weight.weight_kg
        record["weight_input"] = course.weight.weight_input
        record["dosing_weight_basis"] = course.weight.dosing_weight_basis
    if course.product is not None:
        record["product_id"] = course.product.id
    record["slow_start"] = [{"trigger": r.trigger, "text": r.text, "assumed": r.assumed}
                            for r in course.slow_start]
    record["days"] = [_day(d) for d in course.days]
    return record


def plan_record(view: PlanView) -> Record:
    """The view as the JSON contract's object (Decimals still exact)."""
    patient = view.patient
    person: Record = {"id": patient.id, "timezone": patient.timezone}
    weights = patient.weights
    if weights is not None:
        person.update({
            "weight_kg": weights.weight_kg,
            "dosing_weight_kg": weights.dosing_weight_kg,
            "dosing_weight_basis": weights.dosing_weight_basis,
            "weight_input": weights.weight_input,
            "height_cm": weights.height_cm,
            "height_input": weights.height_input,
        })
    record: Record = {
        "format": view.format,
        "view": view.view,
        "patient": person,
        "regimen": {"id": view.regimen_id, "name": view.regimen_name},
    }
    if view.product is not None:
        record["product"] = {"id": view.product.id, "name": view.product.name,
                             "concentration_mg_per_ml": view.product.concentration_mg_per_ml}
    if view.arm is not None:
        record["arm"] = view.arm.arm
    record["courses"] = [_course(c) for c in view.courses]
    record["warnings"] = [{"code": w.code, "message": w.message} for w in view.warnings]
    record["visits"] = [{"week": v.week, "date": v.date.isoformat(), "name": v.name}
                        for v in view.visits]
    record["overrides"] = [{"rule": o.rule, "value": o.value, "limit": o.limit,
                            **({"reason": o.reason} if o.reason is not None else {})}
                           for o in view.overrides]
    record["limits"] = (None if view.limits is None else
                        {"name": view.limits.name, "version": view.limits.version,
                         "source": view.limits.source})
    if view.pump is not None:
        record["pump"] = {"ladder": view.pump.indication,
                          "cap_ml_per_h": view.pump.cap_ml_per_h,
                          "cap_mg_per_kg_min": view.pump.cap_mg_per_kg_min,
                          "cap_from": view.pump.cap_from,
                          "max_rate_ml_h": view.pump.max_rate_ml_h}
    record["revision"] = view.revision
    record["changes"] = [{"index": c.index, "on": c.on.isoformat(), "kind": c.kind,
                          **({"reason": c.reason} if c.reason is not None else {}),
                          "effect": c.effect,
                          **({"fired": c.fired} if c.fired is not None else {}),
                          **({"by": c.by} if c.by else {})}
                         for c in view.changes]
    return record


def to_json(view: PlanView) -> str:
    """The view as the JSON contract, indented, ending in a newline."""
    return dumps(plan_record(view))


Number = Callable[[Decimal], str]


def contents_text(contents: ContentsView | None, number: Number = written) -> str:
    """Contents as one line for people (a text cell, so written the ISMP way, as every text
    cell of JSON, CSV and FHIR is): ``1 × 30 g + 1 × 10 g``, or for placebo ``sodium chloride
    0.9% 400 mL (matches 40 g)``. Vial counts are written one way everywhere: count × size."""
    if contents is None:
        return ""
    if contents.kind == "placebo":
        return (f"{contents.solution} {number(contents.ml)} mL "
                f"(matches {number(contents.matches_g)} g)")
    return " + ".join(f"{v.count} × {number(v.grams)} g" for v in contents.vials)


def dispense_text(dispense: DispenseView | None, number: Number = written) -> str:
    """A course's dispensing as one line: vials by size, or the saline bags."""
    if dispense is None:
        return ""
    if dispense.bags_ml:
        bags = ", ".join(number(b) for b in dispense.bags_ml)
        return (f"{len(dispense.bags_ml)} bags of sodium chloride 0.9%: {bags} mL "
                f"(matches {number(dispense.grams)} g)")
    vials = " + ".join(f"{v.count} × {number(v.grams)} g" for v in dispense.vials)
    return (f"{vials} = {number(dispense.grams)} g, {number(dispense.volume_ml)} mL")


def steps_text(steps: tuple[StepView, ...], separator: str = "; ",
               number: Number = written) -> str:
    """Pump steps as text, e.g. ``48 mL/h for 30 min (VTBI 24 mL)``."""
    return separator.join(
        f"{number(s.rate_ml_per_h)} mL/h for {s.minutes} min (VTBI {number(s.volume_ml)} mL)"
        for s in steps
    )


def to_csv(view: PlanView) -> str:
    """One row per infusion day under `CSV_COLUMNS`; cells hidden by the view are empty."""
    import csv  # not on the JSON path

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for course in view.courses:
        lead = csvcells.row([view.patient.id, view.regimen_id, course.number, course.phase,
                             course.week, str(course.blinded).lower()])
        cap = "" if course.cap is None else number_text(course.cap.cap_ml_per_h)
        dispense = dispense_text(course.dispense)
        weight = course.weight
        weights = ["", "", ""] if weight is None else [
            number_text(weight.weight_kg), number_text(weight.dosing_weight_kg),
            weight.dosing_weight_basis]
        for day in course.days:
            writer.writerow([*lead, *_csv_day(day), *csvcells.row(
                [dispense if day.day == 1 else "", cap, day.status, *weights])])
    return out.getvalue()


def _csv_day(day: DayView) -> list[Any]:
    """The day's own cells, ``day`` to ``leave`` (see `to_csv`)."""
    return csvcells.row([
        day.day, day.date.isoformat(), _iso(day.start), _iso(day.end), day.location or "",
        # A placebo day gives no immunoglobulin: its grams cell is empty, so the column adds up
        # to what is given (JSON keeps `grams`, the amount the bag is matched to).
        "" if day.grams is None or (day.contents is not None
                                    and day.contents.kind == "placebo")
        else number_text(day.grams),
        "" if day.volume_ml is None else number_text(day.volume_ml),
        contents_text(day.contents),
        "" if day.infusion_minutes is None else day.infusion_minutes,
        steps_text(day.steps or ()), _iso(day.arrive), _iso(day.leave),
    ])


def _iso(moment: Any) -> str:
    return "" if moment is None else str(moment.isoformat())


def render_json(view: PlanView, options: Options) -> str:
    """JSON, as the format registry calls it."""
    return to_json(view)


def render_csv(view: PlanView, options: Options) -> str:
    """CSV, as the format registry calls it."""
    return to_csv(view)
