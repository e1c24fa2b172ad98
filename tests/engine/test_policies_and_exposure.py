"""Dosing policies choose the dosing weight from data with its source, and a patient's exposure
history decides which infusions start slowly, judged on each course as it will be given.

Every expected number is worked out by hand in the test's docstring or comments. The Devine
ideal weight of a 175 cm man is 50 + 2.3 × (175 ÷ 2.54 − 60) = 50 + 2.3 × 8.89764 = 70.4646 kg.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.model.errors import InputErrors, PrescriptionError
from ivig_schedule.render.records import to_json
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import make, to_toml

MAN = {"weight_kg": 75, "height_cm": 175, "sex": "male", "birth_date": "1980-05-01"}
"""An adult man: 75 kg, 175 cm; BMI 75 ÷ 1.75² = 24.5."""


def course_grams(rx) -> list[D]:
    plan = jobs.assess(rx).checked_plan()
    return [c.rounded_g for c in plan.courses]


def dosing_weights(rx) -> list[D]:
    plan = jobs.assess(rx).checked_plan()
    return [c.dosing_weight.kg.quantize(D("0.01")) for c in plan.courses]


# --- 1. dosing policies ---------------------------------------------------------------------


@pytest.mark.parametrize("product", ["octagam-10", "privigen"])
def test_bloodstar_adjusts_every_adult(product):
    """BloodSTAR from July 2026: DDW = 70.4646 + 0.4 × (75 − 70.4646) = 72.28 kg; 2 g/kg is
    144.56 g, 145 g in whole vials of either product (1 g grain: 145; Privigen's 2.5 g grain:
    145, not 142.5), where the actual weight would give 150 g."""
    rx = make(patient=MAN, order={"product": product, "dosing_policy": "au-nba-2026"})
    assert dosing_weights(rx) == [D("72.28")] * 3
    assert course_grams(rx) == [D(145)] * 3
    plain = make(patient=MAN, order={"product": product})
    assert course_grams(plain) == [D(150)] * 3


@pytest.mark.parametrize(("patient", "named"), [
    ({"birth_date": "2010-06-01"}, "age 16 years, under 18"),
    ({"height_cm": 150}, "height 150 cm, below 152 cm"),
    ({"sex": "female", "pregnant": True}, "pregnant"),
])
def test_bloodstar_exclusions_use_the_actual_weight_and_say_why(patient, named):
    """A 16-year-old (born 2010-06-01, 16 on 2027-01-11), a 150 cm adult and a pregnant woman
    plan on the actual 75 kg: 2 × 75 = 150 g, and the reason names the exclusion."""
    rx = make(patient={**MAN, **patient}, order={"dosing_policy": "au-nba-2026"})
    plan = jobs.assess(rx).checked_plan()
    for course in plan.courses:
        assert course.dosing_weight.kg == D(75)
        assert course.rounded_g == D(150)
        assert named in course.dosing_weight.excluded
        assert "au-nba-2026" in course.dosing_weight.reason


def test_the_age_exclusion_is_judged_on_each_course():
    """Born 2009-02-20: 17 on course 1 (2027-01-11) and course 2 (2027-02-08), 18 on course 3
    (2027-03-08): 150, 150, then 145 g (adjusted from the 18th birthday on)."""
    rx = make(patient={**MAN, "birth_date": "2009-02-20"}, order={"dosing_policy": "au-nba-2026"})
    assert course_grams(rx) == [D(150), D(150), D(145)]


def test_ontario_rounds_the_dose_to_the_nearest_5_g():
    """81.25 kg, 175 cm: BMI 81.25 ÷ 3.0625 = 26.5 ≤ 30, so the actual weight: 2 × 81.25 =
    162.5 g, which Ontario rounds to 165 g (half up); without the policy Octagam's 1 g grain
    gives 162 g (a tie goes down)."""
    patient = {**MAN, "weight_kg": "81.25"}
    assert course_grams(make(patient=patient, order={"dosing_policy": "ca-on-orbcon"})) == \
        [D(165)] * 3
    assert course_grams(make(patient=patient)) == [D(162)] * 3


def test_ontario_adjusts_above_bmi_30():
    """112 kg, 175 cm: BMI 36.6 > 30: 70.4646 + 0.4 × (112 − 70.4646) = 87.08 kg; 2 × 87.08 =
    174.16 g, to the nearest 5 g: 175 g."""
    rx = make(patient={**MAN, "weight_kg": 112}, order={"dosing_policy": "ca-on-orbcon"})
    assert dosing_weights(rx) == [D("87.08")] * 3
    assert course_grams(rx) == [D(175)] * 3


@pytest.mark.parametrize(("kg", "grams"), [(84, D(168)), (90, D(157))])
def test_us_order_set_adjusts_above_120_percent_of_ibw(kg, grams):
    """84 kg is 119.2% of 70.46 kg: actual, 168 g. 90 kg is 127.7%: 70.4646 + 0.4 × 19.5354 =
    78.28 kg, 2 × 78.28 = 156.56 g → 157 g."""
    rx = make(patient={**MAN, "weight_kg": kg}, order={"dosing_policy": "us-120-ibw"})
    assert course_grams(rx) == [grams] * 3


def test_care_sets_the_pharmacys_default_policy_and_the_order_overrides_it():
    """[care] dosing_policy applies when the order names none; the order's own wins."""
    assert course_grams(make(patient=MAN, care={"dosing_policy": "au-nba-2026"})) == [D(145)] * 3
    rx = make(patient=MAN, care={"dosing_policy": "au-nba-2026"},
              order={"dosing_policy": "actual"})
    assert course_grams(rx) == [D(150)] * 3


