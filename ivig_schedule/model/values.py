"""`frozen`: the project's frozen value classes, attrs classes with a shared repr, eq and hash.

`attrs.frozen` writes and compiles a ``__repr__``, an ``__eq__`` and a ``__hash__`` for every
class when the class is created. At about 0.6 ms a class that was half of the start-up of
``plan --format json`` (86 classes on its path), though most classes are never printed, compared
or hashed in a run. The three methods here are shared by every class: each reads its class's
fields once, on first use, and then works from C-level getters.

They behave as attrs' own: the repr text is the same character for character (the calendar's
content hash is made of view reprs, so a different text would change every published event),
equality compares the fields with ``eq=True`` for instances of the very same class, and the hash
agrees with equality. ``__init__``, frozenness, slots, ``attrs.evolve`` and ``attrs.fields`` are
attrs' own, unchanged. The tests compare all three with attrs' generated methods field by field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

__all__ = ["frozen"]

_Getter = Callable[[Any], tuple[Any, ...]]


def _getter(names: tuple[str, ...]) -> _Getter:
    """A function returning the named attributes as a tuple (attrgetter unwraps a single one)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        single = operator.attrgetter(names[0])
        return lambda instance: (single(instance),)
    return operator.attrgetter(*names)


class _Shape:
    """What the shared methods need of one class, read once from `attrs.fields`."""

    __slots__ = ("eq_values", "repr_format", "repr_names", "repr_values")

    def __init__(self, cls: type) -> None:
        fields = attrs.fields(cls)
        shown = tuple(field for field in fields if field.repr is not False)
        if any(field.repr is not True for field in shown):
            raise TypeError(f"{cls.__qualname__}: a custom field repr needs attrs' own __repr__")
        if any(field.eq_key is not None for field in fields):
            raise TypeError(f"{cls.__qualname__}: a field eq key needs attrs' own __eq__")
        name = cls.__qualname__.rsplit(">.", 1)[-1]
        self.repr_names = tuple(field.name for field in shown)
        self.repr_format = f"{name}({', '.join(n + '={!r}' for n in self.repr_names)})"
        self.repr_values = _getter(self.repr_names)
        self.eq_values = _getter(tuple(field.name for field in fields if field.eq))


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _Shape(cls)
    return shape


def _repr(self: Any) -> str:
    shape = _shape(self.__class__)
    try:
        values = shape.repr_values(self)
    except AttributeError:  # a field with init=False not set yet: attrs shows NOTHING
        values = tuple(getattr(self, name, attrs.NOTHING) for name in shape.repr_names)
    return shape.repr_format.format(*values)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    values = _shape(self.__class__).eq_values
    return values(self) == values(other)


def _hash(self: Any) -> int:
    return hash((self.__class__, *_shape(self.__class__).eq_values(self)))


def _share_methods(cls: type) -> type:
    cls.__repr__ = _repr  # type: ignore[assignment]
    cls.__eq__ = _eq  # type: ignore[assignment]
    cls.__hash__ = _hash  # type: ignore[assignment]
    return cls


if TYPE_CHECKING:  # type checkers see attrs.frozen itself, so its plugin checks every class
    from attrs import frozen
else:

    def frozen(maybe_cls: type | None = None, **options: Any) -> Any:
        """`attrs.frozen` (same options) with the shared ``__repr__``, ``__eq__``, ``__hash__``."""
        if {"repr", "eq", "order", "hash", "unsafe_hash", "cache_hash"} & options.keys():
            raise TypeError("frozen: repr, eq, order and hash options need attrs.frozen itself")

        def wrap(cls: type) -> type:
            own = {"__repr__", "__eq__", "__hash__"} & cls.__dict__.keys()
            if own:
                raise TypeError(f"{cls.__qualname__} defines {', '.join(sorted(own))}: "
                                "a class with its own methods needs attrs.frozen itself")
            return _share_methods(attrs.frozen(cls, repr=False, eq=False, **options))

        return wrap if maybe_cls is None else wrap(maybe_cls)
