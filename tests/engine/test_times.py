"""Times: a start time that happens twice or not at all, and zones that are not regions."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli

TODAY = ("--today", "2027-01-01")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def plan_json(*args: str) -> dict:
    result = run("plan", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)




def codes(data: dict) -> list[str]:
    return [w["code"] for w in data["warnings"]]



FOLD = ["--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
        "2027-04-03", "--start-time", "02:15", "--days", "2", "--timezone", "Australia/Sydney",
        "--patient-id", "FO-1", *TODAY]


def test_fold_time_is_the_first_occurrence_everywhere():
    """02:15 on 2027-04-04 in Sydney happens twice: JSON, CSV and .ics all mean the first
    (AEDT, +11:00), as icalendar and vobject read it, with a soft warning naming both."""
    import icalendar

    data = plan_json(*FOLD)
    day = data["courses"][0]["days"][1]
    assert day["start"] == "2027-04-04T02:15:00+11:00"
    assert day["arrive"] == "2027-04-04T02:00:00+11:00"
    warning = next(w["message"] for w in data["warnings"] if w["code"] == "time.dst_fold")
    assert "02:15 on 2027-04-04 happens twice" in warning
    assert ",2027-04-04T02:15:00+11:00," in run("plan", *FOLD, "-f", "csv").stdout
    ics = run("plan", *FOLD, "-f", "ics").stdout_bytes
    arrive = dt.datetime(2027, 4, 3, 15, 0, tzinfo=dt.UTC)  # 02:00 +11:00
    events = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert events[1].decoded("DTSTART").astimezone(dt.UTC) == arrive
    from ..calendars import independent_events

    assert independent_events(ics)[1].dtstart.value.astimezone(dt.UTC) == arrive


def test_gap_time_moves_forward_and_warns():
    """02:30 does not exist in Amsterdam on 2027-03-28: the infusion starts at 03:30 (+02:00)."""
    data = plan_json("--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w",
                     "--start", "2027-03-27", "--start-time", "02:30", "--days", "2",
                     "--timezone", "Europe/Amsterdam", *TODAY)
    assert data["courses"][0]["days"][1]["start"] == "2027-03-28T03:30:00+02:00"
    assert any("02:30 does not exist on 2027-03-28" in w["message"] and "03:30" in w["message"]
               for w in data["warnings"])


def test_abbreviation_zone_and_assumed_zone_are_named():
    """EST gets a warning to use a region zone; no zone at all says which zone was assumed."""
    est = plan_json("--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w",
                    "--start", "2027-03-01", "--timezone", "EST", *TODAY)
    assert "time.zone_fixed_offset" in codes(est)
    assumed = jobs.run(jobs.Request(text=None, overrides={
        "weight": "70", "product": "octagam-10", "regimen": "2g-q4w", "start": "2027-03-01"},
        default_timezone="Europe/Oslo"))
    assert any(w.code == "time.zone_assumed" and "Europe/Oslo" in w.message
               for w in assumed.plan.warnings)


