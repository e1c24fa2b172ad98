"""The use cases: one path for ``plan``, ``check`` and ``explain`` (and each roster row).

    parse → measure → compute → evaluate limits → decide

Each returns an `Outcome` value and never prints or exits, so a caller can plan many patients and
collect each one's errors. The exit codes live here, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ivig_schedule.engine import compute as engine
from ivig_schedule.engine import history
from ivig_schedule.guardrails import decide, measure
from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.guardrails.measure import facts
from ivig_schedule.guardrails.rules import applicable, evaluate
from ivig_schedule.input import change_text, prescription, tomltext
from ivig_schedule.input.fields import Fields
from ivig_schedule.input.limits_file import built_in_limits
from ivig_schedule.model.errors import (
    InputErrors,
    IvigScheduleError,
    PrescriptionError,
    RefusedBySafetyRule,
)
from ivig_schedule.model.inputs import GivenChange, Prescription
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import History, InfusionDay, LimitsUsed, Plan

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


@attrs.frozen
class Request:
    """What a caller gathered: the prescription text and how to check it.

    Attributes:
        text: Prescription TOML, or None when flags give everything.
        overrides: Flag values that replace single fields (`prescription.OVERRIDES`).
        default_timezone: Zone assumed when the prescription names none (or a function that
            finds it, called only then).
        limits: The rule set to check against.
        today: The caller's date, for the start-in-the-past check (None: not checked).
        accepted: ``--accept RULE --reason TEXT`` pairs.
        strict: Refuse while a soft limit is unacknowledged.
        required: Fields the output needs written out, where a default would not do
            (`prescription.FOR_FILES` for calendars, FHIR, sheets and rosters).
    """

    text: str | None
    overrides: Mapping[str, Any] = attrs.field(factory=dict)
    default_timezone: prescription.Zone = "UTC"
    limits: Limits = attrs.field(factory=built_in_limits)
    today: dt.date | None = None
    accepted: tuple[tuple[str, str], ...] = ()
    strict: bool = False
    required: frozenset[str] = frozenset()


@attrs.frozen
class Outcome:
    """The result of one use case: a plan, or why there is none, and the decision.

    Attributes:
        prescription: The validated input (None when it did not validate).
        plan: The computed plan with the decision's warnings, overrides and limits applied
            (None when it could not be computed).
        decision: The limits' verdict (None when the input did not validate).
        errors: Every input error, in file order.
        refusal: The refusal when a safety rule refused the plan.
        measured: Quantities that were measured (the rules that were checked).
        revisions: The plans before each recorded change (the last plan is `plan`), from which
            calendars derive SEQUENCE and cancelled events.
    """

    prescription: Prescription | None = None
    plan: Plan | None = None
    decision: Decision | None = None
    errors: tuple[PrescriptionError, ...] = ()
    refusal: RefusedBySafetyRule | None = None
    measured: frozenset[str] = frozenset()
    revisions: tuple[Plan, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 planned, 1 bad input, 3 refused by a safety rule (input errors come first)."""
        if self.errors:
            return EXIT_BAD_INPUT
        if self.refusal is not None:
            return EXIT_REFUSED
        return EXIT_OK

    def checked_plan(self) -> Plan:
        """The plan, or the error that speaks for its absence (for callers that raise)."""
        if self.error is not None:
            raise self.error
        assert self.plan is not None
        return self.plan

    @property
    def error(self) -> IvigScheduleError | None:
        """The one error that speaks for a failed outcome on a one-line channel."""
        if self.errors:
            return self.errors[0] if len(self.errors) == 1 else InputErrors(self.errors)
        return self.refusal


def _flatten(error: PrescriptionError) -> tuple[PrescriptionError, ...]:
    return error.errors if isinstance(error, InputErrors) else (error,)


def run(request: Request, *, revisions: bool = False) -> Outcome:
    """Parse, compute, evaluate and decide: the one path every command takes.

    `revisions`: also compute the plan before each recorded change (calendars need them).
    """
    try:
        rx = prescription.from_text(request.text, request.overrides, request.default_timezone,
                                    request.required)
    except PrescriptionError as e:
        return Outcome(errors=_flatten(e))
    return assess(rx, limits=request.limits, today=request.today, accepted=request.accepted,
                  strict=request.strict, revisions=revisions)


