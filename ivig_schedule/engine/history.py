"""A course over time: the prescription's ``[[change]]`` history applied, in order, to its courses.

Pure: no clock. The regimen's scheduled phases give the first list of courses ("slots"); each
change then moves, skips, re-doses, re-weighs, stops or records a course, or (a response) lets the
regimen's rules replace the remaining courses. The engine computes every slot; the result is a
pure function of the prescription and its history, so every output (and every calendar update)
can be derived from it alone.

Course numbers are ordinals: a delayed course keeps its number, a switched regimen's courses
take the numbers of the courses they replace, and a skipped or stopped course keeps its number
with a status.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ivig_schedule.engine.schedule import course_weeks
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import (
    Change,
    Patient,
    Phase,
    Prescription,
    ResponseRule,
    Status,
)
from ivig_schedule.model.plan import ChangeEffect

OPERATORS = {"<": Decimal.__lt__, "<=": Decimal.__le__, ">": Decimal.__gt__, ">=": Decimal.__ge__}


@attrs.frozen
class Slot:
    """One course as the history leaves it, before it is computed.

    Attributes:
        number: The course's ordinal (stable through changes).
        phase: The phase it belongs to (with the dose it is given at).
        week: The regimen week it is scheduled for.
        shift_days: Days it was delayed by.
        days: Days per course fixed by a change (None: as ordered).
        patient: The patient as of this course (a weight change applies from a course on).
        status: ``planned``, ``skipped`` or ``cancelled``.
    """

    number: int
    phase: Phase
    week: int
    shift_days: int = 0
    days: int | None = None
    patient: Patient | None = None
    status: Status = "planned"


@attrs.frozen
class History:
    """The slots after applying the first `revision` changes, and what each change did."""

    slots: tuple[Slot, ...]
    effects: tuple[ChangeEffect, ...]
    given: tuple[tuple[int, int, Change], ...]  # (course, day, the given change)

    @property
    def revision(self) -> int:
        """How many changes were applied."""
        return len(self.effects)


def base(prescription: Prescription) -> History:
    """The courses as the regimen schedules them, before any change."""
    slots = tuple(
        Slot(number=n, phase=phase, week=week, patient=prescription.patient)
        for n, (phase, week) in enumerate(
            course_weeks(prescription.regimen, prescription.order.courses), start=1)
    )
    return History(slots=slots, effects=(), given=())


def _slot(history: History, change: Change, field: str, number: int | None) -> Slot:
    if number is None or not 1 <= number <= len(history.slots):
        raise PrescriptionError(f"{change.path}.{field}", number,
                                f"must name a course from 1 to {len(history.slots)}")
    return history.slots[number - 1]


def _frozen_courses(history: History) -> dict[int, Change]:
    """Courses with a given day, and the change that recorded it."""
    found: dict[int, Change] = {}
    for course, _day, change in history.given:
        found.setdefault(course, change)
    return found


def _not_given(history: History, change: Change, field: str, courses: range) -> None:
    """A change may not alter a course with a given day: that infusion happened."""
    frozen = _frozen_courses(history)
    for course in courses:
        if course in frozen:
            raise PrescriptionError(
                f"{change.path}.{field}", course,
                f"would alter course {course}, which has a day given in {frozen[course].path}; "
                "a given infusion is frozen")


def _courses_from(number: int, history: History) -> range:
    return range(number, len(history.slots) + 1)


def _replace(history: History, numbers: range, **changes: Any) -> tuple[Slot, ...]:
    return tuple(attrs.evolve(s, **changes) if s.number in numbers else s for s in history.slots)


def _span(numbers: tuple[int, ...]) -> str:
    if not numbers:
        return "no course"
    if len(numbers) == 1:
        return f"course {numbers[0]}"
    return f"courses {numbers[0]}-{numbers[-1]}"


def _live(history: History, numbers: range) -> tuple[int, ...]:
    return tuple(n for n in numbers if history.slots[n - 1].status == "planned")


def _rule_fires(rule: ResponseRule, tis: Decimal) -> bool:
    return bool(OPERATORS[rule.operator](tis, rule.threshold))


def _response(prescription: Prescription, history: History, change: Change) -> History:
    assert change.week is not None and change.tis is not None
    tis = change.tis
    rules = [r for r in prescription.regimen.rules if r.at_week == change.week]
    fired = next((r for r in rules if _rule_fires(r, tis)), None)
    score = f"TIS {format(tis.normalize(), 'f')} at week {change.week}"
    if fired is None:
        said = "no rule fired" if rules else "the regimen has no rule for that week"
        text = f"{score}: {said}; nothing changed"
        return attrs.evolve(history, effects=(*history.effects, ChangeEffect(
            change, text, "response recorded; the schedule is unchanged")))
    remaining = [s for s in history.slots if s.week > fired.at_week and s.status == "planned"]
    if not remaining:
        raise PrescriptionError(f"{change.path}.week", change.week,
                                f"rule {fired.when} fired, but no course is left to replace")
    _not_given(history, change, "week", range(remaining[0].number, len(history.slots) + 1))
    target = next(p for p in prescription.regimen.phases if p.name == fired.switch_to)
    every = target.every_weeks or 1
    count = prescription.order.courses or target.count or 1
    first = remaining[0]
    kept = [s for s in history.slots if s.number < first.number]
    new = [attrs.evolve(first, phase=target, week=first.week + k * every, days=None,
                        number=first.number + k, status="planned")
           for k in range(count)]
    dropped = [attrs.evolve(s, status="cancelled") for s in history.slots
               if s.number >= first.number + count]
    slots = tuple(kept + new + dropped)
    numbers = tuple(range(first.number, max(s.number for s in slots) + 1))
    dose = format(target.dose_g_per_kg.normalize(), "f")
    text = (f"{score}: rule {fired.when} fired ({fired.source.split(':')[0]}); "
            f"{_span(numbers)} replaced by {target.name}: {dose} g/kg every {every} weeks, "
            f"from course {first.number}")
    return History(slots=slots, given=history.given, effects=(*history.effects, ChangeEffect(
        change, text, f"{_span(numbers)} rescheduled by the regimen's response rule", numbers,
        fired.when)))


def apply(prescription: Prescription, history: History, change: Change) -> History:  # noqa: PLR0911
    """`history` with one more change applied."""
    kind = change.kind
    if kind == "response":
        return _response(prescription, history, change)
    if kind == "given":
        slot = _slot(history, change, "course", change.course)
        if slot.status != "planned":
            raise PrescriptionError(f"{change.path}.course", change.course,
                                    f"course {slot.number} is {slot.status}; it cannot be given")
        assert change.day is not None
        text = f"course {slot.number} day {change.day} given" + (
            f" (lot {change.lot})" if change.lot else "")
        return attrs.evolve(history, given=(*history.given, (slot.number, change.day, change)),
                            effects=(*history.effects, ChangeEffect(
                                change, text, f"course {slot.number} day {change.day} given",
                                (slot.number,))))
    if kind in ("delay", "skip"):
        slot = _slot(history, change, "course", change.course)
        if slot.status != "planned":
            raise PrescriptionError(f"{change.path}.course", change.course,
                                    f"course {slot.number} is {slot.status} already")
        if kind == "skip":
            _not_given(history, change, "course", range(slot.number, slot.number + 1))
            slots = _replace(history, range(slot.number, slot.number + 1), status="skipped")
            text = f"course {slot.number} skipped (not given); later courses unchanged"
            return History(slots, (*history.effects, ChangeEffect(change, text, text, (slot.number,))),
                           history.given)
        assert change.days is not None
        moved = (_courses_from(slot.number, history) if change.shift_following
                 else range(slot.number, slot.number + 1))
        _not_given(history, change, "course", moved)
        slots = tuple(attrs.evolve(s, shift_days=s.shift_days + change.days)
                      if s.number in moved else s for s in history.slots)
        numbers = _live(history, moved)
        text = f"{_span(numbers)} moved {change.days} days later"
        return History(slots, (*history.effects, ChangeEffect(change, text, text, numbers)),
                       history.given)
    first = _slot(history, change, "from_course", change.from_course).number
    numbers_range = _courses_from(first, history)
    _not_given(history, change, "from_course", numbers_range)
    numbers = _live(history, numbers_range)
    if kind == "stop":
        slots = _replace(history, numbers_range, status="cancelled")
        text = f"stopped: {_span(numbers)} cancelled"
        return History(slots, (*history.effects, ChangeEffect(change, text, text, numbers)),
                       history.given)
    if kind == "weight":
        assert change.weight_kg is not None
        patient = attrs.evolve(history.slots[first - 1].patient or prescription.patient,
                               weight_kg=change.weight_kg,
                               weight_input=change.weight_input or "",
                               weight_lb=change.weight_lb)
        slots = _replace(history, numbers_range, patient=patient)
        text = f"weight {change.weight_input} from course {first}"
        return History(slots, (*history.effects, ChangeEffect(
            change, text, f"{_span(numbers)} recalculated for a new weight", numbers)),
            history.given)
    if kind == "dose":
        assert change.dose_g_per_kg is not None
        slots = tuple(attrs.evolve(s, phase=attrs.evolve(s.phase, dose_g_per_kg=change.dose_g_per_kg))
                      if s.number in numbers_range else s for s in history.slots)
        dose = format(change.dose_g_per_kg.normalize(), "f")
        text = f"dose {dose} g/kg from course {first}"
        return History(slots, (*history.effects, ChangeEffect(
            change, text, f"{_span(numbers)} recalculated for a new dose", numbers)),
            history.given)
    assert kind == "days" and change.days_per_course is not None
    count = change.days_per_course
    for slot in history.slots[first - 1:]:
        if not slot.phase.days_min <= count <= slot.phase.days_max:
            raise PrescriptionError(f"{change.path}.days_per_course", count,
                                    f"phase {slot.phase.name!r} allows {slot.phase.days_min}-"
                                    f"{slot.phase.days_max} days")
    slots = _replace(history, numbers_range, days=count)
    text = f"{count} days per course from course {first}"
    return History(slots, (*history.effects, ChangeEffect(change, text, text, numbers)), history.given)


def revisions(prescription: Prescription) -> tuple[History, ...]:
    """The history after 0, 1, … n changes (revision r has the first r applied)."""
    found = [base(prescription)]
    for change in prescription.changes:
        found.append(apply(prescription, found[-1], change))
    return tuple(found)
