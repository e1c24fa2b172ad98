"""Reading calendars back with independent parsers: icalendar, vobject and Mozilla ical.js."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import vobject

ROOT = Path(__file__).resolve().parent.parent
ICALJS = Path(os.environ.get("IVIG_ICALJS", ROOT / ".ci-node" / "node_modules" / "ical.js" /
                             "dist" / "ical.es5.cjs"))
READER = Path(__file__).with_name("icaljs_read.cjs")


def _node() -> str:
    node = shutil.which("node")
    if node is None or not ICALJS.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have node and ical.js (.ci/run installs them)")
        pytest.skip(f"ical.js not installed (npm install --prefix .ci-node ical.js@2); "
                    f"looked for {ICALJS}")
    return node


def _read(lines: str) -> list[dict]:
    events = [json.loads(line) for line in lines.splitlines()]
    for event in events:
        for key in ("start", "end"):
            if isinstance(event[key], int):
                event[key] = dt.datetime.fromtimestamp(event[key], dt.UTC)
    return events


def icaljs_events(data: bytes) -> list[dict]:
    """Each VEVENT as ical.js (strict, Thunderbird's parser) reads it: uid, sequence, status and
    the start and end as UTC instants. Skips with a message when node or ical.js is missing (CI
    installs both: then a missing one is a failure)."""
    out = subprocess.run([_node(), str(READER), str(ICALJS)], input=data, capture_output=True,
                         check=True)
    return _read(out.stdout.decode())


def icaljs_many(calendars: list[bytes]) -> list[list[dict]]:
    """`icaljs_events` for many calendars in one node process (each with its own zones)."""
    payload = json.dumps([c.decode("utf-8") for c in calendars]).encode()
    out = subprocess.run([_node(), str(READER), str(ICALJS)], input=payload,
                         capture_output=True, check=True)
    found: list[list[dict]] = [[] for _ in calendars]
    for event in _read(out.stdout.decode()):
        found[event.pop("calendar")].append(event)
    return found


def icalendar_starts(data: bytes) -> dict[str, dt.datetime]:
    """UID → start instant (UTC) as the icalendar library reads it."""
    import icalendar

    return {str(e["UID"]): e.decoded("DTSTART").astimezone(dt.UTC)
            for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
            if isinstance(e.decoded("DTSTART"), dt.datetime)}


def independent_events(data: bytes) -> list:
    """Parse with vobject after renaming the zone, so only the file's VTIMEZONE can be used."""
    text = data.decode("utf-8").replace("TZID:", "TZID:Test/FileZone-").replace(
        "TZID=", "TZID=Test/FileZone-")
    parsed = vobject.readOne(text)
    return list(parsed.contents.get("vevent", []))
