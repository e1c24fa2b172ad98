"""Plan → the typed view one role may see. The only place that redacts.

Four roles (`roles.ROLES`):

- ``pharmacy`` prepares the bags: sees everything, with the calculation trail.
- ``nurse`` prepares (when unblinded) and infuses: sees the times, volumes and pump programme;
  for a course the regimen masks from nurses, nothing that differs between arms (arm, product,
  contents, grams, g/kg).
- ``patient``: appointment times and places only; no pump programme, product, doses or arm.
- ``assessor``: the infusion dates and assessment visits only.

Who is unblinded comes from the regimen's data (`Regimen.unblinded`, with its source); every
other role's view of a blinded regimen holds nothing that depends on the arm, and no free text
from the history (reasons, notes, lots, override reasons), so every renderer's output is
byte-identical for both arms. A field a role may not see is absent (None), never flagged:
renderers branch on what is present, never on a role's name. Every renderer reads a `PlanView`;
none reads the `Plan`.

Numbers are quantized here, once, as the JSON contract says: grams and mL to 0.1, mL/h at the
pump resolution (already rounded down by the engine), minutes as integers, the dosing weight to
0.01 kg.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ivig_schedule.model.plan import (
    Course,
    Dispense,
    DosingWeight,
    Finding,
    InfusionDay,
    PlaceboContents,
    Plan,
    ProductContents,
)
from ivig_schedule.model.vocabulary import View
from ivig_schedule.views.roles import ROLES, Role, sees_arm, sees_warning

if TYPE_CHECKING:  # made only for the views that write it (`plan_view`)
    from ivig_schedule.views.recorded import ChangeView, GivenView, OverrideView
    from ivig_schedule.views.trail import Trail

FORMAT = "ivig-schedule/plan@1"
DEFAULT_ORGANIZER = "mailto:pharmacy@ivig-schedule.invalid"
"""The calendars' ORGANIZER when ``[care] organizer`` names none (a project default: the
reserved ``.invalid`` domain, so no client ever writes to it)."""
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


def tenth(value: Decimal) -> Decimal:
    """Round half-even to 0.1 for display (grams, mL)."""
    return value.quantize(TENTH)


@frozen
class StepView:
    """One pump step as programmed: mL/h, minutes, VTBI (mL), and when it starts."""

    rate_ml_per_h: Decimal
    minutes: int
    volume_ml: Decimal
    at: dt.datetime | None = attrs.field(default=None, eq=False)


@frozen
class VialView:
    """`count` vials of `grams` each, `ml` per vial."""

    grams: Decimal
    ml: Decimal
    count: int


@frozen
class ContentsView:
    """What goes into the bag: product vials, or saline of the same volume (`kind` placebo)
    matched to `matches_g` grams of immunoglobulin."""

    kind: str
    vials: tuple[VialView, ...] = ()
    solution: str = ""
    ml: Decimal = Decimal(0)
    matches_g: Decimal = Decimal(0)


@frozen
class DayView:
    """One infusion day as the audience may see it; hidden fields are None."""

    day: int
    date: dt.date
    start: dt.datetime | None
    end: dt.datetime | None
    arrive: dt.datetime | None
    leave: dt.datetime | None
    location: str | None
    grams: Decimal | None
    volume_ml: Decimal | None
    contents: ContentsView | None
    steps: tuple[StepView, ...] | None
    infusion_minutes: int | None
    status: str = "planned"
    given: GivenView | None = None


@frozen
class DispenseView:
    """What to dispense for a course: vials by size, or one saline bag per day."""

    vials: tuple[VialView, ...]
    bags_ml: tuple[Decimal, ...]
    grams: Decimal
    volume_ml: Decimal


@frozen
class CapView:
    """The rate ceiling of one course, for its own dosing weight.

    Attributes:
        cap_ml_per_h: The highest rate that may be programmed in this course.
        cap_mg_per_kg_min: The same ceiling per kilogram of this course's dosing weight.
        cap_from: Which part sets it: ``label``, ``at-risk`` or ``absolute``.
    """

    cap_ml_per_h: Decimal
    cap_mg_per_kg_min: Decimal
    cap_from: str


@frozen
class CourseView:
    """One course as the audience may see it.

    `masked` when the arm is hidden from this audience (a blinded course it is not unblinded
    for): the course is then a "study infusion". Doses are shown only with `dose_g_per_kg`.
    """

    number: int
    phase: str
    week: int
    blinded: bool
    masked: bool
    dose_g_per_kg: Decimal | None
    prescribed_g: Decimal | None
    rounded_g: Decimal | None
    days: tuple[DayView, ...]
    dispense: DispenseView | None = None
    status: str = "planned"
    moved_days: int = 0
    dosing_weight_kg: Decimal | None = None
    cap: CapView | None = None
    progress: str = "planned"
    """How far the course got: ``planned`` (no day given), ``started``, ``given`` (every day),
    ``skipped``, ``cancelled`` (never started) or ``stopped`` (cancelled after a given day)."""
    weight: CourseWeightView | None = None
    """The body weight this course was made for, with its dosing weight (roles that see
    weights): after a recorded weight change, each course has its own."""
    product: ProductView | None = None
    """The product this course is made of (roles that see the arm): after a recorded product
    change, each course has its own."""
    slow_start: tuple[SlowStartView, ...] = ()
    """Why day 1 starts slowly (empty: a routine start); the same for both arms."""


@frozen
class SlowStartView:
    """One reason a course's day 1 starts slowly.

    Attributes:
        trigger: ``naive``, ``switched`` or ``interval``.
        text: The reason in words (with product names only for roles that see the arm).
        assumed: True when it follows from what the prescription does not say.
    """

    trigger: str
    text: str
    assumed: bool


@frozen
class CourseWeightView:
    """The weights one course was made from (a weight change applies from a course on).

    Attributes:
        weight_kg: Body weight to 0.01 kg: what the nurse checks at the bedside.
        weight_input: That weight as written (e.g. ``160 lb``).
        dosing_weight_kg: The dosing weight to 0.01 kg.
        dosing_weight_basis: The formula applied (``actual``, ``ideal``, ``adjusted``).
    """

    weight_kg: Decimal
    weight_input: str
    dosing_weight_kg: Decimal
    dosing_weight_basis: str


@frozen
class WeightView:
    """The patient's weights, for roles that see them.

    Attributes:
        weight_kg: Body weight, exact (JSON keeps it).
        weight_shown_kg: The same to 0.01 kg, for display.
        dosing_weight_kg: The dosing weight to 0.01 kg.
        dosing_weight_basis: The formula applied (``actual``, ``ideal``, ``adjusted``).
        weight_input: The weight as written (e.g. ``160 lb``).
        height_cm, height_input: The height, if given.
    """

    weight_kg: Decimal
    weight_shown_kg: Decimal
    dosing_weight_kg: Decimal
    dosing_weight_basis: str
    weight_input: str
    height_cm: Decimal | None
    height_input: str | None


@frozen
class PatientView:
    """The patient, pseudonymous: the id, the zone, and the weights where the role sees them."""

    id: str
    timezone: str
    weights: WeightView | None = None


@frozen
class ArmView:
    """The trial arm, for a role that may see it.

    Attributes:
        arm: ``active``, ``placebo``, or None for a regimen with no blinded phase.
        unblinded: True when the regimen blinds other roles: outputs for this one say UNBLINDED.
    """

    arm: str | None
    unblinded: bool


@frozen
class ProductView:
    """The product, for views that may see it."""

    id: str
    name: str
    concentration_mg_per_ml: Decimal


@frozen
class Note:
    """A warning (`code`, `message`)."""

    code: str
    message: str


@frozen
class VisitView:
    """An assessment visit: week, date, what happens."""

    week: int
    date: dt.date
    name: str


@frozen
class LimitsView:
    """Which limits checked the plan."""

    name: str
    version: str
    source: str


@frozen
class PumpView:
    """The ladder and the rate ceiling every step stays under.

    Attributes:
        indication: The ladder's indication.
        cap_ml_per_h: The highest rate that may be programmed for this patient.
        cap_mg_per_kg_min: The same ceiling per kilogram.
        cap_from: Which part sets it: ``label``, ``at-risk`` or ``absolute``.
        max_rate_ml_h: The order's absolute ceiling, if any.
    """

    indication: str
    cap_ml_per_h: Decimal
    cap_mg_per_kg_min: Decimal
    cap_from: str
    max_rate_ml_h: Decimal | None


@frozen
class PlanView:
    """Everything one audience may see of a plan; every renderer reads this.

    Attributes:
        view: The audience.
        patient: The patient (pseudonymous).
        regimen_id, regimen_name: The regimen.
        product: The product, or None when the view is masked.
        arm: The arm, for a role that sees it (None: hidden).
        courses: The courses.
        warnings: The warnings this audience may see.
        visits: Assessment visits.
        overrides: Acknowledged soft limits.
        limits: Which limits checked the plan.
        trail: The calculation trail (pharmacy view only).
        pump: The ladder and rate ceiling (audiences that see the pump programme).
        changes: The recorded history, as this audience may read it.
        revision: How many changes were applied.
        start: The order's start date (the calendar's stamps are derived from it).
        prescription: What tells this prescription from another of the same patient (the
            order's id, else its start date): part of every calendar UID.
        change_dates: Each change's date, in order (for the calendar's stamps).
        product_name: The product's name for courses this audience sees unmasked (pharmacy
            and nurse); None for the others.
    """

    view: View
    patient: PatientView
    regimen_id: str
    regimen_name: str
    product: ProductView | None
    arm: ArmView | None
    courses: tuple[CourseView, ...]
    warnings: tuple[Note, ...]
    visits: tuple[VisitView, ...]
    overrides: tuple[OverrideView, ...]
    limits: LimitsView | None = None
    trail: Trail | None = None
    pump: PumpView | None = None
    product_name: str | None = None
    changes: tuple[ChangeView, ...] = ()
    revision: int = 0
    start: dt.date | None = None
    prescription: str = ""
    change_dates: tuple[dt.date, ...] = ()
    titles_name_patient: bool = False
    """The role's calendar holds many patients (a nurse's round): titles name the patient's
    pseudonym and the course·day. Decided here, by role, so no renderer names a role."""
    overbag: str | None = None
    organizer: str = ""
    format: str = FORMAT
    language: str = "en"


def _contents(contents: ProductContents | PlaceboContents, grams: Decimal) -> ContentsView:
    if isinstance(contents, PlaceboContents):
        return ContentsView(kind="placebo", solution=contents.solution, ml=tenth(contents.ml),
                            matches_g=tenth(grams))
    return ContentsView(kind="product", vials=_vials(contents))


def _vials(contents: ProductContents) -> tuple[VialView, ...]:
    return tuple(VialView(tenth(v.grams), tenth(v.ml), v.count) for v in contents.vials)


def _given(day: InfusionDay, free_text: bool) -> GivenView | None:
    if day.given is None:
        return None
    from ivig_schedule.views.recorded import given_view  # only a history records a given day

    return given_view(day.given, free_text)


def _day(day: InfusionDay, role: Role, doses: bool, free_text: bool) -> DayView:
    timed, pumped = role.times, role.pump
    return DayView(
        status=day.status, given=_given(day, free_text),
        day=day.day, date=day.date,
        start=day.start if timed else None, end=day.end if timed else None,
        arrive=day.arrive if timed else None, leave=day.leave if timed else None,
        location=day.location if timed else None,
        grams=tenth(day.grams) if doses else None,
        volume_ml=tenth(day.volume_ml) if pumped else None,
        contents=_contents(day.contents, day.grams) if doses else None,
        steps=tuple(StepView(s.rate_ml_per_h, s.minutes, tenth(s.volume_ml), at)
                    for s, at in zip(day.steps, day.step_starts, strict=True))
        if pumped else None,
        infusion_minutes=day.infusion_minutes if pumped else None,
    )


def _dispense(dispense: Dispense) -> DispenseView:
    return DispenseView(
        vials=tuple(VialView(tenth(v.grams), tenth(v.ml), v.count) for v in dispense.vials),
        bags_ml=tuple(tenth(b) for b in dispense.bags_ml), grams=tenth(dispense.grams),
        volume_ml=tenth(dispense.volume_ml))


def _progress(course: Course) -> str:
    given = sum(1 for d in course.days if d.status == "given")
    if course.status != "planned":
        return "stopped" if given else course.status
    if given:
        return "given" if given == len(course.days) else "started"
    return "planned"


def _days(course: Course, role: Role, doses: bool, free_text: bool) -> tuple[DayView, ...]:
    """The course's days as the role sees them."""
    return tuple(_day(d, role, doses, free_text) for d in course.days)


