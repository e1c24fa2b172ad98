"""Terminal tables (rich) of a `PlanView`, as wide as the terminal. rich is imported here only.

Columns wrap rather than overflow, so no line is wider than `width` (80 columns fit).
"""

from __future__ import annotations

import io
from decimal import Decimal

from ivig_schedule.model.numbers import written
from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.formats import Options
from ivig_schedule.render.records import contents_text, dispense_text
from ivig_schedule.views.views import ContentsView, CourseView, DayView, PlanView

BLINDED = "blinded"
DEFAULT_WIDTH = 100


def _grams(grams: Decimal | None) -> str:
    """Grams, or "blinded" (a placebo day shows the grams its bag is matched to)."""
    return BLINDED if grams is None else written(grams)


def _bag(contents: ContentsView | None) -> str:
    return BLINDED if contents is None else contents_text(contents, written)


def _time(day: DayView) -> str:
    if day.start is None or day.end is None:
        return ""
    return f"{day.start:%H:%M}–{day.end:%H:%M}"


def _visit(day: DayView) -> str:
    if day.arrive is None or day.leave is None:
        return ""
    return f"{day.arrive:%H:%M}–{day.leave:%H:%M}"


def _kg(weight_kg: Decimal, entered: str) -> str:
    """A body weight, with the weight as entered when it was not in kilograms."""
    text = f"{written(weight_kg)} kg"
    if any(c.isalpha() for c in entered) and not entered.lower().endswith(("kg", "kgs")):
        text += f" (entered {entered})"
    return text


def _weights(view: PlanView) -> str | None:
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
        return (f"{_kg(weight.weight_kg, weight.weight_input)} · dosing weight "
                f"{written(weight.dosing_weight_kg)} kg ({weight.dosing_weight_basis})")
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
        numbers = f"course {run[0].number}"
        if len(run) > 1:
            contiguous = run[-1].number - run[0].number == len(run) - 1
            numbers = (f"courses {run[0].number}-{run[-1].number}" if contiguous
                       else "courses " + ", ".join(str(c.number) for c in run))
        parts.append(f"{numbers}: {_kg(weight.weight_kg, weight.weight_input)}, dosing "
                     f"{written(weight.dosing_weight_kg)} kg ({weight.dosing_weight_basis})")
    return "weights by course (recorded changes): " + "; ".join(parts)


def _differ(view: PlanView) -> bool:
    """True when the planned courses were not all made for one weight (a weight change)."""
    return len({c.weight for c in view.courses if c.weight is not None
                and c.status == "planned"}) > 1


def _header(view: PlanView) -> list[str]:
    patient = view.patient
    lines = [f"Patient {patient.id} · times in {patient.timezone}"]
    weights = _weights(view)
    if weights is not None:
        lines[0] = f"Patient {patient.id} · {weights} · times in {patient.timezone}"
    lines.append(f"Regimen {view.regimen_name} ({view.regimen_id}) · {view.view} view")
    if view.product is not None:
        lines.append(f"Product {view.product.name} · "
                     f"{written(view.product.concentration_mg_per_ml)} mg/mL")
    if view.arm is not None and view.arm.arm:
        lines.append(f"Arm {view.arm.arm}" + (" (UNBLINDED)" if view.arm.unblinded else ""))
    if view.pump is not None:
        caps = {c.cap for c in view.courses if c.cap is not None and c.status == "planned"}
        if len(caps) <= 1:
            cap = caps.pop() if caps else None
            ml, binding = ((cap.cap_ml_per_h, cap.cap_from) if cap is not None
                           else (view.pump.cap_ml_per_h, view.pump.cap_from))
            lines.append(f"Pump ladder {view.pump.indication}; no rate above "
                         f"{written(ml)} mL/h ({CAP_SOURCES[binding]})")
        else:
            lines.append(f"Pump ladder {view.pump.indication}; each course has its own rate "
                         "ceiling (its dosing weight differs): see \"cap\" on each course's day 1")
    return lines


CAP_SOURCES = {"label": "the label maximum", "at-risk": "the at-risk maximum",
               "absolute": "the order's max_rate_ml_h"}


def _caps_differ(view: PlanView) -> bool:
    """True when the planned courses do not all share one rate ceiling (a weight change)."""
    return len({c.cap for c in view.courses if c.cap is not None and c.status == "planned"}) > 1