def test_an_opt_out_needs_a_reason():
    """dosing_weight = "actual" under BloodSTAR is an opt-out: refused (exit 3) until it is
    acknowledged with a reason, then planned on 75 kg (150 g) with the reason recorded."""
    rx = make(patient=MAN, order={"dosing_policy": "au-nba-2026", "dosing_weight": "actual"})
    refused = jobs.assess(rx)
    assert refused.exit_code == 3
    assert refused.refusal is not None and refused.refusal.rule == "policy.opt_out"
    accepted = jobs.assess(rx, accepted=(("policy.opt_out", "renal failure: full dose"),))
    assert accepted.exit_code == 0
    plan = accepted.checked_plan()
    assert [c.rounded_g for c in plan.courses] == [D(150)] * 3
    assert [o.reason for o in plan.overrides] == ["renal failure: full dose"]


@pytest.mark.parametrize(("sections", "field"), [
    ({"order": {"dosing_policy": "au-nba-2026", "dosing_weight": "adjusted"}},
     "order.dosing_weight"),
    ({"order": {"dosing_policy": "au-nba"}}, "order.dosing_policy"),
    ({"patient": {"birth_date": None}, "order": {"dosing_policy": "au-nba-2026"}},
     "patient.birth_date"),
])
def test_policy_input_errors_name_the_field(sections, field):
    """A basis beside a policy, an unknown policy and a policy's missing age are input errors
    naming the field (a typo gets "did you mean")."""
    patient = {**MAN, **sections.get("patient", {})}

    def plan() -> object:
        return jobs.assess(make(patient=patient, order=sections["order"])).checked_plan()

    with pytest.raises((InputErrors, PrescriptionError)) as caught:
        plan()
    assert field in str(caught.value)


def test_policies_command_lists_each_rule_with_its_source():
    """`ivig-schedule policies -f json` lists the four policies with rule, source and whether
    each is verified; no UK profile (its thresholds were not found)."""
    result = CliRunner().invoke(cli, ["policies", "-f", "json"])
    assert result.exit_code == 0, result.output
    found = {p["id"]: p for p in json.loads(result.output)["policies"]}
    assert sorted(found) == ["actual", "au-nba-2026", "ca-on-orbcon", "us-120-ibw"]
    assert found["au-nba-2026"]["verified"] is True
    assert found["ca-on-orbcon"]["verified"] is False
    assert "nearest 5 g" in found["ca-on-orbcon"]["rule"]
    assert "under 18 years" in found["au-nba-2026"]["rule"]
    assert all(p["source"] for p in found.values())


