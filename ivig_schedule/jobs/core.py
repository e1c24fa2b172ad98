"""The one path every use case takes: parse → compute → measure → evaluate → decide.

`run` returns an `Outcome` value and never prints or exits, so a caller can plan many patients and
collect each one's errors. The exit codes live here, once: `exit_code_of` for an error, and
`Outcome.exit_code` for a use case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from ivig_schedule.engine import compute as engine
from ivig_schedule.engine import history
from ivig_schedule.guardrails import check
from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.input import prescription
from ivig_schedule.input.limits_file import built_in_limits
from ivig_schedule.model.errors import (
    InputErrors,
    IvigScheduleError,
    PrescriptionError,
    RefusedBySafetyRule,
)
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.plan import History, Plan
from ivig_schedule.model.prescription import Prescription

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


@frozen
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
        store: The pharmacy's store, which resolves a ``[trial] treatment_number`` to its arm
            (None: no store; a prescription with a treatment number is then an input error).
    """

    text: str | None
    overrides: Mapping[str, Any] = attrs.field(factory=dict)
    default_timezone: prescription.Zone = "UTC"
    limits: Limits = attrs.field(factory=built_in_limits)
    today: dt.date | None = None
    accepted: tuple[tuple[str, str], ...] = ()
    strict: bool = False
    required: frozenset[str] = frozenset()
    store: Path | None = None


@frozen
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
        if rx.treatment_number is not None and rx.arm is None:
            rx = attrs.evolve(rx, arm=allocated_arm(rx, request.store))
    except PrescriptionError as e:
        return Outcome(errors=flatten(e))
    return assess(rx, limits=request.limits, today=request.today, accepted=request.accepted,
                  strict=request.strict, revisions=revisions)


def allocated_arm(rx: Prescription, store: Path | None) -> Any:
    """The arm behind the prescription's treatment number, from the pharmacy's store (the first
    prescription that names a number takes it for its patient)."""
    number = rx.treatment_number
    assert number is not None
    if store is None or not store.exists():
        raise PrescriptionError(
            "trial.treatment_number", number,
            "needs the pharmacy's store with the randomisation list: put "
            "ivig-schedule.sqlite beside the prescription or roster, or set IVIG_SCHEDULE_STORE")
    from ivig_schedule.pharmacy.store import open_store

    opened = open_store(store, create=False)
    try:
        return opened.arm(rx.regimen.id, number, rx.patient.id)
    finally:
        opened.close()


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
    indication = _indication(rx)
    histories: tuple[History, ...] = ()
    computed: tuple[Plan, ...] = ()
    failure: PrescriptionError | None = None
    try:
        histories = history.revisions(rx, today)
        judge = check.course_judge(limits, rx)
        if rx.changes:
            from ivig_schedule.engine import revisions as engine_revisions  # only a history

            computed = engine_revisions.plans(rx, histories, judge, every=revisions)
        else:
            computed = (engine.compute(rx, judge, history=histories[0]),)
    except PrescriptionError as e:
        failure = e
    final, past = check.check_all(limits, rx, histories, computed, today, accepted, strict,
                                  indication)
    decision = final.decision
    refusal = decision.refusal() if decision.status == "refused" else None
    # A hard breach found without a plan (a weight the regimen excludes) speaks for the input.
    refused = any(b.severity == "hard" for b in decision.breaches)
    errors = flatten(failure) if failure is not None and not refused else ()
    return Outcome(prescription=rx, plan=final.plan, decision=decision, errors=errors,
                   refusal=refusal, measured=final.measured, revisions=past)

