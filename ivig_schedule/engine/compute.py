"""Prescription → Plan. Pure: no I/O, no clock, no randomness, and no safety decisions.

The whole calculation runs the same way for both arms of a blinded course; only the contents of
the bag differ (product vials, or saline at the same volume). Every choice is recorded on the plan
(the calculation trail), so that ``explain`` prints it and never recomputes it.

The engine never refuses a plan for safety: a plan that breaks a limit (a fixed first infusion
larger than its course, rounding down below the smallest vial, courses too close together) is
computed as far as it can be and marked, and the limits in ``limits.toml`` refuse it. Only input
that cannot be planned at all (no day count whose days fit in a day, a split whole vials cannot
make) is an input error.

Each course is computed from its own slot (its phase, dose, week, delays, body weight and
given days) and nothing else, so a course whose slot did not change between two revisions of the
history is the same value and is reused from `Cache` instead of being computed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ivig_schedule.engine import history as history_module
from ivig_schedule.engine import pump, schedule
from ivig_schedule.engine.dosing import (
    UNROUNDED_STEP_G,
    VialSet,
    age_years,
    dispense,
    dosing_weight,
    policy_round,
    policy_weight,
    prescribed_grams,
    round_course,
    split_days,
    volume_ml,
)
from ivig_schedule.engine.exposure import (
    HOME,
    exposure,
    exposure_notes,
    slow_start_notes,
    slow_starts,
)
from ivig_schedule.engine.schedule import TimeShift
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import Ladder, Patient, Phase, Product
from ivig_schedule.model.plan import (
    Course,
    DosingWeight,
    Finding,
    History,
    InfusionDay,
    PlaceboContents,
    Plan,
    ProductContents,
    RateCap,
    RateStep,
    Slot,
    SlowStartReason,
)
from ivig_schedule.model.prescription import Prescription
from ivig_schedule.model.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, hours_and_minutes

if TYPE_CHECKING:
    from ivig_schedule.model.changes import GivenChange

MAX_COURSE_G = Decimal(10_000)
"""Capacity bound, not a clinical limit: no course reaches 10 kg of immunoglobulin (the
clinical limit is dose.course_max in limits.toml)."""
FIXED_OFFSET_ZONES = frozenset({
    "UTC", "GMT", "EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT", "CET", "MET",
    "EET", "WET", "UCT", "Universal", "Zulu", "Greenwich", "GMT0", "GMT+0", "GMT-0",
})
Judge = Callable[[Course], tuple[int, int]]
"""Counts a candidate course's (hard, soft) limit breaches; rule h avoids them."""
JudgeFactory = Callable[[str], Judge]
"""Makes a `Judge` for the plan's ladder indication (the rules' scope depends on it)."""
Givens = tuple[tuple[int, "GivenChange"], ...]
"""A course's given days: (day, the change that recorded it)."""


class _Pump:
    """What every day's pump programme needs at one dosing weight. Each bag volume's steps are
    worked out once: most days of a plan share a volume."""

    __slots__ = ("_programmes", "cap", "concentration_mg_per_ml", "dosing_weight_kg",
                 "rates_mg_per_kg_min", "resolution_ml_per_h", "step_minutes")

    def __init__(self, rates_mg_per_kg_min: tuple[Decimal, ...], step_minutes: int,
                 dosing_weight_kg: Decimal, concentration_mg_per_ml: Decimal,
                 resolution_ml_per_h: Decimal, cap: RateCap) -> None:
        self.rates_mg_per_kg_min = rates_mg_per_kg_min
        self.step_minutes = step_minutes
        self.dosing_weight_kg = dosing_weight_kg
        self.concentration_mg_per_ml = concentration_mg_per_ml
        self.resolution_ml_per_h = resolution_ml_per_h
        self.cap = cap
        self._programmes: dict[tuple[Decimal, int], tuple[RateStep, ...]] = {}

    def steps(self, volume: Decimal) -> tuple[RateStep, ...]:
        # Keyed with the exponent too: 400.0 and 400.00 mL are equal but write differently.
        key = (volume, int(volume.as_tuple().exponent))
        found = self._programmes.get(key)
        if found is None:
            found = self._programmes[key] = pump.programme(
                self.rates_mg_per_kg_min, volume, self.step_minutes, self.dosing_weight_kg,
                self.concentration_mg_per_ml, self.resolution_ml_per_h, self.cap)
        return found


