"""What a pharmacist and a nurse expect to read, and sources that say what they are."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli
from ivig_schedule.input import catalog

from ..helpers import SAMPLES

TODAY = ("--today", "2027-01-01")
README_EXAMPLE = ["--weight", "72.5", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
                  "2027-03-01", "--days", "4", "--timezone", "Europe/Amsterdam", *TODAY]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def plan_json(*args: str) -> dict:
    result = run("plan", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)








@pytest.mark.parametrize("args", [
    ["plan", str(SAMPLES / "proderm.toml"), *TODAY],
    ["plan", str(SAMPLES / "proderm.toml"), "--view", "nurse", *TODAY],
    ["plan", str(SAMPLES / "2g-q4w.toml"), "--view", "patient", *TODAY],
    ["products"], ["regimens"], ["explain", str(SAMPLES / "2g-q4w.toml"), *TODAY],
])
def test_tables_fit_80_columns(args):
    """At COLUMNS=80 no line of plan, products, regimens or explain is wider than 80."""
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_ids_match_case_insensitively_with_did_you_mean():
    """OCTAGAM-10 plans; octagam-11 suggests octagam-10."""
    assert run("plan", *README_EXAMPLE[:2], "--product", "OCTAGAM-10", "--regimen", "2G-Q4W",
               "--start", "2027-03-01", "--timezone", "UTC", *TODAY).exit_code == 0
    wrong = run("plan", *README_EXAMPLE[:2], "--product", "octagam-11", "--regimen", "2g-q4w",
                "--start", "2027-03-01", *TODAY)
    assert "did you mean octagam-10?" in wrong.stderr


def test_dispensing_line_per_course():
    """ProDERM placebo course 1: 4 bags of 400 mL matched to 160 g; the open-label course 5:
    4 × (30 g + 10 g) = 4 × 30 g + 4 × 10 g, 1600 mL (by hand); text cells are written the
    ISMP way (no trailing zero), as people read them."""
    data = plan_json(str(SAMPLES / "proderm.toml"), *TODAY)
    assert data["courses"][0]["dispense"]["text"] == (
        "4 bags of sodium chloride 0.9%: 400, 400, 400, 400 mL (matches 160 g)")
    assert data["courses"][4]["dispense"]["text"] == "4 × 30 g + 4 × 10 g = 160 g, 1600 mL"
    csv_rows = run("plan", str(SAMPLES / "proderm.toml"), "-f", "csv", *TODAY).stdout.splitlines()
    assert "4 bags of sodium chloride 0.9%" in csv_rows[1] and "bags" not in csv_rows[2]
    assert "Dispense" in run("plan", str(SAMPLES / "proderm.toml"), *TODAY).stdout or \
        "dispense" in run("plan", str(SAMPLES / "proderm.toml"), *TODAY).stdout


def test_placebo_reads_the_same_in_every_format():
    """40 g matched in JSON, CSV and the table alike: the CSV keeps its number ("40.0"), the
    table writes it for people ("40 g")."""
    sample = str(SAMPLES / "proderm.toml")
    assert plan_json(sample, *TODAY)["courses"][0]["days"][0]["contents"]["matches_g"] == 40.0
    for fmt, text in (("csv", "matches 40 g"), ("table", "matches 40 g")):
        out = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["plan", sample, "-f", fmt, *TODAY])
        assert text in out.stdout


@pytest.mark.parametrize(("args", "expected", "absent"), [
    (["--start", "2026-03-01"], "start 2026-03-01 is 306 days before today: the start date is in "
     "the past", "below the soft limit"),
    (["--weight", "1.5"], "check the weight and its unit", "was this pounds"),
])
def test_messages_read_as_a_pharmacist_expects(args, expected, absent):
    """Past start dates and tiny weights are said in plain words."""
    result = run("plan", str(SAMPLES / "2g-q4w.toml"), *args, *TODAY)
    assert expected in result.output
    assert absent not in result.output


def test_pounds_show_as_hundredths_of_a_kilogram():
    """176 lb is shown as 79.83 kg (176 × 0.45359237 = 79.8322571), not 79.83225712."""
    out = run("plan", str(SAMPLES / "proderm.toml"), "--weight", "176 lb", *TODAY).stdout
    assert "79.83 kg (entered 176 lb)" in out
    assert "79.832" not in out


def test_height_in_metres_written_as_centimetres_is_caught():
    """height_cm = 1.75 suggests writing "1.75 m"."""
    result = run("plan", str(SAMPLES / "2g-q4w.toml"), "--height", "1.75", *TODAY)
    assert result.exit_code == 1
    assert 'for metres write "1.75 m"' in result.stderr


def test_plan_without_arguments_is_a_usage_hint():
    """plan with neither a file nor flags says what to give (exit 2)."""
    result = run("plan")
    assert result.exit_code == 2
    assert "give a prescription FILE" in result.output




def test_project_defaults_say_so():
    """The per-day limit, the 5 % rounding warning and the 999 mL/h ceiling are project
    defaults, and their sources say so; ProDERM is unverified."""
    from ivig_schedule.input.limits_file import built_in_limits

    rules = {r.id: r for r in built_in_limits().rules}
    for rule in ("dose.day_max", "dose.rounding", "rate.pump_ceiling"):
        assert "project default" in rules[rule].source.lower()
    assert not catalog.regimens()["proderm"].verified
    lim = catalog.regimens()["lim-2021"].rules[0]
    assert (lim.when, lim.at_week, lim.switch_to, lim.verified) == (
        "tis < 40", 4, "insufficient-response", False)
