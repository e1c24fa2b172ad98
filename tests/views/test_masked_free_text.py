"""No free text from the history (reasons, notes, lots, override reasons) and no product name in
a warning reaches a role the trial masks, in any format, whatever words the pharmacist typed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.model.vocabulary import VIEWS
from ivig_schedule.render.fhir import to_fhir
from ivig_schedule.render.records import to_csv, to_json
from ivig_schedule.render.sheet import to_html
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import ics

TODAY = dt.date(2026, 11, 30)
ARM_WORDS = ("placebo", "saline", "active", "sodium chloride", "Gamunex-C", "Octagam")
BASE = {
    "might": ('[patient]\nid = "MI-9"\nweight_kg = 80\ntimezone = "America/Chicago"\n'
              '[order]\nproduct = "gamunex-c"\nregimen = "might"\nstart = "2026-01-05"\n'
              'days_per_course = 2\n'),
    "proderm": ('[patient]\nid = "PD-9"\nweight_kg = 80\ntimezone = "America/New_York"\n'
                '[order]\nregimen = "proderm"\nstart = "2026-01-05"\ndays_per_course = 4\n'),
}


def _outputs(view) -> dict[str, str]:
    rendered = {"json": to_json(view), "csv": to_csv(view), "table": to_table(view, width=200),
                "ics": ics(view).decode().replace("\r\n ", ""), "fhir": to_fhir(view)}
    if view.pump is not None:
        rendered["sheet"] = to_html(view)
    return rendered


@st.composite
def free_texts(draw) -> list[str]:
    """Five free texts, each an arm word with a marker no output would write by itself."""
    return [f"{draw(st.sampled_from(ARM_WORDS))} {draw(st.sampled_from(['note', 'reason']))} "
            f"Q{draw(st.integers(1000, 9999))}" for _ in range(5)]


def _history(texts: list[str]) -> str:
    reason, lot, note, delay, weight = (json.dumps(t) for t in texts)
    return (f'\n[[change]]\non = 2026-01-05\nkind = "given"\nreason = {reason}\ncourse = 1\n'
            f'day = 1\nlot = {lot}\nnote = {note}\n'
            f'\n[[change]]\non = 2026-01-20\nkind = "delay"\nreason = {delay}\ncourse = 2\n'
            f'days = 3\n'
            f'\n[[change]]\non = 2026-01-21\nkind = "weight"\nreason = {weight}\n'
            f'weight_kg = 82\nfrom_course = 3\n')


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BASE)), free_texts())
def test_no_free_text_reaches_a_masked_role(sample, texts):
    """Every masked role's output, in every format, is identical across arms and holds none of
    the free texts typed into the history, nor the reason given with an accepted soft limit."""
    text = BASE[sample] + _history(texts)
    outcomes = {arm: jobs.run(jobs.Request(
        text=text, overrides={"arm": arm}, today=TODAY,
        accepted=(("dates.start_in_past", texts[0]),)), revisions=True)
        for arm in ("active", "placebo")}
    for outcome in outcomes.values():
        assert outcome.plan is not None, outcome.error
    regimen = outcomes["active"].prescription.regimen
    masked = [v for v in VIEWS if regimen.masks(v)]
    assert "nurse" in masked
    for view_name in masked:
        rendered = {arm: _outputs(plan_view(o.plan, view_name)) for arm, o in outcomes.items()}
        assert rendered["active"] == rendered["placebo"], view_name
        for fmt, output in rendered["active"].items():
            for typed in texts:
                assert typed not in output, (view_name, fmt, typed)
    pharmacy = to_json(plan_view(outcomes["placebo"].plan, "pharmacy"))
    assert all(json.dumps(t)[1:-1] in pharmacy for t in texts[:2])  # the pharmacy reads them


def test_masked_warnings_do_not_name_the_product():
    """MIGHT with Gamunex-C has no IMNM ladder: the pharmacy's fallback warning names
    gamunex-c, the masked nurse's says "the product"."""
    outcome = jobs.run(jobs.Request(text=BASE["might"] + '[trial]\narm = "active"\n',
                                    today=TODAY))
    pharmacy = plan_view(outcome.plan, "pharmacy")
    nurse = plan_view(outcome.plan, "nurse")
    said = {w.code: w.message for w in pharmacy.warnings}
    assert "gamunex-c" in said["ladder.indication_fallback"]
    masked = {w.code: w.message for w in nurse.warnings}
    assert "gamunex" not in masked["ladder.indication_fallback"].lower()
    assert "the product has no ladder for imnm" in masked["ladder.indication_fallback"]
