"""The printed infusion sheet: one page per infusion day, as HTML (print CSS) or PDF.

Each page is one infusion day and carries a running header (patient, weekday and date, course
and day, page x of y) so that a page can never be mistaken for another's. It holds the warnings
the view may show, boxed at the top; who, when and where; the weights the dose was made from;
what to prepare (as the view may say it: vials, or "study medication" for a masked course); the
pump programme as a table with each step's clock time beside a step chart with ticks at the
programmed rates; the checks before the start (the patient's weight, the pump double-check);
vital signs at each step change and at least every 30 minutes within a step; the actual start
and stop, a lot and expiry row per vial size, reactions and actions, and the signatures. Every
value comes from the `PlanView`; the only arithmetic here is the chart's layout. Jinja2 escapes
everything.

PDF is made from the same HTML with WeasyPrint (``pip install 'ivig-schedule[pdf]'``); the
document carries no clock time, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ivig_schedule.model.errors import IvigScheduleError, PrescriptionError
from ivig_schedule.model.numbers import written
from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.records import contents_text
from ivig_schedule.views.views import CourseView, DayView, PlanView

PAPERS = {"a4": "A4", "letter": "letter"}
CHART = {"width": 120, "height": 56, "left": 17, "right": 116, "top": 7, "bottom": 44,
         "font": 4.6}
"""The step chart's drawing box and label size, in SVG user units (the chart fills 44 % of the
page width beside the step table, so a label is about 8 pt)."""
VITALS_EVERY_MINUTES = 30
"""Longest time between two vital-sign rows during a step (a project default; the regimen's
protocol may ask for more)."""


class MissingExtra(IvigScheduleError):
    """PDF output needs the optional ``pdf`` extra."""


def _hhmm(moment: Any) -> str:
    return "" if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


def _offset(moment: Any) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _clock(moment: Any, with_offset: bool) -> str:
    """A clock time; with its UTC offset on a day the clocks change."""
    if moment is None:
        return ""
    return f"{_hhmm(moment)} ({_offset(moment)})" if with_offset else _hhmm(moment)


def _prepare(view: PlanView, course: CourseView, day: DayView) -> str:
    """What to prepare. For a blinded course the words are the same for both arms (one bag,
    labelled as study medication, in the protocol's over-bag where it asks for one); only the
    contents differ, and only a view that sees the arm reads them."""
    volume = written(day.volume_ml) if day.volume_ml is not None else "?"
    if course.masked or day.contents is None:
        return (f"Study medication: one bag of {volume} mL as labelled by the pharmacy. "
                "Do not open or compare bags.")
    product = view.product_name or "the product"
    holds = (contents_text(day.contents, written) if day.contents.kind == "placebo"
             else f"{product} {contents_text(day.contents, written)}, pooled aseptically")
    if course.blinded:
        overbag = f", in {view.overbag}" if view.overbag else ""
        return (f"Prepare one sterile bag of {volume} mL, labelled as study medication"
                f"{overbag}. Contents: {holds}.")
    return f"{product}: {contents_text(day.contents, written)} ({volume} mL)"


def _chart(day: DayView) -> dict[str, Any]:
    steps = day.steps or ()
    total = day.infusion_minutes or 1
    top_rate = max((s.rate_ml_per_h for s in steps), default=Decimal(1))
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    sx = (right - left) / total
    sy = (bottom - top) / float(top_rate)
    segments, risers = [], []
    elapsed = 0
    previous_y = None
    for step in steps:
        x1, x2 = left + elapsed * sx, left + (elapsed + step.minutes) * sx
        y = bottom - float(step.rate_ml_per_h) * sy
        segments.append({"x1": round(x1, 2), "x2": round(x2, 2), "y": round(y, 2)})
        if previous_y is not None:
            risers.append({"x": round(x1, 2), "y1": round(previous_y, 2), "y2": round(y, 2)})
        previous_y = y
        elapsed += step.minutes
    every = next(m for m in (15, 30, 60, 120, 240, 480) if total / m <= 5)
    x_ticks = [{"x": round(left + m * sx, 2), "label": str(m)} for m in range(0, total + 1, every)]
    # Ticks at the programmed rates, highest first; one too close to a label already placed
    # is left out (its rate is in the table beside), so labels never overlap.
    y_ticks: list[dict[str, Any]] = []
    for rate in sorted({s.rate_ml_per_h for s in steps}, reverse=True):
        y = round(bottom - float(rate) * sy, 2)
        if all(abs(y - t["y"]) >= CHART["font"] * 1.1 for t in y_ticks):
            y_ticks.append({"y": y, "label": written(rate)})
    return {"segments": segments, "risers": risers, "x_ticks": x_ticks, "y_ticks": y_ticks}


def _vitals(day: DayView, offsets: bool) -> list[dict[str, str]]:
    """Before the start, at each step change, at least every `VITALS_EVERY_MINUTES` during a
    step, at the end of the infusion and of the observation."""
    rows = [{"when": "Before start", "at": _clock(day.start, offsets)}]
    for i, step in enumerate(day.steps or (), start=1):
        if i > 1:
            rows.append({"when": f"Step {i}: {written(step.rate_ml_per_h)} mL/h",
                         "at": _clock(step.at, offsets)})
        for minute in range(VITALS_EVERY_MINUTES, step.minutes, VITALS_EVERY_MINUTES):
            if step.at is not None:
                rows.append({"when": f"Step {i} +{minute} min",
                             "at": _clock(step.at + dt.timedelta(minutes=minute), offsets)})
    rows += [{"when": "Infusion end", "at": _clock(day.end, offsets)},
             {"when": "Observed until", "at": _clock(day.leave, offsets)}]
    return rows


VITALS_PER_COLUMN = 5
"""Vital-sign rows before the grid is set in two columns (a long day still fits its page)."""


def _columns(rows: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    if len(rows) <= VITALS_PER_COLUMN:
        return [rows]
    half = (len(rows) + 1) // 2
    return [rows[:half], rows[half:]]


def _lots(view: PlanView, course: CourseView, day: DayView) -> list[str]:
    """One lot and expiry row per vial size the view may see; one for a masked bag."""
    if course.masked or day.contents is None or day.contents.kind == "placebo":
        return ["bag" if course.masked or day.contents is None else "saline bag"]
    return [f"{written(v.grams)} g" for v in day.contents.vials]


def _weights(view: PlanView, course: CourseView) -> str:
    weights = view.patient.weights
    if weights is None:
        return ""
    dosing = course.dosing_weight_kg or weights.dosing_weight_kg
    text = (f"recorded {written(weights.weight_shown_kg)} kg · dosing weight "
            f"{written(dosing)} kg ({weights.dosing_weight_basis})")
    if course.dose_g_per_kg is not None:
        text += f" · {written(course.dose_g_per_kg)} g/kg this course"
    if view.product is not None:
        text += f" · {written(view.product.concentration_mg_per_ml)} mg/mL"
    if course.dispense is not None:
        text += f" · course total {written(course.dispense.grams)} g"
    return text


def _page(view: PlanView, course: CourseView, day: DayView) -> dict[str, Any]:
    kind = "Study infusion" if course.blinded else "IVIg infusion"
    moments = [m for m in (day.arrive, day.start, day.end, day.leave) if m is not None]
    offsets = len({m.utcoffset() for m in moments}) > 1  # the clocks change during the visit
    steps = [{"number": i, "at": _clock(s.at, offsets), "rate": written(s.rate_ml_per_h),
              "minutes": s.minutes, "volume": written(s.volume_ml)}
             for i, s in enumerate(day.steps or (), start=1)]
    given = day.given
    weights = view.patient.weights
    pharmacy = view.trail is not None
    return {
        "course": course.number, "day": day.day, "days": len(course.days),
        "heading": f"{kind} sheet · course {course.number}, day {day.day}",
        "course_label": f"{course.number} ({'study' if course.masked else course.phase}) · "
                        f"day {day.day} of {len(course.days)}",
        "date": day.date.isoformat(), "weekday": f"{day.date:%A}",
        "arrive": _clock(day.arrive, offsets), "start": _clock(day.start, offsets),
        "end": _clock(day.end, offsets), "leave": _clock(day.leave, offsets),
        "offsets": "the clocks change during this visit: each time shows its UTC offset"
                   if offsets else "",
        "location": day.location or "",
        "prepare": _prepare(view, course, day),
        "steps": steps,
        "minutes": hours_and_minutes(day.infusion_minutes or 0),
        "volume": written(day.volume_ml or Decimal(0)),
        "cap": written(course.cap.cap_ml_per_h) if course.cap else "",
        "chart": _chart(day),
        "vitals": _columns(_vitals(day, offsets)),
        "weights": _weights(view, course),
        "weight_check": (f"Weigh the patient: the plan is for "
                         f"{written(weights.weight_shown_kg)} kg. Differs? Do not start; call "
                         "the pharmacy."
                         if weights is not None else "Weigh the patient"),
        "lots": _lots(view, course, day),
        "prepared_by": "Prepared (pharmacist)" if pharmacy else "Prepared by",
        "checked_by": "Checked (2nd pharmacist)" if pharmacy else "Checked by",
        "lot": (given.lot or "") if given else "",
        "expiry": (given.expiry.isoformat() if given and given.expiry else ""),
    }


def pages(view: PlanView, course: int | None = None) -> list[dict[str, Any]]:
    """One page per infusion day still to be given or given (cancelled days are left out)."""
    if view.pump is None:
        raise PrescriptionError("--view", view.view, "an infusion sheet is for a role that sees "
                                "the pump programme: the pharmacy or the nurse")
    numbers = {c.number for c in view.courses}
    if course is not None and course not in numbers:
        raise PrescriptionError("--course", course,
                                f"must be a course of the plan: 1-{max(numbers)}")
    return [_page(view, c, d) for c in view.courses if course in (None, c.number)
            for d in c.days if d.status in ("planned", "given")]


def to_html(view: PlanView, *, paper: str = "a4", course: int | None = None) -> str:
    """The sheet as self-contained HTML (no network, system fonts)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ivig_schedule.render", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    template = environment.get_template("sheet.html.j2")
    return template.render(
        title=f"Infusion sheet {view.patient.id}", pages=pages(view, course),
        unblinded=view.arm is not None and view.arm.unblinded,
        patient=view.patient.id, regimen=view.regimen_name, zone=view.patient.timezone,
        view=view.view, paper_css=PAPERS[paper], chart=CHART,
        warnings=[f"{w.message} [{w.code}]" for w in view.warnings])


def to_pdf(html: str) -> bytes:
    """The HTML as PDF bytes (WeasyPrint), with no clock time in the document."""
    try:
        import weasyprint
    except ImportError:
        raise MissingExtra("PDF output needs the pdf extra: pip install 'ivig-schedule[pdf]'") \
            from None
    except OSError as e:  # WeasyPrint is installed but the system's Pango is missing
        raise MissingExtra("PDF output needs Pango (e.g. apt-get install libpango-1.0-0) for "
                           f"the pdf extra: {str(e)[:80]}") from None
    # Tagged (structure for screen readers and reflow), with the document's language from
    # <html lang>; older WeasyPrint releases without tags write the same pages untagged.
    try:
        return bytes(weasyprint.HTML(string=html).write_pdf(pdf_tags=True))
    except TypeError:
        return bytes(weasyprint.HTML(string=html).write_pdf())
