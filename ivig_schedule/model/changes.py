"""Frozen value types for a prescription's recorded history: each kind of ``[[change]]``, the
TIS measures a response may carry and their score, and what a change did to the plan.

Only a prescription with a history (or the ``tis`` command) needs these: a plan without changes
never imports this module, so its start-up does not pay for classes it does not use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from ivig_schedule.model.vocabulary import ChangeKind

if TYPE_CHECKING:
    from ivig_schedule.model.inputs import Product


@frozen
class TisInput:
    """The six core set measures' percent improvement (negative = worsening)."""

    physician_global: Decimal
    patient_global: Decimal
    mmt: Decimal
    haq: Decimal
    enzyme: Decimal
    extramuscular: Decimal


@frozen
class Score:
    """A Total Improvement Score: the total, its class, and the points per measure."""

    total: Decimal
    klass: str
    points: tuple[tuple[str, Decimal], ...]


@frozen(kw_only=True)
class Change:
    """What every recorded change has, as written in the prescription's ``[[change]]`` history.

    Each kind of change is its own type below, with only the fields that kind takes.

    Attributes:
        index: Position in the history (0-based), for field paths like ``change[2].course``.
        on: The date it was recorded (never after today).
        reason: Why, in the pharmacist's words (free text: only roles that see the arm read it).
        by: Who recorded it (``by``; required when a trial's change is recorded with
            ``ivig-schedule change``, from ``--by`` or ``[care] user``).
    """

    kind: ClassVar[ChangeKind]
    index: int
    on: dt.date
    reason: str
    by: str = ""

    @property
    def path(self) -> str:
        """The change's field path, e.g. ``change[2]``."""
        return f"change[{self.index}]"


@frozen(kw_only=True)
class DelayChange(Change):
    """A course (and, by default, every later one) moves `days` later."""

    kind: ClassVar[ChangeKind] = "delay"
    course: int
    days: int
    shift_following: bool = True


@frozen(kw_only=True)
class SkipChange(Change):
    """A course is not given; later courses keep their dates."""

    kind: ClassVar[ChangeKind] = "skip"
    course: int


@frozen(kw_only=True)
class WeightChange(Change):
    """A new body weight from a course on: grams and pump steps are recomputed for it.

    Attributes:
        weight_kg: The weight in kilograms.
        weight_input: The weight as written (e.g. ``160 lb``).
        weight_lb: The pounds, when it was written in pounds.
    """

    kind: ClassVar[ChangeKind] = "weight"
    from_course: int
    weight_kg: Decimal
    weight_input: str
    weight_lb: Decimal | None = None


@frozen(kw_only=True)
class DoseChange(Change):
    """A new dose per course (g/kg) from a course on, e.g. ProDERM's step-down to 1 g/kg."""

    kind: ClassVar[ChangeKind] = "dose"
    from_course: int
    dose_g_per_kg: Decimal


@frozen(kw_only=True)
class DaysChange(Change):
    """A new number of days per course from a course on."""

    kind: ClassVar[ChangeKind] = "days"
    from_course: int
    days_per_course: int


@frozen(kw_only=True)
class ResponseChange(Change):
    """A response assessed at `week`: the TIS as a score, or the six measures it is made of.

    Attributes:
        week: The week it was assessed (recorded no earlier than that week's first day).
        tis: The Total Improvement Score as given (None when the measures are given).
        measures: The six percent improvements, when given instead of the score.
    """

    kind: ClassVar[ChangeKind] = "response"
    week: int
    tis: Decimal | None = None
    measures: TisInput | None = None


@frozen(kw_only=True)
class StopChange(Change):
    """The rest of the plan is cancelled from a course on."""

    kind: ClassVar[ChangeKind] = "stop"
    from_course: int


@frozen(kw_only=True)
class GivenChange(Change):
    """An infusion day was given: it is frozen, and its course keeps its dates.

    Attributes:
        course, day: The day given.
        date: The date it was given (default: `on`, the date it was recorded); never after `on`
            and never before the day's planned date.
        lot, expiry, note: What was recorded with it (free text: only roles that see the arm
            read it).
    """

    kind: ClassVar[ChangeKind] = "given"
    course: int
    day: int
    date: dt.date | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    note: str | None = None

    @property
    def given_on(self) -> dt.date:
        """The date the infusion was given."""
        return self.date or self.on


@frozen(kw_only=True)
class ProductChange(Change):
    """Another product from a course on (a switch): vials, ladder and cap are its own, and the
    first infusion of it starts slowly where its label says so."""

    kind: ClassVar[ChangeKind] = "product"
    from_course: int
    product: Product


@frozen(kw_only=True)
class UnblindingChange(Change):
    """An emergency unblinding happened (``ivig-schedule unblind``): who broke the code. The
    arm is never written here; the store's log holds the event too."""

    kind: ClassVar[ChangeKind] = "unblinding"


AnyChange = (DelayChange | SkipChange | WeightChange | DoseChange | DaysChange | ResponseChange
             | StopChange | GivenChange | ProductChange | UnblindingChange)
CHANGE_TYPES: dict[str, type[Change]] = {t.kind: t for t in (
    DelayChange, SkipChange, WeightChange, DoseChange, DaysChange, ResponseChange, StopChange,
    GivenChange, ProductChange, UnblindingChange)}
"""Each kind's type, by the name a ``[[change]]`` table gives in ``kind``."""


@frozen
class ChangeEffect:
    """What one recorded change did.

    Attributes:
        change: The change as recorded.
        text: Its effect in full (pharmacy).
        schedule: Its effect on dates only (every audience).
        courses: The course numbers it altered.
        fired: The response rule that fired, in words (empty when none did).
    """

    change: AnyChange
    text: str
    schedule: str
    courses: tuple[int, ...] = ()
    fired: str = ""
