"""Prescription → Plan. Pure: no I/O, no clock, no randomness, no limits.

The whole calculation runs the same way for both arms of a blinded course; only the contents of
the bag differ (product vials, or saline at the same volume). Every choice is recorded on the plan
(the calculation trail), so that ``explain`` prints it and never recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

from ivig_schedule.engine import history as history_module
from ivig_schedule.engine import pump, schedule
from ivig_schedule.engine.dosing import (
    VialSet,
    dispense,
    dosing_weight,
    prescribed_grams,
    round_course,
    split_days,
    unrounded_vial_set,
    volume_ml,
)
from ivig_schedule.engine.history import History, Slot
from ivig_schedule.engine.schedule import TimeShift
from ivig_schedule.model.errors import PrescriptionError, RefusedBySafetyRule
from ivig_schedule.model.inputs import (
    Change,
    Patient,
    Phase,
    Prescription,
)
from ivig_schedule.model.plan import (
    Course,
    DosingWeight,
    Finding,
    InfusionDay,
    PlaceboContents,
    Plan,
    ProductContents,
    RateCap,
    RateStep,
)
from ivig_schedule.model.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, hours_and_minutes

HOME = "home"
MAX_COURSE_G = Decimal(10_000)
"""Capacity bound, not a clinical limit: no course reaches 10 kg of immunoglobulin (the
clinical limit is dose.course_max in limits.toml)."""


FIXED_OFFSET_ZONES = frozenset({
    "UTC", "GMT", "EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT", "CET", "MET",
    "EET", "WET", "UCT", "Universal", "Zulu", "Greenwich", "GMT0", "GMT+0", "GMT-0",
})
Judge = Callable[[Course], tuple[int, int]]
"""Counts a candidate course's (hard, soft) limit breaches; rule h avoids them."""
JudgeFactory = Callable[[RateCap, Decimal], Judge]
"""Makes a `Judge` once the plan's rate cap and dosing weight (kg) are known."""


@attrs.frozen
class _Pump:
    """What every day's pump programme needs, fixed for the whole plan."""

    rates_mg_per_kg_min: tuple[Decimal, ...]
    step_minutes: int
    dosing_weight_kg: Decimal
    concentration_mg_per_ml: Decimal
    resolution_ml_per_h: Decimal
    cap: RateCap

    def steps(self, volume: Decimal) -> tuple[RateStep, ...]:
        return pump.programme(self.rates_mg_per_kg_min, volume, self.step_minutes,
                              self.dosing_weight_kg, self.concentration_mg_per_ml,
                              self.resolution_ml_per_h, self.cap)


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


def _notes(prescription: Prescription, fallback: str | None,
           weight: DosingWeight) -> list[Finding]:
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
                             source="products.toml: a ladder is chosen by indication"))
    if patient.risk_factors and product.at_risk_max_rate is None:
        notes.append(Finding(
            "rate.no_at_risk_cap",
            "the label gives no numeric rate limit for patients at risk; "
            "use the minimum rate practicable",
        ))
    if prescription.order.rounding == "none":
        notes.append(Finding("rounding.partial_vials",
                             "rounding 'none': doses use part of a vial; discard the rest"))
    if weight.fallback:
        notes.append(Finding("dosing_weight.auto_actual", weight.fallback, soft=True,
                             source="Ontario IG dose calculator criteria (dosing.py)"))
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


def _time_shifts(courses: list[Course], shifts: list[tuple[int, int, TimeShift]]) -> list[Finding]:
    """A soft warning for each day whose start time was ambiguous or did not exist."""
    found = []
    for number, day, shift in shifts:
        asked, used = f"{shift.asked:%H:%M}", f"{shift.used:%H:%M}"
        if shift.kind == "fold":
            text = (f"course {number} day {day}: {asked} on {shift.date} happens twice (clocks "
                    f"go back); the first {asked} is used")
        else:
            text = (f"course {number} day {day}: {asked} does not exist on {shift.date} (clocks "
                    f"go forward); the infusion starts at {used}")
        found.append(Finding(f"time.dst_{shift.kind}", text, soft=True,
                             source="RFC 5545 3.3.5 (first occurrence); a gap moves forward"))
    return found


