"""The ``due`` worklist as a table for people, CSV for a spreadsheet, or JSON (``due@1``).

Lays out `jobs.due.Worklist` only; every number was computed before.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ivig_schedule.model.numbers import written
from ivig_schedule.render import csvcells
from ivig_schedule.render.records import dumps
from ivig_schedule.views.worklist import Entry, Total

CSV_COLUMNS = ("date", "weekday", "arrive", "leave", "patient_id", "nurse", "location", "what",
               "course", "day", "status", "prepare")
"""One row per entry; columns are only ever added at the end."""


def _clock(entry: Entry) -> str:
    if entry.arrive is None or entry.leave is None:
        return "all day"
    return f"{entry.arrive:%H:%M}-{entry.leave:%H:%M}"


def _total_text(total: Total) -> str:
    if total.kind == "product":
        return f"{total.item} × {total.vials} ({written(total.grams)} g)"
    return f"{total.item} × {total.bags} ({written(total.volume_ml)} mL)"


def to_text(worklist: Any) -> str:
    """Day by day: each visit on one line, then that day's totals; the range's totals, the
    clashes and the rows that did not plan at the end."""
    lines = [f"Due {worklist.start} to {worklist.end} · {worklist.view} view · "
             f"{len(worklist.entries)} entries"]
    for day, day_totals in worklist.days:
        lines += ["", f"{day} {day:%A}"]
        for entry in (e for e in worklist.entries if e.date == day):
            lines.append(f"  {_clock(entry):11} {entry.patient_id:10} {entry.nurse:12} "
                         f"{entry.what} [{entry.status}]"
                         + (f" {entry.location}" if entry.location else "")
                         + (f" · {entry.prepare}" if entry.prepare else ""))
        lines += [f"  total {_total_text(t)}" for t in day_totals]
    if worklist.total:
        lines += ["", "Range total"] + [f"  {_total_text(t)}" for t in worklist.total]
    if worklist.clashes:
        lines += ["", f"Clashes ({len(worklist.clashes)})"]
        lines += [f"  warning: {c.message}" for c in worklist.clashes]
    if worklist.errors:
        lines += ["", f"Not planned ({len(worklist.errors)})"]
        lines += [f"  {source} {patient}: {message}"
                  for source, patient, _, message in worklist.errors]
    return "\n".join(lines) + "\n"


def to_csv(worklist: Any) -> str:
    """One row per entry under `CSV_COLUMNS` (totals are for the table and the JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in worklist.entries:
        writer.writerow(csvcells.row((
            e.date.isoformat(), e.weekday, e.arrive.isoformat() if e.arrive else "",
            e.leave.isoformat() if e.leave else "", e.patient_id, e.nurse, e.location, e.what,
            e.course, e.day, e.status, e.prepare)))
    return out.getvalue()


def _total(total: Total) -> dict[str, Any]:
    return {"item": total.item, "kind": total.kind, "vials": total.vials, "bags": total.bags,
            "grams": total.grams, "volume_ml": total.volume_ml}


def to_json(worklist: Any) -> str:
    """The worklist as JSON: format ``ivig-schedule/due@1``; fields are added, never renamed."""
    return dumps({
        "format": "ivig-schedule/due@1", "from": worklist.start.isoformat(),
        "to": worklist.end.isoformat(), "view": worklist.view,
        "entries": [{
            "date": e.date.isoformat(), "weekday": e.weekday,
            "arrive": e.arrive.isoformat() if e.arrive else None,
            "leave": e.leave.isoformat() if e.leave else None, "patient_id": e.patient_id,
            "nurse": e.nurse, "location": e.location, "what": e.what, "course": e.course,
            "day": e.day, "status": e.status, "prepare": e.prepare,
            "items": [{"item": i.item, "kind": i.kind, "vials": i.vials, "bags": i.bags,
                       "grams": i.grams, "volume_ml": i.volume_ml} for i in e.items]}
            for e in worklist.entries],
        "days": [{"date": day.isoformat(), "totals": [_total(t) for t in day_totals]}
                 for day, day_totals in worklist.days],
        "totals": [_total(t) for t in worklist.total],
        "clashes": [{"nurse": c.nurse, "first": c.first.patient_id,
                     "second": c.second.patient_id, "gap_minutes": c.gap_minutes,
                     "travel_minutes": c.travel_minutes, "message": c.message}
                    for c in worklist.clashes],
        "errors": [{"source": s, "patient_id": p, "field_or_rule": f, "message": m}
                   for s, p, f, m in worklist.errors],
    })
