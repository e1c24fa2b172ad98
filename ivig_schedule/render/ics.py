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

from ivig_schedule.errors import PrescriptionError
from ivig_schedule.render.records import contents_text, number_text
from ivig_schedule.render.vtimezone import component as vtimezone
from ivig_schedule.units import hours_and_minutes
from ivig_schedule.views import CourseView, DayView, PlanView

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
    if view.pump is not None:
        lines.append(f"Never above {number_text(view.pump.cap_ml_per_h)} mL/h")
    if view.product_name is not None and not course.masked:
        lines.append(f"Product: {view.product_name}")
    if day.contents is not None:
        kind = "Saline" if day.contents.kind == "placebo" else "Vials"
        lines.append(f"{kind}: {contents_text(day.contents)}")
    return lines


def _description(view: PlanView, course: CourseView, day: DayView) -> str:
    lines = [
        f"Patient: {view.patient.id}",
        f"Course {course.number} ({'study infusion' if course.masked else course.phase}, "
        f"week {course.week}), day {day.day}",
    ]
    if view.view in ("pharmacy", "nurse"):
        lines.extend(_pump_lines(view, course, day))
    elif view.view == "patient":
        lines.append(f"The nurse comes at {_hhmm(day.arrive)}; the visit ends about "
                     f"{_hhmm(day.leave)}")
    if day.given is not None:
        lot = f"; lot {day.given.lot}" if day.given.lot else ""
        expiry = f", expiry {day.given.expiry}" if day.given.expiry else ""
        lines.append(f"Given (recorded in change[{day.given.change}] on {day.given.on}){lot}"
                     f"{expiry}")
    if course.moved_days:
        lines.append(f"Moved {course.moved_days:+d} days from week {course.week}")
    lines.extend(f"Warning: {w.message} [{w.code}]" for w in view.warnings)
    lines.extend(f"Accepted: {o.rule} {o.value} {o.limit}; reason: {o.reason}".replace("  ", " ")
                 for o in view.overrides)
    if view.view in ("pharmacy", "nurse"):
        lines.append("Decision support: check against the prescription and the pump before "
                     "starting.")
    return "\n".join(lines)


def _summary(view: PlanView, course: CourseView, day: DayView) -> str:
    label = "Study infusion" if course.masked else "IVIg infusion"
    if view.view == "patient":
        label = "Infusion visit" if day.location == "home" else f"Infusion ({day.location})"
    if view.view == "assessor":
        label = "Infusion day"
    text = f"{label} · course {course.number} · day {day.day}/{len(course.days)}"
    return f"Cancelled: {text}" if day.status in ("cancelled", "skipped") else text


def _events(view: PlanView) -> list[Any]:
    from icalendar import Alarm, Event

    zone = view.patient.timezone
    events = []
    for course in view.courses:
        for day in course.days:
            summary = _summary(view, course, day)
            live = day.status not in ("cancelled", "skipped")
            event = Event()
            event.add("summary", summary)
            if day.arrive is None or day.leave is None:
                event.add("dtstart", day.date)
                event.add("dtend", day.date + dt.timedelta(days=1))
            else:
                event.add("dtstart", day.arrive.replace(tzinfo=None), parameters={"TZID": zone})
                event.add("dtend", day.leave.replace(tzinfo=None), parameters={"TZID": zone})
            event.add("uid", uid(view.patient.id, "course", course.number, day.day, view.view))
            if not live:
                event.add("class", "PRIVATE")
                event.add("status", "CANCELLED")
                event.add("transp", "TRANSPARENT")
                events.append(event)
                continue
            if day.location is not None:
                event.add("location", day.location.capitalize())
            event.add("description", _description(view, course, day))
            event.add("class", "PRIVATE")
            event.add("status", "CONFIRMED")
            event.add("transp", "OPAQUE" if day.arrive is not None else "TRANSPARENT")
            if day.arrive is not None:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", dt.timedelta(minutes=-ALARM_MINUTES))
                alarm.add("description", summary)
                event.add_component(alarm)
            events.append(event)
    for visit in view.visits:
        event = Event()
        event.add("summary", f"Study visit · week {visit.week}")
        event.add("dtstart", visit.date)
        event.add("dtend", visit.date + dt.timedelta(days=1))
        event.add("uid", uid(view.patient.id, "visit", visit.week, view.view))
        event.add("description", f"Patient: {view.patient.id}\n{visit.name}")
        event.add("class", "PRIVATE")
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


def _comparable(event: Any) -> bytes:
    """An event's bytes without the properties that change on every reissue."""
    from icalendar import Event

    copy = Event.from_ical(event.to_ical())
    for name in _VOLATILE:
        copy.pop(name, None)
    return bytes(copy.to_ical())


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
            X_PLAN: digest("plan", view.patient.id, view.regimen_id)}


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
            what = "view" if key == X_VIEW else "patient"
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


