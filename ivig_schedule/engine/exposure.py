"""First exposure and the slow start, judged on the courses as they will be given.

Two different things follow from a patient's exposure to immunoglobulin:

- The regimen's fixed first infusion (TIME IS MUSCLE: the first 30 g on the ward) belongs to the
  first course that will be given, and to the first open-label course after a blinded phase.
  `exposure` finds them from the slots, before the courses are computed.
- The slow start (exposure.toml: the first hour of observation, the ladder's initial rate) is
  for a course whose first day follows no immunoglobulin (new to it), another product (a
  switch) or a long interval. `slow_starts` judges it on the computed courses' dates, against
  the previous course that will be given or, for the first, the patient's ``ig_history``.

Both depend only on dates, products and phases, never on the arm, so masked views stay the same
for both arms.
"""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from ivig_schedule.model.inputs import IgHistory, Product, SlowStart
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import Course, Finding, Slot, SlowStartReason
from ivig_schedule.model.prescription import Prescription
from ivig_schedule.model.vocabulary import SlowStartTrigger

DAYS_PER_WEEK = 7
HOME = "home"


@frozen
class Exposure:
    """Which courses get the regimen's fixed first infusion.

    Attributes:
        first: The first course that will be given, by date (None: none will be).
        after_blind: The first planned open-label course after a blinded phase (None: none):
            for a placebo patient it is the first real immunoglobulin, so it is treated as a
            first exposure too, for both arms, so that masked views stay the same.
    """

    first: int | None
    after_blind: int | None

    def __contains__(self, number: object) -> bool:
        return number in (self.first, self.after_blind)


def exposure(slots: tuple[Slot, ...]) -> Exposure:
    """The first-exposure courses of a history's slots (see `Exposure`)."""
    live = [s for s in slots if s.status == "planned"]
    first = min(live, key=lambda s: (DAYS_PER_WEEK * s.week + s.shift_days, s.number),
                default=None)
    after_blind = None
    blinded_before = False
    for slot in slots:
        if slot.phase.blinded:
            blinded_before = True
        elif blinded_before and slot.status == "planned":
            after_blind = slot.number
            break
    return Exposure(None if first is None else first.number, after_blind)


def _same_product(named: str, product: Product) -> bool:
    key = named.strip().lower()
    return key in (product.id.lower(), product.name.lower())


def _interval_weeks(prescription: Prescription, start: SlowStart | None) -> int | None:
    if prescription.order.long_interval_weeks is not None:
        return prescription.order.long_interval_weeks
    return start.interval_weeks if start is not None else None


def _from_history(history: IgHistory | None, product: Product, first_day: dt.date,
                  weeks: int | None) -> list[SlowStartReason]:
    """The first course's reasons, from what the patient brings."""
    if history is None or (history.naive is None and history.last_infusion is None
                           and history.last_product is None):
        return [SlowStartReason("naive", "no exposure history is recorded (patient.ig_history): "
                                "treated as new to immunoglobulin", assumed=True)]
    if history.naive:
        return [SlowStartReason("naive", "new to immunoglobulin (patient.ig_history)")]
    found = []
    if history.last_product is None:
        found.append(SlowStartReason(
            "switched", "the last product is not recorded (patient.ig_history.last_product): a "
            "switch cannot be ruled out", assumed=True))
    elif not _same_product(history.last_product, product):
        found.append(SlowStartReason(
            "switched", "switched from another product (patient.ig_history.last_product)",
            f"switched from {history.last_product} to {product.name} "
            "(patient.ig_history.last_product)"))
    if history.last_infusion is None:
        found.append(SlowStartReason(
            "interval", "the date of the last infusion is not recorded "
            "(patient.ig_history.last_infusion)", assumed=True))
    elif weeks is not None:
        gap = (first_day - history.last_infusion).days
        if gap > weeks * DAYS_PER_WEEK:
            found.append(SlowStartReason(
                "interval", f"{gap} days since the last infusion on {history.last_infusion} "
                f"(patient.ig_history), more than {weeks} weeks"))
    return found


