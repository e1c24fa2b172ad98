"""The shipped catalog (products, regimens, dosing policies, slow starts) and the parser shared
with inline tables.

A prescription's inline ``[product]`` or ``[regimen]`` table is a pharmacy's local protocol; it is
validated by exactly the same functions as a catalog entry.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs

from ivig_schedule.input.fields import Fields, choice_error, to_int
from ivig_schedule.model.errors import CatalogError, PrescriptionError
from ivig_schedule.model.inputs import (
    ANY_INDICATION,
    DEFAULT_MASKING_SOURCE,
    MAX_COURSES,
    MAX_WEEK,
    DosingPolicy,
    Ladder,
    Phase,
    Product,
    Regimen,
    ResponseRule,
    SlowStart,
    Visit,
)
from ivig_schedule.model.vocabulary import (
    INDICATIONS,
    POLICY_WEIGHTS,
    RATE_UNITS,
    SEXES,
    SLOW_START_TRIGGERS,
    VIEWS,
    PolicyWeight,
    RateUnit,
    SlowStartTrigger,
)

T = TypeVar("T")
MAX_STEPS = 12
"""Input bound: label ladders have at most five steps."""
MAX_DAYS = 10
"""Input bound: labels split a course over 1-5 days."""
DEFAULT_DOUBLING = "default doubling; confirm with local protocol"
LADDER_SOURCES = ("label", DEFAULT_DOUBLING, "local protocol")
_LADDER_KEYS = ("titration", "step_minutes", "max_rate", "ladder_source", "source")
PRODUCT_KEYS = (
    "id", "name", "concentration_mg_per_ml", "vials_g", "rate_unit", "at_risk_max_rate",
    "at_risk_exclusive", "ladders", "verified", *_LADDER_KEYS,
)
REGIMEN_KEYS = (
    "id", "name", "product", "indication", "max_weight_kg", "first_infusion_g",
    "first_infusion_location", "source", "verified", "notes", "phase", "visit", "unblinded",
    "masking_source", "rule", "overbag", "exclude_bmi_from", "eligibility_source", "trial_code",
    "trial_code_source",
)
POLICY_KEYS = (
    "name", "weight", "adjusted_factor", "bmi_above", "ibw_percent_above", "min_age_years",
    "min_height_cm", "min_weight_kg", "exclude_pregnant", "pregnancy_note", "round_to_g",
    "opt_out", "source", "verified", "notes",
)
SLOW_START_KEYS = (
    "triggers", "observation_minutes", "interval_weeks", "interval_source",
    "routine_observation_minutes", "routine_source", "initial_rate_source", "source", "verified",
)
MAX_OBSERVATION_MINUTES = 24 * 60
PHASE_KEYS = (
    "name", "dose_g_per_kg", "days", "weeks", "every_weeks", "count", "start_week", "blinded",
    "scheduled",
)
RULE_KEYS = ("when", "at_week", "switch_to", "first_course", "source", "verified")
FIRST_COURSE = ("next-scheduled",)
_WHEN = re.compile(r"\s*(tis)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*")


def indication(value: str, path: str) -> str:
    """An indication id from the vocabulary (case-insensitive), with "did you mean"."""
    key = value.strip().lower()
    if key in INDICATIONS:
        return key
    raise choice_error(path, value, list(INDICATIONS))
VISIT_KEYS = ("week", "name", "source", "window_days")


def _ladder(table: Fields, indication: str, unit: RateUnit, fallback_source: str,
            local: bool) -> Ladder | None:
    """A ladder from `titration`, `step_minutes` and `max_rate`, or None if all are absent."""
    present = [k for k in ("titration", "step_minutes", "max_rate") if table.has(k)]
    if not present:
        return None
    titration = table.numbers("titration", unit=unit, required=True, most=MAX_STEPS)
    step_minutes = table.integer("step_minutes", unit="minutes", required=True)
    max_rate = table.number("max_rate", unit=unit, required=True)
    assert titration is not None and step_minutes is not None and max_rate is not None
    if list(titration) != sorted(titration):
        raise PrescriptionError(table.at("titration"), list(map(str, titration)),
                                "must be in ascending order")
    ladder_source = table.choice(
        "ladder_source", LADDER_SOURCES, default="local protocol" if local else "label"
    )
    return Ladder(
        indication=indication,
        rate_unit=unit,
        titration=titration,
        step_minutes=step_minutes,
        max_rate=max_rate,
        source=table.text("source", default=fallback_source) or fallback_source,
        default_doubling=ladder_source == DEFAULT_DOUBLING,
    )


def product_from_mapping(data: Any, path: str, product_id: str | None = None, *,
                         local: bool = False) -> Product:
    """Validate one product table (catalog entry or inline ``[product]``)."""
    table = Fields(data, path)
    table.reject_unknown(PRODUCT_KEYS)
    pid = table.text("id", default=product_id, required=product_id is None)
    assert pid is not None
    unit = cast(RateUnit, table.choice("rate_unit", RATE_UNITS, default="mg/kg/min"))
    source = table.text("source", required=True)
    assert source is not None
    ladders: list[Ladder] = []
    default = _ladder(table, ANY_INDICATION, unit, source, local)
    if default is not None:
        ladders.append(default)
    more = table.table("ladders")
    if more is not None:
        for name in more.data:
            sub = more.table(str(name))
            assert sub is not None
            sub.reject_unknown(_LADDER_KEYS)
            ladder = _ladder(sub, indication(str(name), sub.path), unit, source, local)
            if ladder is None:
                raise PrescriptionError(sub.path, None, "needs titration, step_minutes, max_rate")
            ladders.append(ladder)
    vials = table.numbers("vials_g", unit="grams")
    concentration = table.number("concentration_mg_per_ml", unit="mg/mL", required=True)
    assert concentration is not None
    return Product(
        id=pid,
        name=table.text("name", default=pid) or pid,
        concentration_mg_per_ml=concentration,
        vials_g=tuple(sorted(set(vials), reverse=True)) if vials else None,
        ladders=tuple(ladders),
        at_risk_max_rate=table.number("at_risk_max_rate", unit=unit),
        at_risk_rate_unit=unit,
        at_risk_exclusive=table.flag("at_risk_exclusive"),
        source=source,
        verified=table.flag("verified", default=local),
        local=local,
    )


def _phase(table: Fields) -> Phase:
    table.reject_unknown(PHASE_KEYS)
    days = table.data.get("days")
    if (
        not isinstance(days, list)
        or len(days) != 2
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in days)
        or not 1 <= days[0] <= days[1] <= MAX_DAYS
    ):
        raise PrescriptionError(table.at("days"), days,
                                f"must be [min, max] whole days, 1 ≤ min ≤ max ≤ {MAX_DAYS}")
    weeks = table.data.get("weeks")
    every = table.integer("every_weeks", unit="weeks", maximum=MAX_WEEK)
    count = table.integer("count", unit="courses", maximum=MAX_COURSES)
    start_week = table.integer("start_week", unit="weeks", minimum=0, maximum=MAX_WEEK)
    if weeks is not None:
        if every is not None or count is not None or start_week is not None:
            raise PrescriptionError(table.at("weeks"), weeks,
                                    "give either weeks, or every_weeks and count, not both")
        if not isinstance(weeks, list) or not weeks:
            raise PrescriptionError(table.at("weeks"), weeks, "must be a non-empty list of weeks")
        if len(weeks) > MAX_COURSES:
            raise PrescriptionError(table.at("weeks"), weeks, f"at most {MAX_COURSES} weeks")
        parsed = tuple(to_int(w, f"{table.at('weeks')}[{i}]", unit="weeks", minimum=0,
                              maximum=MAX_WEEK)
                       for i, w in enumerate(weeks))
        if list(parsed) != sorted(set(parsed)):
            raise PrescriptionError(table.at("weeks"), weeks, "must be strictly increasing")
    elif every is None or count is None:
        raise PrescriptionError(table.path, None, "needs weeks = [...], or every_weeks and count")
    else:
        parsed = None
    name = table.text("name", required=True)
    dose = table.number("dose_g_per_kg", unit="g/kg", required=True)
    assert name is not None and dose is not None
    return Phase(
        name=name,
        dose_g_per_kg=dose,
        days_min=days[0],
        days_max=days[1],
        blinded=table.flag("blinded"),
        scheduled=table.flag("scheduled", default=True),
        weeks=parsed,
        every_weeks=every,
        count=count,
        start_week=start_week,
    )


def _response_rule(table: Fields, phases: dict[str, Phase]) -> ResponseRule:
    table.reject_unknown(RULE_KEYS)
    when = table.text("when", required=True) or ""
    match = _WHEN.fullmatch(when)
    if match is None:
        raise PrescriptionError(table.at("when"), when,
                                'must compare tis with a number, e.g. "tis < 40"')
    switch_to = table.text("switch_to", required=True) or ""
    if switch_to not in phases or phases[switch_to].scheduled:
        unscheduled = [name for name, p in phases.items() if not p.scheduled]
        raise PrescriptionError(table.at("switch_to"), switch_to,
                                "must name a phase with scheduled = false: "
                                + (", ".join(unscheduled) or "there is none"))
    return ResponseRule(
        measure=match.group(1), operator=match.group(2), threshold=Decimal(match.group(3)),
        at_week=table.integer("at_week", unit="weeks", minimum=0, maximum=MAX_WEEK,
                              required=True) or 0,
        switch_to=switch_to,
        first_course=table.choice("first_course", FIRST_COURSE, default=FIRST_COURSE[0])
        or FIRST_COURSE[0],
        source=table.text("source", required=True) or "",
        verified=table.flag("verified", default=True),
    )


def _roles(table: Fields) -> tuple[str, ...]:
    roles = table.data.get("unblinded", ["pharmacy"])
    if not isinstance(roles, list) or not all(r in VIEWS for r in roles):
        raise PrescriptionError(table.at("unblinded"), roles,
                                "must be a list of roles: " + ", ".join(VIEWS))
    if "pharmacy" not in roles:
        raise PrescriptionError(table.at("unblinded"), roles,
                                "must include pharmacy, which prepares the study medication")
    return tuple(r for r in VIEWS if r in roles)


def regimen_from_mapping(data: Any, path: str, regimen_id: str | None = None) -> Regimen:
    """Validate one regimen table (catalog entry or inline ``[regimen]``)."""
    table = Fields(data, path)
    table.reject_unknown(REGIMEN_KEYS)
    rid = table.text("id", default=regimen_id, required=regimen_id is None)
    assert rid is not None
    raw_phases = table.data.get("phase")
    if not isinstance(raw_phases, list) or not raw_phases or len(raw_phases) > MAX_COURSES:
        raise PrescriptionError(table.at("phase"), raw_phases,
                                "needs one or more [[phase]] tables")
    phases = tuple(
        _phase(Fields(p, f"{table.at('phase')}[{i}]")) for i, p in enumerate(raw_phases)
    )
    names = [p.name for p in phases]
    if len(set(names)) != len(names):
        raise PrescriptionError(table.at("phase"), names, "phase names must be unique")
    if not any(p.scheduled for p in phases):
        raise PrescriptionError(table.at("phase"), names, "needs at least one scheduled phase")
    raw_rules = table.data.get("rule", [])
    if not isinstance(raw_rules, list) or len(raw_rules) > MAX_COURSES:
        raise PrescriptionError(table.at("rule"), raw_rules, "must be [[rule]] tables")
    by_name = {p.name: p for p in phases}
    rules = tuple(_response_rule(Fields(r, f"{table.at('rule')}[{i}]"), by_name)
                  for i, r in enumerate(raw_rules))
    named_indication = table.text("indication")
    visits = []
    raw_visits = table.data.get("visit", [])
    if not isinstance(raw_visits, list) or len(raw_visits) > MAX_COURSES:
        raise PrescriptionError(table.at("visit"), raw_visits,
                                f"must be [[visit]] tables, at most {MAX_COURSES}")
    for i, raw in enumerate(raw_visits):
        visit = Fields(raw, f"{table.at('visit')}[{i}]")
        visit.reject_unknown(VISIT_KEYS)
        week = visit.integer("week", unit="weeks", minimum=0, maximum=MAX_WEEK, required=True)
        name = visit.text("name", required=True)
        assert week is not None and name is not None
        window = visit.integer("window_days", unit="days", minimum=0, maximum=28)
        if window and not visit.text("source"):
            raise PrescriptionError(visit.at("source"), None,
                                    "is required for a visit window: name where it comes from")
        visits.append(Visit(week=week, name=name, source=visit.text("source", default="") or "",
                            window_days=window))
    exclude_bmi = table.number("exclude_bmi_from", unit="kg/m²")
    if exclude_bmi is not None and not table.text("eligibility_source"):
        raise PrescriptionError(table.at("eligibility_source"), None,
                                "is required with exclude_bmi_from: name where it comes from")
    location = table.text("first_infusion_location")
    first_g = table.number("first_infusion_g", unit="grams")
    if first_g is not None and location is None:
        location = "ward"
    source = table.text("source", required=True)
    assert source is not None
    return Regimen(
        id=rid,
        name=table.text("name", default=rid) or rid,
        phases=phases,
        source=source,
        verified=table.flag("verified", default=True),
        product=table.text("product"),
        indication=None if named_indication is None else indication(
            named_indication, table.at("indication")),
        max_weight_kg=table.number("max_weight_kg", unit="kilograms"),
        first_infusion_g=first_g,
        first_infusion_location=location,
        visits=tuple(visits),
        notes=table.text("notes", default="") or "",
        unblinded=_roles(table),
        masking_source=table.text("masking_source", default=DEFAULT_MASKING_SOURCE)
        or DEFAULT_MASKING_SOURCE,
        rules=rules,
        overbag=table.text("overbag"),
        exclude_bmi_from=exclude_bmi,
        eligibility_source=table.text("eligibility_source", default="") or "",
        trial_code=table.text("trial_code"),
        trial_code_source=table.text("trial_code_source", default="") or "",
    )


def policy_from_mapping(data: Any, path: str, policy_id: str) -> DosingPolicy:
    """Validate one dosing policy (policies.toml)."""
    table = Fields(data, path)
    table.reject_unknown(POLICY_KEYS)
    weight = cast(PolicyWeight, table.choice("weight", POLICY_WEIGHTS))
    if weight is None:
        raise PrescriptionError(table.at("weight"), None, "is required: " + ", ".join(POLICY_WEIGHTS))
    needs = {"adjusted-above-bmi": "bmi_above",
             "adjusted-above-ibw-percent": "ibw_percent_above"}.get(weight)
    if needs is not None and not table.has(needs):
        raise PrescriptionError(table.at(needs), None, f"is required for weight = {weight!r}")
    if weight != "actual" and not table.has("adjusted_factor"):
        raise PrescriptionError(table.at("adjusted_factor"), None,
                                f"is required for weight = {weight!r}")
    minimum = table.table("min_weight_kg")
    floors: list[tuple[str, Decimal]] = []
    if minimum is not None:
        minimum.reject_unknown(SEXES)
        for sex in SEXES:
            kg = minimum.number(sex, unit="kg")
            if kg is not None:
                floors.append((sex, kg))
    source = table.text("source", required=True) or ""
    return DosingPolicy(
        id=policy_id,
        name=table.text("name", default=policy_id) or policy_id,
        weight=weight,
        source=source,
        verified=table.flag("verified", default=False),
        adjusted_factor=table.number("adjusted_factor", unit="factor"),
        bmi_above=table.number("bmi_above", unit="kg/m²"),
        ibw_percent_above=table.number("ibw_percent_above", unit="%"),
        min_age_years=table.integer("min_age_years", unit="years", maximum=150),
        min_height_cm=table.number("min_height_cm", unit="cm"),
        min_weight_kg=tuple(floors),
        exclude_pregnant=table.flag("exclude_pregnant"),
        pregnancy_note=table.text("pregnancy_note", default="") or "",
        round_to_g=table.number("round_to_g", unit="grams"),
        opt_out=table.text("opt_out", default="") or "",
        notes=table.text("notes", default="") or "",
    )


def slow_start_from_mapping(data: Any, path: str, base: SlowStart | None = None) -> SlowStart:
    """Validate one slow-start table (exposure.toml); fields left out come from `base`."""
    table = Fields(data, path)
    table.reject_unknown(SLOW_START_KEYS)
    raw = table.data.get("triggers")
    if raw is None and base is not None:
        triggers = base.triggers
    elif not isinstance(raw, list) or not all(t in SLOW_START_TRIGGERS for t in raw):
        raise PrescriptionError(table.at("triggers"), raw,
                                "must be a list of: " + ", ".join(SLOW_START_TRIGGERS))
    else:
        triggers = tuple(cast(SlowStartTrigger, t) for t in raw)

    def minutes(key: str) -> int | None:
        return table.integer(key, unit="minutes", minimum=0, maximum=MAX_OBSERVATION_MINUTES)

    observation = minutes("observation_minutes")
    interval = table.integer("interval_weeks", unit="weeks", minimum=1, maximum=MAX_WEEK)
    source = table.text("source")
    if base is None and (observation is None or interval is None or source is None
                         or not table.text("interval_source")):
        raise PrescriptionError(table.path, None, "the default needs observation_minutes, "
                                "interval_weeks, interval_source and source")
    routine = minutes("routine_observation_minutes")
    if routine is not None and not table.text("routine_source"):
        raise PrescriptionError(table.at("routine_source"), None,
                                "is required with routine_observation_minutes")
    return SlowStart(
        triggers=triggers,
        observation_minutes=observation if observation is not None
        else cast(SlowStart, base).observation_minutes,
        interval_weeks=interval if interval is not None else cast(SlowStart, base).interval_weeks,
        interval_source=table.text("interval_source") or cast(SlowStart, base).interval_source,
        source=source or cast(SlowStart, base).source,
        routine_observation_minutes=routine if routine is not None
        else (base.routine_observation_minutes if base else None),
        routine_source=table.text("routine_source") or (base.routine_source if base else ""),
        initial_rate_source=table.text("initial_rate_source")
        or (base.initial_rate_source if base else ""),
        verified=table.flag("verified", default=base.verified if base else False),
    )


def shipped(filename: str) -> tuple[str, dict[str, Any]]:
    """A shipped TOML file: its text, and what tomllib parses it to.

    The parse comes from the generated `parsed` module when the file's text is the very text it
    was made from (the cache is keyed by the whole content, compared in full), else from
    tomllib: a hand-edited installed catalog is read as it now is. The parsed data is shared;
    callers read it and never change it.
    """
    # Read beside this module: importlib.resources would import tempfile, shutil and zipfile at
    # every start for a package that is always a folder of files.
    text = (Path(__file__).parent / filename).read_text(encoding="utf-8")
    from ivig_schedule.input.catalog import parsed

    made_from, data = parsed.FILES.get(filename, ("", {}))
    if made_from != text:
        data = tomllib.loads(text)
    return text, data


def _load(filename: str) -> dict[str, Any]:
    return shipped(filename)[1]


def _entries(filename: str, parse: Callable[[Any, str, str], T]) -> dict[str, T]:
    """Every entry of a shipped catalog file, parsed; errors name the file and the key."""
    entries = {}
    for key, raw in _load(filename).items():
        try:
            entries[key] = parse(raw, key, key)
        except PrescriptionError as e:
            raise CatalogError(filename, e.field, e.allowed) from e
    return entries


@functools.cache
def products() -> dict[str, Product]:
    """The shipped products by id, each with its slow start (exposure.toml)."""
    found = _entries("products.toml", product_from_mapping)
    starts = _slow_starts()
    unknown = sorted(set(starts) - {"default", *found})
    if unknown:
        raise CatalogError("exposure.toml", f"product.{unknown[0]}", "names no catalog product")
    return {pid: attrs.evolve(p, slow_start=starts.get(pid, starts["default"]))
            for pid, p in found.items()}


def default_slow_start() -> SlowStart:
    """The slow start every product has unless exposure.toml names it (inline products too)."""
    return _slow_starts()["default"]


@functools.cache
def _slow_starts() -> dict[str, SlowStart]:
    data = _load("exposure.toml")
    try:
        default = slow_start_from_mapping(data.get("default"), "default")
        found = {"default": default}
        for pid, raw in (data.get("product") or {}).items():
            found[pid] = slow_start_from_mapping(raw, f"product.{pid}", default)
    except PrescriptionError as e:
        raise CatalogError("exposure.toml", e.field, e.allowed) from e
    return found


@functools.cache
def policies() -> dict[str, DosingPolicy]:
    """The shipped dosing policies by id."""
    return _entries("policies.toml", policy_from_mapping)


@functools.cache
def regimens() -> dict[str, Regimen]:
    """The shipped regimens by id."""
    return _entries("regimens.toml", regimen_from_mapping)
