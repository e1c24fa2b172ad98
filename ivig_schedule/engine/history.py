"""A course over time: the prescription's ``[[change]]`` history applied, in order, to its courses.

Pure: no clock. The regimen's scheduled phases give the first list of courses ("slots"); each
change then moves, skips, re-doses, re-weighs, stops or records a course, or (a response) lets the
regimen's rules replace the remaining courses. The engine computes every slot; the result is a
pure function of the prescription and its history, so every output (and every calendar update)
can be derived from it alone.

Course numbers are ordinals: a delayed course keeps its number, a switched regimen's courses
take the numbers of the courses they replace, and a skipped or stopped course keeps its number
with a status.

History cannot be made up: a day is given once; a response is recorded no earlier than the week
it assesses; a change may not alter a course with a given day.
"""

from __future__ import annotations

import datetime as dt

from ivig_schedule.engine.schedule import course_weeks
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.plan import History, Slot
from ivig_schedule.model.prescription import Prescription


def base(prescription: Prescription) -> History:
    """The courses as the regimen schedules them, before any change."""
    slots = tuple(
        Slot(number=n, phase=phase, week=week, patient=prescription.patient)
        for n, (phase, week) in enumerate(
            course_weeks(prescription.regimen, prescription.order.courses), start=1)
    )
    return History(slots=slots, effects=(), given=())


def revisions(prescription: Prescription, today: dt.date | None = None) -> tuple[History, ...]:
    """The history after 0, 1, … n changes (revision r has the first r applied). With `today`,
    a change recorded after it is an input error (history cannot be made up in advance)."""
    if today is not None:
        for change in prescription.changes:
            if change.on > today:
                raise PrescriptionError(f"{change.path}.on", change.on.isoformat(),
                                        f"must not be after today ({today})")
    found = [base(prescription)]
    if prescription.changes:
        from ivig_schedule.engine.changes import apply  # a plan without a history never needs it

        for change in prescription.changes:
            found.append(apply(prescription, found[-1], change))
    return tuple(found)
