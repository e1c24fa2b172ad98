"""Prescription → Plan. Pure: no I/O, no clock, no randomness, no limits.

The whole calculation runs the same way for both arms of a blinded course; only the contents of
the bag differ (product vials, or saline at the same volume). Every choice is recorded on the plan
(the calculation trail), so that ``explain`` prints it and never recomputes it.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from ivig_schedule import pump, schedule
from ivig_schedule.dosing import (
    VialSet,
    dosing_weight,
    prescribed_grams,
    round_course,
    split_days,
    unrounded_vial_set,
    volume_ml,
)
from ivig_schedule.errors import PrescriptionError, RefusedBySafetyRule
from ivig_schedule.model import (
    Course,
    DosingWeight,
    Finding,
    InfusionDay,
    Phase,
    PlaceboContents,
    Plan,
    Prescription,
    ProductContents,
    RateStep,
)
from ivig_schedule.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, hours_and_minutes

HOME = "home"
MAX_COURSE_G = Decimal(10_000)
"""Capacity bound, not a clinical limit: no course reaches 10 kg of immunoglobulin (the
clinical limit is dose.course_max in limits.toml)."""


@attrs.frozen
class _Pump:
    """What every day's pump programme needs, fixed for the whole plan."""

    rates_mg_per_kg_min: tuple[Decimal, ...]
    step_minutes: int
    dosing_weight_kg: Decimal
    concentration_mg_per_ml: Decimal
    resolution_ml_per_h: Decimal

    def steps(self, volume: Decimal) -> tuple[RateStep, ...]:
        return pump.programme(self.rates_mg_per_kg_min, volume, self.step_minutes,
                              self.dosing_weight_kg, self.concentration_mg_per_ml,
                              self.resolution_ml_per_h)


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


def _notes(prescription: Prescription, fallback: str | None) -> list[Finding]:
    """Warnings that follow from the inputs alone."""
    product, regimen = prescription.product, prescription.regimen
    notes = []
    if regimen.notes:
        notes.append(Finding("regimen.notes", regimen.notes))
    if product.local:
        notes.append(Finding(
            "product.local",
            "the product table comes from the prescription (local protocol), not the catalog; "
            "check it against the label",
        ))
    if fallback is not None:
        notes.append(Finding("ladder.indication_fallback", fallback))
    if prescription.patient.risk_factors and product.at_risk_max_rate is None:
        notes.append(Finding(
            "rate.no_at_risk_cap",
            "the label gives no numeric rate limit for patients at risk; "
            "use the minimum rate practicable",
        ))
    if prescription.order.rounding == "none":
        notes.append(Finding("rounding.partial_vials",
                             "rounding 'none': doses use part of a vial; discard the rest"))
    return notes


def compute(prescription: Prescription) -> Plan:
    """The calculation alone: doses, vials, pump steps, dates and times; no limits are checked."""
    patient, order, product, regimen = (prescription.patient, prescription.order,
                                        prescription.product, prescription.regimen)
    missing = product.missing_fields()
    if missing:
        raise PrescriptionError(
            "order.product", product.id,
            f"has unconfirmed {', '.join(missing)}; supply a local [product] table from your "
            "pharmacy protocol",
        )
    assert product.vials_g is not None
    weight = dosing_weight(patient, order.dosing_weight)
    wanted = order.indication or regimen.indication
    ladder, ladder_reason, fell_back = pump.choose_ladder(product, wanted)
    cap = pump.rate_cap(ladder, product, bool(patient.risk_factors))
    pumping = _Pump(pump.capped_ladder(ladder, product.concentration_mg_per_ml,
                                       cap.cap_mg_per_kg_min),
                    ladder.step_minutes, weight.kg, product.concentration_mg_per_ml,
                    order.pump_resolution_ml_h)
    courses: list[Course] = []
    for number, (phase, week) in enumerate(schedule.course_weeks(regimen, order.courses), start=1):
        course = _course(prescription, weight, pumping, number, phase, week)
        if courses and course.days[0].date <= courses[-1].days[-1].date:
            raise PrescriptionError(
                "order.days_per_course", len(course.days),
                f"course {number} (week {week}) would start before course {number - 1} ends",
            )
        courses.append(course)
    return Plan(
        prescription=prescription,
        dosing_weight=weight,
        ladder=ladder,
        ladder_reason=ladder_reason,
        cap=cap,
        courses=tuple(courses),
        warnings=tuple(_notes(prescription, ladder_reason if fell_back else None)),
        visits=schedule.visit_days(order.start, regimen.visits),
    )


