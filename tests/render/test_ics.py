"""The calendar: client-compatibility rules, DST via an independent parser, updates, blinding."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli
from ivig_schedule.input import prescription
from ivig_schedule.views.views import plan_view

from ..calendars import icalendar_starts, icaljs_events, independent_events
from ..helpers import SAMPLES, checked, ics

UTC = dt.UTC


def calendar(name: str, view: str = "pharmacy", **overrides) -> bytes:
    path = SAMPLES / f"{name}.toml"
    rx = prescription.from_text(path.read_text(encoding="utf-8"), overrides, "UTC")
    return ics(plan_view(checked(rx), view))


def utc_start(event) -> dt.datetime:
    return event.dtstart.value.astimezone(UTC)


@pytest.mark.parametrize("name", ["time-is-muscle", "2g-q4w", "proderm", "might", "lim-2021"])
def test_crlf_folding_and_utf8(name):
    """Every line ends CRLF (the last too), no line exceeds 75 octets, text is UTF-8."""
    data = calendar(name)
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    data.decode("utf-8")


def test_calendar_level_properties():
    """VERSION, PRODID and METHOD appear once; the calendar is named for the patient."""
    lines = calendar("proderm").decode().split("\r\n")
    for prop in ("VERSION:2.0", "METHOD:PUBLISH", "NAME:IVIg plan PD-0042",
                 "X-WR-CALNAME:IVIg plan PD-0042"):
        assert lines.count(prop) == 1
    assert sum(line.startswith("PRODID:") for line in lines) == 1


def test_every_tzid_has_a_vtimezone_with_yearly_rules():
    """Each TZID used is declared, in RRULE style (no RDATE lists)."""
    text = calendar("time-is-muscle").decode()
    used = set(re.findall(r";TZID=([^:;]+):", text))
    declared = set(re.findall(r"\r\nTZID:([^\r]+)\r\n", text))
    assert used == declared == {"Europe/Amsterdam"}
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RDATE" not in text


def test_amsterdam_spring_forward_utc_instants():
    """Across 2027-03-28 an independent parser reads 08:45 as 07:45Z before and 06:45Z after."""
    events = independent_events(calendar("time-is-muscle"))
    starts = {e.dtstart.value.date(): utc_start(e) for e in events
              if isinstance(e.dtstart.value, dt.datetime)}
    assert starts[dt.date(2027, 3, 27)] == dt.datetime(2027, 3, 27, 7, 45, tzinfo=UTC)
    assert starts[dt.date(2027, 3, 28)] == dt.datetime(2027, 3, 28, 6, 45, tzinfo=UTC)


def test_new_york_fall_back_utc_instants():
    """Across 2027-11-07 an independent parser reads 08:45 as 12:45Z before and 13:45Z after."""
    events = independent_events(calendar("2g-q4w"))
    starts = {e.dtstart.value.date(): utc_start(e) for e in events}
    assert starts[dt.date(2027, 11, 6)] == dt.datetime(2027, 11, 6, 12, 45, tzinfo=UTC)
    assert starts[dt.date(2027, 11, 7)] == dt.datetime(2027, 11, 7, 13, 45, tzinfo=UTC)
    ends = {e.dtend.value.date(): e.dtend.value.astimezone(UTC) for e in events}
    # Day 3 (2027-11-07): infusion 09:00-12:15 EST (60 + 135 min at the 3.0 mg/kg/min at-risk
    # cap), observation 30 min -> 12:45 EST = 17:45Z.
    assert ends[dt.date(2027, 11, 7)] == dt.datetime(2027, 11, 7, 17, 45, tzinfo=UTC)


def test_setup_and_observation_minutes():
    """Events open 15 min before the infusion and close 60 min after the first, 30 after others."""
    events = independent_events(calendar("proderm"))
    first, second = events[0], events[1]
    # Infusion 09:00-11:43 EST (-5): event 08:45-12:43, then 08:45-12:13 on day 2.
    assert utc_start(first) == dt.datetime(2027, 1, 11, 13, 45, tzinfo=UTC)
    assert first.dtend.value.astimezone(UTC) == dt.datetime(2027, 1, 11, 17, 43, tzinfo=UTC)
    assert second.dtend.value.astimezone(UTC) == dt.datetime(2027, 1, 12, 17, 13, tzinfo=UTC)


def test_uids_unique_and_opaque():
    """UIDs are unique and contain no patient id, arm or product."""
    events = independent_events(calendar("proderm"))
    uids = [e.uid.value for e in events]
    assert len(uids) == len(set(uids)) == 41  # 40 infusion days + the week-16 visit
    for value in uids:
        for secret in ("PD-0042", "placebo", "active", "octagam"):
            assert secret.lower() not in value.lower()


def test_same_inputs_same_bytes():
    """Planning twice gives identical bytes."""
    assert calendar("might") == calendar("might")


def test_summaries_and_privacy():
    """Pharmacy titles say what and which course·day; a nurse's titles name the patient's
    pseudonym and course·day, the same words for a masked and an open course (her calendar
    holds many patients); events are private with an alarm."""
    pharmacy = calendar("2g-q4w").decode()
    assert "SUMMARY:IVIg infusion · course 2 · day 1/4\r\n" in pharmacy
    nurse = calendar("proderm", "nurse").decode()
    assert "SUMMARY:PD-0042 · infusion 2·1\r\n" in nurse  # masked course
    assert "SUMMARY:PD-0042 · infusion 5·1\r\n" in nurse  # open label
    assert "Study infusion" not in nurse and "IVIg infusion" not in nurse
    for text in (pharmacy, nurse):
        assert text.count("CLASS:PRIVATE") == text.count("BEGIN:VEVENT")
        assert text.count("BEGIN:VALARM") == text.count("TRIGGER:-PT1H")
    for block in nurse.replace("\r\n ", "").split("BEGIN:VEVENT")[1:]:
        if "infusion 2·" in block:
            assert "sodium chloride" not in block and "Octagam" not in block
        elif "infusion 5·" in block:
            assert "Product: Octagam 10%" in block  # an open-label course names its product


def test_pharmacy_description_names_contents():
    """The pharmacy view's DESCRIPTION carries product and vials or saline; the nurse's does not."""
    unfolded = calendar("proderm").decode().replace("\r\n ", "")
    assert "Saline: sodium chloride 0.9% 400 mL" in unfolded
    assert "Product: Octagam 10%" in unfolded


def test_visits_are_all_day_with_exclusive_end():
    """MIGHT's week-24 final visit is an all-day event ending the next day."""
    events = independent_events(calendar("might"))
    visits = [e for e in events if not isinstance(e.dtstart.value, dt.datetime)]
    dates = {(e.dtstart.value, e.dtend.value) for e in visits}
    assert (dt.date(2027, 7, 19), dt.date(2027, 7, 20)) in dates  # 2027-02-01 + 24 weeks
    assert "DTSTART;VALUE=DATE:20270719" in calendar("might").decode()


