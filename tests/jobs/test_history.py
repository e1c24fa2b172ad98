"""A course over time: recorded changes, response rules, working days, calendars that update."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.engine import changes as change_rules
from ivig_schedule.views.views import plan_view

from ..calendars import icalendar_starts, icaljs_events, independent_events
from ..helpers import SAMPLES, ics

LIM = """[patient]
id = "LIM-68"
weight_kg = 68
timezone = "Europe/Amsterdam"

[order]
regimen = "lim-2021"
start = "2027-09-06"
"""
RESPONSE = """
[[change]]
on = 2027-10-04
kind = "response"
reason = "week-4 assessment"
week = 4
tis = {tis}
"""
Q4W = (SAMPLES / "2g-q4w.toml").read_text()
TODAY = dt.date(2027, 12, 20)


def change(kind: str, on: str = "2027-11-20", **fields: object) -> str:
    lines = ["", "[[change]]", f"on = {on}", f'kind = "{kind}"', 'reason = "test"']
    for key, value in fields.items():
        lines.append(f"{key} = {json.dumps(value) if isinstance(value, str) else str(value).lower()}"
                     if isinstance(value, bool) else f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def outcome(text: str, today: dt.date = TODAY) -> jobs.Outcome:
    return jobs.run(jobs.Request(text=text, default_timezone="UTC", today=today), revisions=True)


def calendar(out: jobs.Outcome, view: str = "nurse") -> bytes:
    assert out.plan is not None, out.error
    return ics(plan_view(out.plan, view),  # type: ignore[arg-type]
               tuple(plan_view(p, view) for p in out.revisions))  # type: ignore[arg-type]


def events(data: bytes) -> dict[str, dict[str, str]]:
    """UID → {summary, sequence, status, block} for every VEVENT."""
    found = {}
    for chunk in data.decode().replace("\r\n ", "").split("BEGIN:VEVENT")[1:]:
        block = chunk.split("END:VEVENT")[0]
        field = {k: re.search(rf"\r\n{k}[:;]([^\r]*)", block) for k in ("UID", "SEQUENCE",
                                                                         "STATUS", "SUMMARY")}
        summary = field["SUMMARY"].group(1) if field["SUMMARY"] else ""
        where = (re.search(r"infusion (\d+)·(\d+)", summary)  # a nurse's title
                 or re.search(r"course (\d+) · day (\d+)", summary))
        found[field["UID"].group(1)] = {k.lower(): v.group(1) if v else "" for k, v in
                                        field.items()} | {
            "block": block, "course": int(where.group(1)) if where else 0,
            "day": int(where.group(2)) if where else 0}
    return found


# --- response rules ---------------------------------------------------------------------


def test_lim_response_below_40_switches_to_2_g_per_kg_every_4_weeks():
    """Lim 2021, 68 kg, TIS 35 at week 4: weeks 0 and 3 unchanged; the week-6 1 g/kg course
    becomes 2 g/kg (136 g → 135 g in 2.5 g steps), then every 4 weeks (week 10)."""
    before, after = outcome(LIM), outcome(LIM + RESPONSE.format(tis=35))
    courses = after.plan.courses
    assert [(c.number, c.phase, c.week, c.rounded_g) for c in courses] == [
        (1, "loading", 0, D("135.0")), (2, "maintenance", 3, D("67.5")),
        (3, "insufficient-response", 6, D("135.0")), (4, "insufficient-response", 10, D("135.0"))]
    record = json.loads(CliRunner().invoke(cli, [
        "plan", "-", "-f", "json", "--today", "2027-10-05"], input=LIM + RESPONSE.format(tis=35)
    ).stdout)
    assert record["revision"] == 1
    assert record["changes"][0]["fired"] == "tis < 40"
    old, new = events(calendar(before)), events(calendar(after))
    for uid, event in new.items():
        if event["course"] in (1, 2):
            assert old[uid]["block"] == event["block"]  # same UID, SEQUENCE 0, same bytes
            assert event["sequence"] == "0"
    third_day_one = next(e for e in new.values() if (e["course"], e["day"]) == (3, 1))
    assert third_day_one["sequence"] == "1"


def test_lim_response_at_45_changes_nothing_but_the_record():
    """TIS 45 does not fire the rule: the plan is the same, the response is recorded."""
    before, after = outcome(LIM), outcome(LIM + RESPONSE.format(tis=45))
    assert after.plan.courses == before.plan.courses
    assert "no rule fired" in after.plan.effects[0].text
    assert calendar(after) == calendar(before)


def test_switched_calendar_reads_the_same_in_three_parsers():
    """After the switch the nurse .ics reads with ical.js (strict), vobject and icalendar, each
    giving the plan's own arrival instants."""
    out = outcome(LIM + RESPONSE.format(tis=35))
    data = calendar(out)
    arrivals = sorted(d.arrive.astimezone(dt.UTC) for c in out.plan.courses for d in c.days)
    assert sorted(icalendar_starts(data).values()) == arrivals
    assert sorted(e.dtstart.value.astimezone(dt.UTC) for e in independent_events(data)
                  if isinstance(e.dtstart.value, dt.datetime)) == arrivals
    assert sorted(e["start"] for e in icaljs_events(data)
                  if isinstance(e["start"], dt.datetime)) == arrivals


