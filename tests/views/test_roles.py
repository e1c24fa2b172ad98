"""Blinding by role: what each role may see, in every format."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

TODAY = ("--today", "2027-01-01")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))






def codes(data: dict) -> list[str]:
    return [w["code"] for w in data["warnings"]]




def test_time_is_muscle_unblinds_the_nurse_and_might_does_not():
    """TIME IS MUSCLE's nurse prepares the medication (unblinded); MIGHT's nurse is masked."""
    tim = json.loads(run("plan", str(SAMPLES / "time-is-muscle.toml"), "--view", "nurse", "-f",
                         "json", *TODAY).stdout)
    might = json.loads(run("plan", str(SAMPLES / "might.toml"), "--view", "nurse", "-f", "json",
                           *TODAY).stdout)
    assert tim["arm"] == "active" and "contents" in tim["courses"][0]["days"][0]
    assert "arm" not in might and "contents" not in might["courses"][0]["days"][0]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "ics"])
def test_patient_view_has_appointments_only(fmt):
    """The patient's own calendar: times and places; no pump programme, product, doses or arm."""
    out = run("plan", str(SAMPLES / "proderm.toml"), "--view", "patient", "-f", fmt, *TODAY).stdout
    for secret in ("mL/h", "Octagam", "sodium chloride", "g/kg", "VTBI", '"arm"', "Arm "):
        assert secret not in out, secret
    assert "2027-01-11" in out or "20270111" in out


def test_assessor_view_has_dates_and_visits_only():
    """The assessor sees infusion dates and visits: no times, places or pump programme."""
    data = json.loads(run("plan", str(SAMPLES / "might.toml"), "--view", "assessor", "-f", "json",
                          *TODAY).stdout)
    assert set(data["courses"][0]["days"][0]) == {"day", "date", "status"}
    assert [v["week"] for v in data["visits"]] == [12, 24]
    assert set(data["patient"]) == {"id", "timezone"}


def test_masked_nurse_sees_only_pump_and_time_warnings():
    """A masked nurse sees no g/kg figures in warnings (nothing she can act on)."""
    result = run("plan", str(SAMPLES / "proderm.toml"), "--view", "nurse", "-f", "json",
                 "--weight", "155", *TODAY)
    data = json.loads(result.stdout)
    assert "weight.range" not in codes(data)
    assert all(c.startswith(("rate.", "ladder.", "data.default_ladder", "infusion.", "time.",
                             "schedule.")) for c in codes(data))


