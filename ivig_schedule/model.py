"""Frozen value types shared by the engine, the catalog and the renderers.

Every dose, volume and rate is a `Decimal` and names its unit. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import attrs

Sex = Literal["female", "male"]
RiskFactor = Literal["thrombosis", "renal"]
DosingWeightBasis = Literal["actual", "ideal", "adjusted", "auto"]
Rounding = Literal["nearest-vial", "down", "none"]
Arm = Literal["active", "placebo"]
RateUnit = Literal["mg/kg/min", "mL/kg/min", "mL/kg/h"]
View = Literal["pharmacy", "nurse", "patient", "assessor"]

SEXES: tuple[Sex, ...] = ("female", "male")
RISK_FACTORS: tuple[RiskFactor, ...] = ("thrombosis", "renal")
DOSING_WEIGHT_BASES: tuple[DosingWeightBasis, ...] = ("actual", "ideal", "adjusted", "auto")
ROUNDINGS: tuple[Rounding, ...] = ("nearest-vial", "down", "none")
ARMS: tuple[Arm, ...] = ("active", "placebo")
RATE_UNITS: tuple[RateUnit, ...] = ("mg/kg/min", "mL/kg/min", "mL/kg/h")
VIEWS: tuple[View, ...] = ("pharmacy", "nurse", "patient", "assessor")
ChangeKind = Literal["delay", "skip", "weight", "dose", "days", "response", "stop", "given"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("delay", "skip", "weight", "dose", "days", "response",
                                         "stop", "given")
Status = Literal["planned", "given", "cancelled", "skipped"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDICATIONS = {
    "pi": "primary immunodeficiency",
    "itp": "immune thrombocytopenia",
    "cidp": "chronic inflammatory demyelinating polyneuropathy",
    "mmn": "multifocal motor neuropathy",
    "dermatomyositis": "dermatomyositis",
    "imnm": "immune-mediated necrotizing myopathy",
    "iim": "idiopathic inflammatory myopathy",
}
"""Indications a ladder or a regimen may name (ids as written in the data files)."""

PLACEBO_SOLUTION = "sodium chloride 0.9%"
MAX_COURSES = 100
"""Input bound: most courses one plan may hold (about eight years of three-weekly courses)."""
MAX_WEEK = 1000
"""Input bound: latest course or visit week accepted (about 19 years after the start)."""
DEFAULT_MASKING_SOURCE = "project default: only the pharmacy is unblinded"
ANY_INDICATION = "any"
"""The indication of a local protocol's single ladder: it applies to every indication."""


@attrs.frozen
class Patient:
    """The person the plan is for, identified only by a pseudonymous id.

    Attributes:
        id: Pseudonymous identifier; never a name.
        weight_kg: Actual body weight in kilograms.
        height_cm: Height in centimetres; needed for ideal, adjusted and auto dosing weight.
        sex: Needed for the Devine ideal body weight.
        timezone: IANA zone of the patient's home; infusion times are local to it.
        risk_factors: Thrombosis or renal risk; lowers the rate cap where the label gives one.
        weight_input: The weight as written (e.g. ``160 lb``), shown beside the kilograms.
        height_input: The height as written (e.g. ``5 ft 9 in``).
        weight_lb: The weight in pounds, when it was written in pounds.
        timezone_given: False when the zone was assumed (the machine's), not written.
    """

    id: str
    weight_kg: Decimal
    timezone: str
    height_cm: Decimal | None = None
    sex: Sex | None = None
    risk_factors: tuple[RiskFactor, ...] = ()
    weight_input: str = ""
    height_input: str | None = None
    weight_lb: Decimal | None = None
    timezone_given: bool = True


@attrs.frozen
class Ladder:
    """A titration ladder in the label's own unit.

    Attributes:
        indication: Which indication it is for (`INDICATIONS`), or ``any`` for a local
            protocol's single ladder.
        rate_unit: Unit of `titration` and `max_rate`, as the label writes it.
        titration: One rate per step, ascending.
        step_minutes: How long each step but the last is held.
        max_rate: The label's ceiling for this indication.
        default_doubling: True when the label gave only an initial and a maximum rate and the
            steps were made by doubling; every plan that uses it carries a warning.
        source: Where the numbers come from.
    """

    indication: str
    rate_unit: RateUnit
    titration: tuple[Decimal, ...]
    step_minutes: int
    max_rate: Decimal
    source: str
    default_doubling: bool = False