@frozen
class _Setup:
    """What every course at one body weight shares: the dosing weight, the cap, the pump."""

    weight: DosingWeight
    cap: RateCap
    pumping: _Pump


@frozen
class _Computed:
    """One course as computed, with the warnings it raised (DST shifts; closed-day moves and
    other schedule notes)."""

    course: Course
    shifts: tuple[Finding, ...]
    notes: tuple[Finding, ...]


SetupKey = tuple[Patient, str, int | None]
"""A setup's key: the patient as of a course, the product id, and the age in whole years when
the dosing policy has an age exclusion (else None)."""
CourseKey = tuple[Slot, Givens, bool, tuple[SlowStartReason, ...]]
"""A course's key: its slot, given days, fixed first infusion, and slow-start reasons."""


class Cache:
    """What the plans of one prescription share, keyed by content: each course by everything it
    depends on, each setup, ladder and judge, and each product's whole-vial arithmetic.

    The engine's only store, and it lives no longer than its caller's use of it: one plan, or
    the revisions of one history (`revisions.plans`), where a change recomputes only the
    courses it touched (100 courses with 200 weight changes: 19.4 s of CPU without it, 2.5 s
    with it). Nothing in the engine is kept at module level.
    """

    def __init__(self) -> None:
        self.courses: dict[CourseKey, _Computed] = {}
        self.vial_sets: dict[tuple[tuple[Decimal, ...], Decimal], VialSet] = {}
        self.closed: schedule.ClosedDays | None = None
        self.setups: dict[SetupKey, _Setup] = {}
        self.ladders: dict[str, tuple[Ladder, str, bool]] = {}
        self.judges: dict[str, Judge | None] = {}


def _day_grams(prescription: Prescription, first_exposure: bool, rounded_g: Decimal, days: int,
               vials: VialSet) -> tuple[tuple[Decimal, ...], bool]:
    """Grams per day for one course (rule c; rule i for a first-exposure course), and whether
    the fixed first infusion is larger than the whole course (then the course is that infusion
    alone, and a limit refuses it)."""
    first_g = prescription.regimen.first_infusion_g
    if not first_exposure or first_g is None:
        return split_days(rounded_g, days, vials), False
    rest = rounded_g - first_g
    units = first_g / vials.grain_g
    if units != units.to_integral_value() or not vials.makeable(int(units)):
        raise PrescriptionError("regimen.first_infusion_g", str(first_g),
                                "must be a total that whole vials of the product can make")
    if rest < 0:
        return (first_g,), True
    if rest == 0:
        if days != 1:
            raise PrescriptionError("order.days_per_course", days,
                                    "the course is all first infusion; allowed: 1 day")
        return (first_g,), False
    if days < 2:
        raise PrescriptionError("order.days_per_course", days,
                                "a course that starts with the regimen's first infusion needs at "
                                "least 2 days: the first infusion and the rest")
    return (first_g, *split_days(rest, days - 1, vials)), False


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


