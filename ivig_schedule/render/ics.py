"""The plan as an iCalendar file that imports into Outlook, Google, Apple and Thunderbird.

- One VEVENT per infusion day (no RRULE), with TZID times and a VTIMEZONE built from the IANA
  rules in the yearly-RRULE style; assessment visits as all-day events.
- Deterministic: the same inputs give the same bytes. UIDs are hashes of patient, regimen, course,
  day and view; DTSTAMP is derived from the plan unless a stamp is given.
- Content comes only from the view's record (`ivig_schedule.views`), so a nurse file of a blinded
  course holds nothing that differs between arms.
- `previous` reissues against the file sent before: changed events keep their UID with
  SEQUENCE + 1, vanished events come back once as CANCELLED, unchanged events keep their bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ivig_schedule.errors import PrescriptionError
from ivig_schedule.render.records import contents_text, number_text
from ivig_schedule.render.vtimezone import component as vtimezone
from ivig_schedule.units import hours_and_minutes
from ivig_schedule.views import CourseView, DayView, PlanView

PRODID = "-//ivig-schedule//plan@1//EN"
ALARM_MINUTES = 60
UID_DOMAIN = "ivig-schedule"
_VOLATILE = ("DTSTAMP", "SEQUENCE")


def uid(*parts: object) -> str:
    """A stable UID from the event's identity; the patient id is hashed, never written."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"


def default_stamp(view: PlanView) -> dt.datetime:
    """DTSTAMP derived from the inputs: midnight UTC on the plan's first date."""
    first = view.courses[0].days[0].date
    return dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)


def _hhmm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def _description(view: PlanView, course: CourseView, day: DayView) -> str:
    lines = [
        f"Patient: {view.patient.id}",
        f"Course {course.number} ({course.phase}, week {course.week}), day {day.day}",
        f"Arrive {_hhmm(day.arrive)} for set-up; infusion {_hhmm(day.start)}-{_hhmm(day.end)}; "
        f"observe until {_hhmm(day.leave)}",
        f"Volume: {number_text(day.volume_ml)} mL",
        "Pump programme:",
    ]
    lines.extend(
        f"  {i}. {number_text(s.rate_ml_per_h)} mL/h for {s.minutes} min, "
        f"VTBI {number_text(s.volume_ml)} mL"
        for i, s in enumerate(day.steps, start=1)
    )
    lines.append(f"Total infusion time: {hours_and_minutes(day.infusion_minutes)}")
    if view.view == "pharmacy":
        if view.product is not None:
            lines.append(f"Product: {view.product.name}")
        if day.contents is not None:
            kind = "Saline" if day.contents.kind == "placebo" else "Vials"
            lines.append(f"{kind}: {contents_text(day.contents)}")
        lines.extend(f"Warning: {w.message} [{w.code}]" for w in view.warnings)
        lines.extend(f"Accepted: {o.rule} {o.value} beyond {o.limit}; "
                     f"reason: {o.reason}" for o in view.overrides)
    lines.append("Decision support: check against the prescription and the pump before starting.")
    return "\n".join(lines)


def _events(view: PlanView) -> list[Any]:
    from icalendar import Alarm, Event

    zone = view.patient.timezone
    total = len(view.courses)
    events = []
    for course in view.courses:
        for day in course.days:
            label = "Study infusion" if course.masked else "IVIg infusion"
            summary = (f"{label} · course {course.number}/{total} · "
                       f"day {day.day}/{len(course.days)}")
            event = Event()
            event.add("summary", summary)
            event.add("dtstart", day.arrive.replace(tzinfo=None), parameters={"TZID": zone})
            event.add("dtend", day.leave.replace(tzinfo=None), parameters={"TZID": zone})
            event.add("uid", uid(view.patient.id, view.regimen_id, course.number, day.day,
                                 view.view))
            event.add("location", day.location.capitalize())
            event.add("description", _description(view, course, day))
            event.add("class", "PRIVATE")
            event.add("status", "CONFIRMED")
            event.add("transp", "OPAQUE")
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
        event.add("uid", uid(view.patient.id, view.regimen_id, "visit", visit.week, view.view))
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


def _previous_events(previous: bytes) -> dict[str, Any]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(previous)
        events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    except (ValueError, KeyError, IndexError) as e:
        raise PrescriptionError("--previous", previous[:40].decode("utf-8", "replace"),
                                f"must be an .ics file written by ivig-schedule ({e})") from None
    return events


def _reissue(events: list[Any], previous: dict[str, Any], stamp: dt.datetime) -> list[Any]:
    """Apply SEQUENCE and CANCELLED against the events that were sent before."""
    result = []
    for event in events:
        old = previous.get(str(event["UID"]))
        if old is not None and _comparable(old) == _comparable(event):
            result.append(old)  # unchanged: the exact event that was sent
            continue
        event.add("dtstamp", stamp)
        event.add("sequence", 0 if old is None else int(old.get("SEQUENCE", 0)) + 1)
        result.append(event)
    current = {str(e["UID"]) for e in events}
    for key in sorted(previous):
        old = previous[key]
        if key in current:
            continue
        if str(old.get("STATUS", "")) != "CANCELLED":
            sequence = int(old.get("SEQUENCE", 0)) + 1
            for name in ("STATUS", "SEQUENCE", "DTSTAMP"):
                old.pop(name, None)
            old.add("status", "CANCELLED")
            old.add("sequence", sequence)
            old.add("dtstamp", stamp)
        result.append(old)
    return result


def _years(view: PlanView) -> tuple[int, int]:
    years = [day.date.year for course in view.courses for day in course.days]
    years += [visit.date.year for visit in view.visits]
    return min(years) - 1, max(years) + 1


def to_ics(view: PlanView, *, stamp: dt.datetime | None = None,
           previous: bytes | None = None) -> bytes:
    """The calendar as UTF-8 bytes with CRLF line ends and 75-octet folding."""
    from icalendar import Calendar

    stamp = (stamp or default_stamp(view)).astimezone(dt.UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = f"IVIg plan {view.patient.id}"
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    first_year, last_year = _years(view)
    calendar.add_component(vtimezone(view.patient.timezone, first_year, last_year))
    events = _events(view)
    for event in _reissue(events, _previous_events(previous) if previous else {}, stamp):
        calendar.add_component(event)
    return bytes(calendar.to_ical())
