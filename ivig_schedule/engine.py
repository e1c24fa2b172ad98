"""Prescription → Plan. Pure: no I/O, no clock, no randomness.

The whole calculation runs the same way for both arms of a blinded course; only the contents of
the bag differ (product vials, or saline at the same volume).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pendulum

from ivig_schedule import guardrails, pump
from ivig_schedule.dosing import (
    VialSet,
    dosing_weight,
    round_course_grams,
    split_days,
    unrounded_vial_set,
)
from ivig_schedule.errors import PrescriptionError, RefusedBySafetyRule
from ivig_schedule.guardrails import Breach, Limits
from ivig_schedule.model import (
    Course,
    Finding,
    InfusionDay,
    Ladder,
    LimitsUsed,
    Override,
    Phase,
    PlaceboContents,
    Plan,
    Prescription,
    ProductContents,
    RateStep,
    Regimen,
    VisitDay,
)

HOME = "home"


@attrs.frozen
class _Pump:
    """What every day's pump programme needs, fixed for the whole plan."""

    rates_mg_per_kg_min: tuple[Decimal, ...]
    step_minutes: int
    dosing_weight_kg: Decimal
    concentration_mg_per_ml: Decimal
    resolution_ml_per_h: Decimal

    def steps(self, volume_ml: Decimal) -> tuple[RateStep, ...]:
        return pump.programme(self.rates_mg_per_kg_min, volume_ml, self.step_minutes,
                              self.dosing_weight_kg, self.concentration_mg_per_ml,
                              self.resolution_ml_per_h)


def course_weeks(regimen: Regimen, courses: int | None) -> tuple[tuple[Phase, int], ...]:
    """Every course as (phase, week), in order; `courses` overrides "every N weeks" counts."""
    result: list[tuple[Phase, int]] = []
    last: int | None = None
    for phase in regimen.phases:
        if phase.weeks is not None:
            weeks = phase.weeks
        else:
            assert phase.every_weeks is not None and phase.count is not None
            count = courses if courses is not None else phase.count
            first = phase.start_week
            if first is None:
                first = 0 if last is None else last + phase.every_weeks
            weeks = tuple(first + k * phase.every_weeks for k in range(count))
        if last is not None and weeks[0] <= last:
            raise PrescriptionError(f"regimen.phase.{phase.name}", weeks[0],
                                    f"must start after week {last}, the previous phase's last course")
        result.extend((phase, week) for week in weeks)
        last = weeks[-1]
    return tuple(result)


def _local(date: dt.date, time: dt.time, zone: str) -> pendulum.DateTime:
    return pendulum.datetime(date.year, date.month, date.day, time.hour, time.minute, tz=zone)


def _choose_ladder(prescription: Prescription, warnings: list[Finding]) -> Ladder:
    product = prescription.product
    wanted = prescription.order.indication or prescription.regimen.indication
    ladder = product.ladder_for(wanted)
    if ladder is None:
        ladder = product.ladder_for(None)
        assert ladder is not None, "products without a ladder are rejected when parsed"
        if wanted is not None:
            warnings.append(Finding(
                "ladder.indication_fallback",
                f"no titration ladder for {wanted!r}; the product's default ladder is used",
            ))
    return ladder


def _day_grams(
    prescription: Prescription, course_number: int, rounded_g: Decimal, days: int, vials: VialSet
) -> tuple[Decimal, ...]:
    """Grams per day for one course (rule c; rule i for the first course)."""
    first_g = prescription.regimen.first_infusion_g
    if course_number != 1 or first_g is None:
        return split_days(rounded_g, days, vials)
    rest = rounded_g - first_g
    if rest < 0:
        raise RefusedBySafetyRule(
            f"{prescription.regimen.id}.first_infusion_g", f"{rounded_g} g course dose",
            f"{first_g} g first infusion", prescription.regimen.source,
            "the fixed first infusion is larger than the whole course",
        )
    units = first_g / vials.grain_g
    if units != units.to_integral_value() or not vials.makeable(int(units)):
        raise PrescriptionError("regimen.first_infusion_g", str(first_g),
                                "must be a total that whole vials of the product can make")
    if rest == 0:
        if days != 1:
            raise PrescriptionError("order.days_per_course", days,
                                    "course 1 is all first infusion; allowed: 1 day")
        return (first_g,)
    if days < 2:
        raise PrescriptionError("order.days_per_course", days,
                                "course 1 needs at least 2 days: the first infusion and the rest")
    return (first_g, *split_days(rest, days - 1, vials))


