"""Recording a change: the `change` command's use case, without click.

The change's flags are checked exactly as its ``[[change]]`` table would be read, the table is
appended to the prescription's text, and the plan is made again; nothing may be written unless
that plan is planned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from ivig_schedule.engine.revisions import the_day
from ivig_schedule.input import change_text, prescription, tomltext
from ivig_schedule.input.fields import Fields
from ivig_schedule.input.limits_file import built_in_limits
from ivig_schedule.jobs.core import Outcome, Request, flatten, run
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import Plan

CHANGE_FLAGS: Mapping[str, tuple[str, ...]] = {
    kind: tuple(prescription.CHANGE_KEYS[kind]) for kind in prescription.CHANGE_KEYS}
"""The fields each kind of change takes besides on, kind and reason (one table, in `input`)."""
FLAG_OF = {"weight_kg": "--weight", "dose_g_per_kg": "--dose"}
"""The command-line flag for a field whose name differs from it."""


def flag_of(field: str) -> str:
    """The flag that sets a [[change]] field (``days_per_course`` → ``--days-per-course``)."""
    name = field.rsplit(".", 1)[-1].split("[", maxsplit=1)[0]
    return FLAG_OF.get(name, "--" + name.replace("_", "-"))


@frozen
class ChangeRequest:
    """A change to record, as a caller gathered it (values as typed, not yet checked).

    Attributes:
        text: The prescription's text now.
        kind: delay, skip, weight, dose, days, response, stop or given.
        reason: Why (free text).
        values: The kind's own fields (`CHANGE_FLAGS`), by [[change]] field name; ``tis`` may be
            a mapping of the six measures.
        on: The date it was recorded (None: today); never after today.
        today: The system date (the clock is read by the caller).
        limits, default_timezone: As for `Request`.
    """

    text: str
    kind: str
    reason: str
    values: Mapping[str, Any]
    today: dt.date
    on: dt.date | None = None
    limits: Limits = attrs.field(factory=built_in_limits)
    store: Path | None = None
    """The pharmacy's store (a treatment number resolves its arm there)."""
    by: str | None = None
    """Who records it (``--by``; else the prescription's ``[care] user``); required for a
    regimen with blinded phases."""
    default_timezone: prescription.Zone = "UTC"


@frozen
class Moved:
    """One course whose dates, status or dose a change altered: before → after."""

    number: int
    before: str
    after: str


@frozen
class Recorded:
    """What recording a change came to.

    Attributes:
        outcome: The plan with the change (or why there is none); its exit code is the
            command's.
        text: The prescription's new text, or None when nothing may be written.
        moved: The courses that moved or changed.
        effect: What the change did, in words.
    """

    outcome: Outcome
    text: str | None = None
    moved: tuple[Moved, ...] = ()
    effect: str = ""

    @property
    def exit_code(self) -> int:
        """As the plan with the change: 0 recorded, 1 bad input, 3 refused by a safety rule."""
        return self.outcome.exit_code


def _summary(plan: Plan | None, number: int) -> str:
    if plan is None or number > len(plan.courses):
        return "—"
    course = plan.courses[number - 1]
    first, last = course.days[0].date, course.days[-1].date
    dates = f"{first}" if first == last else f"{first}…{last}"
    return f"{dates}, {len(course.days)} d, {plain(course.rounded_g)} g, {course.status}"


def moved(before: Plan | None, after: Plan) -> tuple[Moved, ...]:
    """The courses that differ between two plans, in course order."""
    count = max(len(after.courses), len(before.courses) if before else 0)
    found = []
    for number in range(1, count + 1):
        new, old = _summary(after, number), _summary(before, number)
        if new != old:
            found.append(Moved(number, old, new))
    return tuple(found)


def _failed(error: PrescriptionError) -> Recorded:
    return Recorded(Outcome(errors=flatten(error)))


