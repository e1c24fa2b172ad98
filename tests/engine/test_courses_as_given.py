"""Every fact people act on comes from the course as it will be given, not from the
prescription's first lines: each course's own weight, the first infusion after skips, no
dispensing for courses that will not be given, and the Devine formula only where it applies.

Every expected number is worked out by hand in the test's docstring or comments."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal as D

import pytest

from ivig_schedule import jobs
from ivig_schedule.render.fhir import bundle
from ivig_schedule.render.records import to_csv, to_json
from ivig_schedule.render.sheet import pages, to_html
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, calendar, make, to_toml

TODAY = "2026-12-02"


def change(kind: str, **fields: object) -> dict[str, object]:
    """One [[change]] table recorded before `TODAY`."""
    return {"on": "2026-12-01", "kind": kind, "reason": "recorded", **fields}


def outcome(text: str) -> jobs.Outcome:
    """The use case with the plan's revisions (for calendars)."""
    return jobs.run(jobs.Request(text=text, default_timezone="UTC"), revisions=True)


def with_changes(base: str, *changes: dict[str, object]) -> str:
    """Prescription TOML text with [[change]] tables appended."""
    text = base
    for entry in changes:
        text += "\n[[change]]\n" + to_toml({"x": entry}).split("\n", 1)[1]
    return text


WEIGHT_CHANGE = with_changes(to_toml({
    "patient": {"id": "W-1", "weight_kg": 50, "timezone": "Europe/Amsterdam"},
    "order": {"product": "octagam-10", "regimen": "2g-q4w", "start": "2027-01-11",
              "days_per_course": 4},
}), change("weight", weight_kg=100, from_course=2))
"""50 kg, then 100 kg from course 2: course 1 is 2 × 50 = 100 g, courses 2-3 2 × 100 = 200 g."""


