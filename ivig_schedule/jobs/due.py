"""``due``: who is infused in a date range, by whom, when, and what to prepare, across the
patients of one or more prescription files, folders of them, or roster CSVs.

Every source is read as the roster reads it (`input.roster`) and every row planned by the same
code (`rows.planned`): a bad prescription is listed as an error and the others go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from attrs import frozen

from ivig_schedule.input import roster
from ivig_schedule.input.fields import choice_error
from ivig_schedule.jobs import rows
from ivig_schedule.jobs.core import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, worst
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.vocabulary import View
from ivig_schedule.views.views import plan_view
from ivig_schedule.views.worklist import Clash, Entry, Total, clashes, entries, ordered, totals


@frozen
class Worklist:
    """The range's entries in order, the totals per day and for the range, the nurses' clashes
    and the rows that did not plan."""

    start: dt.date
    end: dt.date
    view: View
    entries: tuple[Entry, ...]
    days: tuple[tuple[dt.date, tuple[Total, ...]], ...]
    total: tuple[Total, ...]
    clashes: tuple[Clash, ...]
    errors: tuple[tuple[str, str, str, str], ...]  # source, patient, field or rule, message
    exit_code: int


def this_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of `today`'s ISO week."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def source_rows(sources: Sequence[Path]) -> Iterator[tuple[str, roster.Row]]:
    """Each row of each source, with the source's name: a roster CSV, a folder of prescription
    files, or one prescription file."""
    for source in sources:
        if source.is_dir() or source.suffix.lower() == ".csv":
            for row in roster.rows(source):
                yield str(source), row
        else:
            yield str(source), roster.Row(number=1, text=f"@{source.resolve()}", overrides=(),
                                          nurse=None, label=source.name)


def due(sources: Sequence[Path], *, view: View, start: dt.date, end: dt.date, limits: Limits,
        today: dt.date, nurse: str | None = None) -> Worklist:
    """Every infusion day and study visit from `start` to `end` of every patient, as `view` may
    see it (see the module notes). A `nurse` who visits none of the patients is an input error
    naming the nurses there are, never an empty week."""
    found: list[Entry] = []
    errors = []
    codes = []
    nurses_seen: set[str] = set()
    for source, row in source_rows(sources):
        done = rows.planned(row, limits, today)
        if isinstance(done, rows.RowResult):
            codes.append(EXIT_REFUSED if done.status == "refused" else EXIT_BAD_INPUT)
            errors += [(f"{source}:{row.number}", done.patient_id, field, message)
                       for field, message in done.errors]
            continue
        nurses_seen.add(done.nurse)
        found += entries(plan_view(done.plan, view), done.nurse, done.travel_minutes,
                         start, end)
    if nurse is not None:
        nurses = sorted(nurses_seen)
        if nurse not in nurses:  # "jansen" for Jansen must not read as a free week
            raise choice_error("--nurse", nurse, nurses or ["(no patient planned)"])
        found = [e for e in found if e.nurse == nurse]
    listed = ordered(found)
    days = tuple((day, totals(e for e in listed if e.date == day))
                 for day in sorted({e.date for e in listed}))
    return Worklist(start=start, end=end, view=view, entries=listed, days=days,
                    total=totals(listed), clashes=clashes(listed), errors=tuple(errors),
                    exit_code=worst(codes) if codes else EXIT_OK)