@attrs.frozen
class _Setup:
    """What every course at one weight shares: the dosing weight, the cap, the pump, the judge."""

    weight: DosingWeight
    cap: RateCap
    pumping: _Pump
    judge: Judge | None


def compute(prescription: Prescription, judge_for: JudgeFactory | None = None,
            history: History | None = None) -> Plan:
    """The calculation alone: doses, vials, pump steps, dates and times.

    `history` is the prescription's courses after its recorded changes (default: after all of
    them). `judge_for`, when given, makes a judge that counts a candidate course's limit
    breaches, so that rule h picks the fewest days that break no limit it can avoid; the limits
    themselves are evaluated afterwards, by the caller.
    """
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
    if history is None:
        history = history_module.revisions(prescription)[-1]
    wanted = order.indication or regimen.indication
    source = "the order" if order.indication else f"the regimen {regimen.id}"
    ladder, ladder_reason, fell_back = pump.choose_ladder(product, wanted, source)
    setups: dict[Decimal, _Setup] = {}

    def setup(person: Patient) -> _Setup:
        if person.weight_kg not in setups:
            weight = dosing_weight(person, order.dosing_weight)
            cap = pump.rate_cap(ladder, product, bool(person.risk_factors), order.max_rate_ml_h,
                                weight.kg, order.pump_resolution_ml_h)
            pumping = _Pump(pump.capped_ladder(ladder, product.concentration_mg_per_ml,
                                               cap.cap_mg_per_kg_min),
                            ladder.step_minutes, weight.kg, product.concentration_mg_per_ml,
                            order.pump_resolution_ml_h, cap)
            setups[person.weight_kg] = _Setup(
                weight, cap, pumping, judge_for(cap, weight.kg) if judge_for else None)
        return setups[person.weight_kg]

    closed = schedule.ClosedDays.of(order)
    given = {(course, day): change for course, day, change in history.given}
    courses: list[Course] = []
    shifts: list[tuple[int, int, TimeShift]] = []
    moves: list[Finding] = []
    for slot in history.slots:
        course = _course(prescription, setup(slot.patient or patient), slot, shifts, closed,
                         moves, given)
        live = [c for c in courses if c.status == "planned"]
        if course.status == "planned" and live and course.days[0].date <= live[-1].days[-1].date:
            raise PrescriptionError(
                "order.days_per_course", len(course.days),
                f"course {course.number} (week {course.week}) would start before course "
                f"{live[-1].number} ends",
            )
        courses.append(course)
    base = setup(patient)
    return Plan(
        prescription=prescription,
        dosing_weight=base.weight,
        ladder=ladder,
        ladder_reason=ladder_reason,
        cap=base.cap,
        courses=tuple(courses),
        warnings=tuple(_notes(prescription, ladder_reason if fell_back else None, base.weight)
                       + _time_shifts(courses, shifts) + moves),
        visits=schedule.visit_days(order.start, regimen.visits, closed),
        effects=history.effects,
    )