def _course(course: Course, role: Role, masked: bool, free_text: bool) -> CourseView:
    doses = role.doses and not masked
    pumped = role.pump
    return CourseView(
        number=course.number, phase=course.phase, week=course.week, blinded=course.blinded,
        masked=masked,
        dose_g_per_kg=course.dose_g_per_kg if doses else None,
        prescribed_g=tenth(course.prescribed_g) if doses else None,
        rounded_g=tenth(course.rounded_g) if doses else None,
        days=_days(course, role, doses, free_text),
        dispense=(_dispense(course.dispense) if role.dispensing and course.dispense is not None
                  else None),
        status=course.status,
        moved_days=course.moved_days,
        dosing_weight_kg=(course.dosing_weight.kg.quantize(HUNDREDTH)
                          if course.dosing_weight is not None and pumped else None),
        cap=(CapView(course.cap.cap_ml_per_h, course.cap.cap_mg_per_kg_min, course.cap.binding)
             if course.cap is not None and pumped else None),
        progress=_progress(course),
        weight=_weight(course.dosing_weight) if role.weights else None,
        product=(ProductView(course.product.id, course.product.name,
                             course.product.concentration_mg_per_ml)
                 if free_text and course.product is not None else None),
        slow_start=tuple(SlowStartView(r.trigger, (r.detail or r.text) if free_text else r.text,
                                       r.assumed) for r in course.slow_start),
    )