def test_obese_patient_on_actual_weight_gets_an_advisory():
    """112 kg, 175 cm on the actual weight: BMI 36.6 > 30 warns (soft); under BloodSTAR the
    adjusted weight is used and it does not."""
    plan = jobs.assess(make(patient={**MAN, "weight_kg": 112})).checked_plan()
    assert "dosing_weight.obese_actual" in [w.code for w in plan.warnings]
    policy = jobs.assess(make(patient={**MAN, "weight_kg": 112},
                              order={"dosing_policy": "au-nba-2026"})).checked_plan()
    assert "dosing_weight.obese_actual" not in [w.code for w in policy.warnings]


PRODERM = {"product": "octagam-10", "regimen": "proderm", "days_per_course": 4}


@pytest.mark.parametrize(("kg", "refused"), [("123", True), ("122.5", True), (122, False)])
def test_proderm_excludes_bmi_40_and_above(kg, refused):
    """175 cm: 123 kg is BMI 40.16, 122.5 kg exactly 40.0 (excluded: "BMI ≥ 40"), 122 kg 39.84
    (eligible)."""
    rx = make(patient={**MAN, "weight_kg": kg}, order=PRODERM, trial={"arm": "active"})
    out = jobs.assess(rx)
    rules = [b.rule.id for b in out.decision.refusals]
    assert ("eligibility.bmi" in rules) is refused
    assert (out.exit_code == 3) is refused


def test_proderm_without_a_height_says_the_bmi_is_not_checked():
    """No height: the BMI exclusion cannot be checked, and a soft warning says so."""
    rx = make(order=PRODERM, trial={"arm": "active"})
    plan = jobs.assess(rx).checked_plan()
    assert "eligibility.bmi_unknown" in [w.code for w in plan.warnings]


# --- 2. exposure history and the slow start ---------------------------------------------------


EXPERIENCED = {"naive": False, "last_infusion": "2026-12-21", "last_product": "octagam-10"}
"""Last infused 3 weeks before the start (2027-01-11), with the same product."""


