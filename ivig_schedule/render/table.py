"""Terminal tables (rich) of a `PlanView`, as wide as the terminal. rich is imported here only.

Columns wrap rather than overflow, so no line is wider than `width` (80 columns fit).
"""

from __future__ import annotations

import io
from decimal import Decimal

from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.formats import Options
from ivig_schedule.render.language import Language, language
from ivig_schedule.render.records import dispense_text
from ivig_schedule.views.views import ContentsView, CourseView, DayView, PlanView

BLINDED = "blinded"
DEFAULT_WIDTH = 100


def _grams(grams: Decimal | None, t: Language) -> str:
    """Grams, or "blinded" (a placebo day shows the grams its bag is matched to)."""
    return t._(BLINDED) if grams is None else t.number(grams)


def _bag(contents: ContentsView | None, t: Language) -> str:
    return t._(BLINDED) if contents is None else t.contents(contents)


def _time(day: DayView) -> str:
    if day.start is None or day.end is None:
        return ""
    return f"{day.start:%H:%M}–{day.end:%H:%M}"


def _visit(day: DayView) -> str:
    if day.arrive is None or day.leave is None:
        return ""
    return f"{day.arrive:%H:%M}–{day.leave:%H:%M}"


def _kg(weight_kg: Decimal, entered: str, t: Language) -> str:
    """A body weight, with the weight as entered when it was not in kilograms."""
    text = f"{t.number(weight_kg)} kg"
    if any(c.isalpha() for c in entered) and not entered.lower().endswith(("kg", "kgs")):
        text += " " + t._("(entered {entered})").format(entered=entered)
    return text


def _weights(view: PlanView, t: Language) -> str | None:
    """The weights the courses were made for: one, or each course's after a weight change."""
    weighed = [c for c in view.courses if c.weight is not None]
    live = [c for c in weighed if c.status == "planned"] or weighed
    if not live:
        return None
    shown = {(c.weight.weight_kg, c.weight.dosing_weight_kg, c.weight.dosing_weight_basis)
             for c in live if c.weight is not None}
    if len(shown) == 1:
        weight = live[0].weight
        assert weight is not None
        return (f"{_kg(weight.weight_kg, weight.weight_input, t)} · " + t._(
            "dosing weight {kg} kg ({basis})").format(kg=t.number(weight.dosing_weight_kg),
                                                     basis=t._(weight.dosing_weight_basis)))
    runs: list[list[CourseView]] = []  # consecutive courses made for the same weights
    for course in live:
        if runs and runs[-1][-1].weight == course.weight:
            runs[-1].append(course)
        else:
            runs.append([course])
    parts = []
    for run in runs:
        weight = run[0].weight
        assert weight is not None
        numbers = t._("course {number}").format(number=run[0].number)
        if len(run) > 1:
            contiguous = run[-1].number - run[0].number == len(run) - 1
            numbers = t._("courses {numbers}").format(
                numbers=f"{run[0].number}-{run[-1].number}" if contiguous
                else ", ".join(str(c.number) for c in run))
        parts.append(f"{numbers}: {_kg(weight.weight_kg, weight.weight_input, t)}, " + t._(
            "dosing {kg} kg ({basis})").format(kg=t.number(weight.dosing_weight_kg),
                                              basis=t._(weight.dosing_weight_basis)))
    return t._("weights by course (recorded changes): ") + "; ".join(parts)


def _differ(view: PlanView) -> bool:
    """True when the planned courses were not all made for one weight (a weight change)."""
    return len({c.weight for c in view.courses if c.weight is not None
                and c.status == "planned"}) > 1