@attrs.frozen
class Product:
    """An IVIg product as the pharmacy stocks it.

    Fields the public sources could not confirm are ``None``; planning with them fails and asks
    for a local ``[product]`` table.

    Attributes:
        id: Catalog id, e.g. ``octagam-10``.
        name: Display name.
        concentration_mg_per_ml: Immunoglobulin concentration.
        vials_g: Vial sizes in grams, largest first.
        ladders: Titration ladders, one per indication.
        at_risk_max_rate: Lower ceiling, in `at_risk_rate_unit`, for patients with a risk factor.
        at_risk_rate_unit: Unit of `at_risk_max_rate`.
        at_risk_exclusive: True when the label says "less than": rates stay below the value.
        source: Where the entry's numbers come from.
        verified: False when a field could not be confirmed from a readable source.
        local: True for an inline ``[product]`` table from the prescription.
    """

    id: str
    name: str
    concentration_mg_per_ml: Decimal
    source: str
    verified: bool
    vials_g: tuple[Decimal, ...] | None = None
    ladders: tuple[Ladder, ...] = ()
    at_risk_max_rate: Decimal | None = None
    at_risk_rate_unit: RateUnit = "mg/kg/min"
    at_risk_exclusive: bool = False
    local: bool = False

    def ladder_for(self, indication: str | None) -> Ladder | None:
        """The ladder for `indication` (a local protocol's ``any`` ladder fits every one)."""
        for ladder in self.ladders:
            if ladder.indication in (indication, ANY_INDICATION):
                return ladder
        return None

    def missing_fields(self) -> tuple[str, ...]:
        """Names of the fields a plan needs but this entry lacks."""
        missing: list[str] = []
        if not self.vials_g:
            missing.append("vials_g")
        if not self.ladders:
            missing.extend(["titration", "step_minutes", "max_rate"])
        return tuple(missing)


@attrs.frozen
class Phase:
    """One phase of a regimen: a dose repeated at given weeks.

    Attributes:
        name: e.g. ``loading`` or ``maintenance``.
        dose_g_per_kg: Course dose per kilogram of dosing weight.
        days_min: Fewest consecutive days a course may be split over.
        days_max: Most consecutive days a course may be split over.
        weeks: Explicit course weeks, counted from the start date; or ``None``.
        every_weeks: Interval between courses when `weeks` is not given.
        count: Number of courses when `weeks` is not given.
        start_week: First course week; default is `every_weeks` after the previous phase.
        blinded: True when the trial blinds this phase against saline placebo.
        scheduled: False for a phase reached only through a response rule.
    """

    name: str
    dose_g_per_kg: Decimal
    days_min: int
    days_max: int
    blinded: bool = False
    weeks: tuple[int, ...] | None = None
    every_weeks: int | None = None
    count: int | None = None
    start_week: int | None = None
    scheduled: bool = True


@attrs.frozen
class ResponseRule:
    """A regimen's rule on a recorded response, e.g. Lim 2021: TIS < 40 at week 4 → 2 g/kg q4w.

    Attributes:
        measure: What is compared (``tis``).
        operator: ``<``, ``<=``, ``>`` or ``>=``.
        threshold: The number it is compared with.
        at_week: The week the response is assessed.
        switch_to: The unscheduled phase that replaces the remaining courses when it fires.
        first_course: When the new phase starts (``next-scheduled``).
        source: Where the rule comes from.
        verified: False when part of it is a project choice.
    """

    measure: str
    operator: str
    threshold: Decimal
    at_week: int
    switch_to: str
    first_course: str
    source: str
    verified: bool = True

    @property
    def when(self) -> str:
        """The rule's condition as written, e.g. ``tis < 40``."""
        return f"{self.measure} {self.operator} {self.threshold}"


@attrs.frozen
class Visit:
    """An assessment visit named by a regimen (an all-day calendar item, not an infusion).

    Attributes:
        week: Week counted from the start date; the visit falls on that week's first day.
        name: What happens, e.g. ``primary endpoint (TIS)``.
        source: Where the visit schedule comes from.
        window_days: Days either side the visit may move to reach an open day (None: fixed).
    """

    week: int
    name: str
    source: str
    window_days: int | None = None


