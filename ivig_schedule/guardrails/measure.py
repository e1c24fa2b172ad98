"""Measuring the plan that will be given: every quantity, course by course, after every change.

Each measured value carries the limits in force where it was measured (`rules.Context`): a
course's rate cap is that course's own, for its own dosing weight; a day's g/kg is per kg of its
own course's dosing weight; every body weight a change records is measured, not only the first.
Days already given are history and are not measured again; skipped and cancelled courses are not
given and are not measured.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import attrs

from ivig_schedule.guardrails.rules import Context, Measurements
from ivig_schedule.model.plan import Course, History, Plan, RateCap
from ivig_schedule.model.prescription import Prescription
from ivig_schedule.model.units import MINUTES_PER_HOUR

YES, NO = Decimal(1), Decimal(0)


def _flag(value: bool) -> Decimal:
    return YES if value else NO


def plan_context(rx: Prescription, cap: RateCap | None = None) -> Context:
    """The named limits of the whole plan, with a course's rate cap when one is given."""
    exclusive = {"regimen_exclude_bmi_from"}
    if cap is not None and cap.exclusive:
        exclusive.add("cap_mg_per_kg_min")
    return Context(values={
        "cap_mg_per_kg_min": cap.cap_mg_per_kg_min if cap is not None else None,
        "max_infusion_minutes": rx.order.max_infusion_hours * MINUTES_PER_HOUR,
        "regimen_max_weight_kg": rx.regimen.max_weight_kg,
        "regimen_exclude_bmi_from": rx.regimen.exclude_bmi_from,
    }, exclusive=frozenset(exclusive))


def _observation_minimum(course: Course, rx: Prescription, day: int) -> Decimal | None:
    """The label's minimum observation after this day (exposure.toml), or None."""
    start = (course.product or rx.product).slow_start
    if start is None:
        return None
    if day == 1 and course.slow_start:
        return Decimal(start.observation_minutes)
    routine = start.routine_observation_minutes
    return None if routine is None else Decimal(routine)


def _empty() -> Measurements:
    return {}


def _add(values: Measurements, quantity: str, value: Decimal, where: str,
         context: Context) -> None:
    values.setdefault(quantity, []).append((value, where, context))


def input_measurements(rx: Prescription, history: History | None,
                       today: dt.date | None) -> Measurements:
    """What is known before any calculation: every body weight, each planned course's dose per
    kg (from the history, so a recorded dose change is measured like a regimen's dose), the data
    flags and the start date."""
    context = plan_context(rx)
    values = _empty()
    _add(values, "weight_kg", rx.patient.weight_kg, "patient", context)
    for change in rx.weight_changes():
        _add(values, "weight_kg", change.weight_kg, f"{change.path} (from course "
             f"{change.from_course})", context)
    if history is not None:
        for slot in history.slots:
            if slot.status == "planned":
                _add(values, "course_dose_g_per_kg", slot.phase.dose_g_per_kg,
                     f"course {slot.number}", context)
    product, regimen = rx.product, rx.regimen
    _add(values, "product_unverified", _flag(not product.verified and not product.local),
         f"product {product.id}", context)
    _add(values, "regimen_unverified", _flag(not regimen.verified), f"regimen {regimen.id}",
         context)
    policy = rx.policy
    if policy is not None:
        _add(values, "policy_unverified", _flag(not policy.verified), f"policy {policy.id}",
             context)
        _add(values, "policy_opt_out", _flag(rx.order.dosing_weight_given),
             f"policy {policy.id}, order.dosing_weight = \"actual\"", context)
    if regimen.exclude_bmi_from is not None:
        _add(values, "regimen_bmi_unknown", _flag(rx.patient.height_cm is None),
             f"regimen {regimen.id}: no patient.height_cm", context)
    if today is not None:
        _add(values, "start_days_from_today", Decimal((rx.order.start - today).days),
             f"start {rx.order.start}", context)
    return values


