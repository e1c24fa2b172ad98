"""`model.values.frozen` classes repr, compare and hash exactly as attrs' own generated methods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivig_schedule.model.values import frozen

VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.decimals(allow_nan=False),
                   st.dates(), st.tuples(st.integers(), st.text(max_size=3)))


def twins(annotations: dict[str, object], namespace: dict[str, object] | None = None,
          **options: object) -> tuple[type, type]:
    """The same class body decorated by attrs.frozen and by the project's frozen."""
    def body(decorate):
        ns = {"__annotations__": dict(annotations), "__qualname__": "Twin",
              **(namespace or {})}
        return decorate(type("Twin", (), ns))
    return (body(lambda c: attrs.frozen(c, **options)),
            body(lambda c: frozen(c, **options)))


@given(a=VALUES, b=VALUES, c=VALUES, d=VALUES)
def test_many_fields_match_attrs(a, b, c, d):
    """repr text, equality and hash agree with attrs for a plain three-field class."""
    theirs, ours = twins({"x": object, "y": object, "z": object})
    assert repr(ours(a, b, c)) == repr(theirs(a, b, c))
    assert (ours(a, b, c) == ours(d, b, c)) == (theirs(a, b, c) == theirs(d, b, c))
    assert (ours(a, b, c) != ours(d, b, c)) == (theirs(a, b, c) != theirs(d, b, c))
    assert hash(ours(a, b, c)) == hash(ours(a, b, c))


@given(a=VALUES, b=VALUES)
def test_field_options_match_attrs(a, b):
    """eq=False, repr=False and a default field are honoured as attrs honours them."""
    namespace = {"hidden": attrs.field(default=0, repr=False),
                 "ignored": attrs.field(default=0, eq=False)}
    theirs, ours = twins({"shown": object, "hidden": object, "ignored": object}, namespace)
    assert repr(ours(a, b, a)) == repr(theirs(a, b, a))
    assert "hidden" not in repr(ours(a, b, a))
    assert (ours(a, 1, a) == ours(a, 1, b)) is True
    assert (ours(a, 1, a) == ours(a, 2, a)) is False
    assert hash(ours(a, 1, a)) == hash(ours(a, 1, b))


@pytest.mark.parametrize("count", [0, 1, 2])
def test_small_classes_match_attrs(count):
    """Zero and one field (where attrgetter would not return a tuple) work as attrs does."""
    names = {f"f{i}": int for i in range(count)}
    theirs, ours = twins(names)
    values = list(range(7, 7 + count))
    assert repr(ours(*values)) == repr(theirs(*values))
    assert ours(*values) == ours(*values)
    assert hash(ours(*values)) == hash(ours(*values))
    if count:
        assert ours(*values) != ours(*[v + 1 for v in values])


def test_nested_subclass_and_local_names_match_attrs():
    """A subclass, a class made inside a function and nested values repr as attrs writes them."""
    @attrs.frozen
    class TheirBase:
        when: dt.date

    @attrs.frozen
    class TheirChild(TheirBase):
        dose_g: Decimal

    @frozen
    class OurBase:
        when: dt.date

    @frozen
    class OurChild(OurBase):
        dose_g: Decimal

    day = dt.date(2027, 3, 1)
    theirs = repr(TheirChild(day, Decimal("0.40")))
    assert repr(OurChild(day, Decimal("0.40"))).replace("Our", "Their") == theirs
    assert theirs == "TheirChild(when=datetime.date(2027, 3, 1), dose_g=Decimal('0.40'))"
    assert OurChild(day, Decimal("0.4")) == OurChild(day, Decimal("0.40"))  # Decimal equality
    assert OurChild(day, Decimal(1)) != OurBase(day)  # another class is never equal
    assert repr((OurBase(day),)) == "(OurBase(when=datetime.date(2027, 3, 1)),)"


def test_unset_field_shows_nothing_as_attrs_does():
    """A field with init=False that is not set yet reprs as NOTHING, the attrs way."""
    theirs, ours = twins({"a": int, "later": int}, {"later": attrs.field(init=False)})
    assert repr(ours(1)) == repr(theirs(1)) == "Twin(a=1, later=NOTHING)"


def test_kw_only_and_frozenness_are_attrs_own():
    """Options pass through to attrs; instances stay frozen and evolve works."""
    _, ours = twins({"a": int}, kw_only=True)
    value = ours(a=1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        value.a = 2  # type: ignore[misc]
    assert attrs.evolve(value, a=2) == ours(a=2)
    with pytest.raises(TypeError):
        ours(1)  # type: ignore[misc]


@pytest.mark.parametrize("option", ["repr", "eq", "order", "hash"])
def test_method_options_are_refused(option):
    """Asking for attrs' own comparison or repr methods is a clear error, not silently ignored."""
    with pytest.raises(TypeError, match=r"attrs\.frozen itself"):
        frozen(**{option: True})


def test_a_class_with_its_own_repr_is_refused():
    """A class body's own __repr__ would be replaced silently; it is refused instead."""
    with pytest.raises(TypeError, match="defines __repr__"):
        @frozen
        class Own:
            a: int

            def __repr__(self) -> str:
                return "mine"
