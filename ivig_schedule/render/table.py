"""Terminal tables (rich) of a plan record. rich is imported here only."""

from __future__ import annotations

import io
from decimal import Decimal

from ivig_schedule.render.records import contents_text, number_text
from ivig_schedule.units import hours_and_minutes
from ivig_schedule.views import ContentsView, PlanView

BLINDED = "blinded"
TABLE_WIDTH = 140


def _grams(grams: Decimal | None, contents: ContentsView | None) -> str:
    """Grams, or "blinded"; a placebo day shows the IVIg grams it is matched to."""
    if grams is None:
        return BLINDED
    if contents is not None and contents.kind == "placebo":
        return f"0 (matches {number_text(grams)})"
    return number_text(grams)


def to_table(view: PlanView, *, color: bool = False, width: int = TABLE_WIDTH) -> str:
    """The plan as text tables: a header, one row per infusion day, then the warnings."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, emoji=False)
    patient = view.patient
    weight = f"{number_text(patient.weight_kg)} kg"
    written = patient.weight_input or ""
    if any(c.isalpha() for c in written) and not written.lower().endswith(("kg", "kgs")):
        weight += f" (entered {written})"
    lines = [
        f"Patient {patient.id} · {weight} · dosing weight "
        f"{number_text(patient.dosing_weight_kg)} kg ({patient.dosing_weight_basis}) · "
        f"times in {patient.timezone}",
        f"Regimen {view.regimen_name} ({view.regimen_id}) · {view.view} view",
    ]
    if view.product is not None:
        lines.append(f"Product {view.product.name} · "
                     f"{number_text(view.product.concentration_mg_per_ml)} mg/mL")
    if view.arm:
        lines.append(f"Arm {view.arm}")
    for line in lines:
        console.print(line, markup=False)

    table = Table(show_lines=True)
    for column, justify in (
        ("Course", "left"), ("Day", "right"), ("Date", "left"), ("Time", "left"),
        ("Where", "left"), ("Grams", "right"), ("Vials / saline", "left"),
        ("Volume mL", "right"), ("Pump: rate · time · VTBI", "left"), ("Duration", "right"),
    ):
        table.add_column(column, justify=justify,  # type: ignore[arg-type]
                         no_wrap=column.startswith(("Pump", "Date", "Time")))
    for course in view.courses:
        label = f"{course.number} · wk {course.week}\n{course.phase}"
        for day in course.days:
            table.add_row(
                label if day.day == 1 else "",
                str(day.day),
                day.date.isoformat(),
                f"{day.start:%H:%M}–{day.end:%H:%M}",
                day.location,
                _grams(day.grams, day.contents),
                BLINDED if day.contents is None else contents_text(day.contents),
                number_text(day.volume_ml),
                "\n".join(
                    f"{number_text(s.rate_ml_per_h)} mL/h · {s.minutes} min · "
                    f"{number_text(s.volume_ml)} mL"
                    for s in day.steps
                ),
                hours_and_minutes(day.infusion_minutes),
            )
    console.print(table)
    if view.warnings:
        console.print("Warnings:", markup=False)
        for warning in view.warnings:
            console.print(f"  ! {warning.code}: {warning.message}", markup=False)
    if view.overrides:
        console.print("Accepted soft limits:", markup=False)
        for override in view.overrides:
            console.print(f"  ✓ {override.rule}: {override.value} beyond "
                          f"{override.limit}; reason: {override.reason}", markup=False)
    if view.limits is not None:
        console.print(f"Checked against {view.limits.name} {view.limits.version} "
                      f"({view.limits.source}).", markup=False)
    console.print("Decision support only: a pharmacist verifies every plan before dispensing.",
                  markup=False)
    return out.getvalue()