def _infusion_table(view: PlanView, table_class: type) -> object:
    """Four stacked columns, so a day reads top to bottom and fits 80 columns."""
    table = table_class(show_lines=True)
    table.add_column("Course·day", overflow="fold")
    table.add_column("When, where", overflow="fold")
    table.add_column("Bag", overflow="fold")
    table.add_column("Pump: mL/h × min (VTBI mL)", overflow="fold")
    weights_differ = _differ(view)
    for course in view.courses:
        for day in course.days:
            when = f"{day.date.isoformat()}\n{_time(day)}\n{day.location or ''}"
            placebo = day.contents is not None and day.contents.kind == "placebo"
            # A placebo bag is named by what it is, never by bare grams it does not hold.
            bag = ["" if placebo else (f"{_grams(day.grams)} g" if day.grams is not None
                                       else BLINDED),
                   _bag(day.contents) if day.contents is not None else "",
                   f"{written(day.volume_ml)} mL" if day.volume_ml is not None else ""]
            pump = [f"{written(s.rate_ml_per_h)} × {s.minutes} ({written(s.volume_ml)})"
                    for s in day.steps or ()]
            if day.infusion_minutes is not None:
                pump.append(f"total {hours_and_minutes(day.infusion_minutes)}")
            if day.day == 1 and course.cap is not None and _caps_differ(view):
                pump.append(f"cap {written(course.cap.cap_ml_per_h)} mL/h")
            label = f"{course.number}·{day.day}"
            if day.day == 1:
                label += f"\nwk {course.week}\n{'study' if course.masked else course.phase}"
                if course.weight is not None and weights_differ:
                    label += f"\n{written(course.weight.weight_kg)} kg"
                if course.moved_days:
                    label += f"\nmoved {course.moved_days:+d} d"
            if day.status != "planned":
                label += f"\n{day.status.upper()}"
            table.add_row(label, when, "\n".join(b for b in bag if b), "\n".join(pump))
        if course.dispense is not None:
            table.add_row(f"{course.number}", "dispense", dispense_text(course.dispense, written), "")
    return table


def _appointment_table(view: PlanView, table_class: type) -> object:
    table = table_class(show_lines=False)
    timed = any(d.arrive is not None for c in view.courses for d in c.days)
    for column in ("Course", "Day", "Date", *(("Visit", "Where") if timed else ())):
        table.add_column(column, overflow="fold")
    for course in view.courses:
        label = f"{course.number} · wk {course.week}"
        for day in course.days:
            row = [label if day.day == 1 else "", str(day.day) + (
                f" {day.status}" if day.status != "planned" else ""), day.date.isoformat()]
            if timed:
                row += [_visit(day), day.location or ""]
            table.add_row(*row)
    return table


def to_table(view: PlanView, *, color: bool = False, width: int = DEFAULT_WIDTH) -> str:
    """The plan as text: a header, a table of infusion days, visits and warnings."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, emoji=False)
    for line in _header(view):
        console.print(line, markup=False)
    if view.pump is not None:
        console.print(_infusion_table(view, Table))
    else:
        console.print(_appointment_table(view, Table))
    if view.changes:
        console.print(f"History (revision {view.revision}):", markup=False)
        for change in view.changes:
            console.print(f"  change[{change.index}] {change.on} {change.kind}: {change.effect}"
                          + (f" ({change.reason})" if change.reason else ""), markup=False)
    if view.visits:
        console.print("Visits:", markup=False)
        for visit in view.visits:
            console.print(f"  week {visit.week} ({visit.date}): {visit.name}", markup=False)
    if view.warnings:
        console.print("Warnings:", markup=False)
        for warning in view.warnings:
            console.print(f"  ! {warning.code}: {warning.message}", markup=False)
    if view.overrides:
        console.print("Accepted soft limits:", markup=False)
        for override in view.overrides:
            beyond = f" beyond {override.limit}" if override.limit else ""
            reason = f"; reason: {override.reason}" if override.reason is not None else ""
            console.print(f"  ✓ {override.rule}: {override.value}{beyond}{reason}",
                          markup=False)
    if view.limits is not None and view.trail is not None:
        console.print(f"Checked against {view.limits.name} {view.limits.version} "
                      f"({view.limits.source}).", markup=False)
    console.print("Decision support only: a pharmacist verifies every plan before dispensing.",
                  markup=False)
    return out.getvalue()


def render(view: PlanView, options: Options) -> str:
    """The table, as the format registry calls it."""
    return to_table(view, color=options.color, width=options.width)
