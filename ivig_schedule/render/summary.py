"""The roster's closing summary (rich tables): counts, warnings by rule, infusions per week."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def to_text(summary: Any, outdir: Path, width: int = 100) -> str:
    """What was planned, refused and rejected, the warnings by rule and the infusions per week."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, emoji=False)
    counts = Table(title=f"Roster written to {outdir}")
    for column in ("planned", "refused", "input errors"):
        counts.add_column(column, justify="right")
    counts.add_row(str(summary.planned), str(summary.refused), str(summary.invalid))
    console.print(counts)
    if summary.warnings:
        warnings = Table(title="Warnings by rule")
        warnings.add_column("rule")
        warnings.add_column("plans", justify="right")
        for rule, count in summary.warnings:
            warnings.add_row(rule, str(count))
        console.print(warnings)
    if summary.per_week:
        weeks = Table(title="Infusions per week")
        weeks.add_column("week")
        weeks.add_column("infusions", justify="right")
        for week, count in summary.per_week:
            weeks.add_row(week, str(count))
        console.print(weeks)
    if summary.clashes:
        shown = "" if summary.clash_count <= len(summary.clashes) else (
            f", the first {len(summary.clashes)}")
        clashes = Table(title=f"Nurse clashes ({summary.clash_count}{shown})")
        clashes.add_column("visits that overlap or leave too little travel time")
        for message in summary.clashes:
            clashes.add_row(message)
        console.print(clashes)
    if summary.refused or summary.invalid or summary.clashes:
        console.print(f"Rows not planned and every clash are listed in "
                      f"{outdir / 'errors.csv'}.", markup=False)
    return out.getvalue()