def _weight(weight: DosingWeight | None) -> CourseWeightView | None:
    if weight is None:
        return None
    return CourseWeightView(weight_kg=weight.weight_kg.quantize(HUNDREDTH),
                            weight_input=weight.weight_input,
                            dosing_weight_kg=weight.kg.quantize(HUNDREDTH),
                            dosing_weight_basis=weight.used)


def _changes(plan: Plan, role: Role, free_text: bool) -> tuple[ChangeView, ...]:
    if not role.history or not plan.effects:
        return ()
    from ivig_schedule.views.recorded import change_views  # only a history has changes

    return change_views(plan.effects, role.dispensing, free_text)


def _overrides(plan: Plan, arm_seen: bool) -> tuple[OverrideView, ...]:
    if not plan.overrides:
        return ()
    from ivig_schedule.views.recorded import override_views  # only accepted overrides

    return override_views(plan.overrides, arm_seen)


def _note(finding: Finding, masked: bool) -> Note:
    return Note(finding.code, finding.masked if masked and finding.masked else finding.message)


def _trail(plan: Plan) -> Trail:
    from ivig_schedule.views.trail import trail_of  # the table, explain and the sheet only

    return trail_of(plan)


def plan_view(plan: Plan, view: View, *, trail: bool = True) -> PlanView:
    """The plan as the given role may see it; `trail` False leaves out the calculation trail
    (an earlier revision's view, which only the calendar's SEQUENCE reads)."""
    rx = plan.prescription
    role = ROLES[view]
    masks = rx.regimen.masks(view)
    arm_seen = sees_arm(role, rx.regimen)
    patient = rx.patient
    product = ProductView(rx.product.id, rx.product.name,
                          rx.product.concentration_mg_per_ml) if arm_seen else None
    cap = plan.cap
    weights = WeightView(
        weight_kg=patient.weight_kg, weight_shown_kg=patient.weight_kg.quantize(HUNDREDTH),
        dosing_weight_kg=plan.dosing_weight.kg.quantize(HUNDREDTH),
        dosing_weight_basis=plan.dosing_weight.used, weight_input=patient.weight_input,
        height_cm=None if patient.height_cm is None else patient.height_cm.quantize(TENTH),
        height_input=patient.height_input) if role.weights else None
    return PlanView(
        view=view,
        patient=PatientView(id=patient.id, timezone=patient.timezone, weights=weights),
        regimen_id=rx.regimen.id,
        regimen_name=rx.regimen.name,
        product=product,
        arm=ArmView(rx.arm, rx.regimen.blinded) if arm_seen else None,
        courses=tuple(_course(c, role, c.blinded and masks, arm_seen) for c in plan.courses),
        warnings=tuple(_note(w, not arm_seen) for w in plan.warnings
                       if sees_warning(role, w.code)),
        visits=tuple(VisitView(v.week, v.date, v.name) for v in plan.visits),
        overrides=_overrides(plan, arm_seen),
        limits=None if plan.limits is None else LimitsView(
            plan.limits.name, plan.limits.version, plan.limits.origin),
        trail=_trail(plan) if role.dispensing and trail else None,
        pump=PumpView(plan.ladder.indication, cap.cap_ml_per_h, cap.cap_mg_per_kg_min,
                      cap.binding, rx.order.max_rate_ml_h) if role.pump else None,
        product_name=rx.product.name if role.doses else None,
        changes=_changes(plan, role, arm_seen),
        revision=len(plan.effects),
        start=rx.order.start,
        prescription=rx.order.identity,
        overbag=rx.regimen.overbag,
        organizer=rx.organizer or DEFAULT_ORGANIZER,
        language=rx.language or "en",
        change_dates=tuple(e.change.on for e in plan.effects),
        titles_name_patient=role.many_patients,
    )
