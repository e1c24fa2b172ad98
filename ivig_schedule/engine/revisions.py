"""The plan at every revision of its history, and the rule that a given day never changes.

Every revision shares one course cache (`compute.Cache`), so a change recomputes only the
courses it touched.
"""

from __future__ import annotations

from ivig_schedule.engine import compute
from ivig_schedule.model.changes import GivenChange
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.plan import History, InfusionDay, Plan
from ivig_schedule.model.prescription import Prescription


def the_day(plan: Plan, course: int, day: int) -> InfusionDay | None:
    """Day `day` of course `course`, or None when the plan has no such day."""
    if course > len(plan.courses):
        return None
    days = plan.courses[course - 1].days
    return days[day - 1] if 0 < day <= len(days) else None


def _frozen(day: InfusionDay) -> tuple[object, ...]:
    """What a given day's infusion was: it may not change afterwards."""
    return (day.date, day.start, day.grams, day.volume_ml, day.contents, day.steps, day.location)


def plans(rx: Prescription, histories: tuple[History, ...],
          judge_for: compute.JudgeFactory | None = None, *, every: bool = False
          ) -> tuple[Plan, ...]:
    """The plan now (last), after the plans before each recorded change when `every` is asked.

    A change that alters a day given earlier is refused, naming both changes: the revisions from
    the first given day on are computed to check it.
    """
    cache = compute.Cache()
    first_given = next((i + 1 for i, c in enumerate(rx.changes) if c.kind == "given"),
                       len(histories) - 1)
    start = 0 if every else min(first_given, len(histories) - 1)
    found: list[Plan] = []
    frozen: dict[tuple[int, int], tuple[GivenChange, tuple[object, ...]]] = {}
    for index in range(start, len(histories)):
        plan = compute.compute(rx, judge_for=judge_for, history=histories[index], cache=cache)
        change = rx.changes[index - 1] if index else None
        if isinstance(change, GivenChange):
            day = the_day(plan, change.course, change.day)
            if day is None:
                raise PrescriptionError(f"{change.path}.day", change.day,
                                        f"course {change.course} has no day {change.day}")
            frozen[change.course, change.day] = (change, _frozen(day))
        for (course, number), (given, was) in frozen.items():
            day = the_day(plan, course, number)
            if change is not None and change is not given and (day is None or _frozen(day) != was):
                raise PrescriptionError(
                    change.path, change.kind,
                    f"would alter course {course} day {number}, given in {given.path}; a given "
                    "infusion is frozen")
        found.append(plan)
    return tuple(found if every else found[-1:])