def _notes(prescription: Prescription, fallback: str | None, masked_fallback: str,
           weights: tuple[DosingWeight, ...]) -> list[Finding]:
    """Warnings that follow from the inputs alone."""
    product, regimen, patient = prescription.product, prescription.regimen, prescription.patient
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
        notes.append(Finding("ladder.indication_fallback", fallback, soft=True,
                             source="products.toml: a ladder is chosen by indication",
                             masked=masked_fallback))
    if patient.risk_factors and product.at_risk_max_rate is None:
        notes.append(Finding(
            "rate.no_at_risk_cap",
            f"the catalog holds no numeric rate limit for patients at risk for {product.name}; "
            "its label asks for the minimum rate practicable: set a local ceiling with "
            "max_rate_ml_h",
            masked="the catalog holds no numeric rate limit for patients at risk for this "
                   "product; its label asks for the minimum rate practicable"))
    if prescription.order.rounding == "none":
        notes.append(Finding("rounding.partial_vials",
                             "rounding 'none': doses use part of a vial; discard the rest"))
    for text in dict.fromkeys(w.fallback for w in weights if w.fallback):
        notes.append(Finding(
            "dosing_weight.auto_actual" if prescription.order.dosing_weight == "auto"
            else "dosing_weight.height_below_devine", text, soft=True,
            source="Ontario IG dose calculator criteria: the Devine formula from 152.4 cm"))
    if prescription.history_edited is not None:
        index = prescription.history_edited
        notes.append(Finding(
            "history.edited",
            f"change[{index}] no longer matches the hash it was recorded with: it (or a change "
            "before it) was edited, deleted or inserted by hand; check the history from there "
            "on against the pharmacy's records", soft=True,
            source="the [[change]] hash chain (each change's hash covers the previous one's)"))
    policy = prescription.policy
    if policy is not None and policy.notes:
        notes.append(Finding("policy.notes", f"dosing policy {policy.id}: {policy.notes}"))
    if policy is not None and patient.pregnant and policy.pregnancy_note:
        notes.append(Finding("policy.pregnancy", policy.pregnancy_note, soft=True,
                             source=policy.source))
    if not patient.timezone_given:
        notes.append(Finding("time.zone_assumed",
                             f"no patient.timezone was given; times are in {patient.timezone}, "
                             "this computer's zone"))
    if "/" not in patient.timezone or patient.timezone in FIXED_OFFSET_ZONES \
            or patient.timezone.startswith("Etc/"):
        notes.append(Finding(
            "time.zone_fixed_offset",
            f"{patient.timezone} is a fixed offset or an abbreviation, not a region: it ignores "
            "the patient's daylight-saving changes; use a region zone like Europe/Amsterdam",
            soft=True, source="IANA time zone database"))
    return notes


def _shift_finding(number: int, day: int, shift: TimeShift) -> Finding:
    """A soft warning for a day whose start time was ambiguous or did not exist."""
    asked, used = f"{shift.asked:%H:%M}", f"{shift.used:%H:%M}"
    if shift.kind == "fold":
        text = (f"course {number} day {day}: {asked} on {shift.date} happens twice (clocks "
                f"go back); the first {asked} is used")
    else:
        text = (f"course {number} day {day}: {asked} does not exist on {shift.date} (clocks "
                f"go forward); the infusion starts at {used}")
    return Finding(f"time.dst_{shift.kind}", text, soft=True,
                   source="RFC 5545 3.3.5 (first occurrence); a gap moves forward")


def ladder_of(prescription: Prescription,
              product: Product | None = None) -> tuple[Ladder, str, bool]:
    """The ladder the plan uses for `product` (default: the prescription's) (rule f), why, and
    whether it is the slowest-ladder fallback."""
    order, regimen = prescription.order, prescription.regimen
    wanted = order.indication or regimen.indication
    source = "the order" if order.indication else f"the regimen {regimen.id}"
    return pump.choose_ladder(product or prescription.product, wanted, source)


def _missing(product: Product, path: str) -> None:
    missing = product.missing_fields()
    if missing:
        raise PrescriptionError(
            path, product.id,
            f"has unconfirmed {', '.join(missing)}; supply a local [product] table from your "
            "pharmacy protocol",
        )


