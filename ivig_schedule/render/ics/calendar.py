"""The plan as an iCalendar file that imports into Outlook, Google, Apple and Thunderbird.

- One VEVENT per infusion day (no RRULE), with TZID times and a VTIMEZONE built from the IANA
  rules in the yearly-RRULE style; assessment visits as all-day events.
- Deterministic: the same inputs give the same bytes. UIDs are hashes of patient, regimen, course,
  day and view; DTSTAMP is derived from the plan unless a stamp is given.
- Content comes only from the `PlanView`, so a masked view holds nothing that differs between arms.
  What each audience's events say: pharmacy and nurse get the pump programme (and, where they
  may see it, the product and the bag); the patient gets appointment times and places; the
  assessor gets infusion dates (all-day) and visits.
- The calendar records whom it was written for (``X-IVIG-SCHEDULE-PATIENT``: a hash of the patient
  id, ``X-IVIG-SCHEDULE-VIEW``, ``X-IVIG-SCHEDULE-PLAN``). `previous` reissues against the file
  sent before and refuses a file written for another patient or view, or by another program.
  Changed events keep their UID with SEQUENCE + 1 and a later DTSTAMP; unchanged events keep their
  bytes; events of ours that vanished are written once more as CANCELLED, rebuilt from their
  times alone: no description, no alarm, nothing from the old file but UID, times and SEQUENCE.
  Events this tool did not write are dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Any

import attrs

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.units import hours_and_minutes
from ivig_schedule.render.ics import writer as w
from ivig_schedule.render.ics.writer import Line
from ivig_schedule.render.records import contents_text, number_text
from ivig_schedule.views.views import CourseView, DayView, PlanView

PRODID = "-//ivig-schedule//plan@1//EN"
ALARM_MINUTES = 60
UID_DOMAIN = "ivig-schedule"
X_PATIENT = "X-IVIG-SCHEDULE-PATIENT"
X_VIEW = "X-IVIG-SCHEDULE-VIEW"
X_PLAN = "X-IVIG-SCHEDULE-PLAN"
_VOLATILE = ("DTSTAMP", "SEQUENCE")
_UID = re.compile(r"[0-9a-f]{32}@" + re.escape(UID_DOMAIN))


def digest(*parts: object) -> str:
    """A stable hash of the parts (the patient id is hashed, never written)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def uid(*parts: object) -> str:
    """A stable UID from the event's identity."""
    return f"{digest(*parts)}@{UID_DOMAIN}"


