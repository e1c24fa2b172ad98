"""The use cases that write something: a plan in a format, the sheet, check's report, explain's
trail, the catalog listings and the TIS. Each returns `Written`: the bytes, or why there are none,
and the exit code. Nothing here reads a file, the clock or the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ivig_schedule.guardrails import decide
from ivig_schedule.guardrails.report import check_lines
from ivig_schedule.input.fields import to_decimal
from ivig_schedule.input.prescription import FOR_FILES
from ivig_schedule.jobs.core import EXIT_OK, Outcome, Request, exit_code_of, flatten, run
from ivig_schedule.model.errors import IvigScheduleError, PrescriptionError
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.vocabulary import TIS_MEASURES, View
from ivig_schedule.render import formats
from ivig_schedule.views.views import plan_view

if TYPE_CHECKING:  # calendars only: not imported for JSON
    from ivig_schedule.views.revisions import Stamped


@frozen
class Written:
    """What a use case wrote.

    Attributes:
        outcome: The plan's outcome (empty for listings and the TIS).
        data: The bytes, or None when there are none (the outcome's error says why).
        error: An error that is not the plan's (a listing's limits file, a bad measure).
    """

    outcome: Outcome = attrs.field(factory=Outcome)
    data: bytes | None = None
    error: IvigScheduleError | None = None
    notes: tuple[str, ...] = ()
    """Lines for the person running the command (standard error), e.g. what a file sent
    before became."""

    @property
    def exit_code(self) -> int:
        """The outcome's exit code, or the error's."""
        if self.error is not None:
            return exit_code_of(self.error)
        return self.outcome.exit_code

    @property
    def failure(self) -> IvigScheduleError | None:
        """The one error that speaks for this result, if any."""
        return self.error or self.outcome.error


def kept(request: Request) -> Request:
    """The request for a file other systems keep: the patient's real id and zone required."""
    return attrs.evolve(request, required=FOR_FILES)


def plan(request: Request, fmt: str, view: View, *, previous: bytes | None = None,
         stamp: dt.datetime | None = None, width: int = 100, color: bool = False,
         lang: str | None = None) -> Written:
    """The plan in format `fmt` for role `view`. A calendar is stamped from the plan's history
    and, after a hand edit, from the file sent before (`previous`); `stamp` fixes DTSTAMP."""
    form = formats.PLAN_FORMATS[fmt]
    outcome = run(kept(request) if form.kept else request, revisions=form.history)
    if outcome.plan is None or outcome.error is not None:
        return Written(outcome)
    shown = plan_view(outcome.plan, view, trail=form.trail)
    events: tuple[Stamped, ...] = ()
    notes: tuple[str, ...] = ()
    if form.history:
        from ivig_schedule.input import previous as sent  # calendars only
        from ivig_schedule.views import revisions

        replaced: list[str] = []
        try:
            old = (sent.read(previous, revisions.identity(shown), view, replaced)
                   if previous is not None else None)
        except PrescriptionError as e:
            return Written(Outcome(errors=flatten(e)))
        if replaced and old is not None:
            live = sum(1 for e in old.values() if not e.cancelled)
            notes = ("note: --previous was sent before this prescription's identity changed (a "
                     f"start date edited by hand; it is now {shown.prescription}): its {live} "
                     "events are cancelled in this file and the new ones added (import it over "
                     "the old one; give [order] id so that a later edit keeps the events)",)
        fixed = stamp.astimezone(dt.UTC).replace(microsecond=0) if stamp is not None else None
        events = revisions.stamped(shown, (plan_view(p, view, trail=False) for p in outcome.revisions),
                                   fixed=fixed, previous=old)
    options = formats.Options(width=width, color=color, events=events,
                              lang=lang or shown.language)
    return Written(outcome, formats.render(fmt, shown, options),
                   notes=notes if form.history else ())


def sheet(request: Request, view: View, *, paper: str = "a4", course: int | None = None,
          pdf: bool = False, lang: str | None = None) -> Written:
    """The printed sheet, as HTML or PDF."""
    from ivig_schedule.render import sheet as sheet_module

    outcome = run(kept(request))
    if outcome.plan is None or outcome.error is not None:
        return Written(outcome)
    try:
        shown = plan_view(outcome.plan, view)
        html = sheet_module.to_html(shown, paper=paper, course=course,
                                    lang=lang or shown.language)
        data = sheet_module.to_pdf(html) if pdf else html.encode("utf-8")
    except IvigScheduleError as e:
        return Written(outcome, error=e)
    return Written(outcome, data)


def check(request: Request) -> Written:
    """Every input error and every limit breach with its decision, and the verdict."""
    outcome = run(request)
    warnings = outcome.plan.warnings if outcome.plan is not None else ()
    lines = check_lines(outcome.errors, outcome.decision, warnings, outcome.refusal)
    return Written(outcome, "".join(f"{line}\n" for line in lines).encode("utf-8"))


def explain(request: Request, fmt: str = "text", width: int = 100) -> Written:
    """The calculation trail and every rule's verdict, for refused plans too (exit 3)."""
    from ivig_schedule.render import explain as trail
    from ivig_schedule.render.records import dumps

    outcome = run(request)
    if outcome.plan is None or outcome.decision is None:
        return Written(outcome)
    rules = decide.rule_outcomes(request.limits, outcome.measured, outcome.decision)
    record = trail.trail(plan_view(outcome.plan, "pharmacy"), request.limits, rules)
    text = dumps(record) if fmt == "json" else trail.to_text(record, width)
    return Written(outcome, text.encode("utf-8"))


def listing(what: str, fmt: str, width: int, limits: Limits) -> Written:
    """The catalog's products, regimens or dosing policies, or the limits and the quantities
    they may name."""
    from ivig_schedule.guardrails.quantities import QUANTITIES
    from ivig_schedule.input import catalog
    from ivig_schedule.render import listing as lists

    if what == "products":
        products = catalog.products().values()
        text = (lists.products_json(products) if fmt == "json"
                else lists.products_table(products, width))
    elif what == "regimens":
        regimens = catalog.regimens().values()
        text = (lists.regimens_json(regimens) if fmt == "json"
                else lists.regimens_table(regimens, width))
    elif what == "policies":
        policies = catalog.policies().values()
        text = (lists.policies_json(policies) if fmt == "json"
                else lists.policies_table(policies, width))
    else:
        text = (lists.limits_json(limits, QUANTITIES.values()) if fmt == "json"
                else lists.limits_table(limits, QUANTITIES.values(), width))
    return Written(data=text.encode("utf-8"))


def tis(measures: Mapping[str, str], fmt: str = "text") -> Written:
    """The Total Improvement Score of the six measures' percent improvements (as typed)."""
    from ivig_schedule.engine import tis as tis_module
    from ivig_schedule.model.changes import TisInput
    from ivig_schedule.render.score import score_json, score_text

    try:
        values: dict[str, Decimal] = {
            m: to_decimal(measures[m], "--" + m.replace("_", "-"), unit="percent improvement",
                          above=None) for m in TIS_MEASURES}
    except PrescriptionError as e:
        return Written(error=e)
    score = tis_module.score(TisInput(**values))
    text = score_json(score) if fmt == "json" else score_text(score)
    return Written(data=text.encode("utf-8"))


__all__ = ["EXIT_OK", "Written", "check", "explain", "listing", "plan", "sheet", "tis"]