def _indication(rx: Prescription) -> str | None:
    """The ladder's indication before any calculation (None when no ladder can be chosen)."""
    try:
        return engine.ladder_of(rx)[0].indication
    except PrescriptionError:
        return rx.order.indication or rx.regimen.indication


def assess(rx: Prescription, *, limits: Limits | None = None, today: dt.date | None = None,
           accepted: tuple[tuple[str, str], ...] = (), strict: bool = False,
           revisions: bool = False) -> Outcome:
    """Compute, evaluate and decide for an already validated prescription.

    The limits measure the history (every weight, every course's dose) and the computed plan,
    course by course; a hard breach found before the calculation (a weight a regimen excludes)
    speaks for the prescription even when the plan cannot be computed.
    """
    limits = limits or built_in_limits()
    histories: tuple[History, ...] = ()
    history_error: PrescriptionError | None = None
    try:
        histories = history.revisions(rx)
    except PrescriptionError as e:
        history_error = e
    final = histories[-1] if histories else None
    rules = applicable(limits, facts(rx, _indication(rx)))
    early = evaluate(rules, measure.input_measurements(rx, final, today))
    refused_early = any(b.severity == "hard" for b in early)
    plan: Plan | None = None
    errors: tuple[PrescriptionError, ...] = ()
    past: tuple[Plan, ...] = ()
    try:
        if history_error is not None:
            raise history_error
        _check_dates(rx, today)
        computed = plans(rx, limits, histories, every=revisions)
        plan, past = computed[-1], computed[:-1]
    except PrescriptionError as e:
        errors = () if refused_early else _flatten(e)
    measurements = measure.measure(rx, final, plan, today)
    if plan is not None:
        rules = applicable(limits, facts(rx, plan.ladder.indication))
    breaches = evaluate(rules, measurements)
    soft_findings = tuple(w for w in plan.warnings if w.soft) if plan is not None else ()
    breaches += tuple(decide.finding_breach(f) for f in soft_findings)
    decision = decide.decide(breaches, accepted, strict)
    refusal = decision.refusal() if decision.status == "refused" else None
    if plan is not None:
        masked = {f.code: f.masked for f in soft_findings if f.masked}
        plan = attrs.evolve(
            plan,
            warnings=tuple(w for w in plan.warnings if not w.soft) + tuple(
                attrs.evolve(w, masked=masked[w.code]) if w.code in masked else w
                for w in decision.warnings),
            overrides=decision.overrides,
            limits=LimitsUsed(limits.name, limits.version, limits.origin),
        )
    return Outcome(prescription=rx, plan=plan, decision=decision, errors=errors,
                   refusal=refusal, measured=frozenset(measurements), revisions=past)


def _check_dates(rx: Prescription, today: dt.date | None) -> None:
    """A change cannot be recorded after today."""
    if today is None:
        return
    for change in rx.changes:
        if change.on > today:
            raise PrescriptionError(f"{change.path}.on", change.on.isoformat(),
                                    f"must not be after today ({today})")


def _day(plan: Plan, course: int, day: int) -> InfusionDay | None:
    if course > len(plan.courses):
        return None
    days = plan.courses[course - 1].days
    return days[day - 1] if 0 < day <= len(days) else None


def _frozen(day: InfusionDay) -> tuple[object, ...]:
    """What a given day's infusion was: it may not change afterwards."""
    return (day.date, day.start, day.grams, day.volume_ml, day.contents, day.steps, day.location)


