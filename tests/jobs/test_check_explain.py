"""`check` lists everything at once; `explain` shows the trail with the same numbers as `plan`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.toml"))


def run(*args: str):
    return CliRunner().invoke(cli, [*args])


def test_check_ok_sample():
    """A good prescription checks with exit 0 and says it would plan."""
    result = run("check", str(SAMPLES / "2g-q4w.toml"), "--today", "2027-01-01")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "ok: the prescription would plan"


def test_check_reports_every_error_at_once(tmp_path):
    """Errors in several sections are all listed, each on its own line, exit 1."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[patient]\nweight_kg = -5\ntimezone = "Mars/Base"\n'
                   '[order]\nregimen = "2g-q4w"\nproduct = "octagam-10"\nstart = "soon"\n'
                   '[trail]\narm = "active"\n')
    result = run("check", str(bad))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(line.startswith("error: trail: unknown key") for line in lines)
    assert any(line.startswith("error: patient.weight_kg:") for line in lines)
    assert any(line.startswith("error: order.start:") for line in lines)
    assert "Traceback" not in result.output


def test_check_hard_breach_exits_3():
    """A hard limit makes check exit 3 and name the rule."""
    result = run("check", str(SAMPLES / "might.toml"), "--weight", "130")
    assert result.exit_code == 3
    assert "refuse: eligibility.max_weight" in result.output


def test_check_writes_nothing(tmp_path, monkeypatch):
    """check plans nothing and writes no file."""
    monkeypatch.chdir(tmp_path)
    assert run("check", str(SAMPLES / "proderm.toml")).exit_code == 0
    assert list(tmp_path.iterdir()) == []


def plan_numbers(path, *extra):
    data = json.loads(run("plan", str(path), "-f", "json", *extra).output)
    return [
        (c["number"], c["prescribed_g"], c["rounded_g"],
         [(d["grams"], d["volume_ml"], d["infusion_minutes"],
           [(s["rate_ml_per_h"], s["minutes"], s["volume_ml"]) for s in d["steps"]])
          for d in c["days"]])
        for c in data["courses"]
    ]


def explain_numbers(path, *extra):
    result = run("explain", str(path), "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return [
        (c["number"], c["prescribed_g"], c["rounding"]["rounded_g"],
         [(d["grams"], d["volume_ml"], d["infusion_minutes"],
           [(s["rate_ml_per_h"], s["minutes"], s["volume_ml"]) for s in d["steps"]])
          for d in c["days"]])
        for c in data["courses"]
    ]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.stem for p in SAMPLE_FILES])
def test_explain_agrees_with_plan(path):
    """For every sample, explain and plan show the same grams, volumes, rates, minutes and VTBI."""
    assert explain_numbers(path) == plan_numbers(path)


def test_explain_text_shows_formulas():
    """The text trail shows each rate formula with inputs and the rounding down."""
    result = run("explain", str(SAMPLES / "proderm.toml"))
    assert result.exit_code == 0, result.output
    text = result.output
    assert "1 mg/kg/min × 80 kg × 60 ÷ 100 mg/mL = 48 mL/h → 48 mL/h (down to 0.1)" in text
    assert "2 g/kg × 80 kg = 160 g" in text
    assert "328 mL ÷ 192 mL/h × 60 = 102.5 min → 103 min (rounded up)" in text
    assert "[ok] rate.cap" in text


def test_explain_adjusted_weight_trail():
    """The dosing-weight trail shows IBW, BMI and the adjusted formula (2g-q4w sample)."""
    text = run("explain", str(SAMPLES / "2g-q4w.toml")).output
    assert "IBW (Devine, male): 50 + 2.3 × (175 cm ÷ 2.54 − 60) = 70.465 kg" in text
    assert "adjusted: 70.465 + 0.4 × (112 − 70.465) = 87.079 kg" in text


def test_explain_exits_3_on_hard_breach_after_printing():
    """explain prints the trail of a refused plan and exits 3."""
    result = run("explain", str(SAMPLES / "proderm.toml"), "--weight", "310")
    assert result.exit_code == 3
    assert "[hard] weight.range" in result.output
