"""Ladders by indication, dosing weight and rate caps, safe by default: each example a new user hit."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input import catalog

from ..helpers import SAMPLES, checked, make

TODAY = ("--today", "2027-01-01")
README_EXAMPLE = ["--weight", "72.5", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
                  "2027-03-01", "--days", "4", "--timezone", "Europe/Amsterdam", *TODAY]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def plan_json(*args: str) -> dict:
    result = run("plan", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def all_steps(data: dict) -> list[dict]:
    return [s for c in data["courses"] for d in c["days"] for s in d.get("steps", [])]


def codes(data: dict) -> list[str]:
    return [w["code"] for w in data["warnings"]]




def test_readme_example_uses_the_dermatomyositis_ladder():
    """2g-q4w names dermatomyositis: Octagam 10% stops at 4 mg/kg/min = 4 × 72.5 × 0.6 = 174 mL/h,
    not the ITP ladder's 522 mL/h."""
    data = plan_json("plan", *README_EXAMPLE)[0] if False else plan_json(*README_EXAMPLE)
    assert data["pump"]["ladder"] == "dermatomyositis"
    assert max(s["rate_ml_per_h"] for s in all_steps(data)) == 174.0
    assert data["pump"]["cap_ml_per_h"] == 174.0


def test_panzyga_loading_regimen_uses_the_cidp_maximum():
    """loading-2g-then-1g-q3w names CIDP: Panzyga's CIDP maximum is 12 mg/kg/min, not 14."""
    data = plan_json("--weight", "72.5", "--product", "panzyga", "--regimen",
                     "loading-2g-then-1g-q3w", "--start", "2027-03-01", "--timezone", "UTC", *TODAY)
    assert (data["pump"]["ladder"], data["pump"]["cap_mg_per_kg_min"]) == ("cidp", 12.0)


def test_no_indication_takes_the_slowest_ladder_and_warns_softly():
    """A regimen without an indication gets the product's slowest ladder and a soft warning;
    --strict refuses it until it is accepted with a reason."""
    regimen = {"id": "local", "source": "ward protocol", "phase": [
        {"name": "c", "dose_g_per_kg": 2, "days": [4, 4], "weeks": [0]}]}
    rx = make(order={"regimen": None, "indication": None}, regimen=regimen)
    plan = checked(rx)
    assert plan.ladder.indication == "dermatomyositis"  # Octagam 10%: 4 < 12 mg/kg/min
    assert "ladder.indication_fallback" in [w.code for w in plan.warnings]
    strict = jobs.assess(rx, strict=True)
    assert strict.exit_code == jobs.EXIT_REFUSED
    assert "--accept ladder.indication_fallback" in str(strict.error)
    accepted = jobs.assess(rx, strict=True,
                           accepted=(("ladder.indication_fallback", "ward protocol"),))
    assert accepted.exit_code == jobs.EXIT_OK
    assert [o.rule for o in accepted.plan.overrides] == ["ladder.indication_fallback"]


def test_explain_says_which_ladder_and_why():
    """explain names the ladder and the reason (regimen's indication, or the fallback)."""
    text = run("explain", str(SAMPLES / "lim-2021.toml"), *TODAY).output
    assert "Ladder (itp)" in text
    assert "privigen has no ladder for iim; its slowest ladder is used (itp" in text


@pytest.mark.parametrize("regimen", sorted(r.id for r in catalog.regimens().values()
                                           if r.indication))
@pytest.mark.parametrize("product", sorted(p.id for p in catalog.products().values()
                                           if not p.missing_fields()))
def test_no_step_above_the_products_maximum_for_the_indication(regimen, product):
    """For every regimen with an indication and every product (at 40-140 kg), no programmed rate
    exceeds that product's maximum for the indication, or its slowest ladder's."""

    entry = catalog.products()[product]
    indication = catalog.regimens()[regimen].indication
    ladder = entry.ladder_for(indication) or entry.slowest_ladder()
    maximum = ladder.maximum_mg_per_kg_min(entry.concentration_mg_per_ml)
    for weight in ("40", "71.3", "99.9", "140"):
        trial = {"arm": "active"} if catalog.regimens()[regimen].blinded else {}
        rx = make(patient={"weight_kg": weight}, order={
            "product": product, "regimen": regimen, "indication": None, "days_per_course": None},
            trial=trial or {"arm": None})
        try:
            plan = jobs.assess(rx).plan
        except Exception as e:  # pragma: no cover - a failure here is the finding
            raise AssertionError((regimen, product, weight)) from e
        if plan is None:
            continue
        for course in plan.courses:
            for day in course.days:
                assert all(s.programmed_mg_per_kg_min <= maximum for s in day.steps)




