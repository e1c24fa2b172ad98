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
from ivig_schedule.guardrails import decide as guardrails
from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.input import prescription
from ivig_schedule.input.limits_file import Limits, built_in_limits
from ivig_schedule.model.errors import (
    InputErrors,
    IvigScheduleError,
    PrescriptionError,
    RefusedBySafetyRule,
)
from ivig_schedule.model.inputs import Change, Prescription
from ivig_schedule.model.plan import InfusionDay, LimitsUsed, Plan

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
    """

    text: str | None
    overrides: Mapping[str, Any] = attrs.field(factory=dict)
    default_timezone: prescription.Zone = "UTC"
    limits: Limits = attrs.field(factory=built_in_limits)
    today: dt.date | None = None
    accepted: tuple[tuple[str, str], ...] = ()
    strict: bool = False


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


def run(request: Request) -> Outcome:
    """Parse, compute, evaluate and decide: the one path every command takes."""
    try:
        rx = prescription.from_text(request.text, request.overrides, request.default_timezone)
    except PrescriptionError as e:
        return Outcome(errors=_flatten(e))
    return assess(rx, limits=request.limits, today=request.today, accepted=request.accepted,
                  strict=request.strict)


def assess(rx: Prescription, *, limits: Limits | None = None, today: dt.date | None = None,
           accepted: tuple[tuple[str, str], ...] = (), strict: bool = False) -> Outcome:
    """Compute, evaluate and decide for an already validated prescription."""
    limits = limits or built_in_limits()
    early = guardrails.evaluate(limits, rx, guardrails.input_measurements(rx, today), None)
    refused_early = any(b.severity == "hard" for b in early)
    plan: Plan | None = None
    errors: tuple[PrescriptionError, ...] = ()
    refusal: RefusedBySafetyRule | None = None
    revisions: tuple[Plan, ...] = ()
    try:
        _check_dates(rx, today)
        revisions = plans(rx, limits)
        plan = revisions[-1]
    except PrescriptionError as e:
        errors = () if refused_early else _flatten(e)
    except RefusedBySafetyRule as e:
        refusal = e
    measurements = guardrails.measure(rx, plan, today)
    breaches = guardrails.evaluate(limits, rx, measurements, plan)
    soft_findings = tuple(w for w in plan.warnings if w.soft) if plan is not None else ()
    breaches += tuple(guardrails.finding_breach(f) for f in soft_findings)
    decision = guardrails.decide(breaches, accepted, strict)
    if decision.status == "refused" and refusal is None:
        refusal = decision.refusal()
    if plan is not None:
        plan = attrs.evolve(
            plan,
            warnings=tuple(w for w in plan.warnings if not w.soft) + decision.warnings,
            overrides=decision.overrides,
            limits=LimitsUsed(limits.name, limits.version, limits.origin),
        )
    return Outcome(prescription=rx, plan=plan, decision=decision, errors=errors,
                   refusal=refusal, measured=frozenset(measurements),
                   revisions=revisions[:-1])


def _check_dates(rx: Prescription, today: dt.date | None) -> None:
    """A change cannot be decided after today."""
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


def plans(rx: Prescription, limits: Limits | None = None) -> tuple[Plan, ...]:
    """The plan after 0, 1, … n recorded changes; a change that alters a given day is refused.

    Every revision is a full computation (the calendar derives SEQUENCE and cancelled events
    from them); the last is the plan now.
    """
    limits = limits or built_in_limits()
    histories = history.revisions(rx)
    found: list[Plan] = []
    frozen: dict[tuple[int, int], tuple[Change, tuple[object, ...]]] = {}
    for index, revision in enumerate(histories):
        plan = engine.compute(rx, judge_for=lambda cap, kg: guardrails.course_judge(
            limits, rx, cap, kg), history=revision)
        change = rx.changes[index - 1] if index else None
        if change is not None and change.kind == "given":
            assert change.course is not None and change.day is not None
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
    return tuple(found)