def compute(prescription: Prescription) -> Plan:
    """The calculation alone: doses, vials, pump steps, dates; no limits are checked."""
    patient, order, product, regimen = (prescription.patient, prescription.order,
                                        prescription.product, prescription.regimen)
    missing = product.missing_fields()
    if missing:
        raise PrescriptionError(
            "order.product", product.id,
            f"has unconfirmed {', '.join(missing)}; supply a local [product] table from your "
            "pharmacy protocol",
        )
    weight = dosing_weight(patient, order.dosing_weight)
    warnings: list[Finding] = []
    if regimen.notes:
        warnings.append(Finding("regimen.notes", regimen.notes))
    if product.local:
        warnings.append(Finding(
            "product.local",
            "the product table comes from the prescription (local protocol), not the catalog; "
            "check it against the label",
        ))
    ladder = _choose_ladder(prescription, warnings)
    assert product.vials_g is not None
    concentration = product.concentration_mg_per_ml
    at_risk_cap = None
    if patient.risk_factors:
        if product.at_risk_max_rate is None:
            warnings.append(Finding(
                "rate.no_at_risk_cap",
                "the label gives no numeric rate limit for patients at risk; "
                "use the minimum rate practicable",
            ))
        else:
            at_risk_cap = pump.to_mg_per_kg_min(product.at_risk_max_rate,
                                                product.at_risk_rate_unit, concentration)
    rates, cap = pump.capped_ladder(ladder, concentration, at_risk_cap)
    pumping = _Pump(rates, ladder.step_minutes, weight.kg, concentration,
                    order.pump_resolution_ml_h)
    vials = VialSet(product.vials_g, concentration)
    grams_grid = unrounded_vial_set(concentration) if order.rounding == "none" else vials
    if order.rounding == "none":
        warnings.append(Finding("rounding.partial_vials",
                                "rounding 'none': doses use part of a vial; discard the rest"))
    longest_minutes = order.max_infusion_hours * 60
    courses: list[Course] = []
    for number, (phase, week) in enumerate(course_weeks(regimen, order.courses), start=1):
        prescribed = phase.dose_g_per_kg * weight.kg
        rounded = round_course_grams(prescribed, grams_grid, order.rounding)
        options = _day_options(order.days_per_course, phase)
        chosen: tuple[tuple[Decimal, ...], tuple[tuple[RateStep, ...], ...]] | None = None
        failure: PrescriptionError | None = None
        for count in options:
            try:
                grams = _day_grams(prescription, number, rounded, count, grams_grid)
            except PrescriptionError as e:
                failure = failure or e
                continue
            programme = tuple(pumping.steps(_volume(g, concentration)) for g in grams)
            chosen = (grams, programme)
            if max(sum(s.minutes for s in p) for p in programme) <= longest_minutes:
                break
        if chosen is None:
            assert failure is not None
            raise failure
        grams, programme = chosen
        start_date = order.start + dt.timedelta(weeks=week)
        days: list[InfusionDay] = []
        for index, (day_g, steps) in enumerate(zip(grams, programme, strict=True), start=1):
            date = start_date + dt.timedelta(days=index - 1)
            minutes = sum(s.minutes for s in steps)
            begin = _local(date, order.start_time, patient.timezone)
            volume = _volume(day_g, concentration)
            placebo = phase.blinded and prescription.arm == "placebo"
            contents: ProductContents | PlaceboContents
            if placebo:
                contents = PlaceboContents(ml=volume)
            elif order.rounding == "none":
                contents = ProductContents(vials.cover(day_g))
            else:
                contents = ProductContents(vials.vials_for(day_g))
            location = HOME
            if number == index == 1 and regimen.first_infusion_g is not None:
                location = regimen.first_infusion_location or HOME
            days.append(InfusionDay(
                day=index, date=date, start=begin, end=begin.add(minutes=minutes),
                location=location, grams=day_g, volume_ml=volume, contents=contents,
                steps=steps, infusion_minutes=minutes,
            ))
        if courses and days[0].date <= courses[-1].days[-1].date:
            raise PrescriptionError(
                "order.days_per_course", len(days),
                f"course {number} (week {week}) would start before course {number - 1} ends",
            )
        courses.append(Course(
            number=number, phase=phase.name, week=week, blinded=phase.blinded,
            dose_g_per_kg=phase.dose_g_per_kg, prescribed_g=prescribed, rounded_g=rounded,
            days=tuple(days),
        ))
    return Plan(
        prescription=prescription,
        dosing_weight=weight,
        ladder=ladder,
        cap_mg_per_kg_min=cap,
        courses=tuple(courses),
        warnings=tuple(warnings),
        visits=tuple(
            VisitDay(week=v.week, date=order.start + dt.timedelta(weeks=v.week), name=v.name)
            for v in sorted(regimen.visits, key=lambda v: v.week)
        ),
    )