def test_response_may_give_the_six_measures():
    """A [change.tis] table of six percent improvements is scored by the TIS table (total 40)."""
    text = LIM + RESPONSE.format(tis="{ physician_global = 30, patient_global = 20, mmt = 10, "
                                 "haq = 5, enzyme = 50, extramuscular = 0 }")
    out = outcome(text)
    assert change_rules.score(out.prescription.changes[0]) == D("40.0")
    assert "no rule fired" in out.plan.effects[0].text  # 40 is not below 40


# --- delays, weights, freezing ------------------------------------------------------------


@pytest.mark.parametrize(("shift", "weeks_after"), [(True, (0, 7, 7)), (False, (0, 7, 0))])
def test_delay_moves_the_course_and_maybe_the_later_ones(shift, weeks_after):
    """Delaying course 2 by 7 days moves course 2 and later (or only course 2); course 1's
    events are byte-identical; moved events have SEQUENCE 1."""
    before = outcome(Q4W)
    after = outcome(Q4W + change("delay", course=2, days=7, shift_following=shift))
    assert tuple(c.moved_days for c in after.plan.courses) == weeks_after
    for old, new in zip(before.plan.courses, after.plan.courses, strict=True):
        assert (new.days[0].date - old.days[0].date).days == new.moved_days
    old, new = events(calendar(before)), events(calendar(after))
    for uid, event in new.items():
        moved = any(event["course"] == n for n, m in
                    zip((1, 2, 3), weeks_after, strict=True) if m)
        if moved:
            assert event["sequence"] == "1"
        else:
            assert event["block"] == old[uid]["block"]


def test_weight_change_applies_from_its_course_only():
    """104 kg from course 3 (adjusted: 70.465 + 0.4 × 33.535 = 83.879 kg → 168 g, at-risk cap
    3.0 × 83.879 × 0.6 = 150.98 → 150.9 mL/h); courses 1 and 2 keep 174 g and 156.7 mL/h
    (3.0 × 87.079 × 0.6 = 156.74)."""
    after = outcome(Q4W + change("weight", weight_kg=104, from_course=3))
    rows = [(c.rounded_g, max(s.rate_ml_per_h for d in c.days for s in d.steps))
            for c in after.plan.courses]
    assert rows == [(D(174), D("156.7")), (D(174), D("156.7")), (D(168), D("150.9"))]


def test_change_that_alters_a_given_day_is_refused_naming_both():
    """A dose change from course 1 after course 1 day 1 was given names change[1] and change[0]."""
    text = Q4W + change("given", on="2027-11-06", course=1, day=1, lot="A123") + change(
        "dose", on="2027-11-08", dose_g_per_kg=1, from_course=1)
    out = outcome(text)
    assert out.exit_code == jobs.EXIT_BAD_INPUT
    assert out.errors[0].field == "change[1].from_course"
    assert "given in change[0]" in str(out.errors[0])


def test_delay_of_a_course_with_a_given_day_is_refused():
    """A given infusion cannot move: delaying its course is an input error."""
    text = Q4W + change("given", on="2027-11-06", course=1, day=1) + change(
        "delay", course=1, days=2)
    assert "given in change[0]" in str(outcome(text).error)


