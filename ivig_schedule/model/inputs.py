"""Frozen value types for the inputs: patients, products, regimens, orders, changes.

The computed plan is in `ivig_schedule.plan`.

Every dose, volume and rate is a `Decimal` and names its unit. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from attrs import frozen

from ivig_schedule.model.units import MINUTES_PER_HOUR
from ivig_schedule.model.vocabulary import (
    DosingWeightBasis,
    PolicyWeight,
    RateUnit,
    RiskFactor,
    Rounding,
    Sex,
    SlowStartTrigger,
)

PLACEBO_SOLUTION = "sodium chloride 0.9%"
MAX_COURSES = 100
"""Input bound: most courses one plan may hold (about eight years of three-weekly courses)."""
MAX_WEEK = 1000
"""Input bound: latest course or visit week accepted (about 19 years after the start)."""
DEFAULT_MASKING_SOURCE = "project default: only the pharmacy is unblinded"
ANY_INDICATION = "any"
"""The indication of a local protocol's single ladder: it applies to every indication."""


@frozen
class IgHistory:
    """What the patient brings: their past exposure to immunoglobulin (``[patient] ig_history``).

    Attributes:
        naive: True when the patient has never had immunoglobulin; None when not said.
        last_infusion: The date of the last infusion before this plan, when known.
        last_product: The product of that infusion (a catalog id or a name), when known.
    """

    naive: bool | None = None
    last_infusion: dt.date | None = None
    last_product: str | None = None