def _course(prescription: Prescription, setup: _Setup, slot: Slot,
            shifts: list[tuple[int, int, TimeShift]], closed: schedule.ClosedDays,
            moves: list[Finding], given: dict[tuple[int, int], Change]) -> Course:
    """One course: grams, rounding, the day split (rule h), the bags and the days' times.

    Rule h: the fewest days whose course breaks no limit (with the judge), else fits
    max_infusion_hours; when every count breaks something, the one that breaks least, and on a
    tie the most days (shorter infusions).
    """
    order, product = prescription.order, prescription.product
    assert product.vials_g is not None
    phase, number, weight, judge = slot.phase, slot.number, setup.weight, setup.judge
    concentration = product.concentration_mg_per_ml
    vials = VialSet(product.vials_g, concentration)
    grid = unrounded_vial_set(concentration) if order.rounding == "none" else vials
    prescribed = prescribed_grams(phase.dose_g_per_kg, weight.kg)
    if prescribed > MAX_COURSE_G:
        raise PrescriptionError("regimen.phase.dose_g_per_kg", str(phase.dose_g_per_kg),
                                f"gives a course of over {MAX_COURSE_G} g; check the dose")
    rounded, rounding = round_course(prescribed, grid, order.rounding)
    longest_minutes = order.max_infusion_hours * MINUTES_PER_HOUR
    ranked: list[tuple[tuple[int, int, int], Course]] = []
    failure: PrescriptionError | None = None
    options = (slot.days,) if slot.days is not None else _day_options(order.days_per_course, phase)
    template = Course(number=number, phase=phase.name, week=slot.week, blinded=phase.blinded,
                      dose_g_per_kg=phase.dose_g_per_kg, prescribed_g=prescribed,
                      rounded_g=rounded, days=(), rounding=rounding, status=slot.status,
                      moved_days=slot.shift_days, dosing_weight=weight, cap=setup.cap)
    for count in options:
        try:
            grams = _day_grams(prescription, number, rounded, count, grid)
        except PrescriptionError as e:
            failure = failure or e
            continue
        programme = tuple(setup.pumping.steps(volume_ml(g, concentration)) for g in grams)
        candidate = attrs.evolve(template, days=_days(prescription, template, grams, programme,
                                                      vials, [], 0, {}))
        if judge is not None:
            hard, soft = judge(candidate)
        else:
            hard = 0
            soft = int(max(d.infusion_minutes for d in candidate.days) > longest_minutes)
        ranked.append(((hard, soft, -count), candidate))
        if hard == soft == 0:
            break
    if not ranked:
        assert failure is not None
        raise failure
    clean = [c for key, c in ranked if key[:2] == (0, 0)]
    chosen = clean[0] if clean else min(ranked, key=lambda item: item[0])[1]
    grams = tuple(d.grams for d in chosen.days)
    programme = tuple(d.steps for d in chosen.days)
    scheduled = schedule.add_days(schedule.week_start(order.start, slot.week), slot.shift_days)
    start = closed.first_open(scheduled, len(grams)) if slot.status == "planned" else scheduled
    moved = (start - scheduled).days
    if moved:
        moves.append(Finding(
            "schedule.closed_day_move",
            f"course {number} moved from {scheduled} to {start}: a day of it fell on a closed "
            f"day ({closed.why(scheduled, len(grams))})", soft=True,
            source="[order] closed_weekdays, holidays and closed_dates"))
    live_shifts = shifts if slot.status == "planned" else []
    days = _days(prescription, chosen, grams, programme, vials, live_shifts,
                 slot.shift_days + moved, given)
    return attrs.evolve(chosen, days=days, moved_days=slot.shift_days + moved,
                        dispense=dispense([d.contents for d in days], chosen.rounded_g))


def _days(prescription: Prescription, course: Course, grams: tuple[Decimal, ...],
          programme: tuple[tuple[RateStep, ...], ...], vials: VialSet,
          shifts: list[tuple[int, int, TimeShift]], moved_days: int,
          given: dict[tuple[int, int], Change]) -> tuple[InfusionDay, ...]:
    """A course's infusion days: bags, locations, local times and statuses."""
    order, regimen = prescription.order, prescription.regimen
    concentration = prescription.product.concentration_mg_per_ml
    number, phase_blinded = course.number, course.blinded
    first_day = schedule.add_days(schedule.week_start(order.start, course.week), moved_days)
    days = []
    for index, (day_g, steps) in enumerate(zip(grams, programme, strict=True), start=1):
        minutes = sum(s.minutes for s in steps)
        if minutes > MINUTES_PER_DAY:
            raise PrescriptionError(
                "order.max_infusion_hours", str(order.max_infusion_hours),
                f"course {number} day {index} would infuse for {hours_and_minutes(minutes)}; a day's "
                "infusion must end within the day (check the concentration and the rates)")
        volume = volume_ml(day_g, concentration)
        contents: ProductContents | PlaceboContents
        if phase_blinded and prescription.arm == "placebo":
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
        if times.shift is not None:
            shifts.append((number, index, times.shift))
        record = given.get((number, index))
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
        ))
    return tuple(days)