def compute(prescription: Prescription, judge_for: JudgeFactory | None = None,
            history: History | None = None, cache: Cache | None = None) -> Plan:
    """The calculation alone: doses, vials, pump steps, dates and times.

    `history` is the prescription's courses after its recorded changes (default: after all of
    them). `judge_for`, when given, makes a judge that counts a candidate course's limit
    breaches, so that rule h picks the fewest days that break no limit it can avoid; the limits
    themselves are evaluated afterwards, by the caller. `cache` carries courses already computed
    for this prescription (another revision of the same history).
    """
    patient, order, product, regimen = (prescription.patient, prescription.order,
                                        prescription.product, prescription.regimen)
    _missing(product, "order.product")
    if history is None:
        history = history_module.revisions(prescription)[-1]
    cache = cache or Cache()
    policy = prescription.policy

    def ladder(kind: Product) -> tuple[Ladder, str, bool]:
        if kind.id not in cache.ladders:
            cache.ladders[kind.id] = found = ladder_of(prescription, kind)
            indication = found[0].indication
            if indication not in cache.judges:
                cache.judges[indication] = judge_for(indication) if judge_for else None
        return cache.ladders[kind.id]

    def vial_set(sizes_g: tuple[Decimal, ...], concentration: Decimal) -> VialSet:
        key = (sizes_g, concentration)
        if key not in cache.vial_sets:
            cache.vial_sets[key] = VialSet(sizes_g, concentration)
        return cache.vial_sets[key]

    def age(on: dt.date) -> int | None:
        if policy is None or policy.min_age_years is None or patient.birth_date is None:
            return None
        return age_years(patient.birth_date, on)

    def setup(person: Patient, kind: Product, on: dt.date) -> _Setup:
        key = (person, kind.id, age(on))
        if key not in cache.setups:
            if policy is not None:
                weight = policy_weight(person, policy, on, order.dosing_weight_given)
            else:
                weight = dosing_weight(person, order.dosing_weight)
            chosen = ladder(kind)[0]
            cap = pump.rate_cap(chosen, kind, bool(person.risk_factors), order.max_rate_ml_h,
                                weight.kg, order.pump_resolution_ml_h)
            pumping = _Pump(pump.capped_ladder(chosen, kind.concentration_mg_per_ml,
                                               cap.cap_mg_per_kg_min),
                            chosen.step_minutes, weight.kg, kind.concentration_mg_per_ml,
                            order.pump_resolution_ml_h, cap)
            cache.setups[key] = _Setup(weight, cap, pumping)
        return cache.setups[key]

    base_ladder, ladder_reason, fell_back = ladder(product)
    if cache.closed is None:  # the order, and so its closed days, is the same in every revision
        cache.closed = schedule.ClosedDays.of(order)
    closed = cache.closed
    givens: dict[int, list[tuple[int, GivenChange]]] = {}
    for course_number, day, change in history.given:
        givens.setdefault(course_number, []).append((day, change))
    exposed = exposure(history.slots)

    def course_of(slot: Slot, slow: tuple[SlowStartReason, ...]) -> _Computed:
        mine = tuple(sorted(givens.get(slot.number, ()), key=lambda g: g[0]))
        first = slot.number in exposed
        key = (slot, mine, first, slow)
        if key not in cache.courses:
            kind = slot.product or product
            _missing(kind, "order.product")
            on = schedule.add_days(schedule.week_start(order.start, slot.week), slot.shift_days)
            cache.courses[key] = _course(
                prescription, kind, setup(slot.patient or patient, kind, on), slot, closed, mine,
                first, slow, cache.judges[ladder(kind)[0].indication], vial_set)
        return cache.courses[key]

    # Two passes: the slow start depends on the dates the courses are given on, and changes
    # only the observation after day 1 (never a date), so the second pass keeps the dates.
    computed = [course_of(slot, ()) for slot in history.slots]
    slow = slow_starts(prescription, tuple(c.course for c in computed), exposed)
    if slow:
        computed = [course_of(slot, slow.get(slot.number, ())) for slot in history.slots]
    courses = tuple(c.course for c in computed)
    base = setup(patient, product, order.start)
    masked_fallback = ladder_reason.replace(product.id, "the product") if fell_back else ""
    weights = tuple(c.dosing_weight for c in courses
                    if c.status == "planned" and c.dosing_weight is not None)
    return Plan(
        prescription=prescription,
        dosing_weight=base.weight,
        ladder=base_ladder,
        ladder_reason=ladder_reason,
        cap=base.cap,
        courses=courses,
        warnings=tuple(_notes(prescription, ladder_reason if fell_back else None, masked_fallback,
                              weights or (base.weight,))
                       + [f for c in computed for f in c.shifts]
                       + [f for c in computed for f in c.notes]
                       + exposure_notes(prescription, history.slots, exposed)
                       + slow_start_notes(prescription, courses)),
        visits=schedule.visit_days(order.start, regimen.visits, closed),
        effects=history.effects,
    )