def test_time_is_muscle_visits():
    """TIME IS MUSCLE has visits at weeks 12, 26 and 52."""
    text = calendar("time-is-muscle").decode()
    for week in (12, 26, 52):
        assert f"SUMMARY:Study visit · week {week}\r\n" in text


def run_previous(tmp_path, name: str, *flags: str):
    old = tmp_path / "old.ics"
    base = ["plan", str(SAMPLES / f"{name}.toml"), "-f", "ics"]
    assert CliRunner().invoke(cli, [*base, "-o", str(old)]).exit_code == 0
    new = tmp_path / "new.ics"
    result = CliRunner().invoke(cli, [*base, *flags, "--previous", str(old), "-o", str(new),
                                      "--stamp", "2027-12-01T10:00:00Z"])
    assert result.exit_code == 0, result.output
    return old.read_bytes(), new.read_bytes()


def blocks(data: bytes) -> dict[str, bytes]:
    out = {}
    for chunk in data.split(b"BEGIN:VEVENT\r\n")[1:]:
        body = chunk.split(b"END:VEVENT\r\n")[0]
        uid = re.search(rb"UID:([^\r]+)", body).group(1).decode()
        out[uid] = body
    return out


def test_previous_unchanged_events_keep_their_bytes(tmp_path):
    """Reissuing the same plan against itself changes nothing at all."""
    old, new = run_previous(tmp_path, "2g-q4w")
    assert old == new


