"""The yardstick both speed benchmarks measure against: a view's timed events written naively
with the icalendar library (Calendar / Event / Alarm + to_ical), as a plain script would."""

from __future__ import annotations

import datetime as dt
from typing import Any


def naive_calendar(view: Any) -> bytes:
    """One view's infusion events, each with a reminder, through icalendar."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//naive//EN")
    for course in view.courses:
        for day in course.days:
            event = Event()
            event.add("summary", f"course {course.number} day {day.day}")
            event.add("dtstart", day.arrive)
            event.add("dtend", day.leave)
            event.add("dtstamp", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            event.add("uid", f"{view.patient.id}-{course.number}-{day.day}@naive")
            event.add("description", "pump programme " * 30)
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", dt.timedelta(minutes=-60))
            alarm.add("description", "reminder")
            event.add_component(alarm)
            calendar.add_component(event)
    return bytes(calendar.to_ical())