def _cancelled(old: Any, stamp: dt.datetime, sequence: int | None = None) -> Any:
    """A vanished event, rebuilt from its UID and times only (nothing else from the old one)."""
    from icalendar import Event

    event = Event()
    event.add("summary", "Cancelled")
    for name in ("DTSTART", "DTEND"):
        if name in old:
            event.add(name.lower(), old.decoded(name), parameters=dict(old[name].params))
    event.add("uid", str(old["UID"]))
    event.add("class", "PRIVATE")
    event.add("status", "CANCELLED")
    event.add("transp", "TRANSPARENT")
    event.add("sequence", _sequence(old) + 1 if sequence is None else sequence)
    event.add("dtstamp", _later(stamp, old) if sequence is None else stamp)
    return event


def _later(stamp: dt.datetime, old: Any) -> dt.datetime:
    """`stamp`, or one second after the old DTSTAMP when that is not earlier: DTSTAMP moves on."""
    try:
        before = old.decoded("DTSTAMP")
    except KeyError:
        return stamp
    if isinstance(before, dt.datetime) and before.tzinfo is not None and before >= stamp:
        return before.astimezone(dt.UTC) + dt.timedelta(seconds=1)
    return stamp


def _reissue(events: list[Any], previous: dict[str, Any], stamp: dt.datetime) -> list[Any]:
    """Apply SEQUENCE and CANCELLED against the events that were sent before."""
    result = []
    for event in events:
        old = previous.get(str(event["UID"]))
        if old is None:
            result.append(event)
            continue
        if _comparable(old) == _comparable(event):
            result.append(old)  # unchanged: the exact event that was sent
            continue
        ours = int(event["SEQUENCE"])
        for name in _VOLATILE:
            event.pop(name, None)
        event.add("dtstamp", _later(stamp, old))
        event.add("sequence", max(ours, _sequence(old) + 1))
        result.append(event)
    current = {str(e["UID"]) for e in events}
    for key in sorted(previous):
        if key in current:
            continue
        old = previous[key]
        if str(old.get("STATUS", "")) == "CANCELLED":
            result.append(_cancelled_again(old))
        else:
            result.append(_cancelled(old, stamp))
    return result


def _cancelled_again(old: Any) -> Any:
    """An event already cancelled: rebuilt the same way, keeping its SEQUENCE and DTSTAMP."""
    from icalendar import Event

    event = Event()
    event.add("summary", "Cancelled")
    for name in ("DTSTART", "DTEND"):
        if name in old:
            event.add(name.lower(), old.decoded(name), parameters=dict(old[name].params))
    event.add("uid", str(old["UID"]))
    event.add("class", "PRIVATE")
    event.add("status", "CANCELLED")
    event.add("transp", "TRANSPARENT")
    event.add("sequence", _sequence(old))
    if "DTSTAMP" in old:
        event.add("dtstamp", old.decoded("DTSTAMP"))
    return event


def _history(view: PlanView, earlier: tuple[PlanView, ...],
             base: dt.datetime) -> tuple[dict[str, tuple[int, dt.datetime]], dict[str, Any]]:
    """From the plan's revisions: each event's SEQUENCE (the changes that altered it) and
    DTSTAMP (the date of the last of them), and the events a change removed (as last seen)."""
    revisions = [*earlier, view]
    stamps = [base] + [max(base, _midnight(on)) for on in view.change_dates]
    bare = [attrs.evolve(v, warnings=(), overrides=()) for v in revisions]
    signatures = [{str(e["UID"]): _comparable(e) for e in _events(v)} for v in bare]
    seen: dict[str, Any] = {}
    for v in revisions[:-1]:
        for event in _events(v):
            seen[str(event["UID"])] = event
    found: dict[str, tuple[int, dt.datetime]] = {}
    for r, now in enumerate(signatures):
        for key in set(now) | (set(signatures[r - 1]) if r else set()):
            before = signatures[r - 1].get(key) if r else None
            after = now.get(key)
            if key not in found:
                found[key] = (0, stamps[r])
            elif before != after:
                found[key] = (found[key][0] + 1, stamps[r])
    gone = {k: e for k, e in seen.items() if k not in signatures[-1]}
    return found, gone


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
    from icalendar import Calendar

    fixed = stamp.astimezone(dt.UTC).replace(microsecond=0) if stamp is not None else None
    base = fixed or default_stamp(view)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = f"IVIg plan {view.patient.id}"
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    for key, value in identity(view).items():
        calendar.add(key, value)
    first_year, last_year = _years(view)
    calendar.add_component(vtimezone(view.patient.timezone, first_year, last_year))
    events = _events(view)
    sequence, gone = _history(view, earlier, base)
    for event in events:
        count, when = sequence[str(event["UID"])]
        event.add("dtstamp", fixed or when)
        event.add("sequence", count)
    for key in sorted(gone):
        count, when = sequence[key]
        events.append(_cancelled(gone[key], fixed or when, count))
    old = _previous_events(previous, view) if previous is not None else {}
    for event in _reissue(events, old, base):
        calendar.add_component(event)
    return bytes(calendar.to_ical())