def _midnight(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def default_stamp(view: PlanView) -> dt.datetime:
    """DTSTAMP derived from the inputs: midnight UTC on the order's start date."""
    first = view.start or view.courses[0].days[0].date
    return _midnight(first)


def _hhmm(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.strftime("%H:%M")


def _pump_lines(view: PlanView, course: CourseView, day: DayView) -> list[str]:
    lines = [
        f"Arrive {_hhmm(day.arrive)} for set-up; infusion {_hhmm(day.start)}-{_hhmm(day.end)}; "
        f"observe until {_hhmm(day.leave)}",
        f"Volume: {number_text(day.volume_ml or Decimal(0))} mL",
        "Pump programme:",
    ]
    lines.extend(
        f"  {i}. {number_text(s.rate_ml_per_h)} mL/h for {s.minutes} min, "
        f"VTBI {number_text(s.volume_ml)} mL"
        for i, s in enumerate(day.steps or (), start=1)
    )
    lines.append(f"Total infusion time: {hours_and_minutes(day.infusion_minutes or 0)}")
    if course.cap is not None:
        lines.append(f"Never above {number_text(course.cap.cap_ml_per_h)} mL/h")
    if view.product_name is not None and not course.masked:
        lines.append(f"Product: {view.product_name}")
    if day.contents is not None:
        kind = "Saline" if day.contents.kind == "placebo" else "Vials"
        lines.append(f"{kind}: {contents_text(day.contents)}")
    return lines


def _description(view: PlanView, course: CourseView, day: DayView) -> tuple[str, str]:
    """The description, and the same without its warnings (they do not alter an event)."""
    lines = [
        f"Patient: {view.patient.id}",
        f"Course {course.number} ({'study infusion' if course.masked else course.phase}, "
        f"week {course.week}), day {day.day}",
    ]
    if day.steps is not None:
        lines.extend(_pump_lines(view, course, day))
    elif day.arrive is not None:
        lines.append(f"The nurse comes at {_hhmm(day.arrive)}; the visit ends about "
                     f"{_hhmm(day.leave)}")
    if day.given is not None:
        lot = f"; lot {day.given.lot}" if day.given.lot else ""
        expiry = f", expiry {day.given.expiry}" if day.given.expiry else ""
        lines.append(f"Given (recorded in change[{day.given.change}] on {day.given.on}){lot}"
                     f"{expiry}")
    if course.moved_days:
        lines.append(f"Moved {course.moved_days:+d} days from week {course.week}")
    notes = [f"Warning: {n.message} [{n.code}]" for n in view.warnings]
    notes += [f"Accepted: {o.rule} {o.value} {o.limit}".replace("  ", " ").rstrip()
              + (f"; reason: {o.reason}" if o.reason is not None else "")
              for o in view.overrides]
    closing = []
    if day.steps is not None:
        closing.append("Decision support: check against the prescription and the pump before "
                       "starting.")
    return "\n".join([*lines, *notes, *closing]), "\n".join([*lines, *closing])


def _summary(view: PlanView, course: CourseView, day: DayView) -> str:
    if day.steps is not None:
        label = "Study infusion" if course.masked else "IVIg infusion"
    elif day.arrive is not None:
        label = "Infusion visit" if day.location == "home" else f"Infusion ({day.location})"
    else:
        label = "Infusion day"
    text = f"{label} · course {course.number} · day {day.day}/{len(course.days)}"
    return f"Cancelled: {text}" if day.status in ("cancelled", "skipped") else text


@attrs.frozen
class Event:
    """One VEVENT before its DTSTAMP and SEQUENCE are known.

    Attributes:
        uid: Its UID.
        head: SUMMARY, DTSTART, DTEND (as content lines).
        tail: CLASS, DESCRIPTION, LOCATION, STATUS, TRANSP.
        alarm: The VALARM's lines, if it has one.
    """

    uid: str
    head: tuple[Line, ...]
    tail: tuple[Line, ...] = attrs.field(eq=False)
    alarm: tuple[Line, ...] | None = None
    signature: tuple[Line, ...] = attrs.field(default=(), kw_only=True)
    """What counts as a change (the tail without warnings: they are not the event itself)."""

    def text(self, stamp: dt.datetime, sequence: int) -> str:
        """The VEVENT as folded text."""
        lines = (*self.head, ("DTSTAMP", w.utc(stamp)), ("UID", self.uid),
                 ("SEQUENCE", str(sequence)), *self.tail)
        children = [w.component("VALARM", self.alarm)] if self.alarm else []
        return w.component("VEVENT", lines, children)

    def cancelled(self) -> Event:
        """The same event, cancelled: its times only, no description, no alarm."""
        times = tuple(line for line in self.head if line[0].startswith(("DTSTART", "DTEND")))
        return Event(self.uid, (("SUMMARY", "Cancelled"), *times), CANCELLED,
                     signature=CANCELLED)


CANCELLED: tuple[Line, ...] = (("CLASS", "PRIVATE"), ("STATUS", "CANCELLED"),
                               ("TRANSP", "TRANSPARENT"))


def _times(zone: str, day: DayView) -> tuple[Line, ...]:
    if day.arrive is None or day.leave is None:
        return (("DTSTART;VALUE=DATE", w.date(day.date)),
                ("DTEND;VALUE=DATE", w.date(day.date + dt.timedelta(days=1))))
    return ((f"DTSTART;TZID={zone}", w.local(day.arrive)),
            (f"DTEND;TZID={zone}", w.local(day.leave)))


def _events(view: PlanView) -> list[Event]:
    zone = view.patient.timezone
    events = []
    for course in view.courses:
        for day in course.days:
            summary = _summary(view, course, day)
            key = uid(view.patient.id, view.prescription, "course", course.number, day.day,
                      view.view)
            head = (("SUMMARY", w.escape(summary)), *_times(zone, day))
            if day.status in ("cancelled", "skipped"):
                events.append(Event(key, head, CANCELLED, signature=CANCELLED))
                continue
            full, essential = _description(view, course, day)
            rest: list[Line] = []
            if day.location is not None:
                rest.append(("LOCATION", w.escape(day.location.capitalize())))
            rest += [("STATUS", "CONFIRMED"),
                     ("TRANSP", "OPAQUE" if day.arrive is not None else "TRANSPARENT")]
            alarm = None
            if day.arrive is not None:
                alarm = (("ACTION", "DISPLAY"), ("DESCRIPTION", w.escape(summary)),
                         ("TRIGGER", f"-PT{ALARM_MINUTES // 60}H"))
            private = ("CLASS", "PRIVATE")
            events.append(Event(
                key, head, (private, ("DESCRIPTION", w.escape(full)), *rest), alarm,
                signature=(private, ("DESCRIPTION", w.escape(essential)), *rest)))
    for visit in view.visits:
        events.append(Event(
            uid(view.patient.id, view.prescription, "visit", visit.week, view.view),
            (("SUMMARY", w.escape(f"Study visit · week {visit.week}")),
             ("DTSTART;VALUE=DATE", w.date(visit.date)),
             ("DTEND;VALUE=DATE", w.date(visit.date + dt.timedelta(days=1)))),
            (("CLASS", "PRIVATE"),
             ("DESCRIPTION", w.escape(f"Patient: {view.patient.id}\n{visit.name}")),
             ("STATUS", "CONFIRMED"), ("TRANSP", "TRANSPARENT")),
            signature=(("DESCRIPTION", visit.name),)))
    return events


def _plain(text: str) -> str:
    """An event's text without DTSTAMP and SEQUENCE, unfolded (to compare two versions)."""
    lines = text.replace("\r\n ", "").split("\r\n")
    return "\r\n".join(line for line in lines if not line.startswith(_VOLATILE))


def _refuse(problem: str) -> PrescriptionError:
    return PrescriptionError("--previous", None, problem)


def _sequence(event: Any) -> int:
    raw = event.get("SEQUENCE", 0)
    text = str(raw.to_ical().decode() if hasattr(raw, "to_ical") else raw).strip()
    if not text.isdigit():
        raise _refuse("must hold SEQUENCE values that are whole numbers of 0 or more")
    return int(text)


def identity(view: PlanView) -> dict[str, str]:
    """Whom a calendar is written for: patient (hashed), view, and the plan it belongs to."""
    return {X_PATIENT: digest("patient", view.patient.id),
            X_VIEW: view.view,
            X_PLAN: digest("plan", view.patient.id, view.prescription)}


def _previous_events(previous: bytes, view: PlanView) -> dict[str, Any]:
    """Our events from the file sent before, after checking it was written for this view."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(previous)
    except (ValueError, KeyError, IndexError, TypeError):
        raise _refuse("must be an .ics file written by ivig-schedule") from None
    if str(calendar.get("PRODID", "")) != PRODID:
        raise _refuse("was not written by ivig-schedule; it is never merged")
    for key, wanted in identity(view).items():
        if str(calendar.get(key, "")) != wanted:
            what = {X_VIEW: "view", X_PATIENT: "patient", X_PLAN: "prescription"}[key]
            raise _refuse(f"was written for another {what}; give the file sent to this "
                          f"{what} ({view.view} view)")
    events = {}
    for event in calendar.walk("VEVENT"):
        key = str(event.get("UID", ""))
        if not _UID.fullmatch(key):
            continue  # not ours: never carried into the new file
        _sequence(event)
        events[key] = event
    return events


def _old_times(old: Any) -> tuple[Line, ...]:
    """DTSTART and DTEND of an event from the file sent before, as content lines."""
    found = []
    for name in ("DTSTART", "DTEND"):
        if name in old:
            prop = old[name]
            params = "".join(f";{k}={v}" for k, v in prop.params.items())
            found.append((f"{name}{params}", prop.to_ical().decode()))
    return tuple(found)


def _later(stamp: dt.datetime, old: Any) -> dt.datetime:
    """`stamp`, or one second after the old DTSTAMP when that is not earlier: DTSTAMP moves on."""
    try:
        before = old.decoded("DTSTAMP")
    except KeyError:
        return stamp
    if isinstance(before, dt.datetime) and before.tzinfo is not None and before >= stamp:
        return before.astimezone(dt.UTC) + dt.timedelta(seconds=1)
    return stamp


def _reissue(texts: dict[str, tuple[Event, dt.datetime, int]], previous: dict[str, Any],
             stamp: dt.datetime) -> list[str]:
    """The events' text, reissued against the file sent before: unchanged events keep their
    bytes; changed ones get a higher SEQUENCE and a later DTSTAMP; ours that vanished are
    cancelled (rebuilt from their times alone)."""
    result = []
    for key, (event, when, sequence) in texts.items():
        old = previous.get(key)
        text = event.text(when, sequence)
        if old is None:
            result.append(text)
            continue
        sent = old.to_ical().decode()
        if _plain(sent) == _plain(text):
            result.append(sent)  # unchanged: the exact event that was sent
            continue
        result.append(event.text(_later(stamp, old), max(sequence, _sequence(old) + 1)))
    for key in sorted(k for k in previous if k not in texts):
        old = previous[key]
        gone = Event(key, (("SUMMARY", "Cancelled"), *_old_times(old)), CANCELLED)
        if str(old.get("STATUS", "")) == "CANCELLED":
            sent = old.decoded("DTSTAMP") if "DTSTAMP" in old else stamp
            result.append(gone.text(sent, _sequence(old)))
        else:
            result.append(gone.text(_later(stamp, old), _sequence(old) + 1))
    return result


def _history(view: PlanView, earlier: tuple[PlanView, ...], base: dt.datetime,
             fixed: dt.datetime | None) -> dict[str, tuple[Event, dt.datetime, int]]:
    """Every event with its DTSTAMP and SEQUENCE, derived from the plan's revisions.

    SEQUENCE counts the changes that altered an event in this view (warnings aside); DTSTAMP is
    the date of the last of them. An event a change removed is kept, cancelled.
    """
    stamps = [base] + [max(base, _midnight(on)) for on in view.change_dates]
    now = {e.uid: e for e in _events(view)}
    revisions = [*earlier, view]
    found: dict[str, tuple[Event, dt.datetime, int]] = {}
    seen: dict[str, Event] = {}
    for r, revision in enumerate(revisions):
        current = now if revision is view else {e.uid: e for e in _events(revision)}
        for key in [*current, *(k for k in seen if k not in current)]:
            event = current[key] if key in current else seen[key].cancelled()
            if key not in found:
                found[key] = (event, stamps[r], 0)
            elif found[key][0] != event:
                found[key] = (event, stamps[r], found[key][2] + 1)
        seen |= current
    order = [*now, *sorted(k for k in found if k not in now)]
    return {key: (now.get(key) or found[key][0], fixed or found[key][1], found[key][2])
            for key in order}


def _years(view: PlanView) -> tuple[int, int]:
    years = [day.date.year for course in view.courses for day in course.days]
    years += [visit.date.year for visit in view.visits]
    return min(years) - 1, max(years) + 1


def to_ics(view: PlanView, *, earlier: tuple[PlanView, ...] = (),
           stamp: dt.datetime | None = None, previous: bytes | None = None) -> bytes:
    """The calendar as UTF-8 bytes with CRLF line ends and 75-octet folding.

    `earlier` are the same audience's views of the plan before each recorded change: an event's
    SEQUENCE counts the changes that altered it, its DTSTAMP is the date of the last of them, and
    an event a change removed is written as CANCELLED, so no earlier file is needed.
    """
    fixed = stamp.astimezone(dt.UTC).replace(microsecond=0) if stamp is not None else None
    base = fixed or default_stamp(view)
    name = w.escape(f"IVIg plan {view.patient.id}")
    head: list[Line] = [("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"),
                        ("METHOD", "PUBLISH"), ("NAME", name), ("X-WR-CALNAME", name)]
    head += sorted(identity(view).items())
    first_year, last_year = _years(view)
    old = _previous_events(previous, view) if previous is not None else {}
    events = _reissue(_history(view, earlier, base, fixed), old, base)
    zone = w.vtimezone(view.patient.timezone, first_year, last_year)
    return w.component("VCALENDAR", head, [zone, *events]).encode("utf-8")


def event_texts(view: PlanView, earlier: tuple[PlanView, ...] = ()) -> tuple[str, ...]:
    """The view's VEVENTs as text, with their derived SEQUENCE and DTSTAMP (for a calendar that
    gathers many patients, such as a nurse's)."""
    texts = _history(view, earlier, default_stamp(view), None)
    return tuple(event.text(when, sequence) for event, when, sequence in texts.values())


def years(view: PlanView) -> tuple[int, int]:
    """The years a VTIMEZONE for this view must cover."""
    return _years(view)


def gathered(name: str, zones: dict[str, tuple[int, int]], view: str) -> tuple[str, str]:
    """The head and tail of a calendar of many patients' events (the events go between)."""
    title = w.escape(name)
    head: list[Line] = [("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"),
                        ("METHOD", "PUBLISH"), ("NAME", title), ("X-WR-CALNAME", title),
                        (X_VIEW, view)]
    text = w.component("VCALENDAR", head, [w.vtimezone(z, *zones[z]) for z in sorted(zones)])
    start = text.rsplit(f"END:VCALENDAR{w.CRLF}", 1)[0]
    return start, f"END:VCALENDAR{w.CRLF}"
