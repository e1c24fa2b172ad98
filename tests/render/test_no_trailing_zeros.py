"""No text a person reads, in any format, has a trailing zero ("24.0 mL" reads as 240 when the
point is missed: ISMP); machine fields keep their numbers."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs
from ivig_schedule.render.fhir import bundle
from ivig_schedule.render.records import to_csv, to_json
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, calendar

TRAILING_ZERO = re.compile(r"(?<![\d.])\d+\.\d*0(?![\d.])")
"""A decimal ending in 0 (24.0, 1.50), not part of a version or a date (4.0.1, 2026.12-2)."""
TEXT_COLUMNS = ("location", "contents", "steps", "course_dispense", "status")


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value with its key; quoted sources are the papers' own words."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str) and not key.endswith("source"):
        yield key, value


CASES = [("proderm", "active"), ("proderm", "placebo"), ("might", "placebo"),
         ("time-is-muscle", "active"), ("lim-2021", None), ("2g-q4w", None)]


@pytest.mark.parametrize(("sample", "arm"), CASES)
@pytest.mark.parametrize("role", ["pharmacy", "nurse"])
def test_no_trailing_zero_in_any_text(sample, arm, role):
    """JSON strings, CSV text cells, FHIR strings, the table, the calendar text and explain."""
    text = (SAMPLES / f"{sample}.toml").read_text()
    request = jobs.Request(text=text, overrides={"arm": arm} if arm else {},
                           default_timezone="UTC")
    outcome = jobs.run(request, revisions=True)
    view = plan_view(outcome.checked_plan(), role)
    texts = [("json", s) for _, s in strings(json.loads(to_json(view)))]
    texts += [("csv", row[c]) for row in csv.DictReader(io.StringIO(to_csv(view)))
              for c in TEXT_COLUMNS]
    texts += [("fhir", s) for _, s in strings(bundle(view))]
    texts += [("table", line) for line in to_table(view).splitlines()]
    unfolded = calendar(outcome, role).decode().replace("\r\n ", "")
    texts += [("ics", line) for line in unfolded.splitlines()
              if line.startswith(("SUMMARY", "DESCRIPTION"))]
    if role == "pharmacy":
        explained = outputs.explain(request).data or b""
        texts += [("explain", line) for line in explained.decode().splitlines()
                  if "formula" not in line]
    found = [(where, t) for where, t in texts if TRAILING_ZERO.search(t)]
    assert not found, found[:5]
