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
    """A roster CSV of `patients` rows sharing `PRESCRIPTION`, five nurses, and weights from
    50.0 to 109.9 kg, a different one for each of the first 600 rows (so no two patients of a
    300-patient roster have the same plan)."""
    (folder / "rx.toml").write_text(PRESCRIPTION)
    lines = ["id,weight,nurse,prescription"]
    lines += [f"P-{i:05d},{50 + i * 7 % 600 / 10:.1f},Nurse {i % 5},rx.toml"
              for i in range(patients)]
    (folder / "roster.csv").write_text("\n".join(lines) + "\n")
    return folder / "roster.csv"


def naive_calendar(view: Any) -> bytes:
    """One view's infusion events, each timed one with a reminder, through icalendar (a view
    without times, the assessor's, has all-day events, as the tool writes them)."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//naive//EN")
    for course in view.courses:
        for day in course.days:
            event = Event()
            event.add("summary", f"course {course.number} day {day.day}")
            timed = day.arrive is not None and day.leave is not None
            event.add("dtstart", day.arrive if timed else day.date)
            event.add("dtend", day.leave if timed else day.date + dt.timedelta(days=1))
            event.add("dtstamp", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            event.add("uid", f"{view.patient.id}-{course.number}-{day.day}@naive")
            event.add("description", "pump programme " * 30)
            if timed:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", dt.timedelta(minutes=-60))
                alarm.add("description", "reminder")
                event.add_component(alarm)
            calendar.add_component(event)
    return bytes(calendar.to_ical())