def test_auto_weight_that_falls_back_to_actual_warns():
    """130 kg, 140 cm, female (BMI 66): auto uses the actual weight (Devine does not apply below
    152.4 cm) and says so softly; explain gives the rule."""
    args = ["--weight", "130", "--height", "140", "--sex", "female", "--dosing-weight", "auto",
            "--product", "octagam-10", "--regimen", "2g-q4w", "--start", "2027-03-01",
            "--timezone", "UTC", *TODAY]
    data = plan_json(*args)
    assert data["patient"]["dosing_weight_basis"] == "actual"
    warning = next(w for w in data["warnings"] if w["code"] == "dosing_weight.auto_actual")
    assert "BMI 66.327 is above 30" in warning["message"]  # 130 / 1.4² = 66.33
    assert "below 152.4 cm" in warning["message"]
    assert "why: auto: adjusted weight applies when BMI > 30 and height ≥ 152.4 cm" in run(
        "explain", *args).output



HEAVY = ["--weight", "160", "--product", "octagam-10", "--regimen", "2g-q4w", "--indication",
         "itp", "--start", "2027-03-01", "--timezone", "UTC", "--days", "2", "--accept",
         "weight.range", "--reason", "weighed twice", "--patient-id", "HV-1", *TODAY]


def test_pump_ceiling_refusal_says_how_to_cap_the_rate():
    """160 kg on the ITP ladder reaches 12 × 160 × 0.6 = 1152 mL/h: refused, naming the way out."""
    result = run("plan", *HEAVY)
    assert result.exit_code == 3
    assert "rate.pump_ceiling" in result.stderr
    assert "max_rate_ml_h (or --max-rate-ml-h)" in result.stderr


def test_absolute_cap_is_applied_and_shown_everywhere():
    """--max-rate-ml-h 500: the ladder stops at exactly 500 mL/h, shown in JSON, CSV, table, .ics
    and explain."""
    data = plan_json(*HEAVY, "--max-rate-ml-h", "500")
    assert sorted({s["rate_ml_per_h"] for s in all_steps(data)}) == [96.0, 192.0, 384.0, 500.0]
    assert data["pump"] == {"ladder": "itp", "cap_ml_per_h": 500.0,
                            "cap_mg_per_kg_min": 5.208333333333333, "cap_from": "absolute",
                            "max_rate_ml_h": 500.0}
    first = next(csv.DictReader(io.StringIO(
        run("plan", *HEAVY, "--max-rate-ml-h", "500", "-f", "csv").stdout)))
    assert (first["cap_ml_per_h"], first["status"]) == ("500.0", "planned")
    assert "no rate above 500 mL/h (the order's max_rate_ml_h)" in run(
        "plan", *HEAVY, "--max-rate-ml-h", "500").stdout
    assert "Never above 500 mL/h" in run("plan", *HEAVY, "--max-rate-ml-h", "500", "-f",
                                           "ics").stdout.replace("\r\n", "\n").replace("\n ", "")
    explained = json.loads(run("explain", *HEAVY, "--max-rate-ml-h", "500", "-f", "json").stdout)
    assert explained["ladder"]["cap_from"] == "absolute"


def test_rule_h_avoids_the_soft_day_limit():
    """93.7 kg: 2 days would be 94 g/93.7 kg = 1.003 g/kg (soft breach); 3 days is chosen."""
    data = plan_json("--weight", "93.7", "--product", "octagam-10", "--regimen", "2g-q4w",
                     "--start", "2027-03-01", "--timezone", "UTC", *TODAY)
    assert [len(c["days"]) for c in data["courses"]] == [3, 3, 3]
    assert "dose.day_max" not in codes(data)


def test_strict_soft_breach_hint_names_accept():
    """With 2 days forced, --strict refuses dose.day_max and names --accept, not --limits."""
    result = run("plan", "--weight", "93.7", "--product", "octagam-10", "--regimen", "2g-q4w",
                 "--start", "2027-03-01", "--timezone", "UTC", "--days", "2", "--strict", *TODAY)
    assert result.exit_code == 3
    assert "--accept dose.day_max --reason TEXT" in result.stderr
    assert "--limits" not in result.stderr


def test_octagam_5_at_risk_rate_stays_below_3_3():
    """"less than 3.3 mg/kg/min": at 50 kg that is 3.3 × 50 × 60 ÷ 50 = 198.0 mL/h exactly, so
    197.9 mL/h is programmed, never 198.0."""
    plan = checked(make(patient={"weight_kg": 50, "risk_factors": ["thrombosis"]},
                        order={"product": "octagam-5", "indication": "pi"}))
    rates = {s.rate_ml_per_h for c in plan.courses for d in c.days for s in d.steps}
    assert max(rates) == D("197.9")
    assert all(s.programmed_mg_per_kg_min < D("3.3")
               for c in plan.courses for d in c.days for s in d.steps)


