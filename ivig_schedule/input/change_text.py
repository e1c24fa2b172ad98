"""Recording a change: one ``[[change]]`` table appended to a prescription's text, and what moved.

The rest of the file is kept byte for byte (comments included): the new table is text added at
the end. Whether it is valid is decided by planning the new text the usual way (`jobs.run`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ivig_schedule.model.plan import Plan

TIS_TABLE = "tis"


def _value(value: Any) -> str:
    """A TOML value: dates bare, numbers as written, text as a basic string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def append(text: str, fields: Mapping[str, Any]) -> str:
    """`text` with one ``[[change]]`` table added at the end (a ``tis`` mapping becomes
    ``[change.tis]``)."""
    lines = ["", "[[change]]"]
    lines += [f"{key} = {_value(value)}" for key, value in fields.items()
              if value is not None and not isinstance(value, Mapping)]
    tis = fields.get(TIS_TABLE)
    if isinstance(tis, Mapping):
        lines += ["", f"[change.{TIS_TABLE}]"]
        lines += [f"{key} = {_value(value)}" for key, value in tis.items()]
    head = text if not text or text.endswith("\n") else text + "\n"
    return head + "\n".join(lines) + "\n"


@attrs.frozen
class Moved:
    """One course whose dates, status or dose a change altered: before → after."""

    number: int
    before: str
    after: str


def _summary(plan: Plan, number: int) -> str:
    if number > len(plan.courses):
        return "—"
    course = plan.courses[number - 1]
    first, last = course.days[0].date, course.days[-1].date
    dates = f"{first}" if first == last else f"{first}…{last}"
    grams = format(course.rounded_g.normalize(), "f")
    return f"{dates}, {len(course.days)} d, {grams} g, {course.status}"


def moved(before: Plan | None, after: Plan) -> tuple[Moved, ...]:
    """The courses that differ between two plans, in course order."""
    count = max(len(after.courses), len(before.courses) if before else 0)
    found = []
    for number in range(1, count + 1):
        new = _summary(after, number)
        old = _summary(before, number) if before else "—"
        if new != old:
            found.append(Moved(number, old, new))
    return tuple(found)
