"""The limits on one plan, in one call: measure, evaluate, decide, and the plan as decided.

A use case crosses into the guardrails twice: for the judge that rule h asks while the engine
computes, and for the decision on the plan (or, when no plan could be computed, on the inputs
and the history alone: a weight the regimen excludes is then still a refusal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
from attrs import frozen

from ivig_schedule.guardrails import decide, measure
from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.guardrails.rules import Measurements, applicable, evaluate, facts
from ivig_schedule.model.limits import Limits, Rule
from ivig_schedule.model.plan import Course, History, LimitsUsed, Plan
from ivig_schedule.model.prescription import Prescription

Judge = Callable[[Course], tuple[int, int]]


@frozen
class Checked:
    """The limits' verdict on a plan.

    Attributes:
        decision: Ok, warn or refuse, with every breach.
        measured: The quantities that were measured (the rules that were checked).
        plan: The plan with the decision's warnings, overrides and limits applied (None when
            there was no plan).
    """

    decision: Decision
    measured: frozenset[str]
    plan: Plan | None


def check(limits: Limits, rx: Prescription, history: History | None, plan: Plan | None,
          today: dt.date | None, accepted: tuple[tuple[str, str], ...], strict: bool,
          indication: str | None) -> Checked:
    """Measure the history and the plan course by course, evaluate the rules chosen for the
    plan's ladder, decide once, and apply the decision's warnings to the plan."""
    measurements = measure.measure(rx, history, plan, today)
    ladder = plan.ladder.indication if plan is not None else indication
    breaches = evaluate(applicable(limits, facts(rx, ladder)), measurements)
    soft = tuple(w for w in plan.warnings if w.soft) if plan is not None else ()
    breaches += tuple(decide.finding_breach(f) for f in soft)
    decision = decide.decide(breaches, accepted, strict)
    if plan is not None:
        masked = {f.code: f.masked for f in soft if f.masked}
        plan = attrs.evolve(
            plan,
            warnings=tuple(w for w in plan.warnings if not w.soft) + tuple(
                attrs.evolve(w, masked=masked[w.code]) if w.code in masked else w
                for w in decision.warnings),
            overrides=decision.overrides,
            limits=LimitsUsed(limits.name, limits.version, limits.origin),
        )
    return Checked(decision, frozenset(measurements), plan)


def course_judge(limits: Limits, rx: Prescription) -> Callable[[str], Judge]:
    """For rule h: a judge that counts the rules a candidate course breaks, (hard, soft).

    It evaluates the same rules, chosen for the same ladder indication, as the final check does.
    """

    def for_ladder(indication: str) -> Judge:
        chosen: list[tuple[Rule, ...]] = []

        def judge(course: Course) -> tuple[int, int]:
            values: Measurements = {}
            measure.course_measurements(course, rx, values)
            if not chosen:
                chosen.append(applicable(limits, facts(rx, indication)))
            breaches = evaluate(chosen[0], values)
            hard = sum(1 for b in breaches if b.severity == "hard")
            return hard, len(breaches) - hard

        return judge

    return for_ladder


def check_all(limits: Limits, rx: Prescription, histories: tuple[History, ...],
              plans: tuple[Plan, ...], today: dt.date | None,
              accepted: tuple[tuple[str, str], ...], strict: bool, indication: str | None
              ) -> tuple[Checked, tuple[Plan, ...]]:
    """The verdict on the plan now (the last of `plans`, or the inputs alone when there is
    none), and every earlier revision's plan as decided (a calendar shows each one's warnings)."""
    final = check(limits, rx, histories[-1] if histories else None,
                  plans[-1] if plans else None, today, accepted, strict, indication)
    past = tuple(decided for index, plan in enumerate(plans[:-1])
                 if (decided := check(limits, rx, histories[index], plan, today, accepted,
                                      strict, indication).plan) is not None)
    return final, past
