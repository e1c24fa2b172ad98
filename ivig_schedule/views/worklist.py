"""The week's work across patients: each infusion day and study visit in a date range as one
entry, what to prepare for it (as the view may see it), totals by item, and the nurse clashes.

Made from views only, so a masked nurse's entry reads "study medication" and the same for both
arms. Items and totals carry their unit in their names (vials, bags, grams, mL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from attrs import frozen

from ivig_schedule.model.numbers import plain, written
from ivig_schedule.views.dispensing import SALINE_BAG
from ivig_schedule.views.views import CourseView, DayView, PlanView

STUDY_BAG = "study medication bag"
"""A masked course's bag: the same words and volume for both arms."""


@frozen
class Item:
    """One thing to prepare: `vials` of a product size (with their grams), or `bags` of a
    solution, and the volume they hold."""

    item: str
    kind: str  # product, saline or study (masked)
    vials: int = 0
    bags: int = 0
    grams: Decimal = Decimal(0)
    volume_ml: Decimal = Decimal(0)


@frozen
class Entry:
    """An infusion day or a study visit of one patient.

    Attributes:
        date, weekday: The local date, and its weekday in English.
        arrive, leave: The nurse's visit (None for a study visit or a view without times).
        course, day: The course and its day (0 for a study visit; `what` names it).
        status: ``planned``, ``moved`` (its course was moved by a change), ``given`` or
            ``cancelled``.
        prepare: What to prepare, as text for people; `items` the same as values.
    """

    date: dt.date
    weekday: str
    arrive: dt.datetime | None
    leave: dt.datetime | None
    patient_id: str
    nurse: str
    location: str
    course: int
    day: int
    what: str
    status: str
    prepare: str
    items: tuple[Item, ...]
    travel_minutes: int


@frozen
class Clash:
    """Two visits of one nurse that overlap or leave less than the travel time between them."""

    nurse: str
    first: Entry
    second: Entry
    gap_minutes: int
    travel_minutes: int

    @property
    def message(self) -> str:
        """One line naming the nurse, both patients and their times."""
        assert self.first.leave is not None and self.second.arrive is not None
        assert self.second.leave is not None
        both = min(self.first.leave, self.second.leave) - self.second.arrive
        how = (f"overlap for {int(both.total_seconds() // 60)} min" if self.gap_minutes < 0 else
               f"are {self.gap_minutes} min apart, less than the {self.travel_minutes} min "
               "travel time")
        return (f"nurse {self.nurse}: {self.first.patient_id} "
                f"{_clock(self.first.arrive)}-{_clock(self.first.leave)} and "
                f"{self.second.patient_id} {_clock(self.second.arrive)}-"
                f"{_clock(self.second.leave)} on {self.second.arrive.date()} {how}")


def _clock(moment: dt.datetime | None) -> str:
    """``HH:MM`` (without strftime: a roster writes thousands of these)."""
    return "" if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


def _status(course: CourseView, day: DayView) -> str:
    if day.status in ("cancelled", "skipped"):
        return "cancelled"
    if day.status == "given":
        return "given"
    return "moved" if course.moved_days else "planned"


def _items(view: PlanView, course: CourseView, day: DayView) -> tuple[Item, ...]:
    contents = day.contents
    if contents is None:
        if day.volume_ml is None:
            return ()
        kind, name = ("study", STUDY_BAG) if course.masked else ("bag", "infusion bag")
        return (Item(name, kind, bags=1, volume_ml=day.volume_ml),)
    if contents.kind == "placebo":
        return (Item(SALINE_BAG, "saline", bags=1, volume_ml=contents.ml),)
    product = view.product.id if view.product is not None else "product"
    return tuple(Item(f"{product} {plain(v.grams)} g vial", "product", vials=v.count,
                      grams=v.grams * v.count, volume_ml=v.ml * v.count)
                 for v in contents.vials)


def prepare_text(items: Sequence[Item]) -> str:
    """What to prepare, for people: ``2 × octagam-10 30 g vial (60 g)``, ``sodium chloride
    0.9% bag 400 mL``, ``study medication bag 400 mL``."""
    parts = []
    for item in items:
        if item.kind == "product":
            parts.append(f"{item.vials} × {item.item} ({written(item.grams)} g)")
        else:
            parts.append(f"{item.item} {written(item.volume_ml)} mL")
    return " + ".join(parts)


