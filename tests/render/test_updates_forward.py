"""Calendar updates only go forward: whatever mix of recorded changes (dated in any order) and
hand edits re-planned with ``--previous``, no UID's SEQUENCE or DTSTAMP ever decreases, and a
store that keeps, per UID, the event with the highest SEQUENCE (then the latest DTSTAMP), as
RFC 5546 asks, ends with exactly the latest plan's events."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs

TODAY = dt.date(2027, 6, 30)
HEAD = """[patient]
id = "UP-1"
weight_kg = 70
timezone = "Europe/Amsterdam"

[order]
product = "octagam-10"
regimen = "2g-q4w"
start = 2027-01-11
start_time = "{time}"
days_per_course = {days}
courses = 6
"""


def events(data: bytes) -> dict[str, tuple[int, dt.datetime, str, object]]:
    """UID → (SEQUENCE, DTSTAMP, STATUS, DTSTART as written)."""
    found = {}
    for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
        found[str(event["UID"])] = (int(event.get("SEQUENCE", 0)), event.decoded("DTSTAMP"),
                                    str(event.get("STATUS", "CONFIRMED")),
                                    event.decoded("DTSTART"))
    return found


def plan(text: str, previous: bytes | None) -> bytes:
    written = outputs.plan(jobs.Request(text=text, today=TODAY), "ics", "nurse",
                           previous=previous)
    assert written.data is not None, written.failure
    return written.data


class Store:
    """A calendar server or client that honours SEQUENCE, then DTSTAMP (RFC 5546 §2.1.5)."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[int, dt.datetime, str, object]] = {}

    def receive(self, data: bytes) -> None:
        for uid, event in events(data).items():
            old = self.kept.get(uid)
            if old is None or (event[0], event[1]) > (old[0], old[1]):
                self.kept[uid] = event
            elif (event[0], event[1]) == (old[0], old[1]):
                assert event == old, uid  # same numbers, same event


def delay(course: int, days: int, on: dt.date) -> str:
    return (f'\n[[change]]\non = {on}\nkind = "delay"\nreason = "r"\ncourse = {course}\n'
            f"days = {days}\n")


def assert_forward(before: bytes, after: bytes) -> None:
    old, new = events(before), events(after)
    for uid, (sequence, stamp, *_) in old.items():
        assert uid in new, "an event sent before is never dropped (it is cancelled)"
        assert new[uid][0] >= sequence and new[uid][1] >= stamp, uid


def test_hand_edit_then_delay_ends_at_the_new_dates():
    """The issue's example: plan (A), edit start_time by hand and plan with --previous A (B),
    record a delay and plan with --previous B (C): a SEQUENCE-honouring store ends with C."""
    first = HEAD.format(time="09:00", days=2)
    a = plan(first, None)
    edited = HEAD.format(time="10:30", days=2)
    b = plan(edited, a)
    c = plan(edited + delay(2, 7, dt.date(2027, 1, 20)), b)
    store = Store()
    for data in (a, b, c):
        store.receive(data)
    assert store.kept == events(c)
    assert_forward(a, b)
    assert_forward(b, c)
    moved = [e for e in events(c).values() if e[0] >= 2]
    assert moved, "course 2 and later were moved by the delay after the hand edit"


def test_delays_dated_out_of_order_never_stamp_backwards():
    """Two delays recorded as 03-01 then 02-15: the second revision's DTSTAMP is not earlier
    than the first's, and SEQUENCE grows."""
    text = HEAD.format(time="09:00", days=2)
    one = text + delay(3, 7, dt.date(2027, 3, 1))
    two = one + delay(4, 7, dt.date(2027, 2, 15))
    a, b, c = plan(text, None), plan(one, None), plan(two, None)
    assert_forward(a, b)
    assert_forward(b, c)


steps = st.lists(st.one_of(
    st.tuples(st.just("delay"), st.integers(2, 6), st.integers(1, 10),
              st.dates(dt.date(2027, 1, 12), dt.date(2027, 6, 30))),
    st.tuples(st.just("time"), st.sampled_from(["08:00", "09:00", "10:30", "13:15"])),
    st.tuples(st.just("days"), st.sampled_from([2, 3, 4])),
), min_size=1, max_size=5)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps)
def test_any_history_of_changes_and_hand_edits_only_goes_forward(history):
    """Random recorded delays (dated in any order) and hand edits of the start time and days,
    each planned with --previous of the file sent before: SEQUENCE and DTSTAMP never decrease
    for a UID, and the store ends with the latest plan's events."""
    time, days, changes = "09:00", 2, ""
    sent = plan(HEAD.format(time=time, days=days), None)
    store = Store()
    store.receive(sent)
    for step in history:
        if step[0] == "delay":
            changes += delay(step[1], step[2], step[3])
        elif step[0] == "time":
            time = step[1]
        else:
            days = step[1]
        written = outputs.plan(jobs.Request(text=HEAD.format(time=time, days=days) + changes,
                                            today=TODAY), "ics", "nurse", previous=sent)
        if written.data is None:  # a delay past a given limit: nothing is sent, drop it
            changes = changes[: changes.rfind("\n[[change]]")]
            continue
        assert_forward(sent, written.data)
        store.receive(written.data)
        sent = written.data
    assert store.kept == events(sent)