def course_measurements(course: Course, rx: Prescription, values: Measurements,
                        context: Context | None = None) -> None:
    """A course's own values into `values`: its rounding, and each planned day's grams, g/kg,
    time and every programmed rate, per kg of this course's dosing weight and under this
    course's cap."""
    assert course.dosing_weight is not None
    weight = course.dosing_weight.kg
    context = context or plan_context(rx, course.cap)
    place = f"course {course.number}"
    _add(values, "dosing_weight_kg", weight, place, context)
    _add(values, "rounding_deviation_percent", course.rounding_deviation_percent, place, context)
    _add(values, "first_infusion_exceeds_course", _flag(course.first_infusion_exceeds),
         place, context)
    _add(values, "rounding_down_without_vial", _flag(course.rounding.fell_back), place, context)
    bmi = course.dosing_weight.bmi_kg_per_m2
    if bmi is not None:
        _add(values, "bmi_kg_per_m2", bmi, place, context)
        if course.dosing_weight.used == "actual":
            _add(values, "actual_weight_bmi", bmi, f"{place} ({course.dosing_weight.reason})",
                 context)
    per_minute = weight * MINUTES_PER_HOUR
    for day in course.days:
        if day.status != "planned":
            continue
        where = f"{place} day {day.day}"
        minimum = _observation_minimum(course, rx, day.day)
        _add(values, "observation_minutes", Decimal(day.observation_minutes), where,
             attrs.evolve(context, values={**context.values,
                                           "min_observation_minutes": minimum}))
        _add(values, "day_grams", day.grams, where, context)
        _add(values, "day_dose_g_per_kg", day.grams / weight, where, context)
        _add(values, "infusion_minutes", Decimal(day.infusion_minutes), where, context)
        for index, step in enumerate(day.steps, start=1):
            at = f"{where} step {index}"
            _add(values, "step_rate_ml_per_h", step.rate_ml_per_h, at, context)
            _add(values, "step_rate_ml_per_kg_min", step.rate_ml_per_h / per_minute, at, context)
            _add(values, "step_rate_mg_per_kg_min", step.programmed_mg_per_kg_min, at, context)


def plan_measurements(plan: Plan) -> Measurements:
    """Everything the calculation produced, course by course, and the spacing of the courses."""
    rx = plan.prescription
    values = _empty()
    context = plan_context(rx)
    _add(values, "ladder_default_doubling", _flag(plan.ladder.default_doubling),
         f"ladder {plan.ladder.indication}", context)
    ordered, regimen = rx.order.indication, rx.regimen.indication
    differs = ordered is not None and regimen is not None and ordered != regimen
    where = (f"order indication {ordered}, regimen {rx.regimen.id}: {regimen}; ladder used: "
             f"{plan.ladder_reason}")
    _add(values, "indication_differs", _flag(differs), where, context)
    _add(values, "trial_indication_differs", _flag(differs and rx.regimen.blinded), where,
         context)
    contexts: dict[RateCap | None, Context] = {}
    live = [c for c in plan.courses if c.status == "planned"]
    for course in live:
        if course.cap not in contexts:
            contexts[course.cap] = plan_context(rx, course.cap)
        course_measurements(course, rx, values, contexts[course.cap])
    for before, after in itertools.pairwise(live):
        pair = f"courses {before.number}-{after.number}"
        interval = (after.days[0].date - before.days[0].date).days
        scheduled = (after.week - before.week) * 7
        _add(values, "course_interval_days", Decimal(interval), pair, context)
        _add(values, "course_interval_shortfall_days", Decimal(scheduled - interval), pair,
             context)
        _add(values, "course_gap_days", Decimal((after.days[0].date - before.days[-1].date).days),
             pair, context)
    return values


def measure(rx: Prescription, history: History | None, plan: Plan | None,
            today: dt.date | None) -> Measurements:
    """Everything measurable: the inputs and history, and the plan when there is one."""
    values = input_measurements(rx, history, today)
    if plan is not None:
        for key, found in plan_measurements(plan).items():
            values.setdefault(key, []).extend(found)
    return values