def plans(rx: Prescription, limits: Limits | None = None,
          histories: tuple[History, ...] | None = None, *, every: bool = False
          ) -> tuple[Plan, ...]:
    """The plan now (last), after the plans before each recorded change when `every` is asked.

    A change that alters a day given earlier is refused, naming both changes: the revisions from
    the first given day on are computed to check it. Every revision shares one course cache, so
    a change recomputes only the courses it touched.
    """
    limits = limits or built_in_limits()
    histories = histories or history.revisions(rx)
    cache = engine.Cache()
    judge = measure.course_judge(limits, rx)
    first_given = next((i + 1 for i, c in enumerate(rx.changes) if c.kind == "given"),
                       len(histories) - 1)
    start = 0 if every else min(first_given, len(histories) - 1)
    found: list[Plan] = []
    frozen: dict[tuple[int, int], tuple[GivenChange, tuple[object, ...]]] = {}
    for index in range(start, len(histories)):
        plan = engine.compute(rx, judge_for=judge, history=histories[index], cache=cache)
        change = rx.changes[index - 1] if index else None
        if isinstance(change, GivenChange):
            day = _day(plan, change.course, change.day)
            if day is None:
                raise PrescriptionError(f"{change.path}.day", change.day,
                                        f"course {change.course} has no day {change.day}")
            frozen[change.course, change.day] = (change, _frozen(day))
        for (course, number), (given, was) in frozen.items():
            day = _day(plan, course, number)
            if change is not None and change is not given and (day is None or _frozen(day) != was):
                raise PrescriptionError(
                    change.path, change.kind,
                    f"would alter course {course} day {number}, given in {given.path}; a given "
                    "infusion is frozen")
        found.append(plan)
    return tuple(found if every else found[-1:])


# --- recording a change -------------------------------------------------------------------


CHANGE_FLAGS: Mapping[str, tuple[str, ...]] = {
    kind: tuple(prescription.CHANGE_KEYS[kind]) for kind in prescription.CHANGE_KEYS}
"""The fields each kind of change takes besides on, kind and reason (one table, in `input`)."""
FLAG_OF = {"weight_kg": "--weight", "dose_g_per_kg": "--dose"}
"""The command-line flag for a field whose name differs from it."""


def flag_of(field: str) -> str:
    """The flag that sets a [[change]] field (``days_per_course`` → ``--days-per-course``)."""
    name = field.rsplit(".", 1)[-1].split("[", maxsplit=1)[0]
    return FLAG_OF.get(name, "--" + name.replace("_", "-"))


@attrs.frozen
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
    default_timezone: prescription.Zone = "UTC"


@attrs.frozen
class Moved:
    """One course whose dates, status or dose a change altered: before → after."""

    number: int
    before: str
    after: str


@attrs.frozen
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
    return Recorded(Outcome(errors=_flatten(error)))


def _date_the_given_day(fields: dict[str, Any], base: Request, today: dt.date
                        ) -> Outcome | PrescriptionError:
    """The plan before the change, with `fields` given the day's planned date when no date was
    given; an error when that day is still to come."""
    now = run(base)
    if now.plan is None:
        return now
    day = _day(now.plan, int(fields.get("course") or 0), int(fields.get("day") or 0))
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
        return 0, Outcome(errors=_flatten(e))
    index = len(recorded) if isinstance(recorded, list) else 0
    try:
        prescription.change_from_table(Fields(fields, f"change[{index}]"), index)
    except PrescriptionError as e:
        return index, _own_flags(Outcome(errors=_flatten(e)), index)
    return index, None


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
                   limits=request.limits, today=request.today)
    fields: dict[str, Any] = {"on": on, "kind": request.kind, "reason": request.reason}
    fields.update({k: v for k, v in request.values.items() if v is not None})
    before: Plan | None = None
    if request.kind == "given":
        dated = _date_the_given_day(fields, base, request.today)
        if isinstance(dated, PrescriptionError) or dated.plan is None:
            return _failed(dated) if isinstance(dated, PrescriptionError) else Recorded(dated)
        before = dated.plan
    index, invalid = _checked(fields, request.text)
    if invalid is not None:
        return Recorded(invalid)
    updated = change_text.append(request.text, fields)
    after = _own_flags(run(attrs.evolve(base, text=updated), revisions=before is None), index)
    if after.error is not None or after.plan is None:
        return Recorded(after)
    if before is None:
        before = after.revisions[-1] if after.revisions else None
    effect = after.plan.effects[-1].text if after.plan.effects else ""
    return Recorded(after, updated, moved(before, after.plan), effect)