def _pinned_start(slot: Slot, givens: Givens, scheduled: dt.date,
                  notes: list[Finding]) -> dt.date | None:
    """The first date of a course with a given day: the course keeps the dates it was given on,
    whatever is closed or changed later. None when no day of it is given."""
    if not givens:
        return None
    day, first = givens[0]
    start = schedule.add_days(first.given_on, -(day - 1))
    for other_day, change in givens[1:]:
        expected = schedule.add_days(start, other_day - 1)
        if change.given_on != expected:
            raise PrescriptionError(
                f"{change.path}.date", change.given_on.isoformat(),
                f"course {slot.number} day {other_day} must be {expected}: the days of a course "
                f"are consecutive and day {day} was given on {first.given_on}")
    if start < scheduled:
        notes.append(Finding(
            "schedule.given_early",
            f"course {slot.number} day {day} was given on {first.given_on}, before its "
            f"scheduled date {schedule.add_days(scheduled, day - 1)}; the course keeps the given "
            "dates", soft=True, source=f"{first.path}: the date it was given"))
    return start


def _course(prescription: Prescription, product: Product, setup: _Setup, slot: Slot,
            closed: schedule.ClosedDays, givens: Givens, first_exposure: bool,
            slow: tuple[SlowStartReason, ...], judge: Judge | None,
            vial_set: Callable[[tuple[Decimal, ...], Decimal], VialSet]) -> _Computed:
    """One course: grams, rounding, the day split (rule h), the bags and the days' times.

    Rule h: the fewest days whose course breaks no limit (with the judge), else fits
    max_infusion_hours; when every count breaks something, the one that breaks least, and on a
    tie the most days (shorter infusions). A count that cannot be planned at all (a split whole
    vials cannot make, a day longer than a day) is skipped; only when none can be planned is it
    an input error, naming the counts tried. `vial_set` gives the plan's one `VialSet` for a
    product's vial sizes and concentration.
    """
    order, policy = prescription.order, prescription.policy
    assert product.vials_g is not None
    phase, number, weight = slot.phase, slot.number, setup.weight
    concentration = product.concentration_mg_per_ml
    vials = vial_set(product.vials_g, concentration)  # one per product of the plan
    grid = vial_set((UNROUNDED_STEP_G,), concentration) if order.rounding == "none" else vials
    prescribed = prescribed_grams(phase.dose_g_per_kg, weight.kg)
    if prescribed > MAX_COURSE_G:
        raise PrescriptionError("regimen.phase.dose_g_per_kg", str(phase.dose_g_per_kg),
                                f"gives a course of over {MAX_COURSE_G} g; check the dose")
    if policy is not None and policy.round_to_g is not None:
        target = policy_round(prescribed, policy.round_to_g, order.rounding)
        rounded, rounding = round_course(target, grid, order.rounding)
        rounding = attrs.evolve(rounding, policy_step_g=policy.round_to_g, policy_g=target)
    else:
        rounded, rounding = round_course(prescribed, grid, order.rounding)
    notes: list[Finding] = []
    scheduled = schedule.add_days(schedule.week_start(order.start, slot.week), slot.shift_days)
    pinned = _pinned_start(slot, givens, scheduled, notes)
    given_days = dict(givens)
    longest_minutes = order.max_infusion_hours * MINUTES_PER_HOUR
    ranked: list[tuple[tuple[int, int, int], Course, tuple[Finding, ...]]] = []
    failures: list[tuple[int, PrescriptionError]] = []
    options = (slot.days,) if slot.days is not None else _day_options(order.days_per_course, phase)
    template = Course(number=number, phase=phase.name, week=slot.week, blinded=phase.blinded,
                      dose_g_per_kg=phase.dose_g_per_kg, prescribed_g=prescribed,
                      rounded_g=rounded, days=(), rounding=rounding, status=slot.status,
                      moved_days=slot.shift_days, dosing_weight=weight, cap=setup.cap,
                      product=product, slow_start=slow)
    for count in options:
        try:
            grams, exceeds = _day_grams(prescription, first_exposure, rounded, count, grid)
            start = pinned or (closed.first_open(scheduled, len(grams))
                               if slot.status == "planned" else scheduled)
            days, shifts = _days(prescription, product, template, grams, setup, vials, start,
                                 given_days, first_exposure)
        except PrescriptionError as e:
            failures.append((count, e))
            continue
        candidate = attrs.evolve(template, days=days, first_infusion_exceeds=exceeds,
                                 moved_days=slot.shift_days + (start - scheduled).days)
        if judge is not None:
            hard, soft = judge(candidate)
        else:
            hard = 0
            soft = int(max(d.infusion_minutes for d in days) > longest_minutes)
        ranked.append(((hard, soft, -count), candidate, shifts))
        if hard == soft == 0:
            break
    if not ranked:
        if len(failures) == 1:
            raise failures[0][1]
        tried = ", ".join(str(c) for c, _ in failures)
        raise PrescriptionError("order.days_per_course", tried,
                                f"no day count can be planned for course {number}: "
                                + "; ".join(f"{c} days: {e.allowed}" for c, e in failures))
    clean = [item for item in ranked if item[0][:2] == (0, 0)]
    _, chosen, shifts = clean[0] if clean else min(ranked, key=lambda item: item[0])
    moved = chosen.moved_days - slot.shift_days
    if moved and pinned is None:
        notes.append(Finding(
            "schedule.closed_day_move",
            f"course {number} moved from {scheduled} to "
            f"{schedule.add_days(scheduled, moved)}: a day of it fell on a closed day "
            f"({closed.why(scheduled, len(chosen.days))})", soft=True,
            source="[order] closed_weekdays, holidays and closed_dates"))
    if pinned is not None:
        for day in chosen.days:
            why = closed.reason(day.date)
            if day.status == "planned" and why is not None:
                notes.append(Finding(
                    "schedule.closed_day_kept",
                    f"course {number} day {day.day} ({day.date}) falls on {why}; the course "
                    "has a given day, so it keeps its dates", soft=True,
                    source="[order] closed days; a given infusion is frozen"))
    live = slot.status == "planned"  # a skipped or cancelled course is not dispensed
    return _Computed(
        attrs.evolve(chosen, dispense=dispense([d.contents for d in chosen.days],
                                               chosen.rounded_g) if live else None),
        shifts if live else (), tuple(notes))


