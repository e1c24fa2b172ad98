"""How each kind of recorded ``[[change]]`` acts on a history's courses (`apply`).

Pure: no clock. `ivig_schedule.engine.history` applies the changes in order; only a prescription
with a history imports this module.

History cannot be made up: a day is given once; a response is recorded no earlier than the week
it assesses; a change may not alter a course with a given day.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from ivig_schedule.engine.schedule import week_start
from ivig_schedule.model.changes import (
    AnyChange,
    Change,
    ChangeEffect,
    DaysChange,
    DelayChange,
    DoseChange,
    GivenChange,
    ProductChange,
    ResponseChange,
    SkipChange,
    StopChange,
    UnblindingChange,
    WeightChange,
)
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import ResponseRule
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import History, Slot
from ivig_schedule.model.prescription import Prescription

OPERATORS = {"<": Decimal.__lt__, "<=": Decimal.__le__, ">": Decimal.__gt__, ">=": Decimal.__ge__}
C = TypeVar("C", bound=Change)
Handler = Callable[[Prescription, History, Any], History]


def score(change: ResponseChange) -> Decimal:
    """The response's Total Improvement Score: as given, or computed from the six measures."""
    if change.tis is not None:
        return change.tis
    assert change.measures is not None
    from ivig_schedule.engine import tis  # only a response recorded as its measures needs it

    return tis.score(change.measures).total


def _slot(history: History, change: Change, field: str, number: int) -> Slot:
    if not 1 <= number <= len(history.slots):
        raise PrescriptionError(f"{change.path}.{field}", number,
                                f"must name a course from 1 to {len(history.slots)}")
    return history.slots[number - 1]


def _not_given(history: History, change: Change, field: str, courses: range) -> None:
    """A change may not alter a course with a given day: that infusion happened."""
    frozen: dict[int, GivenChange] = {}
    for course, _day, given in history.given:
        frozen.setdefault(course, given)
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


def _then(history: History, slots: tuple[Slot, ...], effect: ChangeEffect) -> History:
    return History(slots, (*history.effects, effect), history.given)


def _rule_fires(rule: ResponseRule, value: Decimal) -> bool:
    return bool(OPERATORS[rule.operator](value, rule.threshold))


def _response(prescription: Prescription, history: History, change: ResponseChange) -> History:
    assessed = week_start(prescription.order.start, change.week)
    if change.on < assessed:
        raise PrescriptionError(f"{change.path}.on", change.on.isoformat(),
                                f"a week-{change.week} response is recorded from {assessed}, "
                                f"the first day of week {change.week}, on")
    value = score(change)
    rules = [r for r in prescription.regimen.rules if r.at_week == change.week]
    fired = next((r for r in rules if _rule_fires(r, value)), None)
    said = f"TIS {plain(value)} at week {change.week}"
    if fired is None:
        outcome = "no rule fired" if rules else "the regimen has no rule for that week"
        return _then(history, history.slots, ChangeEffect(
            change, f"{said}: {outcome}; nothing changed",
            "response recorded; the schedule is unchanged"))
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
    text = (f"{said}: rule {fired.when} fired ({fired.source.split(':')[0]}); "
            f"{_span(numbers)} replaced by {target.name}: {plain(target.dose_g_per_kg)} g/kg "
            f"every {every} weeks, from course {first.number}")
    return _then(history, slots, ChangeEffect(
        change, text, f"{_span(numbers)} rescheduled by the regimen's response rule", numbers,
        fired.when))


def _given(prescription: Prescription, history: History, change: GivenChange) -> History:
    slot = _slot(history, change, "course", change.course)
    if slot.status != "planned":
        raise PrescriptionError(f"{change.path}.course", change.course,
                                f"course {slot.number} is {slot.status}; it cannot be given")
    earlier = next((g for c, d, g in history.given if (c, d) == (change.course, change.day)),
                   None)
    if earlier is not None:
        raise PrescriptionError(f"{change.path}.day", change.day,
                                f"course {change.course} day {change.day} is already given in "
                                f"{earlier.path}; a day is given once")
    text = f"course {slot.number} day {change.day} given on {change.given_on}" + (
        f" (lot {change.lot})" if change.lot else "")
    return attrs.evolve(history, given=(*history.given, (slot.number, change.day, change)),
                        effects=(*history.effects, ChangeEffect(
                            change, text, f"course {slot.number} day {change.day} given on "
                            f"{change.given_on}", (slot.number,))))