def observation(plan, course: int, day: int) -> int:
    """Minutes between the end of the infusion and the nurse leaving."""
    found = plan.courses[course - 1].days[day - 1]
    return int((found.leave - found.end).total_seconds() // 60)


def test_an_experienced_patient_gets_the_routine_observation():
    """Last infused 21 days before course 1 with the same product: no slow start anywhere, 30
    minutes after every day (the order's default), no slow-start warning."""
    rx = make(patient={"ig_history": EXPERIENCED})
    plan = jobs.assess(rx).checked_plan()
    assert [c.slow_start for c in plan.courses] == [(), (), ()]
    assert {observation(plan, c, d) for c in (1, 2, 3) for d in (1, 2, 3, 4)} == {30}
    assert "infusion.slow_start" not in [w.code for w in plan.warnings]


def test_without_a_history_the_first_infusion_is_a_first_exposure():
    """No ig_history: course 1 day 1 gets 60 minutes (as before histories existed), recorded as
    assumed on the course; no warning (every plan without a history would warn)."""
    plan = jobs.assess(make()).checked_plan()
    assert observation(plan, 1, 1) == 60 and observation(plan, 1, 2) == 30
    assert [r.assumed for r in plan.courses[0].slow_start] == [True]
    assert "infusion.slow_start" not in [w.code for w in plan.warnings]


def test_a_naive_patient_gets_the_slow_start_with_a_soft_warning():
    """naive = true: course 1 day 1 observes 60 minutes and warns (soft), naming the trigger."""
    out = jobs.assess(make(patient={"ig_history": {"naive": True}}))
    plan = out.checked_plan()
    assert observation(plan, 1, 1) == 60
    warning = next(w for w in plan.warnings if w.code == "infusion.slow_start")
    assert "new to immunoglobulin" in warning.message
    assert [b.severity for b in out.decision.breaches if b.rule.id == "infusion.slow_start"] \
        == ["soft"]


def test_a_delay_to_nine_weeks_gives_the_slow_start_on_that_day_only():
    """Course 3 delayed 35 days: course 2 ends 2027-02-11 (week 4, 4 days), course 3 starts
    2027-03-08 + 35 = 2027-04-12, 9 weeks after course 2 started and 60 days after its last
    day: more than 8 weeks, so course 3 day 1 observes 60 minutes; its day 2 and every other
    day keep 30."""
    text = to_toml({
        "patient": {"id": "D-1", "weight_kg": 80, "timezone": "Europe/Amsterdam",
                    "ig_history": EXPERIENCED},
        "order": {"product": "octagam-10", "regimen": "2g-q4w", "start": "2027-01-11",
                  "days_per_course": 4},
    }) + ('\n[[change]]\non = 2026-12-01\nkind = "delay"\nreason = "holiday"\ncourse = 3\n'
          'days = 35\n')
    out = jobs.run(jobs.Request(text=text, default_timezone="UTC", today=dt.date(2026, 12, 2)))
    plan = out.plan
    assert plan is not None, out.error
    assert plan.courses[2].days[0].date == dt.date(2027, 4, 12)
    assert [observation(plan, c, 1) for c in (1, 2, 3)] == [30, 30, 60]
    assert observation(plan, 3, 2) == 30
    assert [r.trigger for r in plan.courses[2].slow_start] == ["interval"]
    warning = next(w for w in plan.warnings if w.code == "infusion.slow_start")
    assert "course 3 day 1" in warning.message and "60 days since the last infusion" in \
        warning.message


def test_a_product_change_at_course_4_starts_slowly_with_the_new_product():
    """Octagam 10% to Privigen from course 4 (of 5): course 4 is made of Privigen (80 kg × 2 =
    160 g = 4 × 40 g, a vial Octagam does not have), its day 1 observes 60 minutes as a switch;
    course 5 (same product as course 4, 4 weeks later) is routine."""
    text = to_toml({
        "patient": {"id": "S-1", "weight_kg": 80, "timezone": "Europe/Amsterdam",
                    "ig_history": EXPERIENCED},
        "order": {"product": "octagam-10", "regimen": "2g-q4w", "start": "2027-01-11",
                  "days_per_course": 4, "courses": 5, "indication": "dermatomyositis"},
    }) + ('\n[[change]]\non = 2026-12-01\nkind = "product"\nreason = "supply"\nproduct = '
          '"privigen"\nfrom_course = 4\n')
    out = jobs.run(jobs.Request(text=text, default_timezone="UTC", today=dt.date(2026, 12, 2)))
    plan = out.plan
    assert plan is not None, out.error
    assert [c.product.id for c in plan.courses] == ["octagam-10"] * 3 + ["privigen"] * 2
    assert [observation(plan, c, 1) for c in (1, 2, 3, 4, 5)] == [30, 30, 30, 60, 30]
    assert [r.trigger for r in plan.courses[3].slow_start] == ["switched"]
    assert plan.courses[3].rounded_g == D(160)
    assert {v.grams: v.count for v in plan.courses[3].dispense.vials} == {D(40): 4}
    record = json.loads(to_json(plan_view(plan, "pharmacy")))
    assert [c["product_id"] for c in record["courses"]] == ["octagam-10"] * 3 + ["privigen"] * 2


def test_a_switch_from_the_last_product_starts_course_1_slowly():
    """Last infused with Privigen 3 weeks ago, now Octagam 10%: course 1 day 1 is a switch."""
    history = {**EXPERIENCED, "last_product": "Privigen 10%"}
    plan = jobs.assess(make(patient={"ig_history": history})).checked_plan()
    assert [r.trigger for r in plan.courses[0].slow_start] == ["switched"]
    assert observation(plan, 1, 1) == 60


def test_a_long_gap_since_the_last_infusion_starts_course_1_slowly():
    """Last infused 2026-11-01, 71 days before 2027-01-11 (more than 8 × 7 = 56): slow start."""
    history = {**EXPERIENCED, "last_infusion": "2026-11-01"}
    plan = jobs.assess(make(patient={"ig_history": history})).checked_plan()
    assert [r.trigger for r in plan.courses[0].slow_start] == ["interval"]
    assert "71 days" in plan.courses[0].slow_start[0].text


def test_observation_below_the_labels_minimum_is_a_soft_limit():
    """Privigen's EU leaflet asks for at least 20 minutes after every infusion: 5 minutes warns
    (observation.minimum, soft); 20 does not."""
    short = make(patient={"ig_history": EXPERIENCED | {"last_product": "privigen"}},
                 order={"product": "privigen", "observation_minutes": 5})
    assert "observation.minimum" in [w.code for w in jobs.assess(short).checked_plan().warnings]
    enough = make(patient={"ig_history": EXPERIENCED | {"last_product": "privigen"}},
                  order={"product": "privigen", "observation_minutes": 20})
    assert "observation.minimum" not in [w.code for w in
                                         jobs.assess(enough).checked_plan().warnings]


def test_a_shorter_first_observation_than_the_first_hour_is_a_soft_limit():
    """A naive patient with first_observation_minutes = 30: below the label's first hour."""
    rx = make(patient={"ig_history": {"naive": True}}, order={"first_observation_minutes": 30,
                                                              "observation_minutes": 30})
    breach = [w for w in jobs.assess(rx).checked_plan().warnings
              if w.code == "observation.minimum"]
    assert breach and "course 1 day 1" in breach[0].message


def test_a_naive_patient_has_no_last_infusion():
    """naive = true beside a last infusion contradicts itself: an input error naming it."""
    with pytest.raises(InputErrors) as caught:
        make(patient={"ig_history": {"naive": True, "last_infusion": "2026-11-01"}})
    assert "patient.ig_history.naive" in str(caught.value)


@pytest.mark.parametrize("history", [None, {"naive": True}, EXPERIENCED,
                                     {**EXPERIENCED, "last_product": "privigen"}])
def test_masked_views_are_identical_across_arms_with_every_trigger(history):
    """ProDERM with a history, a 9-week delay of course 3 (interval) and a switch to Privigen
    at course 6 (open-label): the nurse's and the patient's outputs do not depend on the arm."""
    base = {
        "patient": {"id": "M-1", "weight_kg": 80, "timezone": "Europe/Amsterdam",
                    **({"ig_history": history} if history else {})},
        "order": {"product": "octagam-10", "regimen": "proderm", "start": "2027-01-11",
                  "days_per_course": 4},
    }
    changes = ('\n[[change]]\non = 2026-12-01\nkind = "delay"\nreason = "r"\ncourse = 3\n'
               'days = 35\n\n[[change]]\non = 2026-12-01\nkind = "product"\nreason = "r"\n'
               'product = "privigen"\nfrom_course = 6\n')
    rendered = {}
    for arm in ("active", "placebo"):
        text = to_toml({**base, "trial": {"arm": arm}}) + changes
        out = jobs.run(jobs.Request(text=text, default_timezone="UTC",
                                    today=dt.date(2026, 12, 2)))
        assert out.plan is not None, out.error
        plan = out.plan
        assert plan.courses[2].slow_start  # the 9-week interval
        rendered[arm] = tuple((to_json(plan_view(plan, role)), to_table(plan_view(plan, role)))
                              for role in ("nurse", "patient"))
    assert rendered["active"] == rendered["placebo"]