def test_previous_fewer_days(tmp_path):
    """3 days instead of 4: day-4 events are cancelled (SEQUENCE 1), the other infusions change
    (SEQUENCE 1, same UID), and the assessment visits keep their exact bytes."""
    old, new = run_previous(tmp_path, "time-is-muscle", "--days", "3")
    old_events, new_events = blocks(old), blocks(new)
    assert set(new_events) == set(old_events)
    cancelled = [u for u, b in new_events.items() if b"STATUS:CANCELLED" in b]
    visits = [u for u, b in new_events.items() if b"Study visit" in b]
    assert len(cancelled) == 3  # day 4 of each of the three courses
    assert len(visits) == 3
    for uid, body in new_events.items():
        if uid in visits:
            assert body == old_events[uid]
        else:
            assert b"SEQUENCE:1\r\n" in body
            assert b"DTSTAMP:20271201T100000Z" in body
            assert body != old_events[uid]


def test_cancelled_events_are_not_bumped_again(tmp_path):
    """Reissuing against a file that already cancelled an event leaves that event as it was."""
    _, first = run_previous(tmp_path, "time-is-muscle", "--days", "3")
    (tmp_path / "old.ics").write_bytes(first)
    again = tmp_path / "again.ics"
    result = CliRunner().invoke(cli, [
        "plan", str(SAMPLES / "time-is-muscle.toml"), "-f", "ics", "--days", "3",
        "--previous", str(tmp_path / "old.ics"), "-o", str(again),
        "--stamp", "2028-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == first


def test_previous_changed_weight(tmp_path):
    """A new weight changes every infusion (SEQUENCE 1, same UIDs); visits keep their bytes."""
    old, new = run_previous(tmp_path, "might", "--weight", "100")
    old_events, new_events = blocks(old), blocks(new)
    assert set(old_events) == set(new_events)
    changed = [u for u in new_events if new_events[u] != old_events[u]]
    assert len(changed) == 12  # 6 courses x 2 days; the 2 visits are unchanged
    assert all(b"SEQUENCE:1\r\n" in new_events[u] for u in changed)
    assert b"STATUS:CANCELLED" not in new


def test_previous_must_be_a_calendar(tmp_path):
    """A --previous file that is not iCalendar is a one-line input error."""
    junk = tmp_path / "junk.ics"
    junk.write_text("hello")
    result = CliRunner().invoke(cli, ["plan", str(SAMPLES / "2g-q4w.toml"), "-f", "ics",
                                      "--previous", str(junk)])
    assert result.exit_code == 1
    assert result.output.startswith("error: --previous:")


def test_stamp_must_have_an_offset():
    """--stamp without a UTC offset is rejected."""
    result = CliRunner().invoke(cli, ["plan", str(SAMPLES / "2g-q4w.toml"), "-f", "ics",
                                      "--stamp", "2027-01-01T10:00:00"])
    assert result.exit_code == 1
    assert "--stamp" in result.output


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.ics")), ids=lambda p: p.name)
def test_every_sample_calendar_parses_independently(path):
    """vobject reads every shipped .ics, with one event per infusion day plus one per visit."""
    import json

    events = independent_events(path.read_bytes())
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    days = sum(len(course["days"]) for course in record["courses"])
    assert len(events) == days + len(record["visits"])
    assert all(e.dtend.value > e.dtstart.value for e in events)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.ics")), ids=lambda p: p.name)
def test_every_sample_calendar_has_the_plans_instants_in_three_parsers(path):
    """icalendar, vobject (with only the file's own VTIMEZONE) and ical.js (strict) read every
    shipped calendar's timed events at the JSON's arrival instants (Europe/London included,
    which vobject once took for UTC)."""
    import json



    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    arrivals = sorted(dt.datetime.fromisoformat(day["arrive"]).astimezone(UTC)
                      for course in record["courses"] for day in course["days"])
    data = path.read_bytes()
    assert sorted(icalendar_starts(data).values()) == arrivals
    assert sorted(utc_start(e) for e in independent_events(data)
                  if isinstance(e.dtstart.value, dt.datetime)) == arrivals
    assert sorted(e["start"] for e in icaljs_events(data)
                  if isinstance(e["start"], dt.datetime)) == arrivals
