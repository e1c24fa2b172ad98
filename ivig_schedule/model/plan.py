"""The plan: what the engine computes from a prescription, and every output is a view of.

Frozen values only (courses, infusion days, pump steps, bags, the calculation trail, warnings).
Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ivig_schedule.model.inputs import PLACEBO_SOLUTION, Ladder, Patient, Phase, Product
from ivig_schedule.model.prescription import Prescription
from ivig_schedule.model.vocabulary import (
    CourseStatus,
    DosingWeightBasis,
    Rounding,
    SlowStartTrigger,
)

if TYPE_CHECKING:
    from ivig_schedule.model.changes import ChangeEffect, GivenChange


@frozen
class Finding:
    """A warning returned alongside a plan; the plan stands.

    Attributes:
        code: Stable machine-readable identifier, e.g. ``data.default_ladder``.
        message: One sentence for the pharmacist or nurse.
        soft: True for a soft warning: ``--strict`` refuses it unless ``--accept CODE`` names
            it with a reason. False for a note that never blocks.
        source: Why the engine warns, for the refusal line.
        masked: The message as a role the trial masks reads it: without the product's name
            (empty when `message` names nothing a masked role may not see).
    """

    code: str
    message: str
    soft: bool = False
    source: str = ""
    masked: str = ""


@frozen
class Calc:
    """One step of the calculation trail: a formula, the values put into it, and its result.

    The engine records these as it computes; ``explain`` only prints them.

    Attributes:
        name: What is computed, e.g. ``ideal body weight``.
        formula: A `str.format` template over `inputs`, e.g. ``{dose} g/kg × {weight} kg``.
        inputs: The values put into the formula, by name.
        result: The exact result.
        unit: Unit of the result.
    """

    name: str
    formula: str
    inputs: tuple[tuple[str, Decimal], ...]
    result: Decimal
    unit: str


@frozen
class RateStep:
    """One pump programme line.

    Attributes:
        rate_ml_per_h: Pump rate, rounded down to the pump's resolution.
        rate_mg_per_kg_min: The ladder rate it came from, before rounding.
        minutes: How long the rate is held; the last step runs until the bag is empty.
        volume_ml: Volume to be infused (VTBI) in this step; the steps sum to the day's volume.
        exact_ml_per_h: The rate before rounding down, kept for the calculation trail.
        programmed_mg_per_kg_min: The programmed mL/h converted back to mg/kg/min, as the
            guardrails check it.
        exact_minutes: For a step that ends when the bag is empty: its minutes before rounding up.
    """

    rate_ml_per_h: Decimal
    rate_mg_per_kg_min: Decimal
    minutes: int
    volume_ml: Decimal
    exact_ml_per_h: Decimal = attrs.field(eq=False)
    programmed_mg_per_kg_min: Decimal = attrs.field(eq=False)
    exact_minutes: Decimal | None = attrs.field(default=None, eq=False)


@frozen
class VialCount:
    """``count`` vials of ``grams`` each (``ml`` is the volume of one vial)."""

    grams: Decimal
    ml: Decimal
    count: int


@frozen
class ProductContents:
    """The bag holds product from these whole vials."""

    vials: tuple[VialCount, ...]


@frozen
class PlaceboContents:
    """The bag holds saline at the same volume the product would have had."""

    ml: Decimal
    solution: str = PLACEBO_SOLUTION


@frozen
class InfusionDay:
    """One infusion day of a course.

    Attributes:
        day: 1-based day within the course.
        date: Local calendar date.
        start: Local start of the infusion (time zone aware).
        end: Local end of the infusion: `start` plus `infusion_minutes`, in elapsed time.
        arrive: When the nurse arrives: `start` less the order's set-up minutes.
        leave: When the nurse leaves: `end` plus the observation minutes (longer after the
            plan's first infusion).
        location: ``home`` or where the protocol says, e.g. ``ward``.
        grams: Immunoglobulin grams for this day (what the active arm receives).
        volume_ml: Bag volume, the same for both arms.
        contents: What goes into the bag.
        steps: Pump programme.
        infusion_minutes: Sum of the steps' minutes.
        status: ``planned``, ``given``, ``skipped`` or ``cancelled``.
        given: The change that recorded its administration, when given.
        step_starts: The local clock time each pump step starts (elapsed time from `start`).
        observation_minutes: The observation after the infusion (`leave` is `end` plus this,
            in elapsed time).
    """

    day: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    arrive: dt.datetime
    leave: dt.datetime
    location: str
    grams: Decimal
    volume_ml: Decimal
    contents: ProductContents | PlaceboContents
    steps: tuple[RateStep, ...]
    infusion_minutes: int
    status: CourseStatus = "planned"
    given: GivenChange | None = None
    step_starts: tuple[dt.datetime, ...] = ()
    observation_minutes: int = 0


@frozen
class RoundingTrail:
    """How the prescribed course grams became a whole-vial total.

    Attributes:
        method: The order's rounding.
        grain_g: Largest step dividing every vial size (0.1 g for rounding ``none``).
        below_g: Largest whole-vial total at or below the prescription (None: none exists).
        above_g: Smallest whole-vial total above it.
        fell_back: True when rounding ``down`` found no whole vial at or below the dose and the
            course was rounded up instead (a limit refuses such a plan).
        policy_step_g: The dosing policy's rounding step (Ontario: 5 g), when it has one.
        policy_g: The prescribed dose rounded to that step, before the vials.
    """

    method: Rounding
    grain_g: Decimal
    below_g: Decimal | None
    above_g: Decimal
    fell_back: bool = False
    policy_step_g: Decimal | None = None
    policy_g: Decimal | None = None


@frozen
class Dispense:
    """What the pharmacy dispenses for one course.

    Attributes:
        vials: Product vials by size, summed over the course's days (empty for placebo).
        bags_ml: For placebo: one bag of 0.9% sodium chloride per day, at these volumes.
        grams: Immunoglobulin grams (for placebo, the grams the bags are matched to).
        volume_ml: Total volume of the course.
    """

    vials: tuple[VialCount, ...]
    bags_ml: tuple[Decimal, ...]
    grams: Decimal
    volume_ml: Decimal


@frozen
class SlowStartReason:
    """One reason a course's day 1 starts slowly, judged on the course as it will be given.

    Attributes:
        trigger: ``naive``, ``switched`` or ``interval``.
        text: The fact in words, without the product's name (masked roles read it).
        detail: The same with the product names, for roles that see the arm.
        assumed: True when it follows from what the prescription does not say (no exposure
            history), not from a recorded fact.
    """

    trigger: SlowStartTrigger
    text: str
    detail: str = ""
    assumed: bool = False


@frozen
class Course:
    """One course: a phase's dose split over consecutive days.

    Attributes:
        number: 1-based course number in the plan.
        phase: Phase name.
        week: Week of the first day, counted from the start date.
        blinded: True when the course is blinded against placebo.
        dose_g_per_kg: Phase dose.
        prescribed_g: Dose per kg times dosing weight, before rounding.
        rounded_g: Course total after vial rounding; the days sum to it.
        days: Infusion days.
        rounding: How `rounded_g` was reached.
        dispense: What to dispense for the whole course.
        status: ``planned``, ``skipped`` or ``cancelled`` (a history's doing).
        moved_days: Days it was moved from its scheduled week (delays, closed days).
        dosing_weight: The weight this course was computed for (a weight change applies from a
            course on).
        cap: The rate ceiling for this course's weight.
        first_infusion_exceeds: True when the regimen's fixed first infusion is larger than the
            whole course (a limit refuses such a plan; the course is then the first infusion).
        product: The product this course is made of (a product change applies from a course
            on); None in values built before the course was computed.
        slow_start: Why day 1 starts slowly (new to immunoglobulin, a switch, a long interval),
            one `SlowStartReason` each; empty for a routine start.
    """

    number: int
    phase: str
    week: int
    blinded: bool
    dose_g_per_kg: Decimal
    prescribed_g: Decimal
    rounded_g: Decimal
    days: tuple[InfusionDay, ...]
    rounding: RoundingTrail
    dispense: Dispense | None = None
    status: CourseStatus = "planned"
    moved_days: int = 0
    dosing_weight: DosingWeight | None = None
    cap: RateCap | None = None
    first_infusion_exceeds: bool = False
    product: Product | None = None
    slow_start: tuple[SlowStartReason, ...] = ()

    @property
    def rounding_deviation_percent(self) -> Decimal:
        """How far vial rounding moved the course dose from the prescription, in percent."""
        return abs(self.rounded_g - self.prescribed_g) / self.prescribed_g * 100


@frozen
class Override:
    """A soft limit the pharmacist acknowledged, with the reason that travels with the plan.

    Attributes:
        rule: Rule id, e.g. ``weight.range``.
        value: The value that crossed it, with its unit.
        limit: The soft limit, with its unit.
        reason: Why it is acceptable, as the pharmacist wrote it.
    """

    rule: str
    value: str
    limit: str
    reason: str


@frozen
class LimitsUsed:
    """Which limits file checked the plan: ``origin`` is ``built-in`` or the file path."""

    name: str
    version: str
    origin: str


@frozen
class VisitDay:
    """An assessment visit placed on the calendar.

    Attributes:
        week: Week counted from the start date.
        date: First day of that week.
        name: What happens at the visit.
    """

    week: int
    date: dt.date
    name: str


@frozen
class DosingWeight:
    """The weight the doses and rates use, and how it was reached.

    Attributes:
        kg: Dosing weight in kilograms, at full precision (never above the actual weight).
        basis: The basis that was asked for.
        used: The formula actually applied (``auto`` resolves to ``actual`` or ``adjusted``).
        ideal_kg: Devine ideal body weight, when height and sex were known.
        bmi_kg_per_m2: Body-mass index, when the height was known.
        reason: Which rule chose the formula, in words.
        trail: The formulas applied, in order.
        fallback: Why the basis asked for could not be applied and the actual weight was
            used (a height below 152.4 cm, where the Devine formula does not apply); empty when
            it was applied. It is a soft warning.
        weight_kg: The actual body weight it was made from (a weight change applies from a
            course on, so each course has its own).
        weight_input: That body weight as written (e.g. ``160 lb``).
        policy: The dosing policy that chose the formula (empty: the order's basis).
        excluded: The policy's exclusion that made it the actual weight, in words (empty when
            none applied).
        opted_out: True when the order opted out of the policy (``dosing_weight = "actual"``).
    """

    kg: Decimal
    basis: DosingWeightBasis
    used: DosingWeightBasis
    weight_kg: Decimal
    weight_input: str
    ideal_kg: Decimal | None = None
    bmi_kg_per_m2: Decimal | None = None
    reason: str = ""
    trail: tuple[Calc, ...] = ()
    fallback: str = ""
    policy: str = ""
    excluded: str = ""
    opted_out: bool = False


@frozen
class RateCap:
    """The ceiling every pump step is held under, and where each part of it comes from.

    Attributes:
        label_mg_per_kg_min: The ladder's maximum, converted to mg/kg/min.
        at_risk_mg_per_kg_min: The product's at-risk maximum when the patient has a risk factor.
        absolute_ml_per_h: The order's absolute ceiling in mL/h, if any.
        absolute_mg_per_kg_min: That ceiling converted for this patient.
        cap_mg_per_kg_min: The lowest of them: the ceiling applied.
        cap_ml_per_h: The ceiling for this patient in mL/h, rounded down to the pump's
            resolution (the highest rate that may be programmed).
        binding: Which part sets the cap: ``label``, ``at-risk`` or ``absolute``.
        exclusive: True when rates must stay below the cap, not reach it (a "less than" label).
    """

    label_mg_per_kg_min: Decimal
    at_risk_mg_per_kg_min: Decimal | None
    cap_mg_per_kg_min: Decimal
    cap_ml_per_h: Decimal = Decimal(0)
    absolute_ml_per_h: Decimal | None = None
    absolute_mg_per_kg_min: Decimal | None = None
    binding: str = "label"
    exclusive: bool = False


@frozen
class Plan:
    """The single source of truth every output is a view of.

    Attributes:
        prescription: The validated input.
        dosing_weight: Weight the doses and rates use, with how it was reached.
        ladder: The titration ladder used.
        ladder_reason: Why that ladder, in words.
        cap: The rate ceiling applied to every step, with its parts.
        courses: Courses in date order.
        warnings: Findings that do not stop the plan.
        visits: Assessment visits named by the regimen, in date order.
        overrides: Soft limits acknowledged with a reason.
        limits: The limits file that checked the plan (None: not checked).
        effects: What each recorded change did, in order (the revision is their count).
    """

    prescription: Prescription
    dosing_weight: DosingWeight
    ladder: Ladder
    ladder_reason: str
    cap: RateCap
    courses: tuple[Course, ...]
    warnings: tuple[Finding, ...] = ()
    visits: tuple[VisitDay, ...] = ()
    overrides: tuple[Override, ...] = ()
    limits: LimitsUsed | None = None
    effects: tuple[ChangeEffect, ...] = ()

    @property
    def cap_mg_per_kg_min(self) -> Decimal:
        """The rate ceiling applied to every step, in mg/kg/min."""
        return self.cap.cap_mg_per_kg_min


@frozen
class Slot:
    """One course as the history leaves it, before it is computed.

    Attributes:
        number: The course's ordinal (stable through changes).
        phase: The phase it belongs to (with the dose it is given at).
        week: The regimen week it is scheduled for.
        shift_days: Days it was delayed by.
        days: Days per course fixed by a change (None: as ordered).
        patient: The patient as of this course (a weight change applies from a course on).
        status: ``planned``, ``skipped`` or ``cancelled``.
        product: The product as of this course (a product change applies from a course on);
            None: the prescription's.
    """

    number: int
    phase: Phase
    week: int
    shift_days: int = 0
    days: int | None = None
    patient: Patient | None = None
    status: CourseStatus = "planned"
    product: Product | None = None


@frozen
class History:
    """The slots after applying the first `revision` changes, and what each change did."""

    slots: tuple[Slot, ...]
    effects: tuple[ChangeEffect, ...]
    given: tuple[tuple[int, int, GivenChange], ...]  # (course, day, the given change)

    @property
    def revision(self) -> int:
        """How many changes were applied."""
        return len(self.effects)
