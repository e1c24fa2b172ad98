"""The Total Improvement Score as text or JSON (``ivig-schedule tis``)."""

from __future__ import annotations

from ivig_schedule.model.changes import Score
from ivig_schedule.model.numbers import plain
from ivig_schedule.render.records import dumps


def score_text(score: Score) -> str:
    """Points per measure, then the total and its class."""
    text = "".join(f"{m.replace('_', ' ')}: {plain(p)} points\n" for m, p in score.points)
    return text + f"total: {plain(score.total)} ({score.klass})\n"


def score_json(score: Score) -> str:
    """The same as a JSON object: total, class, points by measure."""
    return dumps({"total": score.total, "class": score.klass, "points": dict(score.points)})
