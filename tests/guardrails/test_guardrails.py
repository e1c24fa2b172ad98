"""Limits as data: every shipped bound just below, at and just above; overrides; custom files."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ivig_schedule.engine import compute as engine
from ivig_schedule.guardrails import measure, rules
from ivig_schedule.input import limits_file as limits_module
from ivig_schedule.model.errors import CatalogError, RefusedBySafetyRule

from ..helpers import checked, make

LIMITS = limits_module.built_in_limits()
RULES = {rule.id: rule for rule in LIMITS.rules}


def outcome(rule_id: str, value: str, rx=None, plan=None) -> str:
    """Evaluate one rule on one value (with the plan's first course's cap): 'ok', 'soft' or
    'hard'."""
    rule = RULES[rule_id]
    rx = rx or make()
    context = measure.plan_context(rx, plan.courses[0].cap if plan is not None else None)
    found = rules.evaluate((rule,), {rule.quantity: [(D(value), "test", context)]})
    return found[0].severity if found else "ok"


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("weight.range", "1.9", "hard"), ("weight.range", "2", "ok"), ("weight.range", "2.1", "ok"),
        ("weight.range", "149.9", "ok"), ("weight.range", "150", "ok"),
        ("weight.range", "150.1", "soft"), ("weight.range", "299.9", "soft"),
        ("weight.range", "300", "soft"), ("weight.range", "300.1", "hard"),
        ("dose.course_max", "1.99", "ok"), ("dose.course_max", "2", "ok"),
        ("dose.course_max", "2.01", "hard"),
        ("dose.day_max", "0.99", "ok"), ("dose.day_max", "1", "ok"),
        ("dose.day_max", "1.01", "soft"), ("dose.day_max", "1.1", "soft"),
        ("dose.day_max", "1.11", "hard"),
        ("dose.rounding", "4.99", "ok"), ("dose.rounding", "5", "ok"),
        ("dose.rounding", "5.01", "soft"), ("dose.rounding", "10", "soft"),
        ("dose.rounding", "10.01", "hard"),
        ("rate.pump_ceiling", "998.9", "ok"), ("rate.pump_ceiling", "999", "ok"),
        ("rate.pump_ceiling", "999.1", "hard"),
        ("infusion.max_hours", "359", "ok"), ("infusion.max_hours", "360", "ok"),
        ("infusion.max_hours", "361", "soft"),
        ("data.product_unverified", "0", "ok"), ("data.product_unverified", "1", "hard"),
        ("data.default_ladder", "0", "ok"), ("data.default_ladder", "1", "soft"),
        ("data.regimen_unverified", "0", "ok"), ("data.regimen_unverified", "1", "soft"),
        ("dates.start_in_past", "-1", "soft"), ("dates.start_in_past", "0", "ok"),
        ("dates.start_in_past", "1", "ok"),
    ],
)
def test_shipped_bounds(rule, value, expected):
    """Each bound: a value at the limit is within it; just beyond breaches with its severity."""
    assert outcome(rule, value) == expected


@pytest.mark.parametrize(("value", "expected"), [("119.9", "ok"), ("120", "ok"),
                                                 ("120.1", "hard")])
def test_eligibility_uses_the_regimen_limit(value, expected):
    """MIGHT's 120 kg comes from the regimen data, named by the rule."""
    rx = make(order={"regimen": "might"}, trial={"arm": "active"})
    assert outcome("eligibility.max_weight", value, rx) == expected


def test_eligibility_skipped_without_regimen_limit():
    """A regimen without max_weight_kg never breaches the eligibility rule."""
    assert outcome("eligibility.max_weight", "290") == "ok"


@pytest.mark.parametrize(("delta", "expected"), [("-0.001", "ok"), ("0", "ok"),
                                                 ("0.001", "hard")])
def test_rate_cap_is_the_plans_cap(delta, expected):
    """rate.cap compares each programmed rate with the plan's own cap (4 mg/kg/min for DM)."""
    rx = make()
    plan = engine.compute(rx)
    assert plan.cap_mg_per_kg_min == D(4)
    assert outcome("rate.cap", str(D(4) + D(delta)), rx, plan) == expected


def test_every_rule_has_a_source_and_message():
    """Each shipped limit names its source and says what to check."""
    assert all(rule.source and rule.message for rule in LIMITS.rules)
    assert {"weight.range", "dose.course_max", "dose.day_max", "dose.rounding", "rate.cap",
            "infusion.max_hours", "data.product_unverified", "data.default_ladder",
            "eligibility.max_weight", "dates.start_in_past"} <= set(RULES)


def test_plan_weight_above_150_warns_and_above_300_refuses():
    """Through the engine: 150.1 kg warns, 300.1 kg is refused naming the rule and the source."""
    plan = checked(make(patient={"weight_kg": "150.1"}))
    assert "weight.range" in [w.code for w in plan.warnings]
    with pytest.raises(RefusedBySafetyRule) as info:
        checked(make(patient={"weight_kg": "300.1"}))
    assert info.value.rule == "weight.range"
    assert "300 kg" in str(info.value)
    assert "source:" in str(info.value)


def test_prescribed_course_above_two_g_per_kg_refused():
    """An inline regimen at 2.5 g/kg is refused by dose.course_max."""
    regimen = {"id": "high", "source": "t", "phase": [
        {"name": "a", "dose_g_per_kg": 2.5, "days": [5, 5], "weeks": [0]}]}
    with pytest.raises(RefusedBySafetyRule, match=r"dose\.course_max"):
        checked(make(order={"regimen": None, "days_per_course": 5}, regimen=regimen))


