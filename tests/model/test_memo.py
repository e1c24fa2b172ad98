"""`Memo` keeps values by the object's identity, never by its value."""

from __future__ import annotations

import gc
import weakref
from decimal import Decimal

import pytest

from ivig_schedule.model.memo import Memo


class Thing:
    """A plain object that can be weakly referenced."""


def test_a_kept_value_is_found_for_the_same_object_and_kind_only():
    """get finds what put kept for that object and kind, and nothing for another kind."""
    memo, source = Memo(), Thing()
    assert memo.put("reprs", source, "text") == "text"
    assert memo.get("reprs", source) == "text"
    assert memo.get("json", source) is None
    assert memo.get(("day", True), source) is None
    assert len(memo) == 1


def test_an_equal_object_is_not_the_same_object():
    """Decimal("2.0") equals Decimal("2.00") but writes differently: it gets nothing."""
    memo = Memo()
    kept, equal = Decimal("2.0"), Decimal("2.00")
    memo.put("text", kept, "2.0")
    assert equal == kept
    assert memo.get("text", equal) is None
    assert memo.get("text", kept) == "2.0"


def test_the_memo_keeps_its_objects_alive():
    """While the memo lives its objects do too, so no new object can take a kept id."""
    memo, source = Memo(), Thing()
    alive = weakref.ref(source)
    memo.put("kind", source, 1)
    del source
    gc.collect()
    assert alive() is not None
    del memo
    gc.collect()
    assert alive() is None


def test_none_cannot_be_kept():
    """None is get's answer for "not kept", so put refuses it."""
    with pytest.raises(ValueError, match="None"):
        Memo().put("kind", Thing(), None)


def test_keep_makes_a_value_once_and_made_without_a_memo_every_time():
    """keep calls make only on first asking (a kept False is kept); made with no memo always
    makes."""
    from ivig_schedule.model.memo import made

    memo, source, calls = Memo(), Thing(), []

    def make() -> bool:
        calls.append(1)
        return False

    assert memo.keep("twice", source, make) is False
    assert memo.keep("twice", source, make) is False
    assert made(memo, "twice", source, make) is False
    assert len(calls) == 1
    assert made(None, "twice", source, make) is False
    assert made(None, "twice", source, make) is False
    assert len(calls) == 3