def _header(view: PlanView, t: Language) -> list[str]:
    patient = view.patient
    zone = t._("times in {zone}").format(zone=patient.timezone)
    lines = [t._("Patient {id}").format(id=patient.id) + f" · {zone}"]
    weights = _weights(view, t)
    if weights is not None:
        lines[0] = t._("Patient {id}").format(id=patient.id) + f" · {weights} · {zone}"
    lines.append(t._("Regimen {name} ({id})").format(name=view.regimen_name, id=view.regimen_id)
                 + " · " + t._("{role} view").format(role=t._(view.view)))
    if view.product is not None:
        lines.append(t._("Product {name}").format(name=view.product.name) + " · "
                     f"{t.number(view.product.concentration_mg_per_ml)} mg/mL")
    if view.arm is not None and view.arm.arm:
        lines.append(t._("Arm {arm}").format(arm=t._(view.arm.arm))
                     + (" " + t._("(UNBLINDED)") if view.arm.unblinded else ""))
    if view.pump is not None:
        caps = {c.cap for c in view.courses if c.cap is not None and c.status == "planned"}
        if len(caps) <= 1:
            cap = caps.pop() if caps else None
            ml, binding = ((cap.cap_ml_per_h, cap.cap_from) if cap is not None
                           else (view.pump.cap_ml_per_h, view.pump.cap_from))
            lines.append(t._("Pump ladder {indication}; no rate above {rate} mL/h ({why})").format(
                indication=view.pump.indication, rate=t.number(ml),
                why=t._(CAP_SOURCES[binding])))
        else:
            lines.append(t._("Pump ladder {indication}; each course has its own rate ceiling "
                             "(its dosing weight differs): see \"cap\" on each course's day "
                             "1").format(indication=view.pump.indication))
    return lines


CAP_SOURCES = {"label": "the label maximum", "at-risk": "the at-risk maximum",
               "absolute": "the order's max_rate_ml_h"}


def _caps_differ(view: PlanView) -> bool:
    """True when the planned courses do not all share one rate ceiling (a weight change)."""
    return len({c.cap for c in view.courses if c.cap is not None and c.status == "planned"}) > 1


def _infusion_table(view: PlanView, table_class: type, t: Language) -> object:
    """Four stacked columns, so a day reads top to bottom and fits 80 columns."""
    table = table_class(show_lines=True)
    table.add_column(t._("Course·day"), overflow="fold")
    table.add_column(t._("When, where"), overflow="fold")
    table.add_column(t._("Bag"), overflow="fold")
    table.add_column(t._("Pump: mL/h × min (VTBI mL)"), overflow="fold")
    weights_differ = _differ(view)
    for course in view.courses:
        for day in course.days:
            when = f"{day.date.isoformat()}\n{_time(day)}\n{t._(day.location or '')}"
            placebo = day.contents is not None and day.contents.kind == "placebo"
            # A placebo bag is named by what it is, never by bare grams it does not hold.
            bag = ["" if placebo else (f"{_grams(day.grams, t)} g" if day.grams is not None
                                       else t._(BLINDED)),
                   _bag(day.contents, t) if day.contents is not None else "",
                   f"{t.number(day.volume_ml)} mL" if day.volume_ml is not None else ""]
            pump = [f"{t.number(s.rate_ml_per_h)} × {s.minutes} ({t.number(s.volume_ml)})"
                    for s in day.steps or ()]
            if day.infusion_minutes is not None:
                pump.append(t._("total {duration}").format(
                    duration=hours_and_minutes(day.infusion_minutes)))
            if day.day == 1 and course.cap is not None and _caps_differ(view):
                pump.append(t._("cap {rate} mL/h").format(rate=t.number(course.cap.cap_ml_per_h)))
            label = f"{course.number}·{day.day}"
            if day.day == 1:
                phase = t._("study") if course.masked else t._(course.phase)
                label += "\n" + t._("wk {week}").format(week=course.week) + f"\n{phase}"
                if course.weight is not None and weights_differ:
                    label += f"\n{t.number(course.weight.weight_kg)} kg"
                if course.moved_days:
                    label += "\n" + t._("moved {days} d").format(days=f"{course.moved_days:+d}")
            if day.status != "planned":
                label += f"\n{t._(day.status).upper()}"
            table.add_row(label, when, "\n".join(b for b in bag if b), "\n".join(pump))
        if course.dispense is not None:
            text = dispense_text(course.dispense, t.number) if t.code == "en" else (
                dispense_text(course.dispense, t.number).replace(
                    "bags of sodium chloride 0.9%", t._("bags of sodium chloride 0.9%")).replace(
                    "matches", t._("matches")))
            table.add_row(f"{course.number}", t._("dispense"), text, "")
    return table


