"""The 2016 ACR/EULAR Total Improvement Score reproduces the facts table at every band edge."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli
from ivig_schedule.engine import tis
from ivig_schedule.model.changes import TisInput

# Points per band, lowest first, copied from Rider et al. 2017 Table 3 (facts sheet §9).
TABLE = {
    "physician_global": ("0", "7.5", "15", "17.5", "20"),
    "patient_global": ("0", "2.5", "5", "7.5", "10"),
    "mmt": ("0", "10", "20", "27.5", "32.5"),
    "haq": ("0", "5", "7.5", "7.5", "10"),
    "enzyme": ("0", "2.5", "5", "7.5", "7.5"),
    "extramuscular": ("0", "7.5", "12.5", "15", "20"),
}
EDGES = {"mmt": ("2", "10", "20", "30")}
CASES = [
    (measure, value, TABLE[measure][band])
    for measure in TABLE
    for band_edge, edge in enumerate(EDGES.get(measure, ("5", "15", "25", "40")))
    for value, band in ((D(edge) - D("0.01"), band_edge), (D(edge), band_edge),
                        (D(edge) + D("0.01"), band_edge + 1))
]


@pytest.mark.parametrize(("measure", "improvement", "expected"), CASES,
                         ids=[f"{m}-{v}" for m, v, _ in CASES])
def test_points_at_every_band_edge(measure, improvement, expected):
    """Just below and at an edge score the lower band; just above scores the next band."""
    assert tis.points(measure, improvement) == D(expected)


@pytest.mark.parametrize("measure", list(TABLE))
def test_worsening_scores_nothing(measure):
    """A negative improvement (worsening) earns 0 points."""
    assert tis.points(measure, D(-30)) == 0


def test_top_scores_sum_to_100():
    """Every measure at its top band gives 100 (the table's maximum)."""
    top = tis.score(TisInput(*(D(99),) * 6))
    assert (top.total, top.klass) == (D(100), "major")


@pytest.mark.parametrize(("total", "klass"), [
    ("19.9", "none"), ("20", "minimal"), ("39.9", "minimal"), ("40", "moderate"),
    ("59.9", "moderate"), ("60", "major")])
def test_class_thresholds(total, klass):
    """Adult thresholds: minimal ≥ 20, moderate ≥ 40, major ≥ 60."""
    assert tis.classify(D(total)) == klass


def test_command_json():
    """ivig-schedule tis --format json gives total, class and points per measure."""
    result = CliRunner().invoke(cli, [
        "tis", "--physician-global", "30", "--patient-global", "20", "--mmt", "10", "--haq", "5",
        "--enzyme", "50", "--extramuscular", "0", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "total": 40.0, "class": "moderate",
        "points": {"physician_global": 17.5, "patient_global": 5.0, "mmt": 10.0, "haq": 0.0,
                   "enzyme": 7.5, "extramuscular": 0.0}}


def test_command_needs_all_six_and_says_raw_scores_are_not_converted():
    """A missing measure is a usage error; --help says the input is a percent improvement."""
    assert CliRunner().invoke(cli, ["tis", "--mmt", "10"]).exit_code == 2
    assert "PERCENT IMPROVEMENT" in CliRunner().invoke(cli, ["tis", "--help"]).output