def test_two_g_per_kg_in_one_day_refused():
    """2 g/kg in a single day is above 1.1 g/kg/day: refused."""
    regimen = {"id": "oneday", "source": "t", "phase": [
        {"name": "a", "dose_g_per_kg": 2, "days": [1, 1], "weeks": [0]}]}
    with pytest.raises(RefusedBySafetyRule, match=r"dose\.day_max"):
        checked(make(order={"regimen": None, "days_per_course": 1}, regimen=regimen))


def test_accepted_soft_breach_becomes_an_override():
    """--accept with a reason moves the soft breach from warnings to overrides."""
    plan = checked(make(patient={"weight_kg": 160}),
                       accepted=(("weight.range", "weighed twice"),))
    assert [(o.rule, o.value, o.limit, o.reason) for o in plan.overrides] == [
        ("weight.range", "160 kg", "150 kg", "weighed twice")]
    assert "weight.range" not in [w.code for w in plan.warnings]


def test_hard_breach_cannot_be_accepted():
    """Accepting a hard rule still refuses, and says to use a limits file."""
    with pytest.raises(RefusedBySafetyRule, match="--limits"):
        checked(make(patient={"weight_kg": 400}), accepted=(("weight.range", "sure"),))


def test_unused_accept_is_reported():
    """An --accept that matches no breach records nothing and says so."""
    plan = checked(make(), accepted=(("weight.range", "x"),))
    assert plan.overrides == ()
    assert "override.unused" in [w.code for w in plan.warnings]


def test_strict_refuses_unacknowledged_soft():
    """--strict turns an unacknowledged soft breach into a refusal, and accepting it clears it."""
    rx = make(patient={"weight_kg": 160})
    with pytest.raises(RefusedBySafetyRule, match="--strict"):
        checked(rx, strict=True)
    assert checked(rx, strict=True, accepted=(("weight.range", "checked"),))


def test_start_in_past_only_with_today():
    """The past-start rule needs a 'today' from the caller; the engine never reads the clock."""
    import datetime as dt

    rx = make()
    assert "dates.start_in_past" not in [w.code for w in checked(rx).warnings]
    late = checked(rx, today=dt.date(2027, 1, 12))
    assert "dates.start_in_past" in [w.code for w in late.warnings]


def test_custom_limits_file_replaces_and_is_recorded():
    """A pharmacy limits file with a 100 kg soft weight limit warns at 101 kg and is recorded."""
    text = (
        'name = "Ward 7 limits"\nversion = "3"\n'
        '[[rule]]\nid = "weight.local"\nquantity = "weight_kg"\nunit = "kg"\n'
        'upper_soft = 100\nmessage = "heavy"\nsource = "Ward 7 protocol"\n'
    )
    limits = limits_module.load_limits(text, "ward7.toml")
    plan = checked(make(patient={"weight_kg": 101}), limits=limits)
    assert "weight.local" in [w.code for w in plan.warnings]
    assert (plan.limits.name, plan.limits.version, plan.limits.origin) == (
        "Ward 7 limits", "3", "ward7.toml")


def test_scope_limits_a_rule_to_a_product():
    """A rule scoped to privigen does not fire for octagam-10."""
    text = (
        'name = "n"\nversion = "1"\n'
        '[[rule]]\nid = "w"\nquantity = "weight_kg"\nunit = "kg"\nupper_soft = 10\n'
        'scope = { product = "privigen" }\nmessage = "m"\nsource = "s"\n'
    )
    limits = limits_module.load_limits(text, "f.toml")
    assert checked(make(), limits=limits).warnings == ()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('[[rule]]\nid="a"\nquantity="wieght_kg"\nunit="kg"\nupper_hard=1\nmessage="m"\n'
         'source="s"\n', "rule[0].quantity (line 5)"),
        ('[[rule]]\nid="a"\nquantity="weight_kg"\nunit="kg"\nmessage="m"\nsource="s"\n',
         "rule[0] (line 3)"),
        ('[[rule]]\nid="a"\nquantity="weight_kg"\nunit="kg"\nupper_hard="cap"\nmessage="m"\n'
         'source="s"\n', "rule[0].upper_hard (line 7)"),
        ('[[rule]]\nid="a"\nquantity="weight_kg"\nunit="u"\nupper_hard=1\nmessage="m"\n'
         'source="s"\n', "rule[0].unit (line 6)"),
        ('[[rule]]\nid="b"\nquantity="weight_kg"\nunit="kg"\nupper_hard=1\nmessage="m"\n'
         'source="s"\n[[rule]]\nid="c"\nquantity="step_rate_ml_per_h"\nunit="mg/kg/min"\n'
         'upper_hard=1\nmessage="m"\nsource="s"\n', "rule[1].unit (line 13)"),
    ],
)
def test_bad_limits_file_names_file_key_and_line(body, field):
    """A malformed limits file fails naming the file, the rule's key and its line; a unit that
    is not the quantity's own (mg/kg/min for a rate in mL/h) is refused, not compared."""
    with pytest.raises(CatalogError) as info:
        limits_module.load_limits('name = "n"\nversion = "1"\n' + body, "mine.toml")
    assert str(info.value).startswith(f"mine.toml: {field}:")
