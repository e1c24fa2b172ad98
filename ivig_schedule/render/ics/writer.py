"""Writing iCalendar text directly: escaping, 75-octet folding, CRLF, and cached VTIMEZONEs.

Fast enough for rosters of thousands of patients (no per-character object model), and written
in the same canonical form the icalendar library uses, so the library reads it back unchanged.
The library is still used to *parse* calendars (``--previous``) and by the tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ivig_schedule.render.ics.vtimezone import observances

CRLF = "\r\n"
FOLD_AT = 75
"""Octets per line before folding, the line break excluded (RFC 5545 3.1)."""
Line = tuple[str, str]  # (name with parameters, value already formatted)


def escape(text: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, and line breaks as \\n."""
    return (text.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,")
            .replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character or an escape."""
    if line.isascii():
        return line if len(line) < FOLD_AT else _fold_ascii(line)
    data = line.encode("utf-8")
    if len(data) < FOLD_AT:  # short lines holding a "·" or an accent: nothing to fold
        return line
    return _fold_utf8(data)


def _fold_utf8(data: bytes) -> str:
    """`fold` for UTF-8 octets: parts of at most 74 octets that end before a character starts
    (never on a continuation octet, 0b10xxxxxx) and never just after an escape's backslash."""
    parts = []
    start, size = 0, len(data)
    while size - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        while data[end] & 0xC0 == 0x80:
            end -= 1
        if end - start > 1 and data[end - 1] in b"\\^":
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    parts.append(data[start:].decode("utf-8"))
    return (CRLF + " ").join(parts)


def _fold_ascii(line: str) -> str:
    """`fold` for ASCII text: one octet a character, so slices of 74 (an escape is not split)."""
    parts = []
    start, size = 0, len(line)
    while size - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        if end - start > 1 and line[end - 1] in "\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return (CRLF + " ").join(parts)


def local(moment: dt.datetime) -> str:
    """A wall-clock DATE-TIME (for TZID times)."""
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T{moment.hour:02d}" \
           f"{moment.minute:02d}{moment.second:02d}"


def utc(moment: dt.datetime) -> str:
    """A UTC DATE-TIME, ``…Z``."""
    return local(moment if moment.tzinfo is dt.UTC else moment.astimezone(dt.UTC)) + "Z"


def date(day: dt.date) -> str:
    """A DATE value."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def offset(delta: dt.timedelta) -> str:
    """A UTC offset, ``+0100`` or ``-0500``."""
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{rest:02d}"


def _folded(line: str) -> str:
    """`fold` and a CRLF, with the common case (a short ASCII line) handled here."""
    if len(line) < FOLD_AT and line.isascii():
        return line + CRLF
    return fold(line) + CRLF


def line(name: str, value: str) -> str:
    """One content line, ``NAME:value`` (the value already formatted), folded, with its CRLF."""
    return _folded(f"{name}:{value}")


def block(name: str, body: Iterable[str]) -> str:
    """``BEGIN:NAME``, the body (lines from `line`, and child components), ``END:NAME``."""
    return f"BEGIN:{name}{CRLF}{''.join(body)}END:{name}{CRLF}"


def component(name: str, lines: Iterable[Line], children: Sequence[str] = ()) -> str:
    """``BEGIN:NAME``, the folded content lines, the child components, ``END:NAME``."""
    return block(name, [*(line(key, value) for key, value in lines), *children])


def vtimezone(zone: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE for a zone over the years."""
    blocks = []
    for block in observances(zone, first_year, last_year):
        lines: list[Line] = [("DTSTART", local(block.start))]
        # The onset at DTSTART is repeated as the first RDATE: RFC 5545 counts DTSTART as the
        # first onset, but ical.js reads only the RDATEs of a block that has them (an hour off
        # in Africa/Cairo's first year); a repeated onset is the same instant to every reader.
        if block.rdates:
            onsets = (block.start, *(r for r in block.rdates if r != block.start))
            lines += [("RDATE", local(r)) for r in onsets]
        if block.rrule is not None:
            rule = block.rrule
            lines.append(("RRULE", f"FREQ={rule['FREQ']};BYDAY={rule['BYDAY']};"
                                   f"BYMONTH={rule['BYMONTH']}"))
        if block.name:
            lines.append(("TZNAME", escape(block.name)))
        lines += [("TZOFFSETFROM", offset(block.offset_from)),
                  ("TZOFFSETTO", offset(block.offset_to))]
        blocks.append(component("DAYLIGHT" if block.daylight else "STANDARD", lines))
    return component("VTIMEZONE", [("TZID", zone)], blocks)