@frozen
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
        birth_date: For a dosing policy's age exclusion (age on each course's first day).
        pregnant: For a dosing policy's pregnancy exclusion.
        ig_history: Past exposure to immunoglobulin; None when the prescription does not say
            (the plan's first infusion is then treated as a first exposure).
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
    birth_date: dt.date | None = None
    pregnant: bool = False
    ig_history: IgHistory | None = None


def to_mg_per_kg_min(rate: Decimal, unit: RateUnit, concentration_mg_per_ml: Decimal) -> Decimal:
    """A label rate in mg/kg/min (mL/kg/min × mg/mL; mL/kg/h ÷ 60 × mg/mL): the label's own
    figure in the unit every limit compares."""
    if unit == "mg/kg/min":
        return rate
    if unit == "mL/kg/min":
        return rate * concentration_mg_per_ml
    return rate * concentration_mg_per_ml / MINUTES_PER_HOUR


@frozen
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

    def maximum_mg_per_kg_min(self, concentration_mg_per_ml: Decimal) -> Decimal:
        """The ladder's maximum rate in mg/kg/min."""
        return to_mg_per_kg_min(self.max_rate, self.rate_unit, concentration_mg_per_ml)


@frozen
class SlowStart:
    """What a label asks for when an infusion starts a patient's exposure again (exposure.toml).

    Attributes:
        triggers: Which facts call for it: ``naive``, ``switched``, ``interval``.
        observation_minutes: Observation after such an infusion (the label's first hour).
        interval_weeks: More weeks than this since the last infusion is a long interval.
        interval_source: Where that number comes from (a project default says so).
        routine_observation_minutes: The label's minimum observation after every other
            infusion, where the label gives one; None where it does not.
        routine_source: Where that minimum comes from.
        initial_rate_source: What the label says of the starting rate after a switch.
        source: Where the triggers and the observation come from.
        verified: False when part of it could not be confirmed.
    """

    triggers: tuple[SlowStartTrigger, ...]
    observation_minutes: int
    interval_weeks: int
    interval_source: str
    source: str
    routine_observation_minutes: int | None = None
    routine_source: str = ""
    initial_rate_source: str = ""
    verified: bool = True


@frozen
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
        slow_start: The label's slow start after a first exposure, a switch or a long interval.
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
    slow_start: SlowStart | None = None

    def ladder_for(self, indication: str | None) -> Ladder | None:
        """The ladder for `indication` (a local protocol's ``any`` ladder fits every one)."""
        for ladder in self.ladders:
            if ladder.indication in (indication, ANY_INDICATION):
                return ladder
        return None

    def slowest_ladder(self) -> Ladder:
        """The ladder with the lowest maximum; on a tie, the gentler start, then the name: the
        one used when no ladder fits the order's indication (never a faster one)."""
        concentration = self.concentration_mg_per_ml
        return min(self.ladders, key=lambda lad: (
            lad.maximum_mg_per_kg_min(concentration),
            tuple(to_mg_per_kg_min(r, lad.rate_unit, concentration) for r in lad.titration),
            lad.indication))

    def missing_fields(self) -> tuple[str, ...]:
        """Names of the fields a plan needs but this entry lacks."""
        missing: list[str] = []
        if not self.vials_g:
            missing.append("vials_g")
        if not self.ladders:
            missing.extend(["titration", "step_minutes", "max_rate"])
        return tuple(missing)


@frozen
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


@frozen
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


@frozen
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


@frozen
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
        overbag: What the protocol puts the study bag in (e.g. an opaque over-bag), when it
            asks for one; none of the shipped protocols' sources does.
        exclude_bmi_from: Eligibility: a BMI (kg/m²) at or above this excludes the patient.
        eligibility_source: Where that exclusion comes from.
        trial_code: The trial's reference code for blinded bag labels (a registry number).
        trial_code_source: Where that code comes from.
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
    overbag: str | None = None
    exclude_bmi_from: Decimal | None = None
    eligibility_source: str = ""
    trial_code: str | None = None
    trial_code_source: str = ""

    @property
    def blinded(self) -> bool:
        """True when any phase is blinded."""
        return any(p.blinded for p in self.phases)

    def masks(self, view: str) -> bool:
        """True when `view` must not learn the arm of this regimen's blinded courses."""
        return self.blinded and view not in self.unblinded


@frozen
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
        id: The pharmacy's own id for this prescription (``[order] id``), if it sets one.
        dosing_policy: The national or local dosing-weight policy (``[order] dosing_policy``,
            else ``[care] dosing_policy``), or None.
        dosing_weight_given: True when ``[order] dosing_weight`` was written (under a policy,
            ``actual`` written out is an opt-out).
        long_interval_weeks: The protocol's long interval since the last infusion, in weeks,
            when it sets one (else the product's, exposure.toml).
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
    id: str | None = None
    dosing_policy: str | None = None
    dosing_weight_given: bool = False
    long_interval_weeks: int | None = None

    @property
    def identity(self) -> str:
        """What tells this prescription from another one of the same patient: the pharmacy's
        order id, else the start date (which no recorded change alters)."""
        return self.id or self.start.isoformat()


TRAVEL_MINUTES = 30
"""Minutes a nurse needs between two visits when the prescription does not say (a project
default, not a clinical figure): visits closer than this are a clash."""


@frozen
class DosingPolicy:
    """A national or local rule for the dosing weight (policies.toml).

    Attributes:
        id, name: The policy's id (``dosing_policy = "au-nba-2026"``) and display name.
        weight: ``actual``; ``adjusted`` for every patient not excluded; ``adjusted-above-bmi``
            when BMI is above `bmi_above`; ``adjusted-above-ibw-percent`` when the actual weight
            is above `ibw_percent_above` percent of the ideal weight.
        adjusted_factor: Adjusted = IBW + factor × (actual − IBW).
        bmi_above, ibw_percent_above: The thresholds of the two conditional rules.
        min_age_years: Younger patients use the actual weight (age on the course's first day).
        min_height_cm: Shorter patients use the actual weight.
        min_weight_kg: (sex, kg): at or below this weight the actual weight is used.
        exclude_pregnant: Pregnant patients use the actual weight.
        pregnancy_note: What the policy says of pregnancy when it does not exclude it.
        round_to_g: The course dose is rounded to the nearest multiple of this (e.g. 5 g).
        opt_out: What an opt-out (``dosing_weight = "actual"`` under the policy) needs.
        source: Where the policy comes from.
        verified: False when part of it could not be confirmed.
        notes: Caveats for the pharmacist.
    """

    id: str
    name: str
    weight: PolicyWeight
    source: str
    verified: bool
    adjusted_factor: Decimal | None = None
    bmi_above: Decimal | None = None
    ibw_percent_above: Decimal | None = None
    min_age_years: int | None = None
    min_height_cm: Decimal | None = None
    min_weight_kg: tuple[tuple[str, Decimal], ...] = ()
    exclude_pregnant: bool = False
    pregnancy_note: str = ""
    round_to_g: Decimal | None = None
    opt_out: str = ""
    notes: str = ""