def _appointment_table(view: PlanView, table_class: type, t: Language) -> object:
    table = table_class(show_lines=False)
    timed = any(d.arrive is not None for c in view.courses for d in c.days)
    for column in (t._("Course"), t._("Day"), t._("Date"),
                   *((t._("Visit"), t._("Where")) if timed else ())):
        table.add_column(column, overflow="fold")
    for course in view.courses:
        label = f"{course.number} · " + t._("wk {week}").format(week=course.week)
        for day in course.days:
            row = [label if day.day == 1 else "", str(day.day) + (
                f" {t._(day.status)}" if day.status != "planned" else ""), day.date.isoformat()]
            if timed:
                row += [_visit(day), t._(day.location or "")]
            table.add_row(*row)
    return table


def to_table(view: PlanView, *, color: bool = False, width: int = DEFAULT_WIDTH,
             lang: str = "en") -> str:
    """The plan as text: a header, a table of infusion days, visits and warnings, in `lang`
    (its words and decimal separator; the limits' rule texts in warnings stay English, as on
    the sheet)."""
    from rich.console import Console
    from rich.table import Table

    t = language(lang)
    out = io.StringIO()
    console = Console(file=out, width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, emoji=False)
    for line in _header(view, t):
        console.print(line, markup=False)
    if view.pump is not None:
        console.print(_infusion_table(view, Table, t))
    else:
        console.print(_appointment_table(view, Table, t))
    if view.changes:
        console.print(t._("History (revision {revision}):").format(revision=view.revision),
                      markup=False)
        for change in view.changes:
            # Numbered from 1 as people count ("change 1"), as the calendar says it; the TOML
            # field path (change[0]) is for `explain`, which the pharmacist edits from.
            console.print("  " + t._("change {number}").format(number=change.index + 1)
                          + f" {change.on} {change.kind}: {change.effect}"
                          + (f" ({change.reason})" if change.reason else ""), markup=False)
    if view.visits:
        console.print(t._("Visits:"), markup=False)
        for visit in view.visits:
            console.print("  " + t._("week {week} ({date}): {name}").format(
                week=visit.week, date=visit.date, name=visit.name), markup=False)
    if view.warnings:
        console.print(t._("Warnings:"), markup=False)
        for warning in view.warnings:
            console.print(f"  ! {warning.code}: {warning.message}", markup=False)
    if view.overrides:
        console.print(t._("Accepted soft limits:"), markup=False)
        for override in view.overrides:
            beyond = (" " + t._("beyond {limit}").format(limit=override.limit)
                      if override.limit else "")
            reason = ("; " + t._("reason: {reason}").format(reason=override.reason)
                      if override.reason is not None else "")
            console.print(f"  ✓ {override.rule}: {override.value}{beyond}{reason}",
                          markup=False)
    if view.limits is not None and view.trail is not None:
        console.print(t._("Checked against {name} {version} ({source}).").format(
            name=view.limits.name, version=view.limits.version, source=view.limits.source),
            markup=False)
    console.print(t._("Decision support only: a pharmacist verifies every plan before "
                      "dispensing."), markup=False)
    return out.getvalue()


def render(view: PlanView, options: Options) -> str:
    """The table, as the format registry calls it."""
    return to_table(view, color=options.color, width=options.width, lang=options.lang)
