"""The printed infusion sheet: one page per infusion day, as HTML (print CSS) or PDF.

Each page is one infusion day and starts with a running header line (patient, weekday and date,
course and day, page x of y), written into the page rather than into CSS margin boxes, which
browsers do not print, so that a page can never be mistaken for another's. Pages are decided
here, before any layout engine sees the HTML: `sheet_fit` estimates each block's height, and the
rare day whose vital-sign checks do not all fit (a very long infusion) goes on over a
continuation page naming the same day. It holds the warnings
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

import math
from decimal import Decimal
from typing import Any

from ivig_schedule.model.errors import MissingExtra, PrescriptionError
from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.language import ENGLISH, Language, language
from ivig_schedule.render.sheet_fit import (
    INITIALS_SHARE,
    PLAN_SHARE,
    VITALS_PER_COLUMN,
    WHEN_SHARE,
    PageContent,
    halves,
    vitals_rows_that_fit,
)
from ivig_schedule.views.monitoring import vitals
from ivig_schedule.views.views import CourseView, DayView, PlanView

PAPERS = {"a4": "A4", "letter": "letter"}
CHART = {"width": 120, "height": 48, "left": 17, "right": 116, "top": 6, "bottom": 37,
         "font": 4.6}
"""The step chart's drawing box and label size, in SVG user units (the chart fills 44 % of the
page width beside the step table, so a label is about 8 pt)."""


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


def _prepare(view: PlanView, course: CourseView, day: DayView, t: Language) -> str:
    """What to prepare. For a blinded course the words are the same for both arms (one bag,
    labelled as study medication, in the protocol's over-bag where it asks for one); only the
    contents differ, and only a view that sees the arm reads them."""
    volume = t.number(day.volume_ml) if day.volume_ml is not None else "?"
    if course.masked or day.contents is None:
        return t._("Study medication: one bag of {volume} mL as labelled by the pharmacy. Do "
                   "not open or compare bags.").format(volume=volume)
    product = view.product_name or t._("the product")
    contents = t.contents(day.contents)
    holds = (contents if day.contents.kind == "placebo"
             else t._("{product} {contents}, pooled aseptically").format(
                 product=product, contents=contents))
    if course.blinded:
        overbag = t._(", in {overbag}").format(overbag=view.overbag) if view.overbag else ""
        return t._("Prepare one sterile bag of {volume} mL, labelled as study medication"
                   "{overbag}. Contents: {holds}.").format(volume=volume, overbag=overbag,
                                                          holds=holds)
    return f"{product}: {contents} ({volume} mL)"


def _chart(day: DayView, t: Language = ENGLISH) -> dict[str, Any]:
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
            y_ticks.append({"y": y, "label": t.number(rate)})
    return {"segments": segments, "risers": risers, "x_ticks": x_ticks, "y_ticks": y_ticks}


def _keep(text: str, kept: str) -> tuple[str, str]:
    """`text` as the part a line may break in and its tail from `kept` on, which is set on one
    line ("Step 3: " and "114.6 mL/h", never "114.6 mL/" above "h")."""
    at = text.rfind(kept) if kept else -1
    return (text, "") if at < 0 else (text[:at], text[at:])


def _vitals(day: DayView, offsets: bool, t: Language) -> list[dict[str, str]]:
    """The vital-sign rows (`views.monitoring.vitals`): what, and the planned clock time with
    its UTC offset in a cell of its own on a day the clocks change. A row's "when" is in two
    parts: `when`, which may wrap, and `keep`, a number with its unit kept on one line."""
    rows = []
    for check in vitals(day):
        kept = ""
        if check.when == "before":
            when = t._("Before start")
        elif check.when == "step":
            rate = t.number(check.rate_ml_per_h or Decimal(0))
            when = t._("Step {number}: {rate} mL/h").format(number=check.step, rate=rate)
            kept = rate
        elif check.when == "during":
            when = t._("Step {number} +{minutes} min").format(number=check.step,
                                                               minutes=check.minutes)
            kept = f"+{check.minutes}"
        elif check.when == "end":
            when = t._("Infusion end")
        else:
            when = t._("Observed until")
        head, tail = _keep(when, kept)
        rows.append({"when": head, "keep": tail, "at": _hhmm(check.at),
                     "offset": _offset(check.at) if offsets and check.at is not None else ""})
    return rows


def _whens(rows: list[dict[str, str]]) -> list[str]:
    """The rows' "when" texts as `sheet_fit` measures them (a kept tail cannot break)."""
    return [row["when"] + row["keep"].replace(" ", "\u00a0") for row in rows]


def _columns(rows: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    return halves(rows, VITALS_PER_COLUMN)


STEPS_IN_ONE_COLUMN = 6
"""Pump steps before the steps table is set in two halves side by side (a 12-step ladder
and its long day still fit one page)."""


def _content(view: PlanView, page: dict[str, Any], t: Language,
             continuation: bool = False) -> PageContent:
    """What of `page` its height depends on (`sheet_fit`)."""
    unblinded = view.arm is not None and view.arm.unblinded
    banners = ((t._("UNBLINDED: this sheet shows the trial arm. Keep it from blinded staff."),)
               if unblinded else ()) + ((page["given"],) if page["given"] and not continuation
                                        else ())
    return PageContent(
        banners=banners,
        warnings=tuple((t._("Warnings") + ": " if i == 0 else "") + w
                       for i, w in enumerate(_warnings(view))), regimen=view.regimen_name or "",
        weights=page["weights"], prepare=page["prepare"],
        checks=(page["weight_check"], t._("Pump programmed as above, checked by two people")),
        steps=0 if continuation else len(page["steps"]),
        step_columns=len(page["step_columns"]), total="".join(page["total"]),
        offsets=page["vitals_offsets"], lots=math.ceil(len(page["lots"]) / 2),
        lot_labels=(max((t._("Lot") + " " + lot for lot in page["lots"]), key=len),
                    t._("Expiry")),
        signatures=(page["prepared_by"], page["checked_by"], t._("Infused by")),
        foot=t._("Decision support: check against the prescription and the pump before "
                 "starting.") + " " + t._("{view} view").format(view=t._(view.view))
        + " · ivig-schedule.", continuation=continuation)


def _warnings(view: PlanView) -> list[str]:
    return [f"{w.message} [{w.code}]" for w in view.warnings]  # rule texts: English


def _lots(view: PlanView, course: CourseView, day: DayView, t: Language) -> list[str]:
    """One lot and expiry row per vial size the view may see; one for a masked bag."""
    if course.masked or day.contents is None or day.contents.kind == "placebo":
        return [t._("bag") if course.masked or day.contents is None else t._("saline bag")]
    return [f"{t.number(v.grams)} g" for v in day.contents.vials]


def _weights(view: PlanView, course: CourseView, t: Language) -> str:
    """The weights this course was made for (its own, after a weight change)."""
    weight = course.weight
    if weight is None:
        return ""
    text = t._("recorded {weight} kg · dosing weight {dosing} kg ({basis})").format(
        weight=t.number(weight.weight_kg), dosing=t.number(weight.dosing_weight_kg),
        basis=t._(weight.dosing_weight_basis))
    if course.dose_g_per_kg is not None:
        text += " · " + t._("{dose} g/kg this course").format(
            dose=t.number(course.dose_g_per_kg))
    placebo = course.dispense is not None and bool(course.dispense.bags_ml)
    if view.product is not None and not placebo:
        text += f" · {t.number(view.product.concentration_mg_per_ml)} mg/mL"
    if course.dispense is not None and placebo:
        # A placebo course is saline: its total is the bags' volume, matched to the grams.
        text += " · " + t._("course total {volume} mL of {solution} (matches {grams} g)").format(
            volume=t.number(course.dispense.volume_ml), solution=t._("sodium chloride 0.9%"),
            grams=t.number(course.dispense.grams))
    elif course.dispense is not None:
        text += " · " + t._("course total {grams} g").format(
            grams=t.number(course.dispense.grams))
    return text


def _page(view: PlanView, course: CourseView, day: DayView, t: Language) -> dict[str, Any]:
    kind = t._("Study infusion") if course.blinded else t._("IVIg infusion")
    moments = [m for m in (day.arrive, day.start, day.end, day.leave) if m is not None]
    offsets = len({m.utcoffset() for m in moments}) > 1  # the clocks change during the visit
    steps = [{"number": i, "at": _clock(s.at, offsets), "rate": t.number(s.rate_ml_per_h),
              "minutes": s.minutes, "volume": t.number(s.volume_ml)}
             for i, s in enumerate(day.steps or (), start=1)]
    given = day.given
    weight = course.weight
    pharmacy = view.trail is not None
    return {
        "course": course.number, "day": day.day, "days": len(course.days),
        "heading": t._("{kind} sheet · course {course}, day {day}").format(
            kind=kind, course=course.number, day=day.day),
        "course_label": t._("{course} ({phase}) · day {day} of {days}").format(
            course=course.number, phase=t._("study") if course.masked else t._(course.phase),
            day=day.day, days=len(course.days)),
        "running": t._("{patient} · {weekday} {date} · course {course}, day {day} of "
                       "{days}").format(patient=view.patient.id, weekday=t.weekday(day.date),
                                         date=day.date.isoformat(), course=course.number,
                                         day=day.day, days=len(course.days))
                   + " · " + t._("times in {zone}").format(zone=view.patient.timezone),
        "date": day.date.isoformat(), "weekday": t.weekday(day.date),
        "arrive": _clock(day.arrive, offsets), "start": _clock(day.start, offsets),
        "end": _clock(day.end, offsets), "leave": _clock(day.leave, offsets),
        "offsets": t._("the clocks change during this visit: each time shows its UTC offset")
                   if offsets else "",
        "location": t._(day.location) if day.location else "",
        "prepare": _prepare(view, course, day, t),
        "steps": steps,
        "step_columns": halves(steps, STEPS_IN_ONE_COLUMN),
        "total": _keep(t._("Total") + (" (" + t._("never above {rate} mL/h").format(
            rate=t.number(course.cap.cap_ml_per_h)) + ")" if course.cap else ""),
            t.number(course.cap.cap_ml_per_h) if course.cap else ""),
        "minutes": hours_and_minutes(day.infusion_minutes or 0),
        "volume": t.number(day.volume_ml or Decimal(0)),
        "chart": _chart(day, t),
        "vitals_rows": _vitals(day, offsets, t),
        "continuation": False,
        "vitals_offsets": offsets,
        "weights": _weights(view, course, t),
        "weight_check": (t._("Weigh the patient: the plan is for {weight} kg. Differs? Do not "
                             "start; call the pharmacy.").format(
                                 weight=t.number(weight.weight_kg))
                         if weight is not None else t._("Weigh the patient")),
        "lots": _lots(view, course, day, t),
        "prepared_by": t._("Prepared (pharmacist)") if pharmacy else t._("Prepared by"),
        "checked_by": t._("Checked (2nd pharmacist)") if pharmacy else t._("Checked by"),
        "lot": (given.lot or "") if given else "",
        "expiry": (given.expiry.isoformat() if given and given.expiry else ""),
        "given": (t._("GIVEN on {date} (recorded): this is a reprint of a day already given; "
                      "do not give it again").format(date=given.on.isoformat())
                  if given is not None and day.status == "given" else ""),
    }


def pages(view: PlanView, course: int | None = None, t: Language = ENGLISH,
          paper: str = "a4") -> list[dict[str, Any]]:
    """The sheet's pages: one per infusion day still to be given or given (cancelled days are
    left out), each numbered "page i of N". A day whose vital-sign checks do not all fit its
    page (`fit.vitals_rows_that_fit`: a very long infusion) goes on over continuation pages
    that name the same day and say what they continue, so no page ever spills unheaded."""
    if view.pump is None:
        raise PrescriptionError("--view", view.view, "an infusion sheet is for a role that sees "
                                "the pump programme: the pharmacy or the nurse")
    numbers = {c.number for c in view.courses}
    if course is not None and course not in numbers:
        raise PrescriptionError("--course", course,
                                f"must be a course of the plan: 1-{max(numbers)}")
    sheets: list[dict[str, Any]] = []
    for c in view.courses:
        for d in c.days:
            if course not in (None, c.number) or d.status not in ("planned", "given"):
                continue
            page = _page(view, c, d, t)
            rows = page.pop("vitals_rows")
            room = vitals_rows_that_fit(_content(view, page, t), paper, _whens(rows))
            page["vitals"] = _columns(rows[:room])
            sheets.append(page)
            rest = rows[room:]
            while rest:
                room = vitals_rows_that_fit(_content(view, page, t, continuation=True), paper,
                                            _whens(rest))
                sheets.append({**page, "continuation": True, "vitals": _columns(rest[:room]),
                               "heading": t._("{heading} (continued: vital signs)").format(
                                   heading=page["heading"])})
                rest = rest[room:]
    for number, sheet in enumerate(sheets, start=1):
        following = sheets[number] if number < len(sheets) else None
        sheet["page_label"] = t._("page {page} of {pages}").format(page=number,
                                                                   pages=len(sheets))
        sheet["continues"] = (t._("The vital signs go on over the page (page {page}).").format(
            page=number + 1) if following is not None and following.get("continuation")
            else "")
    return sheets


def to_html(view: PlanView, *, paper: str = "a4", course: int | None = None,
            lang: str = "en") -> str:
    """The sheet as self-contained HTML (no network, system fonts), in language `lang`."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ivig_schedule.render", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    template = environment.get_template("sheet.html.j2")
    t = language(lang)
    return template.render(
        _=t._, lang=lang,
        title=t._("Infusion sheet {id}").format(id=view.patient.id),
        pages=pages(view, course, t, paper),
        unblinded=view.arm is not None and view.arm.unblinded,
        patient=view.patient.id, regimen=view.regimen_name, zone=view.patient.timezone,
        view=view.view, paper=paper, paper_css=PAPERS[paper],
        chart={**CHART, "when_share": WHEN_SHARE, "plan_share": PLAN_SHARE,
               "init_share": INITIALS_SHARE},
        warnings=_warnings(view))


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