def entries(view: PlanView, nurse: str, travel_minutes: int, start: dt.date,
            end: dt.date) -> tuple[Entry, ...]:
    """The view's infusion days and study visits from `start` to `end` (both included)."""
    found = []
    for course in view.courses:
        for day in course.days:
            if not start <= day.date <= end:
                continue
            items = _items(view, course, day)
            status = _status(course, day)
            shown = () if status == "cancelled" else items
            found.append(Entry(
                date=day.date, weekday=f"{day.date:%A}", arrive=day.arrive, leave=day.leave,
                patient_id=view.patient.id, nurse=nurse, location=day.location or "",
                course=course.number, day=day.day,
                what=f"infusion {course.number}·{day.day}", status=status,
                prepare=prepare_text(shown), items=shown, travel_minutes=travel_minutes))
    for visit in view.visits:
        if start <= visit.date <= end:
            found.append(Entry(
                date=visit.date, weekday=f"{visit.date:%A}", arrive=None, leave=None,
                patient_id=view.patient.id, nurse=nurse, location="", course=0, day=0,
                what=f"study visit week {visit.week}: {visit.name}", status="planned",
                prepare="", items=(), travel_minutes=travel_minutes))
    return tuple(found)


def ordered(found: Iterable[Entry]) -> tuple[Entry, ...]:
    """By date, then arrival (all-day visits first), then patient."""
    return tuple(sorted(found, key=lambda e: (
        e.date, e.arrive.astimezone(dt.UTC) if e.arrive else dt.datetime.min.replace(
            tzinfo=dt.UTC), e.patient_id, e.course, e.day)))


def clashes(found: Iterable[Entry]) -> tuple[Clash, ...]:
    """Every clash of every nurse (see `each_clash`)."""
    return tuple(each_clash(found))


def each_clash(found: Iterable[Entry]) -> Iterator[Clash]:
    """One nurse's timed visits that overlap, or whose gap is shorter than the larger of the
    two patients' travel times. Each visit is compared with the earlier visit that ends last,
    so every visit in a clash is named while the list stays one line a visit (a nurse given
    sixty patients at nine o'clock gets sixty lines, not eighteen hundred)."""
    by_nurse: dict[str, list[Entry]] = {}
    for entry in found:
        if entry.arrive is not None and entry.leave is not None and entry.status != "cancelled":
            by_nurse.setdefault(entry.nurse, []).append(entry)
    for nurse in sorted(by_nurse):
        latest: Entry | None = None
        for entry in sorted(by_nurse[nurse], key=lambda e: (e.arrive, e.patient_id)):
            assert entry.arrive is not None and entry.leave is not None
            if latest is not None and latest.patient_id != entry.patient_id:
                assert latest.leave is not None
                travel = max(latest.travel_minutes, entry.travel_minutes)
                gap = int((entry.arrive - latest.leave).total_seconds() // 60)
                if gap < travel:
                    yield Clash(nurse, latest, entry, gap, travel)
            if latest is None or entry.leave > latest.leave:  # type: ignore[operator]
                latest = entry


@frozen
class Total:
    """One item's total over a day or the range."""

    item: str
    kind: str
    vials: int
    bags: int
    grams: Decimal
    volume_ml: Decimal


def totals(found: Iterable[Entry]) -> tuple[Total, ...]:
    """The items to prepare, added up by item (cancelled and given days are not prepared)."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for entry in found:
        if entry.status in ("cancelled", "given"):
            continue
        for item in entry.items:
            row = sums.setdefault((item.kind, item.item), [Decimal(0)] * 4)
            values = (Decimal(item.vials), Decimal(item.bags), item.grams, item.volume_ml)
            for index, value in enumerate(values):
                row[index] += value
    return tuple(Total(item, kind, int(v[0]), int(v[1]), v[2], v[3])
                 for (kind, item), v in sorted(sums.items(), key=_by_size))


def _by_size(entry: tuple[tuple[str, str], list[Decimal]]) -> tuple[str, str, Decimal]:
    """Totals in order of kind, product, then vial size as a number (1, 2.5, 10, 40 g; never
    as text, which puts 10 before 2.5)."""
    (kind, item), values = entry
    vials, grams = values[0], values[2]
    if kind == "product" and vials:
        return kind, item.rsplit(" ", 3)[0], grams / vials
    return kind, item, Decimal(0)
