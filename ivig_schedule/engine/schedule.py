"""When things happen: weeks → dates → local times → arrival and departure → visits.

Pure: no clock. Times are local to the patient's IANA zone, and durations are elapsed time, so
an infusion that spans a daylight-saving change still lasts exactly its minutes.

A wall time that occurs twice (the autumn fold) means its first occurrence, as RFC 5545 reads a
TZID time; one that does not exist (the spring gap) moves forward by the gap. Either is reported
as a `TimeShift` so the plan can say so.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import attrs
from attrs import frozen

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import MAX_COURSES, MAX_WEEK, Order, Phase, Regimen, Visit
from ivig_schedule.model.plan import VisitDay
from ivig_schedule.model.vocabulary import WEEKDAYS

UTC = dt.UTC


@frozen
class TimeShift:
    """A wall time that was ambiguous or did not exist on a date.

    Attributes:
        date: The local date.
        asked: The wall time the order asked for.
        used: The wall time used (the same for a fold; later for a gap).
        kind: ``fold`` (occurs twice: the first is used) or ``gap`` (does not exist).
    """

    date: dt.date
    asked: dt.time
    used: dt.time
    kind: str


def course_weeks(regimen: Regimen, courses: int | None) -> tuple[tuple[Phase, int], ...]:
    """Every course as (phase, week), in order; `courses` overrides "every N weeks" counts."""
    result: list[tuple[Phase, int]] = []
    last: int | None = None
    for phase in regimen.phases:
        if not phase.scheduled:
            continue
        if phase.weeks is not None:
            weeks = phase.weeks
        else:
            every, count = phase.every_weeks or 1, phase.count or 1
            count = courses if courses is not None else count
            first = phase.start_week
            if first is None:
                first = 0 if last is None else last + every
            weeks = tuple(first + k * every for k in range(count))
        if last is not None and weeks[0] <= last:
            raise PrescriptionError(f"regimen.phase.{phase.name}", weeks[0],
                                    f"must start after week {last}, the previous phase's last course")
        result.extend((phase, week) for week in weeks)
        last = weeks[-1]
        if len(result) > MAX_COURSES or last > MAX_WEEK:
            raise PrescriptionError("order.courses", len(result),
                                    f"a plan holds at most {MAX_COURSES} courses, up to week "
                                    f"{MAX_WEEK}")
    return tuple(result)


def week_start(start: dt.date, week: int) -> dt.date:
    """The first day of week `week`: start + 7·week days."""
    return add_days(start, 7 * week)


LAST_DATE = dt.date(9997, 12, 31)
"""The last date a plan may use (a project limit, not a clinical one): every output format can
write it, a calendar's time zone its following year and a day's end the next morning."""


def add_days(date: dt.date, days: int) -> dt.date:
    """`date` plus `days`, refused after `LAST_DATE`: the plan must be writable in every
    format, so `check` and `plan` agree."""
    try:
        moved = date + dt.timedelta(days=days)
    except OverflowError:
        moved = dt.date.max
    if moved > LAST_DATE:
        raise PrescriptionError("order.start", date.isoformat(),
                                f"the plan would run past {LAST_DATE.isoformat()}, the last "
                                "date every output format can write") from None
    return moved


def local_start(date: dt.date, time: dt.time, zone: str) -> tuple[dt.datetime, TimeShift | None]:
    """The aware local date-time for `time` on `date`, and any daylight-saving shift applied."""
    tz = ZoneInfo(zone)
    first = dt.datetime.combine(date, time, tzinfo=tz)  # fold=0: the first occurrence
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, None
    resolved = first.astimezone(UTC).astimezone(tz)
    if resolved.replace(tzinfo=None) == first.replace(tzinfo=None):
        return first, TimeShift(date, time, time, "fold")
    # A time in the gap: move it forward by the gap (first's offset is the one before it).
    return resolved, TimeShift(date, time, resolved.time(), "gap")


def after(moment: dt.datetime, minutes: int) -> dt.datetime:
    """`moment` plus `minutes` of elapsed time, in `moment`'s zone."""
    tz = moment.tzinfo
    try:
        return (moment.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(tz)
    except OverflowError:
        raise PrescriptionError("order.start", moment.date().isoformat(),
                                f"the plan would run past {LAST_DATE.isoformat()}, the last "
                                "date every output format can write") from None


MAX_SEARCH_DAYS = 366
"""How far a course or visit may move to find open days before the plan gives up."""


@frozen
class ClosedDays:
    """The days no infusion may fall on: closed weekdays, a country's holidays, given dates.

    A country's holidays are looked up once per year asked for, and kept with these closed
    days (one plan's, or one history's: `compute.Cache`), not at module level.
    """

    weekdays: frozenset[int] = frozenset()
    dates: frozenset[dt.date] = frozenset()
    country: str | None = None
    _years: dict[int, dict[dt.date, str]] = attrs.field(factory=dict, eq=False, repr=False,
                                                         init=False)

    @classmethod
    def of(cls, order: Order) -> ClosedDays:
        """The order's closed days."""
        return cls(frozenset(order.closed_weekdays), frozenset(order.closed_dates), order.holidays)

    def _holiday(self, date: dt.date) -> str | None:
        if self.country is None:
            return None
        year = self._years.get(date.year)
        if year is None:
            year = self._years[date.year] = _holidays(self.country, date.year)
        return year.get(date)

    def reason(self, date: dt.date) -> str | None:
        """Why `date` is closed, or None when it is open."""
        if date.weekday() in self.weekdays:
            return WEEKDAYS[date.weekday()]
        if date in self.dates:
            return "a closed date"
        holiday = self._holiday(date)
        return None if holiday is None else f"{holiday} ({self.country})"

    def why(self, start: dt.date, days: int) -> str:
        """The first closed day among `days` days from `start`, in words."""
        for offset in range(days):
            date = add_days(start, offset)
            reason = self.reason(date)
            if reason is not None:
                return f"{date} is {reason}"
        return "none"

    def first_open(self, start: dt.date, days: int) -> dt.date:
        """The first start on or after `start` whose `days` consecutive days are all open."""
        if not (self.weekdays or self.dates or self.country):
            return start
        for offset in range(MAX_SEARCH_DAYS):
            candidate = add_days(start, offset)
            if all(self.reason(add_days(candidate, d)) is None for d in range(days)):
                return candidate
        raise PrescriptionError("order.closed_weekdays",
                                ", ".join(WEEKDAYS[d] for d in sorted(self.weekdays)),
                                f"leave no run of {days} open days within a year of {start}")

    def nearest_open(self, date: dt.date, window: int) -> dt.date | None:
        """The open day nearest `date` within ± `window` days (later first on a tie)."""
        for distance in range(window + 1):
            for candidate in (add_days(date, distance), add_days(date, -distance)):
                if self.reason(candidate) is None:
                    return candidate
        return None


def _holidays(country: str, year: int) -> dict[dt.date, str]:
    """A country's public holidays in one year (the holidays package: rules, no I/O)."""
    import holidays

    return dict(holidays.country_holidays(country, years=year))


def visit_days(start: dt.date, visits: tuple[Visit, ...],
               closed: ClosedDays | None = None) -> tuple[VisitDay, ...]:
    """The regimen's assessment visits on their dates, in date order; a visit with a window
    moves within it to an open day."""
    found = []
    for visit in sorted(visits, key=lambda v: v.week):
        date = week_start(start, visit.week)
        if closed is not None and visit.window_days and closed.reason(date) is not None:
            date = closed.nearest_open(date, visit.window_days) or date
        found.append(VisitDay(week=visit.week, date=date, name=visit.name))
    return tuple(found)


@frozen
class DayTimes:
    """One infusion day's times: arrival, start, end, departure (all local and aware)."""

    start: dt.datetime
    end: dt.datetime
    arrive: dt.datetime
    leave: dt.datetime
    shift: TimeShift | None


def day_times(order: Order, date: dt.date, zone: str, infusion_minutes: int,
              slow_start: bool) -> DayTimes:
    """Start at the order's time, end after the infusion, arrive for set-up, leave after
    observation (the longer ``first_observation_minutes`` after a slow start: a first
    exposure, a switch, a long interval)."""
    start, shift = local_start(date, order.start_time, zone)
    end = after(start, infusion_minutes)
    observe = order.first_observation_minutes if slow_start else order.observation_minutes
    return DayTimes(start=start, end=end, arrive=after(start, -order.setup_minutes),
                    leave=after(end, observe), shift=shift)