def _days(prescription: Prescription, product: Product, course: Course,
          grams: tuple[Decimal, ...], setup: _Setup, vials: VialSet, first_day: dt.date,
          given: dict[int, GivenChange],
          first_exposure: bool) -> tuple[tuple[InfusionDay, ...], tuple[Finding, ...]]:
    """A course's infusion days (bags, locations, local times, statuses) and its DST shifts.
    Day 1 of a slow-start course (`course.slow_start`) gets the longer observation."""
    order, regimen = prescription.order, prescription.regimen
    concentration = product.concentration_mg_per_ml
    number, phase_blinded = course.number, course.blinded
    days = []
    shifts = []
    for index, day_g in enumerate(grams, start=1):
        volume = volume_ml(day_g, concentration)
        steps = setup.pumping.steps(volume)
        minutes = sum(s.minutes for s in steps)
        if minutes > MINUTES_PER_DAY:
            raise PrescriptionError(
                "order.max_infusion_hours", str(order.max_infusion_hours),
                f"course {number} day {index} would infuse for {hours_and_minutes(minutes)}; a "
                "day's infusion must end within the day")
        contents: ProductContents | PlaceboContents
        if phase_blinded and prescription.arm == "placebo":
            contents = PlaceboContents(ml=volume)
        elif order.rounding == "none":
            contents = ProductContents(vials.cover(day_g))
        else:
            contents = ProductContents(vials.vials_for(day_g))
        first = index == 1 and first_exposure
        location = HOME
        if first and regimen.first_infusion_g is not None:
            location = regimen.first_infusion_location or HOME
        date = schedule.add_days(first_day, index - 1)
        slow = index == 1 and bool(course.slow_start)
        times = schedule.day_times(order, date, prescription.patient.timezone, minutes,
                                   slow_start=slow)
        if times.shift is not None:
            shifts.append(_shift_finding(number, index, times.shift))
        record = given.get(index)
        status = course.status if course.status != "planned" else (
            "given" if record is not None else "planned")
        elapsed = [0]
        for step in steps[:-1]:
            elapsed.append(elapsed[-1] + step.minutes)
        days.append(InfusionDay(
            day=index, date=date, start=times.start, end=times.end, arrive=times.arrive,
            leave=times.leave, location=location, grams=day_g, volume_ml=volume,
            contents=contents, steps=steps, infusion_minutes=minutes, status=status,
            given=record, step_starts=tuple(schedule.after(times.start, m) for m in elapsed),
            observation_minutes=(order.first_observation_minutes if slow
                                 else order.observation_minutes),
        ))
    return tuple(days), tuple(shifts)
