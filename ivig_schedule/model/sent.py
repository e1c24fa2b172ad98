"""What a calendar file sent before holds of our events (``--previous``), so that the next one
continues their SEQUENCE and cancels what was dropped. Only the ``--previous`` path imports it."""

from __future__ import annotations

import datetime as dt

from attrs import frozen


@frozen
class SentEvent:
    """An event of ours in a file sent before.

    Attributes:
        uid, sequence, stamp: As that file has them.
        hash: Its content digest (``X-IVIG-SCHEDULE-HASH``; None from older files).
        cancelled: True when that file has it cancelled.
        times: Its DTSTART and DTEND content lines (name with parameters, value), as written.
    """

    uid: str
    sequence: int
    stamp: dt.datetime | None
    hash: str | None
    cancelled: bool
    times: tuple[tuple[str, str], ...]
