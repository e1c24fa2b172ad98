"""Calendar updates that cannot leak: a file sent before must be ours, for this patient and view."""

from __future__ import annotations

from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

TODAY = ("--today", "2027-01-01")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))










def ics(sample: str, view: str, *extra: str) -> bytes:
    result = run("plan", str(SAMPLES / f"{sample}.toml"), "-f", "ics", "--view", view, *TODAY,
                 *extra)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def previous_run(tmp_path, old: bytes, sample: str, view: str, *extra: str):
    path = tmp_path / "sent.ics"
    path.write_bytes(old)
    return run("plan", str(SAMPLES / f"{sample}.toml"), "-f", "ics", "--view", view,
               "--previous", str(path), *TODAY, *extra)


def test_pharmacy_file_as_previous_for_the_nurse_is_refused(tmp_path):
    """A pharmacy .ics given to a nurse-view run is refused (exit 1): it cannot leak the arm."""
    result = previous_run(tmp_path, ics("proderm", "pharmacy"), "proderm", "nurse")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --previous: was written for another view")


def test_another_patients_file_is_refused(tmp_path):
    """A calendar written for another patient is refused."""
    other = ics("proderm", "nurse", "--patient-id", "PD-0099")
    result = previous_run(tmp_path, other, "proderm", "nurse")
    assert result.exit_code == 1
    assert "was written for another patient" in result.stderr


def test_foreign_events_are_dropped_and_bad_sequence_refused(tmp_path):
    """A hand-added VEVENT is not carried through; SEQUENCE:abc makes the file unusable."""
    old = ics("2g-q4w", "nurse")
    foreign = (b"BEGIN:VEVENT\r\nUID:party@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
               b"SUMMARY:Party\r\nURL:https://example.org\r\nDTSTART:20270301T100000Z\r\n"
               b"END:VEVENT\r\n")
    tampered = old.replace(b"END:VCALENDAR", foreign + b"END:VCALENDAR")
    result = previous_run(tmp_path, tampered, "2g-q4w", "nurse")
    assert result.exit_code == 0, result.output
    assert b"party@example.org" not in result.stdout_bytes and b"URL:" not in result.stdout_bytes
    bad = old.replace(b"SEQUENCE:0", b"SEQUENCE:abc", 1)
    refused = previous_run(tmp_path, bad, "2g-q4w", "nurse")
    assert refused.exit_code == 1
    assert "SEQUENCE" in refused.stderr


def test_cancelled_events_carry_nothing_from_the_old_file(tmp_path):
    """With 3 days instead of 4, day-4 events are cancelled: no description, no alarm, later
    DTSTAMP, SEQUENCE 1."""
    old = ics("proderm", "nurse", "--stamp", "2027-01-05T00:00:00Z")
    result = previous_run(tmp_path, old, "proderm", "nurse", "--days", "3", "--stamp",
                          "2027-01-06T00:00:00Z")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode().replace("\r\n ", "")
    cancelled = [b for b in text.split("BEGIN:VEVENT")[1:] if "STATUS:CANCELLED" in b]
    assert len(cancelled) == 10  # day 4 of each of the ten courses
    for block in cancelled:
        assert "DESCRIPTION" not in block and "VALARM" not in block
        assert "SEQUENCE:1\r\n" in block and "DTSTAMP:20270106T000000Z" in block


def test_previous_needs_the_ics_format():
    """--previous with another format is a usage error (exit 2)."""
    result = run("plan", str(SAMPLES / "proderm.toml"), "-f", "json", "--previous",
                 str(SAMPLES / "proderm.nurse.ics"))
    assert result.exit_code == 2