def _planned_slot(history: History, change: DelayChange | SkipChange) -> Slot:
    slot = _slot(history, change, "course", change.course)
    if slot.status != "planned":
        raise PrescriptionError(f"{change.path}.course", change.course,
                                f"course {slot.number} is {slot.status} already")
    return slot


def _skip(prescription: Prescription, history: History, change: SkipChange) -> History:
    slot = _planned_slot(history, change)
    only = range(slot.number, slot.number + 1)
    _not_given(history, change, "course", only)
    text = f"course {slot.number} skipped (not given); later courses unchanged"
    return _then(history, _replace(history, only, status="skipped"),
                 ChangeEffect(change, text, text, (slot.number,)))


def _delay(prescription: Prescription, history: History, change: DelayChange) -> History:
    slot = _planned_slot(history, change)
    moved = (_courses_from(slot.number, history) if change.shift_following
             else range(slot.number, slot.number + 1))
    _not_given(history, change, "course", moved)
    slots = tuple(attrs.evolve(s, shift_days=s.shift_days + change.days)
                  if s.number in moved else s for s in history.slots)
    numbers = _live(history, moved)
    text = f"{_span(numbers)} moved {change.days} days later"
    return _then(history, slots, ChangeEffect(change, text, text, numbers))


def _from(history: History, change: WeightChange | DoseChange | DaysChange | StopChange
          | ProductChange) -> tuple[range, tuple[int, ...]]:
    first = _slot(history, change, "from_course", change.from_course).number
    numbers = _courses_from(first, history)
    _not_given(history, change, "from_course", numbers)
    return numbers, _live(history, numbers)


def _stop(prescription: Prescription, history: History, change: StopChange) -> History:
    numbers, live = _from(history, change)
    text = f"stopped: {_span(live)} cancelled"
    return _then(history, _replace(history, numbers, status="cancelled"),
                 ChangeEffect(change, text, text, live))


def _weight(prescription: Prescription, history: History, change: WeightChange) -> History:
    numbers, live = _from(history, change)
    patient = attrs.evolve(history.slots[numbers.start - 1].patient or prescription.patient,
                           weight_kg=change.weight_kg, weight_input=change.weight_input,
                           weight_lb=change.weight_lb)
    return _then(history, _replace(history, numbers, patient=patient), ChangeEffect(
        change, f"weight {change.weight_input} from course {numbers.start}",
        f"{_span(live)} recalculated for a new weight", live))


def _dose(prescription: Prescription, history: History, change: DoseChange) -> History:
    numbers, live = _from(history, change)
    slots = tuple(attrs.evolve(s, phase=attrs.evolve(s.phase, dose_g_per_kg=change.dose_g_per_kg))
                  if s.number in numbers else s for s in history.slots)
    return _then(history, slots, ChangeEffect(
        change, f"dose {plain(change.dose_g_per_kg)} g/kg from course {numbers.start}",
        f"{_span(live)} recalculated for a new dose", live))


def _days(prescription: Prescription, history: History, change: DaysChange) -> History:
    numbers, live = _from(history, change)
    count = change.days_per_course
    for slot in history.slots[numbers.start - 1:]:
        if not slot.phase.days_min <= count <= slot.phase.days_max:
            raise PrescriptionError(f"{change.path}.days_per_course", count,
                                    f"phase {slot.phase.name!r} allows {slot.phase.days_min}-"
                                    f"{slot.phase.days_max} days")
    text = f"{count} days per course from course {numbers.start}"
    return _then(history, _replace(history, numbers, days=count),
                 ChangeEffect(change, text, text, live))


def _product(prescription: Prescription, history: History, change: ProductChange) -> History:
    numbers, live = _from(history, change)
    text = f"product {change.product.name} from course {numbers.start}"
    return _then(history, _replace(history, numbers, product=change.product), ChangeEffect(
        change, text, f"{_span(live)} made of another product", live))


def _unblinding(prescription: Prescription, history: History,
                change: UnblindingChange) -> History:
    text = f"emergency unblinding by {change.by} (the arm is in the pharmacy's log only)"
    return _then(history, history.slots, ChangeEffect(change, text, text, ()))


HANDLERS: dict[type[Change], Handler] = {
    DelayChange: _delay, SkipChange: _skip, WeightChange: _weight, DoseChange: _dose,
    DaysChange: _days, ResponseChange: _response, StopChange: _stop, GivenChange: _given,
    ProductChange: _product, UnblindingChange: _unblinding,
}
"""How each kind of change acts on the courses."""


def apply(prescription: Prescription, history: History, change: AnyChange) -> History:
    """`history` with one more change applied."""
    return HANDLERS[type(change)](prescription, history, change)
