"""Views of one plan made with one memo share the days they see alike, and write exactly what
views made alone write."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from ivig_schedule.input import prescription
from ivig_schedule.input import roster as roster_input
from ivig_schedule.input.limits_file import built_in_limits
from ivig_schedule.jobs import rows
from ivig_schedule.model.memo import Memo
from ivig_schedule.model.vocabulary import VIEWS
from ivig_schedule.render import formats
from ivig_schedule.render.ics.calendar import to_ics
from ivig_schedule.views import revisions
from ivig_schedule.views.roles import ROLES, sees_arm
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, checked

PRESCRIPTIONS = sorted(SAMPLES.glob("*.toml"))
BLINDED = {p for p in PRESCRIPTIONS if "arm" in tomllib.loads(p.read_text()).get("trial", {})}
CASES = [(path, arm) for path in PRESCRIPTIONS
         for arm in (("active", "placebo") if path in BLINDED else (None,))]
IDS = [f"{path.stem}-{arm}" for path, arm in CASES]


def _plan(path: Path, arm: str | None):
    rx = prescription.from_text(path.read_text(encoding="utf-8"), {"arm": arm}, "UTC")
    return checked(rx)


def _written(view, memo: Memo | None) -> dict[str, bytes]:
    events = revisions.stamped(view, memo=memo)
    options = formats.Options(events=events, memo=memo)
    return {"json": formats.render("json", view, options),
            "csv": formats.render("csv", view, options),
            "ics": to_ics(view, events)}


@pytest.mark.parametrize(("path", "arm"), CASES, ids=IDS)
def test_views_made_with_one_memo_equal_views_made_alone(path, arm):
    """Every view, and its JSON, CSV and calendar, is the same with the shared memo as without
    (reprs compared too: equal Decimals can write differently)."""
    plan = _plan(path, arm)
    memo = Memo()
    for name in VIEWS:
        shared, alone = plan_view(plan, name, memo=memo), plan_view(plan, name)
        assert shared == alone
        assert repr(shared) == repr(alone)
        assert _written(shared, memo) == _written(alone, None), name


@pytest.mark.parametrize(("path", "arm"), CASES, ids=IDS)
def test_only_views_that_see_a_day_alike_share_it(path, arm):
    """The pharmacy and the nurse share the very day objects when both see the course's doses
    and the same free text; a masked nurse, and the patient and the assessor, who see less,
    never share the pharmacy's."""
    plan = _plan(path, arm)
    memo = Memo()
    views = {name: plan_view(plan, name, memo=memo) for name in VIEWS}
    regimen = plan.prescription.regimen
    same_text = sees_arm(ROLES["nurse"], regimen) == sees_arm(ROLES["pharmacy"], regimen)
    shared = 0
    for number, course in enumerate(views["pharmacy"].courses):
        nurse = views["nurse"].courses[number]
        if nurse.masked:
            assert nurse.days is not course.days
            assert all(day.grams is None and day.contents is None for day in nurse.days)
        else:
            assert (nurse.days is course.days) == same_text
            shared += nurse.days is course.days
        for other in ("patient", "assessor"):
            assert views[other].courses[number].days is not course.days
    assert shared or not same_text


def test_a_roster_row_writes_what_each_view_alone_writes():
    """Each planned row of the sample roster (histories, a masked placebo arm, both Lim phases)
    writes the files a view made alone, with its own revisions, writes."""
    limits, today = built_in_limits(), dt.date(2026, 12, 2)
    compared = 0
    for row in roster_input.rows(SAMPLES / "roster" / "roster.csv"):
        done = rows.planned(row, limits, today)
        if isinstance(done, rows.RowResult):
            continue
        written = dict(rows.plan_row(row, limits, today).files)
        for name in VIEWS:
            view = plan_view(done.plan, name, trail=False)
            events = revisions.stamped(
                view, tuple(plan_view(p, name, trail=False) for p in done.outcome.revisions))
            options = formats.Options(events=events)
            assert written[f"{name}.json"] == formats.render("json", view, options)
            assert written[f"{name}.csv"] == formats.render("csv", view, options)
            assert written[f"{name}.ics"] == to_ics(view, events)
        compared += 1
    assert compared >= 10


@pytest.mark.parametrize(("path", "arm"), CASES, ids=IDS)
def test_event_uids_are_the_documented_digest(path, arm):
    """Each infusion day's UID is `uid(view, "course", number, day)` and each visit's
    `uid(view, "visit", week)`, in every view (`items` joins the shared parts once)."""
    plan = _plan(path, arm)
    for name in VIEWS:
        view = plan_view(plan, name)
        expected = [revisions.uid(view, "course", c.number, d.day)
                    for c in view.courses for d in c.days]
        expected += [revisions.uid(view, "visit", v.week) for v in view.visits]
        assert [item.uid for item in revisions.items(view)] == expected
        assert len(set(expected)) == len(expected)