def _date_the_given_day(fields: dict[str, Any], base: Request, today: dt.date
                        ) -> Outcome | PrescriptionError:
    """The plan before the change, with `fields` given the day's planned date when no date was
    given; an error when that day is still to come."""
    now = run(base)
    if now.plan is None:
        return now
    day = the_day(now.plan, int(fields.get("course") or 0), int(fields.get("day") or 0))
    if day is not None and fields.get("date") is None:
        if day.date > today:
            return PrescriptionError(
                "--day", fields["day"], f"course {fields['course']} day {fields['day']} is "
                f"planned for {day.date}, after today ({today}): a day is recorded as given on "
                "or after the day it is given")
        fields["date"] = day.date
    return now


def _own_flags(outcome: Outcome, index: int) -> Outcome:
    """The outcome with errors in the new change's fields named by their flags."""
    own = f"change[{index}]."
    return attrs.evolve(outcome, errors=tuple(
        PrescriptionError(flag_of(e.field), e.value, e.allowed) if e.field.startswith(own)
        else e for e in outcome.errors))


def _checked(fields: dict[str, Any], text: str) -> tuple[int, Outcome | None]:
    """The new change's index, and its input errors (named by their flags) when its fields do
    not read as a [[change]] table would."""
    try:
        recorded = tomltext.loads(text).get("change", [])
    except PrescriptionError as e:
        return 0, Outcome(errors=flatten(e))
    index = len(recorded) if isinstance(recorded, list) else 0
    try:
        prescription.change_from_table(Fields(fields, f"change[{index}]"), index)
    except PrescriptionError as e:
        return index, _own_flags(Outcome(errors=flatten(e)), index)
    return index, None


def _care_user(text: str) -> str | None:
    """The prescription's ``[care] user``, the default recorder of its changes."""
    try:
        care = tomltext.loads(text).get("care")
    except PrescriptionError:
        return None
    user = care.get("user") if isinstance(care, Mapping) else None
    return user.strip() if isinstance(user, str) and user.strip() else None


def record_change(request: ChangeRequest) -> Recorded:
    """Check a change exactly as its [[change]] table would be read, append it, and plan again.

    Nothing may be written unless the plan with the change is planned (exit 0): an invalid
    change is an input error naming its flag, and a change the limits refuse (a dose of 4 g/kg)
    is refused by its rule. A given day is dated by the plan (its planned date) unless a date
    is given, and a day still in the future cannot be given.
    """
    on = request.on or request.today
    if on > request.today:
        return _failed(PrescriptionError("--on", on.isoformat(),
                                         f"must not be after today ({request.today})"))
    base = Request(text=request.text, default_timezone=request.default_timezone,
                   limits=request.limits, today=request.today, store=request.store)
    fields: dict[str, Any] = {"on": on, "kind": request.kind, "reason": request.reason}
    fields.update({k: v for k, v in request.values.items() if v is not None})
    before: Plan | None = None
    if request.kind == "given":
        dated = _date_the_given_day(fields, base, request.today)
        if isinstance(dated, PrescriptionError) or dated.plan is None:
            return _failed(dated) if isinstance(dated, PrescriptionError) else Recorded(dated)
        before = dated.plan
    by = request.by or _care_user(request.text)
    if by:
        fields["by"] = by
    index, invalid = _checked(fields, request.text)
    if invalid is not None:
        return Recorded(invalid)
    updated = change_text.append_hashed(request.text, fields)
    after = _own_flags(run(attrs.evolve(base, text=updated), revisions=before is None), index)
    if after.error is not None or after.plan is None:
        return Recorded(after)
    if not by and after.plan.prescription.regimen.blinded:
        return _failed(PrescriptionError(
            "--by", None, "is required for a trial's change: who records it (or [care] user "
            "in the prescription)"))
    if before is None:
        before = after.revisions[-1] if after.revisions else None
    effect = after.plan.effects[-1].text if after.plan.effects else ""
    return Recorded(after, updated, moved(before, after.plan), effect)
