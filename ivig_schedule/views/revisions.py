"""A calendar's events through the plan's history: UID, SEQUENCE, DTSTAMP and cancellation.

Every event of a view has a stable UID (the patient, the prescription's identity, the course and
day or the visit, and the view) and a *content*: everything the calendar writes for it in that
view, taken from the view's values (never from rendered text). Over the revisions of the plan
(the plan before each recorded change, then the plan now):

- SEQUENCE counts the revisions that changed the event's content in this view, warnings
  included, so a client that honours SEQUENCE always takes the latest version;
- DTSTAMP is the latest of the dates involved (the start date and the dates of the changes up to
  the last one that altered the event) at midnight UTC, plus one second per revision, so it never
  goes back, whatever order the changes were dated in;
- an event a change removed stays, cancelled, with its last times.

Reissued against a file sent before (``--previous``, after a hand edit), an unchanged event keeps
that file's SEQUENCE and DTSTAMP; a changed one takes the higher SEQUENCE (the old one plus one)
and the later DTSTAMP; an event of ours that file has and the plan no longer does is cancelled.
Neither number ever decreases for a UID. After a hand edit, keep passing the last file sent:
the prescription alone no longer holds everything the calendar was made from.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping

import attrs
from attrs import frozen

from ivig_schedule.model.sent import SentEvent
from ivig_schedule.views.views import CourseView, DayView, PlanView, VisitView

UTC = dt.UTC


def digest(*parts: object) -> str:
    """A stable hash of the parts (the patient id is hashed, never written)."""
    return _digest_text("\x1f".join(str(p) for p in parts))


def _digest_text(text: str) -> str:
    from hashlib import sha256  # only calendars hash: not imported for JSON (about 4 ms)

    return sha256(text.encode("utf-8")).hexdigest()[:32]


@frozen
class Item:
    """One calendar event's content in a view: an infusion day or an assessment visit.

    Attributes:
        uid: Its UID.
        course, day: The infusion day (None for a visit).
        visit: The visit (None for an infusion day).
        content: What the calendar writes for it: its values' reprs, joined (digested and
            compared between revisions).
    """

    uid: str
    course: CourseView | None
    day: DayView | None
    visit: VisitView | None
    content: str = attrs.field(repr=False)

    @property
    def cancelled(self) -> bool:
        """True when the day is skipped or cancelled."""
        return self.day is not None and self.day.status in ("cancelled", "skipped")


@frozen
class Stamped:
    """An event as the calendar writes it, with its revision numbers.

    Attributes:
        item: The event's content now (or, for an event the plan no longer has, its last one).
        sequence: How many revisions changed it.
        stamp: Its DTSTAMP.
        hash: The digest of its content (written as ``X-IVIG-SCHEDULE-HASH``).
        gone: True when the plan no longer has it: it is written as cancelled.
        previous_times: For an event only a file sent before had: its DTSTART and DTEND lines
            as that file wrote them.
    """

    item: Item | None
    sequence: int
    stamp: dt.datetime
    hash: str
    gone: bool = False
    previous_times: tuple[tuple[str, str], ...] = ()
    uid: str = ""


def _midnight(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=UTC)


def uid(view: PlanView, *parts: object) -> str:
    """A stable UID: the patient, the prescription's identity, the event, the view."""
    return f"{digest(view.patient.id, view.prescription, *parts, view.view)}@ivig-schedule"


def items(view: PlanView) -> Iterator[Item]:
    """The view's events with their content: every value the calendar writes for them.

    The content is the values' reprs joined (what `_content_hash` digests); the parts shared by
    every day of the view, and by every day of a course, are written once."""
    common = _joined((view.patient.id, view.patient.timezone, view.warnings, view.overrides,
                      view.organizer))
    for course in view.courses:
        shown = (course.number, course.phase, course.week, course.masked, course.moved_days,
                 course.cap, len(course.days), None if course.masked else view.product_name,
                 course.weight)
        head = f"{common}{_SEPARATOR}{shown!r}{_SEPARATOR}"
        # `uid(view, "course", number, day)`, with the parts every day shares joined once
        stem = _SEPARATOR.join((view.patient.id, view.prescription, "course", str(course.number)))
        for day in course.days:
            key = _digest_text(f"{stem}{_SEPARATOR}{day.day}{_SEPARATOR}{view.view}")
            yield Item(f"{key}@ivig-schedule", course, day, None, f"{head}{day!r}")
    for visit in view.visits:
        yield Item(uid(view, "visit", visit.week), None, None, visit,
                   _joined((view.patient.id, view.organizer, visit)))


