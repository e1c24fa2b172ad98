"""Identity in every output: a file other systems keep names its real patient and zone, calendars
of two patients or two prescriptions never share a UID, and no output replaces an input."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

TODAY = ("--today", "2027-01-01")
FLAGS = ["--weight", "72.5", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
         "2027-03-01", "--days", "4", "--timezone", "Europe/Amsterdam", *TODAY]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def uids(data: str) -> set[str]:
    return set(re.findall(r"^UID:(\S+?)\r?$", data, re.M))


@pytest.mark.parametrize("fmt", ["ics", "fhir"])
def test_flags_only_calendar_or_fhir_needs_a_patient_id(fmt):
    """Without --patient-id every flags-only plan would be "patient": a usage error (exit 2)."""
    result = run("plan", *FLAGS, "-f", fmt)
    assert result.exit_code == 2
    assert "--patient-id" in result.output
    assert run("plan", *FLAGS, "-f", fmt, "--patient-id", "FL-1").exit_code == 0


def test_flags_only_sheet_needs_a_patient_id():
    """The printed sheet too."""
    assert run("sheet", *FLAGS).exit_code == 2


def test_flags_only_table_and_json_keep_working():
    """The terminal table and JSON need no id."""
    assert run("plan", *FLAGS).exit_code == 0
    assert run("plan", *FLAGS, "-f", "json").exit_code == 0


def test_prescription_without_an_id_is_an_input_error_for_a_calendar():
    """A file without [patient] id: a calendar names patient.id (exit 1); a table plans."""
    text = (SAMPLES / "2g-q4w.toml").read_text().replace('id = "Q4-0112"\n', "")
    result = run("plan", "-", "-f", "ics", *TODAY, input=text)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: patient.id: is required for a calendar")
    assert run("plan", "-", *TODAY, input=text).exit_code == 0


@pytest.mark.parametrize("fmt", ["ics", "fhir"])
def test_a_missing_zone_is_an_input_error_where_times_leave_the_machine(fmt):
    """No patient.timezone: a calendar or FHIR is refused naming it; JSON assumes the machine's
    zone and says so."""
    text = (SAMPLES / "2g-q4w.toml").read_text().replace('timezone = "America/New_York"\n', "")
    result = run("plan", "-", "-f", fmt, *TODAY, input=text)
    assert result.exit_code == 1
    assert "patient.timezone: is required where times leave this machine" in result.stderr
    assumed = run("plan", "-", "-f", "json", *TODAY, input=text)
    assert assumed.exit_code == 0 and "time.zone_assumed" in assumed.stdout


def test_samples_are_distinct_patients():
    """2g-q4w and proderm were both PD-0042: now two ids, and no calendar UID in common."""
    one = run("plan", str(SAMPLES / "2g-q4w.toml"), "-f", "ics", *TODAY).stdout
    two = run("plan", str(SAMPLES / "proderm.toml"), "-f", "ics", *TODAY).stdout
    assert uids(one) and not uids(one) & uids(two)


def test_two_prescriptions_of_one_patient_share_no_uid_and_history_keeps_them():
    """The same patient id with another start (or another [order] id) gives other UIDs; a
    recorded delay keeps every UID of the prescription."""
    text = (SAMPLES / "2g-q4w.toml").read_text()
    first = uids(run("plan", "-", "-f", "ics", *TODAY, input=text).stdout)
    later = uids(run("plan", "-", "-f", "ics", *TODAY,
                     input=text.replace("2027-11-05", "2028-01-07")).stdout)
    named = uids(run("plan", "-", "-f", "ics", *TODAY,
                     input=text.replace('courses = 3', 'courses = 3\nid = "RX-2"')).stdout)
    assert not first & later and not first & named
    delayed = text + ('\n[[change]]\non = 2027-01-01\nkind = "delay"\nreason = "r"\ncourse = 2\n'
                      'days = 7\n')
    assert uids(run("plan", "-", "-f", "ics", *TODAY, input=delayed).stdout) == first


def test_previous_after_a_start_edit_cancels_the_old_events_and_says_so(tmp_path):
    """The start of a prescription without an [order] id edited by hand (2027-11-05 →
    2028-01-07) gives it a new identity: with --previous, every event of the file sent before
    is CANCELLED in the new file (same UID, higher SEQUENCE) and the new events are added, so an
    app that imports it over the old one keeps no duplicate; stderr says so. Read with vobject."""
    from ..calendars import independent_events

    text = (SAMPLES / "2g-q4w.toml").read_text()
    sent = tmp_path / "sent.ics"
    sent.write_text(run("plan", "-", "-f", "ics", *TODAY, input=text).stdout, newline="")
    old = {str(e.uid.value): int(e.sequence.value) for e in
           independent_events(sent.read_bytes())}
    result = run("plan", "-", "-f", "ics", "--previous", str(sent), *TODAY,
                 input=text.replace("2027-11-05", "2028-01-07"))
    assert result.exit_code == 0, result.stderr
    assert "identity changed" in result.stderr and "now 2028-01-07" in result.stderr
    assert "12 events are cancelled" in result.stderr
    events = independent_events(result.stdout.encode())
    cancelled = {str(e.uid.value): int(e.sequence.value) for e in events
                 if str(e.status.value) == "CANCELLED"}
    assert set(cancelled) == set(old)
    assert all(cancelled[uid] > old[uid] for uid in old)
    live = [e for e in events if str(e.status.value) != "CANCELLED"]
    assert len(live) == len(old)  # the same 3 courses of 4 days, at their new dates
    assert not {str(e.uid.value) for e in live} & set(old)


def test_previous_of_another_patient_is_still_refused(tmp_path):
    """A file sent for another patient id is never merged."""
    text = (SAMPLES / "2g-q4w.toml").read_text()
    sent = tmp_path / "sent.ics"
    sent.write_text(run("plan", "-", "-f", "ics", *TODAY, input=text).stdout, newline="")
    result = run("plan", "-", "-f", "ics", "--previous", str(sent), *TODAY,
                 input=text.replace('id = "Q4-0112"', 'id = "Q4-0113"'))
    assert result.exit_code == 1
    assert "--previous: was written for another patient" in result.stderr


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_output_never_replaces_the_prescription(tmp_path, how):
    """-o naming the prescription (directly, through a link, or a hard link) is refused even
    with --force, and the prescription is unchanged."""
    rx = tmp_path / "rx.toml"
    text = (SAMPLES / "2g-q4w.toml").read_text()
    rx.write_text(text)
    target = rx
    if how == "symlink":
        target = tmp_path / "link.json"
        target.symlink_to(rx)
    elif how == "hardlink":
        target = tmp_path / "hard.json"
        os.link(rx, target)
    result = run("plan", str(rx), "-f", "json", "-o", str(target), "--force", *TODAY)
    assert result.exit_code == 1
    assert "an input is never written over, even with --force" in result.stderr
    assert rx.read_text() == text


def test_output_never_replaces_the_limits_or_previous_file(tmp_path):
    """-o naming --limits or --previous is refused too."""
    limits = tmp_path / "limits.toml"
    limits.write_text((SAMPLES.parent / "ivig_schedule" / "input" / "catalog" /
                       "limits.toml").read_text())
    rx = SAMPLES / "2g-q4w.toml"
    assert run("plan", str(rx), "--limits", str(limits), "-o", str(limits), "--force",
               *TODAY).exit_code == 1
    sent = tmp_path / "sent.ics"
    sent.write_text(run("plan", str(rx), "-f", "ics", *TODAY).stdout, newline="")
    before = sent.read_bytes()
    result = run("plan", str(rx), "-f", "ics", "--previous", str(sent), "-o", str(sent),
                 "--force", *TODAY)
    assert result.exit_code == 1
    assert sent.read_bytes() == before


def test_roster_output_folder_may_not_hold_the_roster(tmp_path):
    """A roster written into the folder that holds it would delete it: refused."""
    folder = tmp_path / "week"
    folder.mkdir()
    roster = folder / "roster.csv"
    roster.write_text("id,weight,product,regimen,start,timezone\n"
                      "R-1,70,octagam-10,2g-q4w,2027-03-01,UTC\n")
    result = run("roster", str(roster), "-o", str(folder), "--force", "--quiet", *TODAY)
    assert result.exit_code == 1
    assert "holds" in result.stderr and roster.exists()
