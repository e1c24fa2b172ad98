"""The plan as an iCalendar file that imports into Outlook, Google, Apple and Thunderbird.

- One VEVENT per infusion day (no RRULE), with TZID times and a VTIMEZONE built from the IANA
  rules; assessment visits as all-day events. A time that happens twice in the patient's zone
  (the hour clocks go back) is written in UTC (``…Z``), with the local time and its offset in the
  description, so every client reads the same instant.
- Deterministic: the same inputs give the same bytes. UIDs, SEQUENCE, DTSTAMP and cancelled
  events come from `views.revisions` (the plan's history, and a file sent before); this module
  only writes them.
- Content comes only from the `PlanView`, so a masked view holds nothing that differs between
  arms. Each event says what the view holds: the pump programme where it has one (and the
  product and the bag where it may see them), appointment times where it has times, the
  infusion date otherwise.
- ``METHOD:PUBLISH`` with an ORGANIZER on every event, as RFC 5546 §3.2.1 asks; the calendar
  records whom it was written for (``X-IVIG-SCHEDULE-PATIENT``, a hash of the patient id;
  ``X-IVIG-SCHEDULE-VIEW``; ``X-IVIG-SCHEDULE-PLAN``, the prescription) and each event the digest
  of its content (``X-IVIG-SCHEDULE-HASH``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.formats import Options
from ivig_schedule.render.ics import writer as w
from ivig_schedule.render.ics.writer import Line
from ivig_schedule.render.language import Language, language
from ivig_schedule.views.revisions import Item, Stamped, identity
from ivig_schedule.views.views import CourseView, DayView, PlanView, StepView, VisitView

PRODID = "-//ivig-schedule//plan@1//EN"
ALARM_MINUTES = 60
X_HASH = "X-IVIG-SCHEDULE-HASH"
X_VIEW = "X-IVIG-SCHEDULE-VIEW"
CANCELLED: tuple[Line, ...] = (("CLASS", "PRIVATE"), ("STATUS", "CANCELLED"),
                               ("TRANSP", "TRANSPARENT"))


def twice(moment: dt.datetime) -> bool:
    """True when the wall-clock time of `moment` happens twice in its zone (clocks go back)."""
    return moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset()


def _hhmm(moment: dt.datetime | None, shared: _Shared | None = None) -> str:
    """A local time for people; with its offset when that time happens twice that day."""
    if moment is None:
        return ""
    if not (twice(moment) if shared is None else shared.twice(moment)):
        return f"{moment.hour:02d}:{moment.minute:02d}"
    offset = moment.utcoffset() or dt.timedelta(0)
    return f"{moment:%H:%M} (UTC{w.offset(offset)[:3]}:{w.offset(offset)[3:]})"


class _Shared:
    """What every event of one view writes alike, written once per calendar: the patient line,
    the warnings and accepted overrides, the closing line, the ORGANIZER line, and each course's
    own lines; and what repeats from day to day (a pump step's line)."""

    __slots__ = ("_steps", "closing", "courses", "descriptions", "notes", "organizer",
                 "patient", "t", "view")

    def __init__(self, view: PlanView, t: Language) -> None:
        self.view, self.t = view, t
        # DESCRIPTION lines (escaped, folded, with their CRLF) by event content: an event's
        # content holds every value its description writes (`views.revisions.items`), so the
        # revisions of one day share the line.
        self.descriptions: dict[str, str] = {}
        self._steps: dict[tuple[int, Decimal, int, Decimal], str] = {}
        self.patient = t._("Patient: {id}").format(id=view.patient.id)
        self.notes = [t._("Warning: {message} [{code}]").format(message=n.message, code=n.code)
                      for n in view.warnings]
        self.notes += [
            f"{t._('Accepted:')} {o.rule} {o.value} {o.limit}".replace("  ", " ").rstrip()
            + (t._("; reason: {reason}").format(reason=o.reason) if o.reason is not None
               else "")
            for o in view.overrides]
        self.closing = t._("Decision support: check against the prescription and the pump "
                           "before starting.")
        self.courses: dict[int, _CourseLines] = {}
        self.organizer = w.line("ORGANIZER", view.organizer)

    def twice(self, moment: dt.datetime) -> bool:
        """`twice`: the wall time `moment` shows happens twice (the clocks go back)."""
        return twice(moment)

    def clock(self, moment: dt.datetime | None) -> str:
        """`_hhmm`: the moment's clock text ("" for none)."""
        return "" if moment is None else _hhmm(moment, self)

    def step(self, number: int, step: StepView) -> str:
        """A pump step's line; most days of a plan repeat the same steps. By value: the line
        writes the numbers the ISMP way, so equal values write alike."""
        key = (number, step.rate_ml_per_h, step.minutes, step.volume_ml)
        found = self._steps.get(key)
        if found is None:
            t = self.t
            found = self._steps[key] = "  " + t._(
                "{number}. {rate} mL/h for {minutes} min, VTBI {volume} mL").format(
                number=number, rate=t.number(step.rate_ml_per_h), minutes=step.minutes,
                volume=t.number(step.volume_ml))
        return found

    def course(self, course: CourseView) -> _CourseLines:
        lines = self.courses.get(id(course))  # by identity: the course objects outlive the call
        if lines is None:
            lines = self.courses[id(course)] = _CourseLines(self.view, course, self.t)
        return lines


class _CourseLines:
    """The lines every day of one course writes alike (the day's number aside)."""

    __slots__ = ("after_pump", "moved", "title")

    def __init__(self, view: PlanView, course: CourseView, t: Language) -> None:
        self.title = t._("Course {course} ({phase}, week {week}), day {day}")
        self.after_pump: list[str] = []
        if course.weight is not None:  # this course's own, after a weight change
            self.after_pump.append(t._(
                "Planned for {weight} kg body weight (dosing weight {dosing} kg, {basis})"
            ).format(weight=t.number(course.weight.weight_kg),
                     dosing=t.number(course.weight.dosing_weight_kg),
                     basis=t._(course.weight.dosing_weight_basis)))
        if course.cap is not None:
            self.after_pump.append(t._("Never above {rate} mL/h").format(
                rate=t.number(course.cap.cap_ml_per_h)))
        if view.product_name is not None and not course.masked:
            self.after_pump.append(t._("Product: {name}").format(name=view.product_name))
        self.moved = _moved(course.moved_days, course.week, t) if course.moved_days else None


def _pump_lines(shared: _Shared, course: CourseView, day: DayView) -> list[str]:
    t = shared.t
    lines = [
        t._("Arrive {arrive} for set-up; infusion {start}-{end}; observe until {leave}").format(
            arrive=shared.clock(day.arrive), start=shared.clock(day.start),
            end=shared.clock(day.end), leave=shared.clock(day.leave)),
        t._("Volume: {volume} mL").format(volume=t.number(day.volume_ml or Decimal(0))),
        t._("Pump programme:"),
    ]
    lines.extend(shared.step(i, s) for i, s in enumerate(day.steps or (), start=1))
    lines.append(t._("Total infusion time: {time}").format(
        time=hours_and_minutes(day.infusion_minutes or 0)))
    lines += shared.course(course).after_pump
    if day.contents is not None:
        kind = t._("Saline") if day.contents.kind == "placebo" else t._("Vials")
        lines.append(f"{kind}: {t.contents(day.contents)}")
    return lines


def _description(shared: _Shared, course: CourseView, day: DayView) -> str:
    t, view = shared.t, shared.view
    lines = [
        shared.patient,
        shared.course(course).title.format(
            course=course.number, phase=t._("study infusion") if course.masked else course.phase,
            week=course.week, day=day.day),
    ]
    if day.steps is not None:
        lines.extend(_pump_lines(shared, course, day))
    elif day.arrive is not None:
        lines.append(t._("The nurse comes at {arrive}; the visit ends about {leave}").format(
            arrive=shared.clock(day.arrive), leave=shared.clock(day.leave)))
    if day.arrive is not None and (shared.twice(day.arrive)
                                   or shared.twice(day.leave or day.arrive)):
        lines.append(t._("Times are local to {zone}; the clocks go back that day").format(
            zone=view.patient.timezone))
    if day.given is not None:
        lot = t._("; lot {lot}").format(lot=day.given.lot) if day.given.lot else ""
        expiry = (t._(", expiry {date}").format(date=day.given.expiry)
                  if day.given.expiry else "")
        lines.append(t._("Given on {date} (change {number} of the recorded history)").format(
            number=day.given.change + 1, date=day.given.on) + lot + expiry)
    moved = shared.course(course).moved
    if moved is not None:
        lines.append(moved)
    lines += shared.notes
    if day.steps is not None:
        lines.append(shared.closing)
    return "\n".join(lines)


def _moved(days: int, week: int, t: Language) -> str:
    """How far a course moved, in words with the right number ("1 day", "8 days")."""
    later = days > 0
    count = abs(days)
    if count == 1:
        text = t._("Moved 1 day later (scheduled in week {week})") if later else t._(
            "Moved 1 day earlier (scheduled in week {week})")
    else:
        text = t._("Moved {days} days later (scheduled in week {week})") if later else t._(
            "Moved {days} days earlier (scheduled in week {week})")
    return text.format(days=count, week=week)


def _summary(view: PlanView, course: CourseView, day: DayView, t: Language) -> str:
    """The title. A nurse's calendar holds many patients: her titles name the patient's
    pseudonym and the course·day ("PD-0042 · infusion 2·1"), the same for both arms."""
    if view.titles_name_patient:
        text = t._("{id} · infusion {course}·{day}").format(
            id=view.patient.id, course=course.number, day=day.day)
    else:
        if day.steps is not None:
            label = t._("Study infusion") if course.masked else t._("IVIg infusion")
        elif day.arrive is not None:
            label = (t._("Infusion visit") if day.location == "home"
                     else t._("Infusion ({location})").format(location=day.location))
        else:
            label = t._("Infusion day")
        text = t._("{label} · course {course} · day {day}/{days}").format(
            label=label, course=course.number, day=day.day, days=len(course.days))
    if day.status in ("cancelled", "skipped"):
        return t._("Cancelled: {title}").format(title=text)
    return text


def _moment(name: str, zone: str, moment: dt.datetime, shared: _Shared) -> Line:
    """A timed DTSTART or DTEND: local with its TZID, or UTC when the local time is ambiguous."""
    if shared.twice(moment):
        return (name, w.utc(moment))
    return (f"{name};TZID={zone}", w.local(moment))


def _times(zone: str, day: DayView, shared: _Shared) -> tuple[Line, ...]:
    if day.arrive is None or day.leave is None:
        return (("DTSTART;VALUE=DATE", w.date(day.date)),
                ("DTEND;VALUE=DATE", w.date(day.date + dt.timedelta(days=1))))
    return (_moment("DTSTART", zone, day.arrive, shared),
            _moment("DTEND", zone, day.leave, shared))


def _visit_times(visit: VisitView) -> tuple[Line, ...]:
    return (("DTSTART;VALUE=DATE", w.date(visit.date)),
            ("DTEND;VALUE=DATE", w.date(visit.date + dt.timedelta(days=1))))


def _stamps(view: PlanView, event: Stamped) -> tuple[Line, ...]:
    return (("DTSTAMP", w.utc(event.stamp)), ("UID", event.uid),
            ("SEQUENCE", str(event.sequence)))


def _tail(view: PlanView, event: Stamped) -> tuple[Line, ...]:
    return (("ORGANIZER", view.organizer), (X_HASH, event.hash))


def _cancelled(view: PlanView, event: Stamped, times: tuple[Line, ...], t: Language) -> str:
    lines = (("SUMMARY", w.escape(t._("Cancelled"))), *times, *_stamps(view, event), *CANCELLED,
             *_tail(view, event))
    return w.component("VEVENT", lines)


def _event(shared: _Shared, event: Stamped) -> str:
    """One VEVENT as folded text."""
    view, t = shared.view, shared.t
    item = event.item
    if item is None:
        return _cancelled(view, event, event.previous_times, t)
    if item.visit is not None:
        visit = item.visit
        times = _visit_times(visit)
        if event.gone:
            return _cancelled(view, event, times, t)
        lines: tuple[Line, ...] = (
            ("SUMMARY", w.escape(
                t._("{id} · study visit week {week}").format(id=view.patient.id, week=visit.week)
                if view.titles_name_patient else t._("Study visit · week {week}").format(
                    week=visit.week))),
            *times,
            *_stamps(view, event), ("CLASS", "PRIVATE"),
            ("DESCRIPTION", w.escape(t._("Patient: {id}").format(id=view.patient.id)
                                     + f"\n{visit.name}")),
            ("STATUS", "CONFIRMED"), ("TRANSP", "TRANSPARENT"), *_tail(view, event))
        return w.component("VEVENT", lines)
    return _day_event(shared, event, item)


_CLASS = w.line("CLASS", "PRIVATE")
_CONFIRMED = w.line("STATUS", "CONFIRMED")
_BUSY, _FREE = w.line("TRANSP", "OPAQUE"), w.line("TRANSP", "TRANSPARENT")
_ACTION = w.line("ACTION", "DISPLAY")
_TRIGGER = w.line("TRIGGER", f"-PT{ALARM_MINUTES // 60}H")


def _day_event(shared: _Shared, event: Stamped, item: Item) -> str:
    """An infusion day's VEVENT; its fixed lines are folded once, and its DESCRIPTION line
    once for every view that writes the same content in the same language."""
    view, t = shared.view, shared.t
    course, day = item.course, item.day
    assert course is not None and day is not None
    times = _times(view.patient.timezone, day, shared)
    if event.gone:
        return _cancelled(view, event, times, t)
    summary = w.escape(_summary(view, course, day, t))
    head = (("SUMMARY", summary), *times, *_stamps(view, event))
    if item.cancelled:
        return w.component("VEVENT", (*head, *CANCELLED, *_tail(view, event)))
    key = item.content
    description = shared.descriptions.get(key)
    if description is None:
        description = shared.descriptions[key] = w.line(
            "DESCRIPTION", w.escape(_description(shared, course, day)))
    timed = day.arrive is not None
    body = [w.line(name, value) for name, value in head]
    body += (_CLASS, description)
    if day.location is not None:  # the plan's own words (home, ward) are translated
        body.append(w.line("LOCATION", w.escape(t._(day.location))))
    body += (_CONFIRMED, _BUSY if timed else _FREE, shared.organizer, w.line(X_HASH, event.hash))
    if timed:
        body.append(w.block("VALARM", (_ACTION, w.line("DESCRIPTION", summary), _TRIGGER)))
    return w.block("VEVENT", body)


def years(view: PlanView) -> tuple[int, int]:
    """The years a VTIMEZONE for this view must cover (a year either side of the plan)."""
    found = [day.date.year for course in view.courses for day in course.days]
    found += [visit.date.year for visit in view.visits]
    return min(found) - 1, max(found) + 1


def to_ics(view: PlanView, events: tuple[Stamped, ...],
           texts: tuple[str, ...] | None = None, lang: str = "en") -> bytes:
    """The calendar as UTF-8 bytes with CRLF line ends and 75-octet folding; `texts`, when
    given, are the events already written by `event_texts` (a roster reuses the nurse's)."""
    name = w.escape(language(lang)._("IVIg plan {id}").format(id=view.patient.id))
    head: list[Line] = [("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"),
                        ("METHOD", "PUBLISH"), ("NAME", name), ("X-WR-CALNAME", name)]
    head += sorted(identity(view).items())
    zone = w.vtimezone(view.patient.timezone, *years(view))
    body = texts if texts is not None else event_texts(view, events, lang)
    return w.component("VCALENDAR", head, [zone, *body]).encode("utf-8")


def event_texts(view: PlanView, events: tuple[Stamped, ...], lang: str = "en"
                ) -> tuple[str, ...]:
    """The view's VEVENTs as text (for a calendar that gathers many patients, a nurse's), in
    language `lang`."""
    shared = _Shared(view, language(lang))
    return tuple(_event(shared, e) for e in events)


def gathered(name: str, zones: dict[str, tuple[int, int]], view: str) -> tuple[str, str]:
    """The head and tail of a calendar of many patients' events (the events go between)."""
    title = w.escape(name)
    head: list[Line] = [("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"),
                        ("METHOD", "PUBLISH"), ("NAME", title), ("X-WR-CALNAME", title),
                        (X_VIEW, view)]
    text = w.component("VCALENDAR", head, [w.vtimezone(z, *zones[z]) for z in sorted(zones)])
    start = text.rsplit(f"END:VCALENDAR{w.CRLF}", 1)[0]
    return start, f"END:VCALENDAR{w.CRLF}"


def render(view: PlanView, options: Options) -> bytes:
    """The calendar of the stamped events `options.events`, as the format registry calls it."""
    return to_ics(view, options.events, lang=options.lang)
