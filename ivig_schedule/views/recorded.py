"""What people recorded, as a role may read it: an infusion given, a change of the history, a
soft limit acknowledged with a reason. Free text (reasons, notes, lots) only for the roles
that see the arm.

Only a plan with a recorded history or an accepted override needs these, so `views.views`
imports this module when it meets one, not at every start.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from ivig_schedule.model.changes import ChangeEffect, GivenChange
    from ivig_schedule.model.plan import Override


@frozen
class GivenView:
    """An administration as recorded; lot, expiry and note only for roles that see the arm.

    Attributes:
        on: The date it was given.
        change: The index of the change that recorded it.
        lot, expiry, note: As recorded (free text), or None.
    """

    on: dt.date
    change: int
    lot: str | None
    expiry: dt.date | None
    note: str | None


@frozen
class ChangeView:
    """A recorded change as this audience may read it.

    Attributes:
        index: Its position in the history (``change[index]``).
        on: When it was decided.
        kind: What kind of change.
        reason: Why (free text: only for roles that see the arm).
        effect: What it did: in full for the pharmacy, its effect on dates for the others.
        fired: The response rule that fired (pharmacy only).
        by: Who recorded it (empty when the history does not say).
    """

    index: int
    on: dt.date
    kind: str
    reason: str | None
    effect: str
    fired: str | None
    by: str = ""


@frozen
class OverrideView:
    """A soft limit acknowledged with a reason (free text: only for roles that see the arm)."""

    rule: str
    value: str
    limit: str
    reason: str | None


def given_view(record: GivenChange, free_text: bool) -> GivenView:
    """The record of a given day; lot, expiry and note only with `free_text`."""
    return GivenView(on=record.given_on, change=record.index,
                     lot=record.lot if free_text else None,
                     expiry=record.expiry if free_text else None,
                     note=record.note if free_text else None)


def change_views(effects: tuple[ChangeEffect, ...], full: bool,
                 free_text: bool) -> tuple[ChangeView, ...]:
    """Each change: its effect in full (`full`, the pharmacy) or on dates only; its reason
    only with `free_text`."""
    return tuple(ChangeView(
        index=e.change.index, on=e.change.on, kind=e.change.kind,
        reason=e.change.reason if free_text else None,
        effect=e.text if full else e.schedule,
        fired=(e.fired or None) if full else None, by=e.change.by) for e in effects)


def override_views(overrides: tuple[Override, ...], arm_seen: bool) -> tuple[OverrideView, ...]:
    """The accepted soft limits; the reason only for a role that sees the arm."""
    return tuple(OverrideView(o.rule, o.value, o.limit, o.reason if arm_seen else None)
                 for o in overrides)
