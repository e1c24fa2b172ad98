"""When the nurse checks the vital signs during an infusion day, as moments in absolute time.

Before the start, at each step change, at least every `VITALS_EVERY_MINUTES` within a step, at
the end of the infusion and at the end of the observation. Every moment is worked out in elapsed
time from the step's start (`engine.schedule.after`), as the engine works out the infusion's own
times, so a check on a night the clocks change falls on the instant it should and carries that
instant's UTC offset; the sheet only writes them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from attrs import frozen

from ivig_schedule.engine.schedule import after
from ivig_schedule.model.vocabulary import VitalsWhen
from ivig_schedule.views.views import DayView

VITALS_EVERY_MINUTES = 30
"""Longest time between two vital-sign checks during a step (a project default; the regimen's
protocol may ask for more)."""


@frozen
class VitalsCheck:
    """One vital-signs check.

    Attributes:
        when: ``before`` the start, a ``step`` change, ``during`` a step, the infusion ``end``,
            or the end of the ``observation``.
        at: The moment, in the patient's zone (None for a view without times).
        step: The step it belongs to (1-based; 0 for before, end and observation).
        minutes: For a check during a step: minutes since that step started.
        rate_ml_per_h: For a step change: the new rate.
    """

    when: VitalsWhen
    at: dt.datetime | None
    step: int = 0
    minutes: int = 0
    rate_ml_per_h: Decimal | None = None


def vitals(day: DayView) -> tuple[VitalsCheck, ...]:
    """The day's vital-sign checks, in order (see the module notes)."""
    checks = [VitalsCheck("before", day.start)]
    for number, step in enumerate(day.steps or (), start=1):
        if number > 1:
            checks.append(VitalsCheck("step", step.at, number, rate_ml_per_h=step.rate_ml_per_h))
        if step.at is None:
            continue
        checks.extend(VitalsCheck("during", after(step.at, minute), number, minute)
                      for minute in range(VITALS_EVERY_MINUTES, step.minutes,
                                          VITALS_EVERY_MINUTES))
    checks += [VitalsCheck("end", day.end), VitalsCheck("observation", day.leave)]
    return tuple(checks)
