"""Plan → the typed view one audience may see. The only place that redacts.

For a blinded course the nurse view leaves out every field that differs between arms (arm,
product, contents, grams, g/kg, course grams), so a renderer can only show what the view holds
and cannot unblind by accident. Every renderer (JSON, CSV, table, .ics, explain) reads a
`PlanView`; none reads the `Plan`.

Numbers are quantized here, once, as the JSON contract says: grams and mL to 0.1, mL/h at the
pump resolution (already rounded down by the engine), minutes as integers, the dosing weight to
0.01 kg.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from ivig_schedule.model import (
    Calc,
    Course,
    InfusionDay,
    Ladder,
    PlaceboContents,
    Plan,
    ProductContents,
    RateCap,
    RoundingTrail,
    View,
)

FORMAT = "ivig-schedule/plan@1"
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


def tenth(value: Decimal) -> Decimal:
    """Round half-even to 0.1 for display (grams, mL)."""
    return value.quantize(TENTH)


@attrs.frozen
class StepView:
    """One pump step as programmed: mL/h, minutes, VTBI (mL)."""

    rate_ml_per_h: Decimal
    minutes: int
    volume_ml: Decimal


@attrs.frozen
class VialView:
    """`count` vials of `grams` each, `ml` per vial."""

    grams: Decimal
    ml: Decimal
    count: int


@attrs.frozen
class ContentsView:
    """What goes into the bag: product vials, or saline of the same volume (`kind` placebo)."""

    kind: str
    vials: tuple[VialView, ...] = ()
    solution: str = ""
    ml: Decimal = Decimal(0)


@attrs.frozen
class DayView:
    """One infusion day as the audience may see it; hidden fields are None."""

    day: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    arrive: dt.datetime
    leave: dt.datetime
    location: str
    grams: Decimal | None
    volume_ml: Decimal
    contents: ContentsView | None
    steps: tuple[StepView, ...]
    infusion_minutes: int


@attrs.frozen
class CourseView:
    """One course as the audience may see it; `masked` when its doses are hidden."""

    number: int
    phase: str
    week: int
    blinded: bool
    masked: bool
    dose_g_per_kg: Decimal | None
    prescribed_g: Decimal | None
    rounded_g: Decimal | None
    days: tuple[DayView, ...]


@attrs.frozen
class PatientView:
    """The patient, pseudonymous."""

    id: str
    timezone: str
    weight_kg: Decimal
    dosing_weight_kg: Decimal
    dosing_weight_basis: str
    weight_input: str
    height_cm: Decimal | None
    height_input: str | None


@attrs.frozen
class ProductView:
    """The product, for views that may see it."""

    id: str
    name: str
    concentration_mg_per_ml: Decimal


@attrs.frozen
class Note:
    """A warning (`code`, `message`)."""

    code: str
    message: str


@attrs.frozen
class VisitView:
    """An assessment visit: week, date, what happens."""

    week: int
    date: dt.date
    name: str


@attrs.frozen
class OverrideView:
    """A soft limit acknowledged with a reason."""

    rule: str
    value: str
    limit: str
    reason: str


@attrs.frozen
class LimitsView:
    """Which limits checked the plan."""

    name: str
    version: str
    source: str


@attrs.frozen
class StepTrail:
    """How one step's mL/h and minutes were reached."""

    rate_mg_per_kg_min: Decimal
    exact_ml_per_h: Decimal
    rate_ml_per_h: Decimal
    minutes: int
    exact_minutes: Decimal | None
    volume_ml: Decimal


@attrs.frozen
class DayTrail:
    """How one day's grams became vials, a volume and steps."""

    day: int
    grams: Decimal
    vials: tuple[VialView, ...]
    placebo: bool
    volume_ml: Decimal
    steps: tuple[StepTrail, ...]
    infusion_minutes: int


@attrs.frozen
class CourseTrail:
    """How one course's grams were prescribed, rounded and split."""

    number: int
    phase: str
    week: int
    dose_g_per_kg: Decimal
    prescribed_g: Decimal
    rounded_g: Decimal
    deviation_percent: Decimal
    rounding: RoundingTrail
    days: tuple[DayTrail, ...]


@attrs.frozen
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


@attrs.frozen
class PlanView:
    """Everything one audience may see of a plan; every renderer reads this.

    Attributes:
        view: The audience.
        patient: The patient (pseudonymous).
        regimen_id, regimen_name: The regimen.
        product: The product, or None when the view is masked.
        arm: The arm, or None; `shows_arm` says whether the field is shown at all.
        courses: The courses.
        warnings: The warnings this audience may see.
        visits: Assessment visits.
        overrides: Acknowledged soft limits.
        limits: Which limits checked the plan.
        trail: The calculation trail (pharmacy view only).
    """

    view: View
    patient: PatientView
    regimen_id: str
    regimen_name: str
    product: ProductView | None
    shows_arm: bool
    arm: str | None
    courses: tuple[CourseView, ...]
    warnings: tuple[Note, ...]
    visits: tuple[VisitView, ...]
    overrides: tuple[OverrideView, ...]
    limits: LimitsView | None
    trail: Trail | None = None
    format: str = FORMAT


