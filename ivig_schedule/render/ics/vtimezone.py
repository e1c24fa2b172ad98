"""A VTIMEZONE in the yearly-RRULE style that Outlook, Google and Apple write themselves.

The rules are read from the IANA database (zoneinfo) for the years a plan covers. Transitions that
follow a yearly pattern (e.g. "last Sunday of March, 02:00") become one RRULE; anything irregular
falls back to explicit RDATEs. Long RDATE lists are what some parsers (ical.js, vobject) misread,
so the RRULE form is preferred wherever the zone allows it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from attrs import frozen

UTC = dt.UTC
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EPOCH_LOCAL = dt.datetime(1970, 1, 1)


@frozen
class Transition:
    """One change of UTC offset.

    Attributes:
        local: Wall-clock time of the change, in the offset before it (as VTIMEZONE wants).
        offset_from: UTC offset before.
        offset_to: UTC offset after.
        daylight: True when the new period is daylight saving time.
        name: Abbreviation of the new period, e.g. CEST.
    """

    local: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    daylight: bool
    name: str


@frozen
class Observance:
    """A STANDARD or DAYLIGHT block: a DTSTART plus an RRULE or RDATEs (or neither)."""

    daylight: bool
    start: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    rrule: dict[str, object] | None = None
    rdates: tuple[dt.datetime, ...] = ()


def _offset(zone: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> Iterator[Transition]:
    """Offset changes from 1 January `first_year` to 31 December `last_year` (UTC)."""
    step = dt.timedelta(hours=6)
    instant = dt.datetime(first_year, 1, 1, tzinfo=UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=UTC)
    before = _offset(zone, instant)
    while instant < end:
        later = instant + step
        after = _offset(zone, later)
        if after != before:
            low, high = instant, later
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            moment = high.replace(microsecond=0)
            local_after = moment.astimezone(zone)
            yield Transition(
                local=(moment + before).replace(tzinfo=None),
                offset_from=before,
                offset_to=after,
                daylight=bool(local_after.dst()),
                name=local_after.tzname() or "",
            )
            before = after
        instant = later


def _yearly_rule(group: list[Transition], years: range) -> dict[str, object] | None:
    """An RRULE reproducing every transition of `group`, one a year, or None if none does."""
    if [t.local.year for t in group] != list(years):
        return None
    shapes = set()
    for t in group:
        last_day = calendar.monthrange(t.local.year, t.local.month)[1]
        ordinal = -1 if t.local.day + 7 > last_day else (t.local.day - 1) // 7 + 1
        shapes.add((t.local.month, t.local.weekday(), t.local.time(), ordinal))
    if len(shapes) != 1:
        return None
    month, weekday, _, ordinal = shapes.pop()
    return {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{ordinal}{WEEKDAYS[weekday]}"}


RULE_FROM_YEAR = 1970
"""Yearly rules are written from their first occurrence in 1970, as Outlook writes them from
1601: some parsers (vobject) judge a zone by its transitions in 2000-2020 and would otherwise
take a zone that is UTC+0 in winter (Europe/London) for UTC. The plan's own dates all fall in
years the rule really covers."""


def _first_in(year: int, rule: dict[str, object], time: dt.time) -> dt.datetime:
    """The rule's occurrence in `year` (``BYDAY=-1SU`` is the last Sunday, ``2SU`` the second)."""
    month = int(str(rule["BYMONTH"]))
    byday = str(rule["BYDAY"])
    ordinal, weekday = int(byday[:-2]), WEEKDAYS.index(byday[-2:])
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == weekday]
    return dt.datetime.combine(dt.date(year, month, days[ordinal - 1 if ordinal > 0 else ordinal]),
                               time)


def observances(zone_name: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """STANDARD/DAYLIGHT blocks covering `first_year`..`last_year` for an IANA zone."""
    zone = ZoneInfo(zone_name)
    found = list(transitions(zone, first_year, last_year))
    if not found:
        instant = dt.datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = instant.utcoffset()
        assert offset is not None
        return (Observance(daylight=bool(instant.dst()), start=EPOCH_LOCAL, offset_from=offset,
                           offset_to=offset, name=instant.tzname() or ""),)
    groups: dict[tuple[bool, dt.timedelta, dt.timedelta, str], list[Transition]] = {}
    for t in found:
        groups.setdefault((t.daylight, t.offset_from, t.offset_to, t.name), []).append(t)
    blocks = []
    for (daylight, offset_from, offset_to, name), group in groups.items():
        years = range(group[0].local.year, group[-1].local.year + 1)
        rule = _yearly_rule(group, years) if len(group) > 1 else None
        start = group[0].local if rule is None else _first_in(RULE_FROM_YEAR, rule,
                                                              group[0].local.time())
        blocks.append(Observance(
            daylight=daylight, start=start, offset_from=offset_from,
            offset_to=offset_to, name=name, rrule=rule,
            rdates=() if rule is not None or len(group) == 1 else tuple(t.local for t in group[1:]),
        ))
    first = found[0]
    blocks.append(Observance(  # the period before the first change in range
        daylight=not first.daylight, start=EPOCH_LOCAL, offset_from=first.offset_from,
        offset_to=first.offset_from,
        name=dt.datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone).tzname() or "",
    ))
    return tuple(sorted(blocks, key=lambda b: (b.start, b.daylight)))
