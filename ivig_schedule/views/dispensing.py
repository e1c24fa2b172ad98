"""What the pharmacy dispenses, item by item: the pharmacy view's infusion days as lines.

A product day is one line per vial size (how many, their grams and mL); a placebo day is one
line for its saline bag (its mL), never with product grams, so summing a column cannot over-order
immunoglobulin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from attrs import frozen

from ivig_schedule.model.numbers import plain
from ivig_schedule.views.views import PlanView

DISPENSING_COLUMNS = ("row", "patient_id", "nurse", "course", "day", "date", "start", "week",
                      "status", "kind", "item", "vials", "bags", "grams", "volume_ml")
"""The columns of a dispensing line, in order."""
SALINE_BAG = "sodium chloride 0.9% bag"


@frozen
class DispensingLine:
    """One item of one infusion day, as the pharmacy dispenses it.

    Attributes:
        row, patient_id, nurse: Whose it is.
        course, day, date, start, week: When (the local start time, the ISO week).
        status: ``planned`` or ``given`` (given days are listed, not ordered again).
        kind: ``product`` (vials) or ``saline`` (a placebo bag).
        item: What to pick, e.g. ``octagam-10 30 g vial`` or ``sodium chloride 0.9% bag``.
        vials, bags: How many (only the one that applies is set).
        grams: Product grams (None on a saline row).
        volume_ml: The volume of these vials, or of the bag.
    """

    row: int
    patient_id: str
    nurse: str
    course: int
    day: int
    date: dt.date
    start: str
    week: str
    status: str
    kind: str
    item: str
    vials: int | None
    bags: int | None
    grams: Decimal | None
    volume_ml: Decimal

    def cells(self) -> tuple[Any, ...]:
        """The line's values in `DISPENSING_COLUMNS` order."""
        return (self.row, self.patient_id, self.nurse, self.course, self.day,
                self.date.isoformat(), self.start, self.week, self.status, self.kind, self.item,
                self.vials, self.bags, self.grams, self.volume_ml)



WeekTotal = tuple[str, str, str, Decimal, Decimal, Decimal, Decimal]
"""(week, kind, item, vials, bags, grams, volume_ml): one item's total for one ISO week."""


def week_totals(lines: tuple[DispensingLine, ...]) -> tuple[tuple[WeekTotal, ...],
                                                            tuple[tuple[str, int], ...]]:
    """What the planned lines add up to each ISO week, by item, and how many infusion days
    each week has (given days are listed, not ordered again, so not counted)."""
    totals: dict[tuple[str, str, str], list[Decimal]] = {}
    days: dict[str, set[tuple[int, int]]] = {}
    for line in lines:
        if line.status != "planned":
            continue
        days.setdefault(line.week, set()).add((line.course, line.day))
        sums = totals.setdefault((line.week, line.kind, line.item), [Decimal(0)] * 4)
        for index, value in enumerate((line.vials, line.bags, line.grams, line.volume_ml)):
            sums[index] += value or 0
    return (tuple((*key, *sums) for key, sums in totals.items()),  # type: ignore[misc]
            tuple((week, len(found)) for week, found in days.items()))


class WeeklyTotals:
    """The roster's weekly totals by item, added up row by row as rows finish (in any order;
    addition does not depend on it), and laid out once at the end."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str, str], list[Decimal]] = {}

    def add(self, totals: tuple[WeekTotal, ...]) -> None:
        """One row's `week_totals`."""
        for week, kind, item, *sums in totals:
            found = self._sums.setdefault((week, kind, item), [Decimal(0)] * 4)
            for index, value in enumerate(sums):
                found[index] += value

    def rows(self) -> list[dict[str, Any]]:
        """Each week's total of each item, in week and item order: vials and grams for a
        product, bags for saline."""
        found = []
        for (week, kind, item), (vials, bags, grams, volume) in sorted(self._sums.items()):
            product = kind == "product"
            found.append({"week": week, "kind": kind, "item": item,
                          "vials": int(vials) if product else None,
                          "bags": None if product else int(bags),
                          "grams": grams if product else None, "volume_ml": volume})
        return found


def dispensing_lines(view: PlanView, row: int, nurse: str) -> tuple[DispensingLine, ...]:
    """The pharmacy view's infusion days as items to dispense (cancelled and skipped days are
    not dispensed)."""
    lines = []
    product = view.product.id if view.product else ""
    for course in view.courses:
        for day in course.days:
            if day.status in ("cancelled", "skipped") or day.contents is None:
                continue
            iso = day.date.isocalendar()
            when = (row, view.patient.id, nurse, course.number, day.day, day.date,
                    day.start.isoformat() if day.start else "", f"{iso.year}-W{iso.week:02d}",
                    day.status)
            if day.contents.kind == "placebo":
                lines.append(DispensingLine(*when, kind="saline", item=SALINE_BAG, vials=None,
                                            bags=1, grams=None, volume_ml=day.contents.ml))
                continue
            lines.extend(DispensingLine(
                *when, kind="product", item=f"{product} {plain(vial.grams)} g vial",
                vials=vial.count, bags=None, grams=vial.grams * vial.count,
                volume_ml=vial.ml * vial.count) for vial in day.contents.vials)
    return tuple(lines)