def test_every_output_shows_each_courses_own_weight():
    """After 50 → 100 kg from course 2, course 2's sheet asks for 100 kg (never 50), and JSON,
    CSV, the table, the calendar and FHIR give each course the weight it was made for."""
    done = outcome(WEIGHT_CHANGE)
    assert done.plan is not None, done.error
    view = plan_view(done.plan, "nurse")
    record = json.loads(to_json(plan_view(done.plan, "pharmacy")))
    assert [c["weight_kg"] for c in record["courses"]] == [50.0, 100.0, 100.0]
    assert [c["dosing_weight_kg"] for c in record["courses"]] == [50.0, 100.0, 100.0]
    assert [c["rounded_g"] for c in record["courses"]] == [100.0, 200.0, 200.0]
    assert [c["dosing_weight_basis"] for c in record["courses"]] == ["actual"] * 3

    for page in pages(view, course=2):
        assert "the plan is for 100 kg" in page["weight_check"]
        assert "recorded 100 kg · dosing weight 100 kg (actual)" in page["weights"]
    sheet = to_html(view, course=2)
    assert "50 kg" not in sheet and "for 100 kg" in sheet
    assert "the plan is for 50 kg" in to_html(view, course=1)

    rows = list(csv.DictReader(io.StringIO(to_csv(view))))
    assert [(r["course"], r["weight_kg"], r["dosing_weight_kg"]) for r in rows[::4]] == [
        ("1", "50.0", "50.0"), ("2", "100.0", "100.0"), ("3", "100.0", "100.0")]

    table = to_table(plan_view(done.plan, "pharmacy"), width=140)
    assert "course 1: 50 kg, dosing 50 kg (actual)" in table
    assert "courses 2-3: 100 kg, dosing 100 kg (actual)" in table

    text = calendar(done, "nurse").decode().replace("\r\n ", "")
    events = text.split("BEGIN:VEVENT")[1:]
    assert sum("Planned for 50 kg body weight" in e for e in events) == 4
    assert sum("Planned for 100 kg body weight" in e for e in events) == 8

    fhir = bundle(view)
    weights = {e["fullUrl"]: e["resource"]["valueQuantity"]["value"] for e in fhir["entry"]
               if e["resource"]["resourceType"] == "Observation"}
    assert sorted(weights.values()) == [D(50), D(100)]
    requests = [e["resource"] for e in fhir["entry"]
                if e["resource"]["resourceType"] == "MedicationRequest"]
    assert [weights[r["supportingInformation"][0]["reference"]] for r in requests] == [
        D(50), D(100), D(100)]
    observation = next(e["resource"] for e in fhir["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    assert observation["code"]["coding"][0]["code"] == "29463-7"  # LOINC body weight


def test_a_role_without_weights_sees_no_course_weight():
    """The patient's and the assessor's views carry no course weight in any format."""
    done = outcome(WEIGHT_CHANGE)
    assert done.plan is not None
    for role in ("patient", "assessor"):
        view = plan_view(done.plan, role)
        assert all(c.weight is None for c in view.courses)
        assert "weight_kg" not in to_json(view)
        assert not any(e["resource"]["resourceType"] == "Observation"
                       for e in bundle(view)["entry"])


TIME_IS_MUSCLE = (SAMPLES / "time-is-muscle.toml").read_text()


@pytest.mark.parametrize("arm", ["active", "placebo"])
def test_skipping_course_1_moves_the_first_infusion_safeguards(arm):
    """TIME IS MUSCLE, 70 kg, course 1 skipped: course 2 day 1 is the trial's first 30 g, on the
    ward, with 60 min of observation; course 1 stays at home; course 2 still totals
    2 × 70 = 140 g; day 2 of course 2 has the routine 30 min."""
    text = with_changes(TIME_IS_MUSCLE.replace('arm = "active"', f'arm = "{arm}"'),
                        change("skip", course=1))
    done = outcome(text)
    assert done.plan is not None, done.error
    first, second = done.plan.courses[0], done.plan.courses[1]
    assert first.status == "skipped"
    assert all(d.location == "home" for d in first.days)
    day1, day2 = second.days[0], second.days[1]
    assert (day1.grams, day1.location) == (D(30), "ward")
    assert (day1.leave - day1.end).total_seconds() == 60 * 60
    assert (day2.leave - day2.end).total_seconds() == 30 * 60
    assert day2.location == "home"
    assert sum(d.grams for d in second.days) == D(140)
    codes = {w.code: w.message for w in done.plan.warnings}
    assert "course 1 is skipped" in codes["schedule.first_infusion"]
    assert "30 g, ward" in codes["schedule.first_infusion"]


def test_skipping_course_1_keeps_masked_views_identical_across_arms():
    """With course 1 skipped, the patient's and the assessor's outputs of TIME IS MUSCLE are
    byte-identical for both arms (the first infusion moves alike)."""
    made = {}
    for arm in ("active", "placebo"):
        text = with_changes(TIME_IS_MUSCLE.replace('arm = "active"', f'arm = "{arm}"'),
                            change("skip", course=1))
        done = outcome(text)
        assert done.plan is not None
        made[arm] = [(to_json(plan_view(done.plan, role)), calendar(done, role))
                     for role in ("patient", "assessor")]
    assert made["active"] == made["placebo"]


def test_proderm_with_course_1_skipped_observes_course_2_for_an_hour():
    """ProDERM, course 1 skipped: course 2 day 1 is followed by 60 min of observation, course
    2 day 2 by the routine 30 min."""
    done = outcome(with_changes((SAMPLES / "proderm.toml").read_text(),
                                change("skip", course=1)))
    assert done.plan is not None, done.error
    day1, day2 = done.plan.courses[1].days[:2]
    assert (day1.leave - day1.end).total_seconds() == 60 * 60
    assert (day2.leave - day2.end).total_seconds() == 30 * 60


def test_stopping_before_any_course_leaves_no_first_infusion():
    """A plan stopped from course 1 gives nothing, so no course carries the first infusion."""
    done = outcome(with_changes(TIME_IS_MUSCLE, change("stop", from_course=1)))
    assert done.plan is not None, done.error
    assert all(d.location == "home" for c in done.plan.courses for d in c.days)
    assert "schedule.first_infusion" not in {w.code for w in done.plan.warnings}


SKIP_AND_STOP = with_changes(to_toml({
    "patient": {"id": "S-1", "weight_kg": 80, "timezone": "UTC"},
    "order": {"product": "octagam-10", "regimen": "2g-q4w", "start": "2027-01-11",
              "days_per_course": 4, "courses": 4},
}), change("skip", course=2), change("stop", from_course=4))
"""80 kg, four courses of 2 × 80 = 160 g; course 2 skipped and course 4 stopped, so courses 1
and 3 are given: 320 g, where all four would be 640 g."""


def test_no_dispense_for_skipped_or_cancelled_courses_in_any_format():
    """CSV ``course_dispense`` adds up to the 320 g that will be given; JSON and the table have
    no dispense for the skipped and the cancelled course; FHIR asks to dispense nothing for
    them."""
    done = outcome(SKIP_AND_STOP)
    assert done.plan is not None, done.error
    view = plan_view(done.plan, "pharmacy")
    cells = [r["course_dispense"] for r in csv.DictReader(io.StringIO(to_csv(view)))
             if r["course_dispense"]]
    grams = [D(re.search(r"= ([\d.]+) g", cell).group(1)) for cell in cells]  # type: ignore[union-attr]
    assert grams == [D(160), D(160)] and sum(grams) == D(320)
    record = json.loads(to_json(view))
    assert [("dispense" in c) for c in record["courses"]] == [True, False, True, False]
    table = to_table(view, width=140)
    assert table.count("dispense") == 2
    requests = [e["resource"] for e in bundle(view)["entry"]
                if e["resource"]["resourceType"] == "MedicationRequest"]
    assert ["dispenseRequest" in r for r in requests] == [True, False, True, False]


@pytest.mark.parametrize("basis", ["ideal", "adjusted"])
def test_devine_is_not_stretched_below_152_4_cm(basis):
    """140 cm, 70 kg, female: Devine would give 45.5 + 2.3 × (140 ÷ 2.54 − 60) = 34.27 kg, so
    below 152.4 cm the dosing weight is the actual 70 kg: 2 × 70 = 140 g (not 69 g), with a
    soft warning naming the height."""
    rx = make(patient={"height_cm": 140, "sex": "female", "weight_kg": 70},
              order={"dosing_weight": basis})
    plan = jobs.assess(rx).checked_plan()
    course = plan.courses[0]
    assert course.dosing_weight is not None
    assert (course.dosing_weight.kg, course.dosing_weight.used) == (D(70), "actual")
    assert course.rounded_g == D(140)
    warning = next(w for w in plan.warnings if w.code == "dosing_weight.height_below_devine")
    assert "140 cm" in warning.message and "152.4 cm" in warning.message
    strict = jobs.assess(rx, strict=True)  # soft: --strict refuses it until it is accepted
    assert strict.exit_code == 3
    assert strict.decision is not None
    refused = [b.rule.id for b in strict.decision.refusals]
    # BMI 70 ÷ 1.4² = 35.7 > 30 on the actual weight: the obesity advisory refuses too.
    assert "dosing_weight.height_below_devine" in refused
    assert "dosing_weight.obese_actual" in refused


def test_devine_applies_from_152_4_cm():
    """152.4 cm is 60 in, where Devine starts: a woman's ideal weight there is 45.5 kg, and her
    70 kg adjusted weight is 45.5 + 0.4 × (70 − 45.5) = 55.3 kg, with no height warning."""
    rx = make(patient={"height_cm": "152.4", "sex": "female", "weight_kg": 70},
              order={"dosing_weight": "adjusted"})
    plan = jobs.assess(rx).checked_plan()
    assert plan.dosing_weight.ideal_kg == D("45.5")
    assert plan.dosing_weight.kg == D("55.3")
    assert "dosing_weight.height_below_devine" not in {w.code for w in plan.warnings}
