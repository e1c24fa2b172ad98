"""The printed infusion sheet: one page per infusion day, as HTML (print CSS) or PDF.

Each page holds who, when and where; what to prepare (as the view may say it: vials, or "study
medication" for a masked course); the pump programme as a table with each step's clock time and
as an inline SVG step chart; a vital-signs grid with a row per step change; fields for the lot,
the expiry and signatures; and the warnings the view may show. Every value comes from the
`PlanView`; the only arithmetic here is the chart's layout. Jinja2 escapes everything.

PDF is made from the same HTML with WeasyPrint (``pip install 'ivig-schedule[pdf]'``); the
document carries no clock time, so the same input gives the same bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ivig_schedule.model.errors import IvigScheduleError, PrescriptionError
from ivig_schedule.model.numbers import written
from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.records import contents_text
from ivig_schedule.views.views import CourseView, DayView, PlanView

PAPERS = {"a4": "A4", "letter": "letter"}
CHART = {"width": 180, "height": 66, "left": 20, "right": 176, "top": 4, "bottom": 50}
"""The step chart's drawing box, in SVG user units (it scales to the page width)."""


class MissingExtra(IvigScheduleError):
    """PDF output needs the optional ``pdf`` extra."""


def _hhmm(moment: Any) -> str:
    return "" if moment is None else moment.strftime("%H:%M")


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
    every = next(m for m in (15, 30, 60, 120, 240) if total / m <= 6)
    x_ticks = [{"x": round(left + m * sx, 2), "label": str(m)} for m in range(0, total + 1, every)]
    y_ticks = [{"y": round(bottom - float(v) * sy, 2), "label": written(v)}
               for v in (Decimal(0), top_rate / 2, top_rate)]
    return {"segments": segments, "risers": risers, "x_ticks": x_ticks, "y_ticks": y_ticks}


def _vitals(day: DayView) -> list[dict[str, str]]:
    rows = [{"when": "Before the start", "at": _hhmm(day.start)}]
    rows += [{"when": f"Step {i} starts ({written(s.rate_ml_per_h)} mL/h)", "at": _hhmm(s.at)}
             for i, s in enumerate(day.steps or (), start=1) if i > 1]
    rows += [{"when": "End of infusion", "at": _hhmm(day.end)},
             {"when": "End of observation", "at": _hhmm(day.leave)}]
    return rows


def _page(view: PlanView, course: CourseView, day: DayView) -> dict[str, Any]:
    kind = "Study infusion" if course.blinded else "IVIg infusion"
    steps = [{"number": i, "at": _hhmm(s.at), "rate": written(s.rate_ml_per_h),
              "minutes": s.minutes, "volume": written(s.volume_ml)}
             for i, s in enumerate(day.steps or (), start=1)]
    given = day.given
    return {
        "course": course.number, "day": day.day,
        "heading": f"{kind} sheet · course {course.number}, day {day.day}",
        "course_label": f"{course.number} ({'study' if course.masked else course.phase}) · "
                        f"day {day.day} of {len(course.days)}",
        "date": day.date.isoformat(), "arrive": _hhmm(day.arrive), "start": _hhmm(day.start),
        "end": _hhmm(day.end), "leave": _hhmm(day.leave),
        "location": (day.location or "").capitalize(),
        "prepare": _prepare(view, course, day),
        "steps": steps,
        "minutes": hours_and_minutes(day.infusion_minutes or 0),
        "volume": written(day.volume_ml or Decimal(0)),
        "cap": written(course.cap.cap_ml_per_h) if course.cap else "",
        "chart": _chart(day),
        "vitals": _vitals(day),
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
    return bytes(weasyprint.HTML(string=html).write_pdf())