def _day_options(days_per_course: int | tuple[tuple[str, int], ...] | None,
                 phase: Phase) -> tuple[int, ...]:
    """Day counts to try, fewest first (rule h), or the one the order fixes."""
    if isinstance(days_per_course, int):
        return (days_per_course,)
    if days_per_course is not None:
        fixed = dict(days_per_course)
        if phase.name in fixed:
            return (fixed[phase.name],)
    return tuple(range(phase.days_min, phase.days_max + 1))


def _volume(grams: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """Bag volume in mL: grams × 1000 ÷ mg/mL, to 0.1 mL."""
    return (grams * 1000 / concentration_mg_per_ml).quantize(Decimal("0.1"))


@attrs.frozen
class Assessment:
    """A plan (None when it cannot be computed) and every limit it breaks."""

    plan: Plan | None
    breaches: tuple[Breach, ...]


def assess(prescription: Prescription, limits: Limits, today: dt.date | None) -> Assessment:
    """Compute what can be computed and evaluate every rule; refuse nothing (for `check`)."""
    inputs = guardrails.input_measurements(prescription, today)
    if prescription.product.missing_fields():
        return Assessment(None, guardrails.evaluate(limits, prescription, inputs, None))
    result = compute(prescription)
    measured = guardrails.merged(inputs, guardrails.plan_measurements(result))
    return Assessment(result, guardrails.evaluate(limits, prescription, measured, result))


def _refusal(breach: Breach, others: int, note: str = "") -> RefusedBySafetyRule:
    unit = "" if breach.rule.unit == "flag" else f" {breach.rule.unit}"
    flag = breach.rule.unit == "flag"
    extra = f"; {others} more hard breach(es): run `ivig-schedule check`" if others else ""
    return RefusedBySafetyRule(
        breach.rule.id,
        breach.where if flag else f"{guardrails.number(breach.value)}{unit} ({breach.where})",
        "" if flag else f"{guardrails.number(breach.limit)}{unit}",
        breach.rule.source,
        breach.rule.message + note + extra,
        breach.direction,
        breach.severity,
    )


def plan(
    prescription: Prescription,
    *,
    limits: Limits | None = None,
    today: dt.date | None = None,
    accepted: tuple[tuple[str, str], ...] = (),
    strict: bool = False,
) -> Plan:
    """Compute the plan and hold it to the limits.

    A hard breach raises `RefusedBySafetyRule` (it cannot be accepted here; a pharmacy changes
    its limits file). A soft breach becomes a warning, or an override when `accepted` names its
    rule with a reason. With `strict`, an unacknowledged soft breach is refused too.
    """
    limits = limits or guardrails.built_in_limits()
    reasons = dict(accepted)
    inputs = guardrails.input_measurements(prescription, today)
    early = [b for b in guardrails.evaluate(limits, prescription, inputs, None)
             if b.severity == "hard"]
    if early:
        raise _refusal(early[0], len(early) - 1, _hard_note(early[0], reasons))
    assessment = assess(prescription, limits, today)
    assert assessment.plan is not None
    hard = [b for b in assessment.breaches if b.severity == "hard"]
    if hard:
        raise _refusal(hard[0], len(hard) - 1, _hard_note(hard[0], reasons))
    soft = [b for b in assessment.breaches if b.severity == "soft"]
    unacknowledged = [b for b in soft if b.rule.id not in reasons]
    if strict and unacknowledged:
        raise _refusal(unacknowledged[0], 0,
                       "; --strict: acknowledge it with --accept RULE --reason TEXT")
    unit = {b.rule.id: "" if b.rule.unit == "flag" else f" {b.rule.unit}" for b in soft}
    overrides = tuple(
        Override(b.rule.id, f"{guardrails.number(b.value)}{unit[b.rule.id]}",
                 f"{guardrails.number(b.limit)}{unit[b.rule.id]}", reasons[b.rule.id])
        for b in soft if b.rule.id in reasons
    )
    findings = [Finding(b.rule.id, b.describe()) for b in unacknowledged]
    broken = {b.rule.id for b in soft}
    findings.extend(
        Finding("override.unused", f"--accept {rule} matched no soft breach; nothing recorded")
        for rule in reasons if rule not in broken
    )
    return attrs.evolve(
        assessment.plan,
        warnings=assessment.plan.warnings + tuple(findings),
        overrides=overrides,
        limits=LimitsUsed(limits.name, limits.version, limits.origin),
    )


def _hard_note(breach: Breach, reasons: dict[str, str]) -> str:
    if breach.rule.id in reasons:
        return ("; hard limits cannot be overridden from the command line: "
                "change them in your own --limits file")
    return ""
