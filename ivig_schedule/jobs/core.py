"""The one path every use case takes: parse → compute → measure → evaluate → decide.

`run` returns an `Outcome` value and never prints or exits, so a caller can plan many patients and
collect each one's errors. The exit codes live here, once: `exit_code_of` for an error, and
`Outcome.exit_code` for a use case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ivig_schedule.engine import compute as engine
from ivig_schedule.engine import history
from ivig_schedule.guardrails import decide, measure
from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.guardrails.measure import facts
from ivig_schedule.guardrails.rules import applicable, evaluate
from ivig_schedule.input import prescription
from ivig_schedule.input.limits_file import built_in_limits
from ivig_schedule.model.errors import (
    InputErrors,
    IvigScheduleError,
    PrescriptionError,
    RefusedBySafetyRule,
)
from ivig_schedule.model.inputs import GivenChange, Prescription
from ivig_schedule.model.limits import Limits, Rule
from ivig_schedule.model.plan import History, InfusionDay, LimitsUsed, Plan

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


def exit_code_of(error: IvigScheduleError) -> int:
    """The exit code an error ends a command with: 3 for a safety refusal, 1 for the rest (bad
    input, a file that cannot be written)."""
    return EXIT_REFUSED if isinstance(error, RefusedBySafetyRule) else EXIT_BAD_INPUT


def worst(codes: Iterable[int]) -> int:
    """The exit code of many use cases (a roster's rows): 1 when any had bad input, else 3 when
    any was refused, else 0."""
    found = set(codes)
    return next((code for code in (EXIT_BAD_INPUT, EXIT_REFUSED) if code in found), EXIT_OK)


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
        error = self.error
        return EXIT_OK if error is None else exit_code_of(error)

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


def flatten(error: PrescriptionError) -> tuple[PrescriptionError, ...]:
    """Every input error an error stands for (several, for `InputErrors`)."""
    return error.errors if isinstance(error, InputErrors) else (error,)


def run(request: Request, *, revisions: bool = False) -> Outcome:
    """Parse, compute, evaluate and decide: the one path every command takes.

    `revisions`: also compute the plan before each recorded change (calendars need them).
    """
    try:
        rx = prescription.from_text(request.text, request.overrides, request.default_timezone,
                                    request.required)
    except PrescriptionError as e:
        return Outcome(errors=flatten(e))
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
        errors = () if refused_early else flatten(e)
    decision, measured, plan = _decided(rx, limits, final, plan, today, accepted, strict,
                                        rules)
    refusal = decision.refusal() if decision.status == "refused" else None
    past = tuple(decided for index, revision in enumerate(past)
                 if (decided := _decided(rx, limits, histories[index], revision, today, accepted,
                                         strict, rules)[2]) is not None)
    return Outcome(prescription=rx, plan=plan, decision=decision, errors=errors,
                   refusal=refusal, measured=measured, revisions=past)


def _decided(rx: Prescription, limits: Limits, history: History | None, plan: Plan | None,
             today: dt.date | None, accepted: tuple[tuple[str, str], ...], strict: bool,
             rules: tuple[Rule, ...]) -> tuple[Decision, frozenset[str], Plan | None]:
    """The limits' decision on a plan (one revision of it), what was measured, and the plan with
    the decision's warnings, overrides and limits applied."""
    measurements = measure.measure(rx, history, plan, today)
    if plan is not None:
        rules = applicable(limits, facts(rx, plan.ladder.indication))
    breaches = evaluate(rules, measurements)
    soft_findings = tuple(w for w in plan.warnings if w.soft) if plan is not None else ()
    breaches += tuple(decide.finding_breach(f) for f in soft_findings)
    decision = decide.decide(breaches, accepted, strict)
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
    return decision, frozenset(measurements), plan


def _check_dates(rx: Prescription, today: dt.date | None) -> None:
    """A change cannot be recorded after today."""
    if today is None:
        return
    for change in rx.changes:
        if change.on > today:
            raise PrescriptionError(f"{change.path}.on", change.on.isoformat(),
                                    f"must not be after today ({today})")


def the_day(plan: Plan, course: int, day: int) -> InfusionDay | None:
    """Day `day` of course `course`, or None when the plan has no such day."""
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
