"""The calculation trail as the pharmacy's view holds it: every formula with the values the engine
put into it and the result it got, for the independent double-check (``explain``).

Nothing is computed here: each `Calc` pairs a formula (`model.formulas`) with numbers the engine
recorded on the plan (the dosing weight, each step's exact mL/h before rounding, the last step's
exact minutes), so the trail's numbers are the plan's.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from ivig_schedule.model import formulas
from ivig_schedule.model.inputs import Ladder
from ivig_schedule.model.plan import (
    Calc,
    Course,
    DosingWeight,
    InfusionDay,
    PlaceboContents,
    Plan,
    RateCap,
    RateStep,
    RoundingTrail,
)
from ivig_schedule.model.units import MG_PER_G, MINUTES_PER_HOUR

HUNDREDTH = Decimal("0.01")


@frozen
class VialTrail:
    """``count`` vials of ``grams`` each."""

    grams: Decimal
    count: int


@frozen
class StepTrail:
    """How one step's mL/h and minutes were reached.

    Attributes:
        rate: The ladder rate made mL/h (before rounding down, `rate_ml_per_h` after).
        held: For the step that empties the bag, its minutes before rounding up.
    """

    rate_mg_per_kg_min: Decimal
    rate: Calc
    rate_ml_per_h: Decimal
    minutes: int
    held: Calc | None
    volume_ml: Decimal


@frozen
class DayTrail:
    """How one day's grams became vials, a volume and steps."""

    day: int
    grams: Decimal
    vials: tuple[VialTrail, ...]
    placebo: bool
    volume: Calc
    steps: tuple[StepTrail, ...]
    infusion_minutes: int


@frozen
class CourseTrail:
    """How one course's grams were prescribed, rounded and split."""

    number: int
    phase: str
    week: int
    dose_g_per_kg: Decimal
    prescribed: Calc
    rounded_g: Decimal
    deviation_percent: Decimal
    rounding: RoundingTrail
    days: tuple[DayTrail, ...]
    dosing_weight_kg: Decimal
    cap: RateCap
    weight: DosingWeight
    """The course's own weights and how its dosing weight was reached (a weight change applies
    from a course on)."""
    product_id: str = ""
    """The product the course is made of (a product change applies from a course on)."""
    slow_start: tuple[str, ...] = ()
    """Why day 1 starts slowly, in words (empty: a routine start)."""


@frozen
class Trail:
    """The calculation trail, recorded by the engine (pharmacy view only)."""

    dosing_weight: tuple[Calc, ...]
    dosing_weight_kg: Decimal
    dosing_weight_used: str
    dosing_weight_reason: str
    ladder: Ladder
    ladder_reason: str
    cap: RateCap
    risk_factors: tuple[str, ...]
    concentration_mg_per_ml: Decimal
    vials_g: tuple[Decimal, ...]
    pump_resolution_ml_h: Decimal
    courses: tuple[CourseTrail, ...]




def _step(step: RateStep, weight_kg: Decimal, concentration: Decimal) -> StepTrail:
    rate = Calc("rate", formulas.RATE,
                (("rate", step.rate_mg_per_kg_min), ("weight", weight_kg),
                 ("per_hour", Decimal(MINUTES_PER_HOUR)), ("concentration", concentration)),
                step.exact_ml_per_h, "mL/h")
    held = None if step.exact_minutes is None else Calc(
        "minutes", formulas.LAST_STEP_MINUTES,
        (("volume", step.volume_ml), ("rate", step.rate_ml_per_h),
         ("per_hour", Decimal(MINUTES_PER_HOUR))), step.exact_minutes, "min")
    return StepTrail(step.rate_mg_per_kg_min, rate, step.rate_ml_per_h, step.minutes, held,
                     step.volume_ml)


def _day(day: InfusionDay, weight_kg: Decimal, concentration: Decimal) -> DayTrail:
    placebo = isinstance(day.contents, PlaceboContents)
    vials = () if isinstance(day.contents, PlaceboContents) else tuple(
        VialTrail(v.grams, v.count) for v in day.contents.vials)
    volume = Calc("volume", formulas.VOLUME,
                  (("grams", day.grams), ("mg_per_g", Decimal(MG_PER_G)),
                   ("concentration", concentration)), day.volume_ml, "mL")
    return DayTrail(day=day.day, grams=day.grams, vials=vials, placebo=placebo, volume=volume,
                    steps=tuple(_step(s, weight_kg, concentration) for s in day.steps),
                    infusion_minutes=day.infusion_minutes)


def _course(course: Course, plan: Plan, concentration: Decimal) -> CourseTrail:
    own = course.dosing_weight or plan.dosing_weight
    weight = own.kg
    prescribed = Calc("prescribed", formulas.PRESCRIBED,
                      (("dose", course.dose_g_per_kg), ("weight", weight)),
                      course.prescribed_g, "g")
    return CourseTrail(
        number=course.number, phase=course.phase, week=course.week,
        dose_g_per_kg=course.dose_g_per_kg, prescribed=prescribed, rounded_g=course.rounded_g,
        deviation_percent=course.rounding_deviation_percent.quantize(HUNDREDTH),
        rounding=course.rounding,
        days=tuple(_day(d, weight, course.product.concentration_mg_per_ml
                        if course.product is not None else concentration)
                   for d in course.days),
        dosing_weight_kg=weight, cap=course.cap or plan.cap, weight=own,
        product_id=(course.product or plan.prescription.product).id,
        slow_start=tuple((r.detail or r.text) + (" (assumed)" if r.assumed else "")
                         for r in course.slow_start))


def trail_of(plan: Plan) -> Trail:
    """The plan's calculation trail (for the pharmacy's view)."""
    rx = plan.prescription
    concentration = rx.product.concentration_mg_per_ml
    weight = plan.dosing_weight
    return Trail(
        dosing_weight=weight.trail, dosing_weight_kg=weight.kg, dosing_weight_used=weight.used,
        dosing_weight_reason=weight.reason, ladder=plan.ladder, ladder_reason=plan.ladder_reason,
        cap=plan.cap, risk_factors=rx.patient.risk_factors,
        concentration_mg_per_ml=concentration,
        vials_g=rx.product.vials_g or (), pump_resolution_ml_h=rx.order.pump_resolution_ml_h,
        courses=tuple(_course(c, plan, concentration) for c in plan.courses))