@pytest.mark.parametrize(("text", "field"), [
    (change("delay", course=9, days=7), "change[0].course"),
    (change("skip", course=0), "change[0].course"),
    (change("weight", weight_kg=80), "change[0].from_course"),
    (change("given", course=1, day=5), "change[0].day"),
    (change("delay", on="2028-01-01", course=2, days=7), "change[0].on"),
    (change("wait", course=2), "change[0].kind"),
    (change("delay", course=2, days=7, lot="x"), "change[0].lot"),
])
def test_bad_changes_name_their_field(text, field):
    """A course that does not exist, a missing field, a future date: errors at change[i].field."""
    out = outcome(Q4W + text)
    assert out.exit_code == jobs.EXIT_BAD_INPUT
    assert out.errors[0].field == field


def test_skip_and_stop_cancel_events_in_every_later_file():
    """Skipping course 2 and stopping from course 3 turns their events CANCELLED (no alarm)."""
    out = outcome(Q4W + change("skip", course=2) + change("stop", on="2027-11-21",
                                                          from_course=3))
    assert [c.status for c in out.plan.courses] == ["planned", "skipped", "cancelled"]
    for event in events(calendar(out)).values():
        if event["course"] == 1:
            assert event["status"] == "CONFIRMED"
        elif "visit" not in event["summary"].lower():
            assert event["status"] == "CANCELLED"
            assert "VALARM" not in event["block"] and "DESCRIPTION" not in event["block"]


def test_course_count_change_does_not_touch_other_events():
    """courses = 3 → 2 only cancels course 3; courses 1 and 2 keep their bytes."""
    two = outcome(Q4W.replace("courses = 3", "courses = 2"))
    three = outcome(Q4W)
    new, old = events(calendar(two)), events(calendar(three))
    assert set(new) <= set(old)
    assert all(new[uid]["block"] == old[uid]["block"] for uid in new)


# --- working days --------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2029, 12, 31)),
       st.sets(st.sampled_from(["monday", "tuesday", "wednesday", "thursday", "friday",
                                "saturday", "sunday"]), max_size=3),
       st.sampled_from([2, 3, 4]))
def test_no_infusion_falls_on_a_closed_day(start, closed, days):
    """Whatever the start date, no infusion of a planned course falls on a closed weekday."""
    text = Q4W.replace('start = "2027-11-05"', f'start = "{start}"').replace(
        "days_per_course = 4", f"days_per_course = {days}").replace(
        "courses = 3", f"courses = 3\nclosed_weekdays = {json.dumps(sorted(closed))}")
    out = outcome(text, today=start)
    if out.plan is None:  # e.g. Monday and Thursday closed leave no 4 open days in a row
        assert out.errors[0].field == "order.closed_weekdays", out.error
        assert f"leave no run of {days} open days" in str(out.error)
        return
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    for course in out.plan.courses:
        assert all(names[d.date.weekday()] not in closed for d in course.days)


def test_national_holidays_move_a_course():
    """A course touching Christmas Day in the Netherlands moves past it, with a soft warning."""
    text = Q4W.replace('start = "2027-11-05"', 'start = "2027-12-23"').replace(
        "courses = 3", 'courses = 1\nholidays = "NL"')
    out = outcome(text, today=dt.date(2027, 12, 1))
    dates = [d.date for d in out.plan.courses[0].days]
    assert dates[0] == dt.date(2027, 12, 27)  # 25 and 26 December are public holidays
    assert any(w.code == "schedule.closed_day_move" for w in out.plan.warnings)


# --- blinding holds through history -------------------------------------------------------

