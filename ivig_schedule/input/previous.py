"""A calendar file sent before (``--previous``): checked to be ours, for this patient,
prescription and view, and read into the events the tool wrote.

Only events with our UIDs are read; nothing else of the file is ever carried over. A SEQUENCE that
is not a whole number makes the file unusable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.sent import SentEvent

PRODID = "-//ivig-schedule//plan@1//EN"
X_HASH = "X-IVIG-SCHEDULE-HASH"
_UID = re.compile(r"[0-9a-f]{32}@ivig-schedule")
WHAT = {"X-IVIG-SCHEDULE-VIEW": "view", "X-IVIG-SCHEDULE-PATIENT": "patient",
        "X-IVIG-SCHEDULE-PLAN": "prescription"}


def _refuse(problem: str) -> PrescriptionError:
    return PrescriptionError("--previous", None, problem)


def _sequence(event: Any) -> int:
    raw = event.get("SEQUENCE", 0)
    text = str(raw.to_ical().decode() if hasattr(raw, "to_ical") else raw).strip()
    if not text.isdigit():
        raise _refuse("must hold SEQUENCE values that are whole numbers of 0 or more")
    return int(text)


def _times(event: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for name in ("DTSTART", "DTEND"):
        if name in event:
            prop = event[name]
            params = "".join(f";{k}={v}" for k, v in prop.params.items())
            found.append((f"{name}{params}", prop.to_ical().decode()))
    return tuple(found)


def _stamp(event: Any) -> dt.datetime | None:
    try:
        value = event.decoded("DTSTAMP")
    except KeyError:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return None


PRESCRIPTION_KEY = "X-IVIG-SCHEDULE-PLAN"


def read(data: bytes, expected: Mapping[str, str], view: str,
         replaced: list[str] | None = None) -> dict[str, SentEvent]:
    """Our events of the file, after checking it was written by this tool for the `expected`
    identity (patient, prescription, view).

    A file for the same patient and view but another prescription identity (the start date of
    a prescription without ``[order] id`` was edited by hand) is read too when `replaced` is
    given: its events are then cancelled in the new file (none of them has a UID of the new
    identity), and `replaced` receives the old identity, for the caller to say so."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError):
        raise _refuse("must be an .ics file written by ivig-schedule") from None
    if str(calendar.get("PRODID", "")) != PRODID:
        raise _refuse("was not written by ivig-schedule; it is never merged")
    for key, wanted in expected.items():
        found = str(calendar.get(key, ""))
        if found != wanted:
            if key == PRESCRIPTION_KEY and replaced is not None and found:
                replaced.append(found)
                continue
            what = WHAT.get(key, key)
            raise _refuse(f"was written for another {what}; give the file sent to this "
                          f"{what} ({view} view)")
    events = {}
    for event in calendar.walk("VEVENT"):
        key = str(event.get("UID", ""))
        if not _UID.fullmatch(key):
            continue  # not ours: never carried into the new file
        hashed = event.get(X_HASH)
        events[key] = SentEvent(uid=key, sequence=_sequence(event), stamp=_stamp(event),
                                hash=None if hashed is None else str(hashed),
                                cancelled=str(event.get("STATUS", "")) == "CANCELLED",
                                times=_times(event))
    return events
