"""Every fold and gap of 2026-2030, in every zone with clock changes: the calendar names the
JSON's instants in ical.js (strict) and icalendar, and a time in a fold or gap is written in UTC.

Zones that change their clocks at the same instants by the same offsets are one case (one
representative each), so the sweep covers every distinct rule without planning 300 zones.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs

from ..calendars import icalendar_starts, icaljs_many

UTC = dt.UTC
FIRST, LAST = 2026, 2030


def transitions(zone: str) -> tuple[tuple[dt.datetime, dt.timedelta, dt.timedelta], ...]:
    """(instant, offset before, offset after) of each clock change in FIRST..LAST, to the
    minute."""
    tz = zoneinfo.ZoneInfo(zone)
    found = []
    moment = dt.datetime(FIRST, 1, 1, tzinfo=UTC)
    end = dt.datetime(LAST + 1, 1, 1, tzinfo=UTC)
    step = dt.timedelta(hours=6)
    offset = moment.astimezone(tz).utcoffset()
    while moment < end:
        later = moment + step
        after = later.astimezone(tz).utcoffset()
        if after != offset:
            low, high = moment, later
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            assert offset is not None and after is not None
            found.append((high.replace(second=0, microsecond=0), offset, after))
            offset = after
        moment = later
    return tuple(found)


def zones() -> list[str]:
    """One zone for each distinct set of clock changes in the sweep's years."""
    seen: dict[tuple[object, ...], str] = {}
    for zone in sorted(zoneinfo.available_timezones()):
        if zone.startswith(("posix/", "right/", "Etc/", "SystemV/")) or "/" not in zone:
            continue
        try:
            changes = transitions(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if changes:
            seen.setdefault(changes, zone)
    return sorted(seen.values())


def cases() -> list[tuple[str, dt.datetime, str]]:
    """(zone, local start, fold or gap) with the start inside each fold and gap."""
    found = []
    for zone in zones():
        for instant, before, after in transitions(zone):
            if after < before:  # clocks go back: local [instant+after, instant+before) twice
                local = (instant + after + (before - after) / 2).replace(tzinfo=None)
                found.append((zone, local, "fold"))
            else:  # clocks go forward: local [instant+before, instant+after) never happens
                local = (instant + before + (after - before) / 2).replace(tzinfo=None)
                found.append((zone, local, "gap"))
    return found


def prescription(number: int, zone: str, local: dt.datetime) -> str:
    return (f'[patient]\nid = "SW-{number}"\nweight_kg = 70\ntimezone = "{zone}"\n\n'
            f'[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = {local.date()}\n'
            f'start_time = "{local.strftime("%H:%M")}"\ndays_per_course = 2\ncourses = 1\n')


@pytest.mark.slow
def test_every_fold_and_gap_names_the_jsons_instants():
    """For every case, each infusion event's start and end in ical.js and icalendar is the
    JSON's arrival and departure instant; a fold or gap time is written in UTC (``...Z``) and
    every other time keeps its zone."""
    found = cases()
    assert len(found) > 100 and len({zone for zone, *_ in found}) > 20  # many rules
    assert {kind for *_, kind in found} == {"fold", "gap"}
    calendars, expected = [], []
    for number, (zone, local, _) in enumerate(found):
        request = jobs.Request(text=prescription(number, zone, local))
        written = outputs.plan(request, "ics", "nurse")
        record = outputs.plan(request, "json", "nurse")
        assert written.data is not None and record.data is not None, (zone, local,
                                                                      written.failure)
        calendars.append(written.data)
        days = [d for c in json.loads(record.data)["courses"] for d in c["days"]]
        expected.append(sorted((dt.datetime.fromisoformat(d["arrive"]).astimezone(UTC),
                                dt.datetime.fromisoformat(d["leave"]).astimezone(UTC))
                               for d in days))
    read = icaljs_many(calendars)
    wrong = []
    for (zone, local, kind), data, events, want in zip(found, calendars, read, expected,
                                                       strict=True):
        got = sorted((e["start"], e["end"]) for e in events if isinstance(e["start"], dt.datetime))
        if got != want or sorted(icalendar_starts(data).values()) != [s for s, _ in want]:
            wrong.append((zone, local.isoformat(), kind))
        text = data.decode()
        if kind == "fold":  # the start is in the repeated hour: written in UTC
            assert "\r\nDTSTART:" in text or "\r\nDTEND:" in text, (zone, local)
        tz = zoneinfo.ZoneInfo(zone)
        for line in text.splitlines():
            if line.startswith(("DTSTART;TZID=", "DTEND;TZID=")):
                wall = dt.datetime.strptime(line.rsplit(":", 1)[1], "%Y%m%dT%H%M%S")
                first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
                assert first.utcoffset() == second.utcoffset(), (zone, line)  # unambiguous
    assert not wrong, wrong[:10]


def all_zones() -> list[str]:
    """Every IANA zone a prescription may name (the aliases under posix/ and right/ left out)."""
    return sorted(z for z in zoneinfo.available_timezones()
                  if not z.startswith(("posix/", "right/")) and z not in ("Factory", "localtime"))


def year_plan(number: int, zone: str, start: dt.date) -> str:
    return (f'[patient]\nid = "YR-{number}"\nweight_kg = 70\ntimezone = "{zone}"\n\n'
            f'[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = {start}\n'
            f'start_time = "09:00"\ndays_per_course = 2\ncourses = 14\n')


@pytest.mark.slow
@pytest.mark.parametrize("start", [dt.date(2026, 1, 5), dt.date(2030, 1, 7)])
def test_every_zones_vtimezone_matches_zoneinfo_in_icaljs_and_icalendar(start):
    """A year of infusions in every IANA zone (single-rule zones such as Africa/Cairo, Asia/Gaza
    and Asia/Hebron included): ical.js and icalendar read each event at the JSON's instant,
    which is zoneinfo's, from the file's own VTIMEZONE."""
    zones = all_zones()
    assert {"Africa/Cairo", "Asia/Gaza", "Asia/Hebron", "Europe/Amsterdam"} <= set(zones)
    calendars, expected = [], []
    for number, zone in enumerate(zones):
        request = jobs.Request(text=year_plan(number, zone, start))
        written = outputs.plan(request, "ics", "nurse")
        record = outputs.plan(request, "json", "nurse")
        assert written.data is not None and record.data is not None, (zone, written.failure)
        calendars.append(written.data)
        arrivals = sorted(dt.datetime.fromisoformat(d["arrive"]).astimezone(UTC)
                          for c in json.loads(record.data)["courses"] for d in c["days"])
        tz = zoneinfo.ZoneInfo(zone)
        assert all(a.astimezone(tz).strftime("%H:%M") == "08:45" for a in arrivals), zone
        expected.append(arrivals)
    wrong = [zone for zone, data, events, want in zip(
        zones, calendars, icaljs_many(calendars), expected, strict=True)
        if sorted(e["start"] for e in events if isinstance(e["start"], dt.datetime)) != want
        or sorted(icalendar_starts(data).values()) != want]
    assert not wrong, wrong