@attrs.frozen
class Regimen:
    """A dosing regimen or trial preset.

    Attributes:
        id: Catalog id, e.g. ``proderm``.
        name: Display name.
        phases: Phases in order.
        source: Where the regimen comes from.
        verified: False when part of it comes from one unconfirmed document.
        product: Product id the trial used, used when the order names none.
        indication: Ladder indication to use when the order names none.
        max_weight_kg: Eligibility limit; heavier patients are refused.
        first_infusion_g: Grams of course 1 day 1 when the protocol fixes them.
        first_infusion_location: Where that first infusion happens.
        visits: Assessment visits to put in the calendar.
        notes: Caveats for the pharmacist.
        unblinded: Roles that may see the arm; every other role's output is arm-independent.
        masking_source: Where `unblinded` comes from.
        rules: Response rules.
    """

    id: str
    name: str
    phases: tuple[Phase, ...]
    source: str
    verified: bool = True
    product: str | None = None
    indication: str | None = None
    max_weight_kg: Decimal | None = None
    first_infusion_g: Decimal | None = None
    first_infusion_location: str | None = None
    visits: tuple[Visit, ...] = ()
    notes: str = ""
    unblinded: tuple[str, ...] = ("pharmacy",)
    masking_source: str = DEFAULT_MASKING_SOURCE
    rules: tuple[ResponseRule, ...] = ()

    @property
    def blinded(self) -> bool:
        """True when any phase is blinded."""
        return any(p.blinded for p in self.phases)

    def masks(self, view: str) -> bool:
        """True when `view` must not learn the arm of this regimen's blinded courses."""
        return self.blinded and view not in self.unblinded


@attrs.frozen
class Order:
    """How the pharmacy wants the regimen planned.

    Attributes:
        start: First infusion day (week 0).
        start_time: Local clock time of each infusion day.
        indication: Picks the product's ladder; ``None`` uses the regimen's or the default.
        days_per_course: Days for every phase, a mapping by phase name, or ``None`` (rule h).
        dosing_weight: Which weight the dose and rates use.
        rounding: How the course grams become whole vials.
        pump_resolution_ml_h: Programmable increment of the pump; rates round down to it.
        max_infusion_hours: Longest acceptable infusion per day, used to choose the days.
        max_rate_ml_h: An absolute pump-rate ceiling (a home-care protocol's), or None.
        courses: Overrides the count of "every N weeks" phases.
        setup_minutes: Calendar time before the infusion starts (line, checks).
        observation_minutes: Calendar time after the infusion ends.
        first_observation_minutes: Observation after the very first infusion of the plan.
        closed_weekdays: Weekdays (0 Monday … 6 Sunday) no infusion may fall on.
        holidays: A country code (e.g. ``NL``) whose public holidays are closed days.
        closed_dates: Further closed dates.
    """

    start: dt.date
    start_time: dt.time = dt.time(9, 0)
    indication: str | None = None
    days_per_course: int | tuple[tuple[str, int], ...] | None = None
    dosing_weight: DosingWeightBasis = "actual"
    rounding: Rounding = "nearest-vial"
    pump_resolution_ml_h: Decimal = Decimal("0.1")
    max_infusion_hours: Decimal = Decimal(6)
    max_rate_ml_h: Decimal | None = None
    courses: int | None = None
    setup_minutes: int = 15
    observation_minutes: int = 30
    first_observation_minutes: int = 60
    closed_weekdays: tuple[int, ...] = ()
    holidays: str | None = None
    closed_dates: tuple[dt.date, ...] = ()


@attrs.frozen
class TisInput:
    """The six core set measures' percent improvement (negative = worsening)."""

    physician_global: Decimal
    patient_global: Decimal
    mmt: Decimal
    haq: Decimal
    enzyme: Decimal
    extramuscular: Decimal


