"""`Memo`: values worked out from an object once, for every view of one plan.

A roster row writes four views of one plan, each in three formats. The pharmacy's and the
nurse's days are alike, so their `DayView`s, the days' reprs (the calendar's content) and their
JSON and CSV cells can be made once and reused. None of those values can be kept by *value*:
``Decimal("2.0") == Decimal("2.00")`` and an ambiguous wall time's two readings compare equal
(PEP 495), yet each writes differently. So the memo keeps them by the object's identity, and it
holds the object itself: while the memo lives, no other object can take that id.

One memo serves one row (or one plan's views) and is dropped with it, so it never grows across
rows. Nothing here changes a value: a memo only spares recomputing what the same object gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Memo", "made"]

T = TypeVar("T")


class Memo:
    """Values by (kind, object identity), each kept with its object (see the module notes).

    `kind` names what was worked out and everything else it depends on, for example
    ``("day", timed, pumped)``; two kinds never share a value.
    """

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[tuple[Any, int], tuple[object, Any]] = {}

    def get(self, kind: Any, source: object) -> Any:
        """The value kept for `source` under `kind`, or None (no value kept is ever None)."""
        entry = self._found.get((kind, id(source)))
        if entry is None or entry[0] is not source:
            return None
        return entry[1]

    def put(self, kind: Any, source: object, value: Any) -> Any:
        """Keep `value` (never None) for `source` under `kind`, and return it."""
        if value is None:
            raise ValueError("Memo.put: None cannot be kept (get returns None for 'not kept')")
        self._found[(kind, id(source))] = (source, value)
        return value

    def keep(self, kind: Any, source: object, make: Callable[[], T]) -> T:
        """The value kept for `source` under `kind`; on first asking, `make()`, kept."""
        found = self.get(kind, source)
        return self.put(kind, source, make()) if found is None else found  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._found)


def made(memo: Memo | None, kind: Any, source: object, make: Callable[[], T]) -> T:
    """`make()`, or with a memo the value it keeps for `source` under `kind` (see `Memo.keep`)."""
    return make() if memo is None else memo.keep(kind, source, make)