def _contents(contents: ProductContents | PlaceboContents) -> ContentsView:
    if isinstance(contents, PlaceboContents):
        return ContentsView(kind="placebo", solution=contents.solution, ml=tenth(contents.ml))
    return ContentsView(kind="product", vials=_vials(contents))


def _vials(contents: ProductContents) -> tuple[VialView, ...]:
    return tuple(VialView(tenth(v.grams), tenth(v.ml), v.count) for v in contents.vials)


def _day(day: InfusionDay, hide: bool) -> DayView:
    return DayView(
        day=day.day, date=day.date, start=day.start, end=day.end, arrive=day.arrive,
        leave=day.leave, location=day.location,
        grams=None if hide else tenth(day.grams),
        volume_ml=tenth(day.volume_ml),
        contents=None if hide else _contents(day.contents),
        steps=tuple(StepView(s.rate_ml_per_h, s.minutes, tenth(s.volume_ml)) for s in day.steps),
        infusion_minutes=day.infusion_minutes,
    )


def _course(course: Course, hide: bool) -> CourseView:
    return CourseView(
        number=course.number, phase=course.phase, week=course.week, blinded=course.blinded,
        masked=hide,
        dose_g_per_kg=None if hide else course.dose_g_per_kg,
        prescribed_g=None if hide else tenth(course.prescribed_g),
        rounded_g=None if hide else tenth(course.rounded_g),
        days=tuple(_day(d, hide) for d in course.days),
    )


def _trail(plan: Plan) -> Trail:
    rx = plan.prescription
    courses = []
    for course in plan.courses:
        days = []
        for day in course.days:
            placebo = isinstance(day.contents, PlaceboContents)
            days.append(DayTrail(
                day=day.day, grams=day.grams,
                vials=() if isinstance(day.contents, PlaceboContents) else _vials(day.contents),
                placebo=placebo, volume_ml=day.volume_ml,
                steps=tuple(StepTrail(s.rate_mg_per_kg_min, s.exact_ml_per_h, s.rate_ml_per_h,
                                      s.minutes, s.exact_minutes, s.volume_ml)
                            for s in day.steps),
                infusion_minutes=day.infusion_minutes))
        courses.append(CourseTrail(
            number=course.number, phase=course.phase, week=course.week,
            dose_g_per_kg=course.dose_g_per_kg, prescribed_g=course.prescribed_g,
            rounded_g=course.rounded_g,
            deviation_percent=course.rounding_deviation_percent.quantize(HUNDREDTH),
            rounding=course.rounding, days=tuple(days)))
    weight = plan.dosing_weight
    return Trail(
        dosing_weight=weight.trail, dosing_weight_kg=weight.kg, dosing_weight_used=weight.used,
        dosing_weight_reason=weight.reason, ladder=plan.ladder, ladder_reason=plan.ladder_reason,
        cap=plan.cap, risk_factors=rx.patient.risk_factors,
        concentration_mg_per_ml=rx.product.concentration_mg_per_ml,
        vials_g=rx.product.vials_g or (), pump_resolution_ml_h=rx.order.pump_resolution_ml_h,
        courses=tuple(courses))


def plan_view(plan: Plan, view: View) -> PlanView:
    """The plan as the given audience may see it."""
    rx = plan.prescription
    masked = rx.regimen.blinded and view == "nurse"
    patient = rx.patient
    product = None if masked else ProductView(rx.product.id, rx.product.name,
                                              rx.product.concentration_mg_per_ml)
    return PlanView(
        view=view,
        patient=PatientView(
            id=patient.id, timezone=patient.timezone, weight_kg=patient.weight_kg,
            dosing_weight_kg=plan.dosing_weight.kg.quantize(HUNDREDTH),
            dosing_weight_basis=plan.dosing_weight.used, weight_input=patient.weight_input,
            height_cm=None if patient.height_cm is None else patient.height_cm.quantize(TENTH),
            height_input=patient.height_input),
        regimen_id=rx.regimen.id,
        regimen_name=rx.regimen.name,
        product=product,
        shows_arm=not masked,
        arm=None if masked else rx.arm,
        courses=tuple(_course(c, hide=c.blinded and view == "nurse") for c in plan.courses),
        warnings=tuple(Note(w.code, w.message) for w in plan.warnings),
        visits=tuple(VisitView(v.week, v.date, v.name) for v in plan.visits),
        overrides=tuple(OverrideView(o.rule, o.value, o.limit, o.reason) for o in plan.overrides),
        limits=None if plan.limits is None else LimitsView(plan.limits.name, plan.limits.version,
                                                           plan.limits.origin),
        trail=_trail(plan) if view == "pharmacy" else None,
    )
