"""`plan` makes the pharmacy's calculation trail only for the format that writes it."""

from __future__ import annotations

import pytest

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs
from ivig_schedule.render import formats

from ..helpers import SAMPLES

PRODERM = (SAMPLES / "proderm.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("view", ["pharmacy", "nurse", "patient"])
def test_only_the_pharmacy_table_names_the_limits_it_was_checked_against(view):
    """The table's "Checked against" line comes from the trail: the pharmacy's table has it,
    and no other role's."""
    written = outputs.plan(jobs.Request(text=PRODERM, default_timezone="UTC"), "table", view)
    assert (b"Checked against " in written.data) == (view == "pharmacy")


def test_the_trail_is_made_for_the_table_only(monkeypatch):
    """JSON, CSV, the calendar and FHIR never ask for the trail; the table does."""
    from ivig_schedule.views import views

    asked: list[str] = []
    made = views._trail
    monkeypatch.setattr(views, "_trail", lambda plan: asked.append("trail") or made(plan))
    for name in formats.PLAN_FORMATS:
        asked.clear()
        request = jobs.Request(text=PRODERM, default_timezone="UTC", today=None)
        written = outputs.plan(request, name, "pharmacy")
        assert written.data, name
        assert bool(asked) == (name == "table"), name