_SEPARATOR = "\x1f"


def _joined(parts: Iterable[object]) -> str:
    return _SEPARATOR.join(repr(part) for part in parts)


def _content_hash(item: Item) -> str:
    """The digest of the content's reprs (the same as ``digest`` of each part's repr)."""
    return _digest_text(item.content)


def default_stamp(view: PlanView) -> dt.datetime:
    """DTSTAMP derived from the inputs: midnight UTC on the order's start date."""
    first = view.start or view.courses[0].days[0].date
    return _midnight(first)


def stamped(view: PlanView, earlier: Iterable[PlanView] = (), *,
            fixed: dt.datetime | None = None,
            previous: Mapping[str, SentEvent] | None = None) -> tuple[Stamped, ...]:
    """Every event of the view with its SEQUENCE and DTSTAMP, from the plan's revisions (the
    same role's views of the plan before each change, `earlier`), and from a file sent before.

    `fixed` sets the DTSTAMP of every event (``--stamp``), except those a file sent before
    already has unchanged; otherwise it is derived (see the module notes). The earlier views
    are taken one at a time, so a long history's views are never all held at once.
    """
    base = default_stamp(view)
    latest = base
    found: dict[str, Stamped] = {}
    # One revision at a time: a long history's views are never all held at once.
    for number, revision in enumerate(itertools.chain(earlier, (view,))):
        if number:
            latest = max(latest, _midnight(view.change_dates[number - 1]))
        when = latest + dt.timedelta(seconds=number)
        now = {item.uid: item for item in items(revision)}
        if not found:  # nothing earlier (most plans have no history): every event is new
            found = {key: Stamped(item, 0, when, _content_hash(item), uid=key)
                     for key, item in now.items()}
            continue
        for key in [*now, *(k for k in found if k not in now)]:
            item = now.get(key)
            old = found.get(key)
            if item is None:
                assert old is not None
                if not old.gone:
                    found[key] = attrs.evolve(old, sequence=old.sequence + 1, stamp=when,
                                              gone=True, hash=digest(old.hash, "gone"))
                continue
            hashed = _content_hash(item)
            if old is None:
                found[key] = Stamped(item, 0, when, hashed, uid=key)
            elif old.hash != hashed or old.gone:
                found[key] = Stamped(item, old.sequence + 1, when, hashed, uid=key)
            else:
                found[key] = attrs.evolve(old, item=item)
    events = list(found.values())
    if fixed is not None:
        events = [attrs.evolve(e, stamp=fixed) for e in events]
    if previous:
        events = _reissued(events, previous)
    return tuple(events)


def _reissued(events: list[Stamped], previous: Mapping[str, SentEvent]) -> list[Stamped]:
    """The events reissued against a file sent before: never a lower SEQUENCE or an earlier
    DTSTAMP than that file's; ours that only that file has are cancelled."""
    result = []
    for event in events:
        sent = previous.get(event.uid)
        if sent is None:
            result.append(event)
        elif sent.hash == event.hash and not event.gone:
            result.append(attrs.evolve(event, sequence=sent.sequence,
                                       stamp=sent.stamp or event.stamp))
        else:
            result.append(attrs.evolve(event, sequence=max(event.sequence, sent.sequence + 1),
                                       stamp=max(event.stamp, sent.stamp or event.stamp)))
    ours = {e.uid for e in events}
    newest = max((e.stamp for e in events), default=dt.datetime(1970, 1, 1, tzinfo=UTC))
    for key in sorted(k for k in previous if k not in ours):
        sent = previous[key]
        stamp = sent.stamp or newest
        if sent.cancelled:
            result.append(Stamped(None, sent.sequence, stamp, sent.hash or "", gone=True,
                                  previous_times=sent.times, uid=key))
        else:
            result.append(Stamped(None, sent.sequence + 1, max(stamp, newest),
                                  digest(key, "gone"), gone=True, previous_times=sent.times,
                                  uid=key))
    return result


X_PATIENT = "X-IVIG-SCHEDULE-PATIENT"
X_VIEW = "X-IVIG-SCHEDULE-VIEW"
X_PLAN = "X-IVIG-SCHEDULE-PLAN"


def identity(view: PlanView) -> dict[str, str]:
    """Whom a calendar is written for: patient (hashed), view, and the prescription."""
    return {X_PATIENT: digest("patient", view.patient.id),
            X_VIEW: view.view,
            X_PLAN: digest("plan", view.patient.id, view.prescription)}
