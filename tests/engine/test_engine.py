"""The engine: worked examples, weeks, first infusion, rule h, placebo and dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ivig_schedule.engine import compute as engine
from ivig_schedule.model.errors import PrescriptionError, RefusedBySafetyRule
from ivig_schedule.model.plan import PlaceboContents, ProductContents

from ..helpers import checked, make


def steps_of(day):
    return [(s.rate_ml_per_h, s.minutes, s.volume_ml) for s in day.steps]


def test_worked_example_80kg_octagam_dm_4_days():
    """80 kg, octagam-10 DM, 4 days: 40 g/day as 30 g + 10 g, 400 mL, 48/96/192 mL/h."""
    plan = checked(make())
    day = plan.courses[0].days[0]
    assert plan.courses[0].rounded_g == D(160)
    assert day.grams == D(40)
    assert day.volume_ml == D(400)
    assert isinstance(day.contents, ProductContents)
    assert [(v.grams, v.count) for v in day.contents.vials] == [(D(30), 1), (D(10), 1)]
    assert steps_of(day) == [(D(48), 30, D(24)), (D(96), 30, D(48)), (D(192), 103, D(328))]
    assert day.infusion_minutes == 163


def test_worked_example_with_thrombosis_risk():
    """With a thrombosis risk the cap is 3.0 mg/kg/min (the label's 0.03 mL/kg/min, lower than its
    3.3 mg/kg/min): 3.0 × 80 × 60 ÷ 100 = 144.0 mL/h; 400 − 24 − 48 = 328 mL at 144 mL/h is
    136.7 → 137 min."""
    plan = checked(make(patient={"risk_factors": ["thrombosis"]}))
    assert steps_of(plan.courses[0].days[0])[-1] == (D("144.0"), 137, D(328))
    assert plan.cap_mg_per_kg_min == D("3.0")


def test_default_regimen_weeks_and_dates():
    """2g-q4w gives 3 courses at weeks 0, 4, 8, days consecutive from start + 7w."""
    plan = checked(make())
    assert [c.week for c in plan.courses] == [0, 4, 8]
    assert [d.date for d in plan.courses[1].days] == [
        dt.date(2027, 2, 8), dt.date(2027, 2, 9), dt.date(2027, 2, 10), dt.date(2027, 2, 11)]


def test_courses_override_counts():
    """order.courses overrides the count of an every-N-weeks phase."""
    plan = checked(make(order={"courses": 5}))
    assert [c.week for c in plan.courses] == [0, 4, 8, 12, 16]


def test_loading_then_maintenance_weeks_follow_previous_phase():
    """Maintenance without start_week starts every_weeks after the loading course: 0, 3, 6."""
    plan = checked(make(order={"regimen": "loading-2g-then-1g-q3w", "product": "privigen",
                                   "indication": None, "days_per_course": None}))
    assert [(c.phase, c.week) for c in plan.courses] == [
        ("loading", 0), ("maintenance", 3), ("maintenance", 6)]
    assert plan.courses[1].dose_g_per_kg == D(1)


def test_proderm_has_ten_courses_four_blinded():
    """ProDERM: weeks 0-12 blinded, then open label every 4 weeks to week 36 (10 courses)."""
    plan = checked(make(order={"regimen": "proderm", "product": None, "indication": None},
                            trial={"arm": "active"}))
    assert [c.week for c in plan.courses] == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36]
    assert [c.blinded for c in plan.courses] == [True] * 4 + [False] * 6


def test_placebo_changes_only_the_contents():
    """Placebo and active plans are equal except that blinded bags hold saline of equal volume."""
    base = {"regimen": "proderm", "product": None, "indication": None}
    active = checked(make(order=base, trial={"arm": "active"}))
    placebo = checked(make(order=base, trial={"arm": "placebo"}))
    for a_course, p_course in zip(active.courses, placebo.courses, strict=True):
        for a_day, p_day in zip(a_course.days, p_course.days, strict=True):
            assert (a_day.grams, a_day.volume_ml, a_day.steps, a_day.start, a_day.end) == (
                p_day.grams, p_day.volume_ml, p_day.steps, p_day.start, p_day.end)
            if a_course.blinded:
                assert p_day.contents == PlaceboContents(ml=a_day.volume_ml)
            else:
                assert p_day.contents == a_day.contents


def test_first_infusion_is_fixed_grams_on_the_ward():
    """A regimen with first_infusion_g gives course 1 day 1 exactly that, on the ward."""
    plan = checked(make(
        order={"regimen": "time-is-muscle", "product": None, "indication": None},
        trial={"arm": "active"},
        product={"id": "local", "concentration_mg_per_ml": 50, "vials_g": [1, 2.5, 5, 10],
                 "titration": [0.5, 1, 2], "step_minutes": 30, "max_rate": 3,
                 "source": "test protocol"},
    ))
    first, second = plan.courses[0], plan.courses[1]
    assert (first.days[0].grams, first.days[0].location) == (D(30), "ward")
    # 80 kg -> 160 g; 130 g left over 3 days in 0.5 g steps: 43.5, 43.5, 43 (by hand).
    assert [d.grams for d in first.days[1:]] == [D("43.5"), D("43.5"), D(43)]
    assert {d.location for d in second.days} == {"home"}


def test_rule_h_picks_fewest_days_that_fit():
    """Without days, the fewest days whose longest infusion fits max_infusion_hours are used."""
    order = {"days_per_course": None, "max_infusion_hours": 3}
    plan = checked(make(order=order))
    # 160 g: 3 days -> 54 g (540 mL, 30+30+147 min = 207 min > 180); 4 days -> 163 min fits.
    assert len(plan.courses[0].days) == 4
    assert not plan.warnings


def test_rule_h_uses_maximum_and_warns_when_nothing_fits():
    """If no day count fits, the maximum is used and a warning says so."""
    plan = checked(make(order={"days_per_course": None, "max_infusion_hours": 1}))
    assert len(plan.courses[0].days) == 5
    assert "infusion.max_hours" in [w.code for w in plan.warnings]


def test_dst_change_keeps_wall_clock_and_duration():
    """Across the New York fall-back, 09:00 stays 09:00 local and end = start + minutes."""
    plan = checked(make(order={"start": "2027-11-05"}))
    days = plan.courses[0].days
    assert [d.start.utcoffset() for d in days] == [dt.timedelta(hours=-4)] * 2 + [
        dt.timedelta(hours=-5)] * 2
    for day in days:
        assert (day.start.hour, day.start.minute) == (9, 0)
        assert day.end - day.start == dt.timedelta(minutes=day.infusion_minutes)


def test_might_refuses_patients_over_120_kg():
    """MIGHT excludes patients over 120 kg; the refusal names the rule."""
    with pytest.raises(RefusedBySafetyRule, match=r"eligibility\.max_weight"):
        checked(make(patient={"weight_kg": 121}, order={"regimen": "might", "indication": None},
                     trial={"arm": "active"}))
    assert checked(make(patient={"weight_kg": 120}, order={"regimen": "might", "indication": None},
                        trial={"arm": "active"}))


def test_default_doubling_ladder_warns():
    """A plan on a default doubling ladder carries the ladder warning."""
    plan = checked(make(order={"product": "privigen", "indication": None}))
    assert "data.default_ladder" in [w.code for w in plan.warnings]


def test_overlapping_courses_are_refused_by_their_rule():
    """Courses one week apart cannot take 8 days each: the engine plans them, and the
    schedule.overlap rule refuses (day 1 of course 2 is the 8th day of course 1: gap 0 days)."""
    regimen = {"id": "weekly", "source": "test", "phase": [
        {"name": "a", "dose_g_per_kg": 1, "days": [1, 10], "every_weeks": 1, "count": 2}]}
    with pytest.raises(RefusedBySafetyRule, match=r"schedule\.overlap: 0 days \(courses 1-2\)"):
        checked(make(order={"regimen": None, "days_per_course": 8}, regimen=regimen))


def test_unconfirmed_product_is_refused_and_asks_for_local_table():
    """Nanogam (vials and rates unconfirmed) is refused by a data rule; compute alone says why."""
    rx = make(order={"product": "nanogam", "indication": None})
    with pytest.raises(RefusedBySafetyRule, match=r"data\.product_unverified"):
        checked(rx)
    with pytest.raises(PrescriptionError, match=r"local \[product\] table"):
        engine.compute(rx)


def test_lim_preset_schedules_only_its_scheduled_phases():
    """Lim 2021 has 3 courses (weeks 0, 3, 6); its rule-only phase is not scheduled (regression:
    it once added two 2 g/kg courses at weeks 10 and 14)."""
    plan = checked(make(order={"regimen": "lim-2021", "product": None, "indication": None,
                               "days_per_course": None}))
    assert [(c.phase, c.week) for c in plan.courses] == [
        ("loading", 0), ("maintenance", 3), ("maintenance", 6)]