PRODERM = (SAMPLES / "proderm.toml").read_text()
CHANGES = st.lists(st.sampled_from([
    change("delay", on="2027-01-20", course=2, days=7),
    change("delay", on="2027-01-20", course=3, days=3, shift_following=False),
    change("skip", on="2027-01-20", course=4),
    change("weight", on="2027-01-20", weight_kg=74, from_course=5),
    change("dose", on="2027-01-20", dose_g_per_kg=1, from_course=6),
    change("days", on="2027-01-20", days_per_course=3, from_course=7),
    change("stop", on="2027-01-20", from_course=9),
]), max_size=4)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_masked_views_identical_across_arms_after_any_changes(history):
    """ProDERM masks the nurse, patient and assessor: after any sequence of changes their JSON
    and .ics are the same for both arms."""
    from ivig_schedule.render.records import to_json

    rendered = {}
    for arm in ("active", "placebo"):
        out = outcome(PRODERM.replace('arm = "placebo"', f'arm = "{arm}"') + "".join(history),
                      today=dt.date(2027, 2, 1))
        if out.plan is None:
            rendered[arm] = str(out.error)
            continue
        rendered[arm] = [(to_json(plan_view(out.plan, v)), calendar(out, v))
                         for v in ("nurse", "patient", "assessor")]
    assert rendered["active"] == rendered["placebo"]


# --- the change command ----------------------------------------------------------------------


PAST_Q4W = Q4W.replace('start = "2027-11-05"', 'start = "2025-11-05"')
"""The 2g-q4w sample two years earlier, so that a change can be recorded today (never later)."""


def test_change_command_appends_and_keeps_the_rest(tmp_path):
    """change delay appends one [[change]]; the file's earlier bytes, comments included, stay."""
    rx = tmp_path / "rx.toml"
    rx.write_text(PAST_Q4W)
    result = CliRunner().invoke(cli, ["change", str(rx), "delay", "--course", "2", "--days", "7",
                                      "--reason", "fever", "--today", "2025-11-20"])
    assert result.exit_code == 0, result.output
    text = rx.read_text()
    assert text.startswith(PAST_Q4W)
    added, hash_line = text[len(PAST_Q4W):].rstrip("\n").rsplit("\n", 1)
    assert added == ('\n[[change]]\non = 2025-11-20\nkind = "delay"\n'
                     'reason = "fever"\ncourse = 2\ndays = 7')
    assert re.fullmatch(r'hash = "[0-9a-f]{64}"', hash_line)  # the history's hash chain
    assert "course 2: 2025-12-03…2025-12-06, 4 d, 174 g, planned → 2025-12-10…" in result.stdout


def test_invalid_change_writes_nothing(tmp_path):
    """A change naming a course that does not exist exits 1, naming the flag, and leaves the
    file as it was."""
    rx = tmp_path / "rx.toml"
    rx.write_text(PAST_Q4W)
    result = CliRunner().invoke(cli, ["change", str(rx), "skip", "--course", "7", "--reason",
                                      "x", "--today", "2025-11-20"])
    assert result.exit_code == 1
    assert "--course: must name a course from 1 to 3" in result.stderr
    assert rx.read_text() == PAST_Q4W


def test_change_flags_not_of_the_kind_are_a_usage_error(tmp_path):
    """skip does not take --days (exit 2)."""
    rx = tmp_path / "rx.toml"
    rx.write_text(Q4W)
    result = CliRunner().invoke(cli, ["change", str(rx), "skip", "--course", "2", "--days", "3",
                                      "--reason", "x"])
    assert result.exit_code == 2


def test_visit_with_a_window_moves_to_the_nearest_open_day():
    """A week-4 visit on a closed Saturday (3 April) moves within its 2-day window to the nearest
    open day: one day away, Sunday is closed and Friday is open, so Friday 2 April. A visit
    without a window stays where it falls."""
    text = """[patient]
weight_kg = 70
timezone = "UTC"

[order]
product = "octagam-10"
start = "2027-03-06"
days_per_course = 2
closed_weekdays = ["saturday", "sunday"]

[regimen]
id = "local"
source = "ward protocol"

[[regimen.phase]]
name = "c"
dose_g_per_kg = 2
days = [2, 2]
weeks = [0]

[[regimen.visit]]
week = 4
name = "assessment"
window_days = 2
source = "ward protocol"

[[regimen.visit]]
week = 5
name = "fixed"
source = "ward protocol"
"""
    out = outcome(text, today=dt.date(2027, 3, 1))
    assert out.plan is not None, out.error
    dates = {v.name: v.date for v in out.plan.visits}
    assert dates["assessment"] == dt.date(2027, 4, 2)  # Sat 3 Apr → Fri 2 Apr
    assert dates["fixed"] == dt.date(2027, 4, 10)  # a Saturday, but no window: stays
