"""The formats a plan is written in: one registry, picked once (as todoman picks a formatter).

Each entry names its renderer (imported only when that format is written, so ``--help`` and JSON
start fast), the file extension, whether it needs the plan's history (a calendar's SEQUENCE),
and whether other systems keep it (then the patient's real id and zone are required). Plain
named tuples: importing this module costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


class Options(NamedTuple):
    """How to write: the terminal's width and colour (table); the calendar's stamped events;
    the language people read (`language.LANGUAGES`)."""

    width: int = 100
    color: bool = False
    events: tuple[Any, ...] = ()
    lang: str = "en"


class Format(NamedTuple):
    """One output format.

    Attributes:
        name: ``--format`` value.
        target: ``module:function`` of its renderer, taking a view and `Options`.
        extension: The file extension.
        history: True when it needs the plan before each recorded change.
        kept: True when other systems keep it (a calendar, FHIR): a real id and zone are needed.
        trail: True when it writes the pharmacy's calculation trail (the table's limits
            section); the others are not given one to make.
    """

    name: str
    target: str
    extension: str
    history: bool = False
    kept: bool = False
    trail: bool = False


PLAN_FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("table", "ivig_schedule.render.table:render", ".txt", trail=True),
    Format("json", "ivig_schedule.render.records:render_json", ".json"),
    Format("csv", "ivig_schedule.render.records:render_csv", ".csv"),
    Format("ics", "ivig_schedule.render.ics.calendar:render", ".ics", history=True, kept=True),
    Format("fhir", "ivig_schedule.render.fhir:render", ".fhir.json", kept=True),
)}
"""``plan --format`` choices, in the order ``--help`` lists them."""


DEFAULT = Options()


def render(name: str, view: Any, options: Options = DEFAULT) -> bytes:
    """`view` written in format `name`, as bytes (UTF-8 for text)."""
    module, function = PLAN_FORMATS[name].target.split(":")
    written = getattr(importlib.import_module(module), function)(view, options)
    return written if isinstance(written, bytes) else written.encode("utf-8")
