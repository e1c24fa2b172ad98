"""A placebo bag is named as what it holds in every line the pharmacy reads: never bare grams of
immunoglobulin it does not contain."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal as D

from ivig_schedule import jobs
from ivig_schedule.render.records import to_csv
from ivig_schedule.render.sheet import to_html
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES


def placebo_view():
    """ProDERM, 80 kg, placebo: courses 1-4 blinded (saline, 4 × 400 mL matched to 4 × 40 g =
    160 g), courses 5-10 open-label Octagam 10% (160 g each)."""
    text = (SAMPLES / "proderm.toml").read_text()
    plan = jobs.run(jobs.Request(text=text, overrides={"arm": "placebo"})).checked_plan()
    return plan_view(plan, "pharmacy")


def test_the_table_names_a_placebo_bag_by_its_contents():
    """The Bag cell of a placebo day starts with the saline, not with "40 g"."""
    table = to_table(placebo_view())
    assert re.search(r"│ 1·1 +│ 2027-01-11 +│ sodium chloride 0\.9% 400 mL \(matches 40", table)
    blinded = table.split("│ 5·1")[0]
    assert "│ 40 g" not in blinded
    assert "│ 40 g" in table.split("│ 5·1")[1]  # open-label days do hold 40 g


def test_csv_grams_add_up_to_the_immunoglobulin_given():
    """Placebo rows have an empty grams cell: the column sums to 6 × 160 = 960 g."""
    rows = list(csv.DictReader(io.StringIO(to_csv(placebo_view()))))
    placebo = [r for r in rows if r["contents"].startswith("sodium chloride")]
    assert len(placebo) == 16 and {r["grams"] for r in placebo} == {""}
    assert sum(D(r["grams"]) for r in rows if r["grams"]) == D(960)


def test_the_placebo_sheet_headline_gives_the_saline_total():
    """Course 1's sheet says 1600 mL of saline matched to 160 g, never "100 mg/mL · 160 g"."""
    html = to_html(placebo_view(), course=1)
    assert "course total 1600 mL of sodium chloride 0.9% (matches 160 g)" in html
    assert "100 mg/mL · course total" not in html
