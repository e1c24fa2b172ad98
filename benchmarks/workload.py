"""What the speed benchmarks share: the roster they plan (one 12-course prescription for every
patient, five nurses) and the yardstick they measure against, a view's timed events written
naively with the icalendar library (Calendar / Event / Alarm + to_ical)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

PRESCRIPTION = """[patient]
weight_kg = 80
timezone = "Europe/Amsterdam"

[order]
product = "octagam-10"
regimen = "2g-q4w"
start = 2027-03-01
days_per_course = 4
courses = 12
"""


def make_roster(folder: Path, patients: int) -> Path:
    """A roster CSV of `patients` rows sharing `PRESCRIPTION`, weights 50-109 kg, five nurses."""
    (folder / "rx.toml").write_text(PRESCRIPTION)
    lines = ["id,weight,nurse,prescription"]
    lines += [f"P-{i:05d},{50 + i % 60},Nurse {i % 5},rx.toml" for i in range(patients)]
    (folder / "roster.csv").write_text("\n".join(lines) + "\n")
    return folder / "roster.csv"


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
