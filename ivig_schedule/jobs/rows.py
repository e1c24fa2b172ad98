"""One roster row, planned and written: the work a roster's worker process does.

The row runs the one use-case path (`core.run`) and, when it plans, every view's files (JSON,
CSV, the calendar), the nurse view's events for her combined calendar, and the pharmacy's
dispensing lines. A row's failure is a value: the roster writes it to ``errors.csv`` and goes on.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs
from attrs import frozen

from ivig_schedule.input import prescription, roster
from ivig_schedule.input.prescription import FOR_FILES
from ivig_schedule.jobs.core import Outcome, Request, run
from ivig_schedule.model.errors import (
    FileContent,
    IvigScheduleError,
    PrescriptionError,
    show_field,
    show_value,
)
from ivig_schedule.model.inputs import TRAVEL_MINUTES
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.plan import Plan
from ivig_schedule.model.vocabulary import VIEWS
from ivig_schedule.render import dispensing, formats
from ivig_schedule.render.ics.calendar import event_texts, to_ics, years
from ivig_schedule.views import revisions
from ivig_schedule.views.dispensing import WeekTotal, dispensing_lines, week_totals
from ivig_schedule.views.views import plan_view
from ivig_schedule.views.worklist import Entry, entries

UNASSIGNED = "unassigned"
SAFE_NAME = re.compile(r"[^\W_][\w .'-]{0,63}")
"""A nurse's name: letters of any script (Renée, José, Øyvind), digits, spaces and . _ ' -,
1-64 characters, starting with a letter or digit; never a control character or a slash (it
names the nurse's calendar file)."""
ROW_FORMATS = ("json", "csv", "ics")
"""What each view of a planned row is written as."""


@frozen
class Zone:
    """A patient's time zone and the years a nurse calendar's VTIMEZONE must cover for it."""

    name: str
    first_year: int
    last_year: int


@frozen
class RowResult:
    """What one row produced, ready to be written (bytes and plain values only).

    Attributes:
        number, patient_id: The row.
        status: ``planned``, ``refused`` or ``invalid``.
        files: Each view's file name and bytes.
        nurse: Who visits (``unassigned`` when nobody is named).
        nurse_events: The nurse view's VEVENTs, for her combined calendar.
        zone: The patient's zone for that calendar.
        dispensing_csv: The pharmacy's items to dispense, as CSV rows (no header).
        dispensing_json: The same items, one JSON object each.
        weekly: What those items add up to, by ISO week and item (planned days only).
        days_per_week: How many planned infusion days each ISO week has.
        errors: (field or rule, message) for a row that did not plan.
        warnings: The codes of the plan's warnings.
        visits: The nurse view's infusion days and visits (for the nurses' clashes).
        visit_lines: The same timed visits as a roster stores them, one line each (a roster
            worker sends these instead of `visits`: text travels between processes faster).
        staged: Where a roster worker already wrote `files` (then `files` is empty).
    """

    number: int
    patient_id: str
    status: str
    files: tuple[tuple[str, bytes], ...] = ()
    nurse: str = UNASSIGNED
    nurse_events: tuple[str, ...] = ()
    zone: Zone | None = None
    dispensing_csv: str = ""
    dispensing_json: tuple[str, ...] = ()
    weekly: tuple[WeekTotal, ...] = ()
    days_per_week: tuple[tuple[str, int], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    visits: tuple[Entry, ...] = ()
    visit_lines: str = ""
    staged: str = ""


@frozen
class Planned:
    """A row that planned: its outcome (plan and prescription set) and who visits."""

    outcome: Outcome
    nurse: str

    @property
    def plan(self) -> Plan:
        assert self.outcome.plan is not None
        return self.outcome.plan

    @property
    def travel_minutes(self) -> int:
        """The nurse's travel time to this patient (or the project default)."""
        rx = self.outcome.prescription
        given = rx.travel_minutes if rx is not None else None
        return TRAVEL_MINUTES if given is None else given


def planned(row: roster.Row, limits: Limits, today: dt.date) -> Planned | RowResult:
    """Plan one row the way every use case over many patients does (roster, due): its plan and
    nurse, or the row's failure as a value (invalid or refused)."""
    if row.problem is not None:
        return RowResult(row.number, row.label, "invalid", errors=(row.problem,))
    try:
        outcome = _outcome(row, limits, today)
    except IvigScheduleError as e:
        return RowResult(row.number, row.label, "invalid", errors=(("(row)", _message(e)),))
    patient_id = outcome.prescription.patient.id if outcome.prescription else row.label
    if outcome.errors:
        return RowResult(row.number, patient_id, "invalid",
                         errors=tuple((e.field, _message(e)) for e in outcome.errors))
    if outcome.refusal is not None:
        return RowResult(row.number, patient_id, "refused",
                         errors=((outcome.refusal.rule, str(outcome.refusal)),))
    assert outcome.plan is not None and outcome.prescription is not None
    nurse = row.nurse or outcome.prescription.nurse or UNASSIGNED
    if not SAFE_NAME.fullmatch(nurse):
        return RowResult(row.number, patient_id, "invalid", errors=(
            ("nurse", "nurse: must be a name of letters, digits, spaces, \".\", \"_\", \"'\" or "
                      f"\"-\" (got {show_value(nurse)})"),))
    return Planned(outcome, nurse)


def _outcome(row: roster.Row, limits: Limits, today: dt.date) -> Outcome:
    """The row's use case. A weight cell beside a prescription that records its own weight
    checks that weight and never rewrites it (courses after a recorded weight change keep being
    made for that weight): a cell that differs is the row's input error, naming both."""
    overrides = dict(row.overrides)
    text = roster.prescription_text(row)
    cell = (overrides.pop("weight") if "weight" in overrides
            and prescription.gives_weight(text) else None)
    outcome = run(Request(text=text, overrides=overrides, limits=limits, today=today,
                          required=FOR_FILES, store=row.store), revisions=True)
    if cell is None or outcome.prescription is None:
        return outcome
    conflict = prescription.weight_conflict(outcome.prescription, cell)
    return outcome if conflict is None else attrs.evolve(
        outcome, errors=(conflict, *outcome.errors), plan=None)


def plan_row(row: roster.Row, limits: Limits, today: dt.date) -> RowResult:
    """Plan one row and write its files."""
    done = planned(row, limits, today)
    if isinstance(done, RowResult):
        return done
    outcome, nurse = done.outcome, done.nurse
    assert outcome.plan is not None and outcome.prescription is not None
    patient_id = outcome.prescription.patient.id
    files = []
    result = RowResult(row.number, patient_id, "planned", nurse=nurse,
                       warnings=tuple(w.code for w in outcome.plan.warnings))
    for name in VIEWS:
        view = plan_view(outcome.plan, name, trail=False)  # no trail is written
        events = revisions.stamped(view, (plan_view(p, name, trail=False)
                                          for p in outcome.revisions))
        options = formats.Options(events=events)
        files += [(f"{name}.{fmt}", formats.render(fmt, view, options))
                  for fmt in ROW_FORMATS if fmt != "ics"]
        texts = event_texts(view, events)  # both files
        files.append((f"{name}.ics", to_ics(view, events, texts)))
        if name == "nurse":
            result = attrs.evolve(result, nurse_events=texts,
                                  zone=Zone(view.patient.timezone, *years(view)),
                                  visits=entries(view, nurse, done.travel_minutes,
                                                 dt.date.min, dt.date.max))
        if name == "pharmacy":
            lines = dispensing_lines(view, row.number, nurse)
            weekly, per_week = week_totals(lines)
            result = attrs.evolve(result, dispensing_csv=dispensing.csv_rows(lines),
                                  dispensing_json=dispensing.json_records(lines),
                                  weekly=weekly, days_per_week=per_week)
    return attrs.evolve(result, files=tuple(files))


def _message(error: IvigScheduleError) -> str:
    """An error's line for ``errors.csv``: a line copied from a file is left out (a roster is
    shared; the file's content is not)."""
    if isinstance(error, PrescriptionError) and isinstance(error.value, FileContent):
        return f"{show_field(error.field)}: {error.allowed}"
    return str(error)