@attrs.frozen
class Change:
    """One recorded change to a course, as written in the prescription's ``[[change]]`` history.

    Attributes:
        index: Position in the history (0-based), for field paths like ``change[2].course``.
        on: The date it was decided.
        kind: What changed.
        reason: Why, in the pharmacist's words.
        course: The course it concerns (delay, skip, given).
        days: Days of delay.
        shift_following: Whether later courses move with a delayed one.
        from_course: The first course it applies to (weight, dose, days, stop).
        weight_kg, weight_input, weight_lb: A new weight (as for the patient).
        dose_g_per_kg: A new dose per course.
        days_per_course: A new number of days per course.
        week: The week a response was assessed.
        tis: The Total Improvement Score, given or computed from `tis_input`.
        tis_input: The six percent improvements the score was computed from, if given.
        day: The infusion day given.
        lot, expiry, note: What was recorded with an administration.
    """

    index: int
    on: dt.date
    kind: ChangeKind
    reason: str
    course: int | None = None
    days: int | None = None
    shift_following: bool = True
    from_course: int | None = None
    weight_kg: Decimal | None = None
    weight_input: str | None = None
    weight_lb: Decimal | None = None
    dose_g_per_kg: Decimal | None = None
    days_per_course: int | None = None
    week: int | None = None
    tis: Decimal | None = None
    tis_input: TisInput | None = None
    day: int | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    note: str | None = None

    @property
    def path(self) -> str:
        """The change's field path, e.g. ``change[2]``."""
        return f"change[{self.index}]"


@attrs.frozen
class Prescription:
    """Everything the engine needs, validated, with catalog entries resolved.

    Attributes:
        changes: The recorded history, applied in order.
        nurse: The nurse who visits (``[care] nurse``), for rosters.
    """

    patient: Patient
    order: Order
    product: Product
    regimen: Regimen
    arm: Arm | None = None
    changes: tuple[Change, ...] = ()
    nurse: str | None = None


# --- the plan -------------------------------------------------------------------------


@attrs.frozen
class Finding:
    """A warning returned alongside a plan; the plan stands.

    Attributes:
        code: Stable machine-readable identifier, e.g. ``data.default_ladder``.
        message: One sentence for the pharmacist or nurse.
        soft: True for a soft warning: ``--strict`` refuses it unless ``--accept CODE`` names
            it with a reason. False for a note that never blocks.
        source: Why the engine warns, for the refusal line.
    """

    code: str
    message: str
    soft: bool = False
    source: str = ""


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class VialCount:
    """``count`` vials of ``grams`` each (``ml`` is the volume of one vial)."""

    grams: Decimal
    ml: Decimal
    count: int


@attrs.frozen
class ProductContents:
    """The bag holds product from these whole vials."""

    vials: tuple[VialCount, ...]


@attrs.frozen
class PlaceboContents:
    """The bag holds saline at the same volume the product would have had."""

    ml: Decimal
    solution: str = PLACEBO_SOLUTION


@attrs.frozen
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
    status: Status = "planned"
    given: Change | None = None
    step_starts: tuple[dt.datetime, ...] = ()


@attrs.frozen
class RoundingTrail:
    """How the prescribed course grams became a whole-vial total.

    Attributes:
        method: The order's rounding.
        grain_g: Largest step dividing every vial size (0.1 g for rounding ``none``).
        below_g: Largest whole-vial total at or below the prescription (None: none exists).
        above_g: Smallest whole-vial total above it.
    """

    method: Rounding
    grain_g: Decimal
    below_g: Decimal | None
    above_g: Decimal


@attrs.frozen
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


@attrs.frozen
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
    status: Status = "planned"
    moved_days: int = 0
    dosing_weight: DosingWeight | None = None
    cap: RateCap | None = None

    @property
    def rounding_deviation_percent(self) -> Decimal:
        """How far vial rounding moved the course dose from the prescription, in percent."""
        return abs(self.rounded_g - self.prescribed_g) / self.prescribed_g * 100


@attrs.frozen
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


@attrs.frozen
class LimitsUsed:
    """Which limits file checked the plan: ``origin`` is ``built-in`` or the file path."""

    name: str
    version: str
    origin: str


@attrs.frozen
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


@attrs.frozen
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
        fallback: Why ``auto`` used the actual weight although the patient is obese (empty
            when it did not).
    """

    kg: Decimal
    basis: DosingWeightBasis
    used: DosingWeightBasis
    ideal_kg: Decimal | None = None
    bmi_kg_per_m2: Decimal | None = None
    reason: str = ""
    trail: tuple[Calc, ...] = ()
    fallback: str = ""


@attrs.frozen
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


@attrs.frozen
class ChangeEffect:
    """What one recorded change did.

    Attributes:
        change: The change as recorded.
        text: Its effect in full (pharmacy).
        schedule: Its effect on dates only (every audience).
        courses: The course numbers it altered.
        fired: The response rule that fired, in words (empty when none did).
    """

    change: Change
    text: str
    schedule: str
    courses: tuple[int, ...] = ()
    fired: str = ""


@attrs.frozen
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