def _course(prescription: Prescription, weight: DosingWeight, pumping: _Pump, number: int,
            phase: Phase, week: int) -> Course:
    """One course: grams, rounding, the day split (rule h), the bags and the days' times."""
    order, product, regimen = prescription.order, prescription.product, prescription.regimen
    assert product.vials_g is not None
    concentration = product.concentration_mg_per_ml
    vials = VialSet(product.vials_g, concentration)
    grid = unrounded_vial_set(concentration) if order.rounding == "none" else vials
    prescribed = prescribed_grams(phase.dose_g_per_kg, weight.kg)
    if prescribed > MAX_COURSE_G:
        raise PrescriptionError("regimen.phase.dose_g_per_kg", str(phase.dose_g_per_kg),
                                f"gives a course of over {MAX_COURSE_G} g; check the dose")
    rounded, rounding = round_course(prescribed, grid, order.rounding)
    longest_minutes = order.max_infusion_hours * MINUTES_PER_HOUR
    chosen: tuple[tuple[Decimal, ...], tuple[tuple[RateStep, ...], ...]] | None = None
    failure: PrescriptionError | None = None
    for count in _day_options(order.days_per_course, phase):
        try:
            grams = _day_grams(prescription, number, rounded, count, grid)
        except PrescriptionError as e:
            failure = failure or e
            continue
        programme = tuple(pumping.steps(volume_ml(g, concentration)) for g in grams)
        chosen = (grams, programme)
        if max(sum(s.minutes for s in p) for p in programme) <= longest_minutes:
            break
    if chosen is None:
        assert failure is not None
        raise failure
    first_day = schedule.week_start(order.start, week)
    days = []
    for index, (day_g, steps) in enumerate(zip(*chosen, strict=True), start=1):
        minutes = sum(s.minutes for s in steps)
        if minutes > MINUTES_PER_DAY:
            raise PrescriptionError(
                "order.max_infusion_hours", str(order.max_infusion_hours),
                f"course {number} day {index} would infuse for {hours_and_minutes(minutes)}; a day's "
                "infusion must end within the day (check the concentration and the rates)")
        volume = volume_ml(day_g, concentration)
        contents: ProductContents | PlaceboContents
        if phase.blinded and prescription.arm == "placebo":
            contents = PlaceboContents(ml=volume)
        elif order.rounding == "none":
            contents = ProductContents(vials.cover(day_g))
        else:
            contents = ProductContents(vials.vials_for(day_g))
        location = HOME
        if number == index == 1 and regimen.first_infusion_g is not None:
            location = regimen.first_infusion_location or HOME
        date = schedule.add_days(first_day, index - 1)
        times = schedule.day_times(order, date, prescription.patient.timezone, minutes,
                                   first_of_plan=number == index == 1)
        days.append(InfusionDay(
            day=index, date=date, start=times.start, end=times.end, arrive=times.arrive,
            leave=times.leave, location=location, grams=day_g, volume_ml=volume,
            contents=contents, steps=steps, infusion_minutes=minutes,
        ))
    return Course(
        number=number, phase=phase.name, week=week, blinded=phase.blinded,
        dose_g_per_kg=phase.dose_g_per_kg, prescribed_g=prescribed, rounded_g=rounded,
        days=tuple(days), rounding=rounding,
    )