def slow_starts(prescription: Prescription, courses: tuple[Course, ...],
                found: Exposure) -> dict[int, tuple[SlowStartReason, ...]]:
    """Each course whose day 1 starts slowly, with why: judged on the first day as it will be
    given, against the previous course that will be given (or, for the first, against
    ``patient.ig_history``). Only the triggers the course's product names count."""
    live = sorted((c for c in courses if c.status == "planned" and c.days),
                  key=lambda c: (c.days[0].date, c.number))
    reasons: dict[int, tuple[SlowStartReason, ...]] = {}
    previous: Course | None = None
    for course in live:
        product = course.product or prescription.product
        start = product.slow_start
        weeks = _interval_weeks(prescription, start)
        first_day = course.days[0].date
        if previous is None:
            mine = _from_history(prescription.patient.ig_history, product, first_day, weeks)
        else:
            mine = []
            before = previous.product or prescription.product
            if before.id != product.id:
                mine.append(SlowStartReason(
                    "switched", f"switched to another product after course {previous.number}",
                    f"switched from {before.name} (course {previous.number}) to {product.name}"))
            gap = (first_day - previous.days[-1].date).days
            if weeks is not None and gap > weeks * DAYS_PER_WEEK:
                mine.append(SlowStartReason(
                    "interval", f"{gap} days since the last infusion (course {previous.number} "
                    f"day {len(previous.days)}, {previous.days[-1].date}), more than {weeks} "
                    "weeks"))
            if course.number == found.after_blind:
                mine.append(SlowStartReason(
                    "naive", "the first open-label course after a blinded phase: it may be the "
                    "patient's first immunoglobulin, so every patient gets the slow start"))
        triggers: tuple[SlowStartTrigger, ...] = (start.triggers if start is not None
                                                  else ("naive",))
        kept = tuple(r for r in mine if r.trigger in triggers)
        if kept:
            reasons[course.number] = kept
        previous = course
    return reasons


def slow_start_notes(prescription: Prescription, courses: tuple[Course, ...]) -> list[Finding]:
    """One soft warning, ``infusion.slow_start``, per course whose slow start follows from a
    recorded fact (``naive = true``, a switch, a long interval, the first open-label course):
    the trigger, the observation, the starting rate.

    A slow start assumed only because the prescription does not say (no exposure history: the
    plan's first infusion is treated as a first exposure, as every plan did before histories
    were recorded) raises no warning, so that every plan without a history does not warn; it is
    on the course (`Course.slow_start`, ``assumed``), in explain and in JSON."""
    order = prescription.order
    notes = []
    for course in courses:
        if not course.slow_start or course.status != "planned":
            continue
        product = course.product or prescription.product
        start = product.slow_start
        day = course.days[0]
        first_rate = day.steps[0] if day.steps else None
        rate = ("" if first_rate is None else
                f"; the pump starts at the ladder's initial rate, {plain(first_rate.rate_ml_per_h)}"
                f" mL/h for {first_rate.minutes} min: do not start faster")
        source = start.source if start is not None else "the order's first_observation_minutes"
        if start is not None and start.initial_rate_source and any(
                r.trigger == "switched" for r in course.slow_start):
            source += " " + start.initial_rate_source
        facts = "; ".join(r.text for r in course.slow_start)
        detail = "; ".join(r.detail or r.text for r in course.slow_start)
        head = f"course {course.number} day 1 ({day.date}) starts slowly"
        tail = (f": observe {order.first_observation_minutes} min after the infusion (the first "
                f"hour after it, where the label asks for it){rate}")
        if all(r.assumed and r.trigger == "naive" for r in course.slow_start):
            continue
        notes.append(Finding(
            "infusion.slow_start", f"{head} ({detail}){tail}", soft=True, source=source,
            masked=f"{head} ({facts}){tail}" if detail != facts else ""))
    return notes


def exposure_notes(prescription: Prescription, slots: tuple[Slot, ...],
                   found: Exposure) -> list[Finding]:
    """Say where the regimen's fixed first infusion is when it is not on course 1 day 1, and on
    the first open-label course after a blinded phase."""
    regimen = prescription.regimen
    if regimen.first_infusion_g is None:
        return []
    place = regimen.first_infusion_location or HOME
    safeguards = f"the regimen's first infusion ({plain(regimen.first_infusion_g)} g, {place})"
    notes = []
    if found.first is not None and found.first != 1:
        earlier = [s for s in slots if s.number < found.first]
        why = "; ".join(f"course {s.number} is {s.status}" if s.status != "planned"
                        else f"course {s.number} is moved after it" for s in earlier)
        notes.append(Finding(
            "schedule.first_infusion",
            f"course {found.first} is the first course that will be given ({why}): its day 1 "
            f"gets {safeguards}"))
    if found.after_blind is not None and found.after_blind != found.first:
        notes.append(Finding(
            "schedule.first_exposure",
            f"course {found.after_blind} day 1 gets {safeguards}: after a blinded phase, the "
            "first open-label course may be the patient's first immunoglobulin, so every "
            "patient gets it"))
    return notes
