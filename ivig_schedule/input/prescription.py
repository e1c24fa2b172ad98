"""Prescription TOML (plus command-line overrides) → a validated `Prescription`.

Every error names the field path, the value given and what is allowed. Fields are read one by one
into a `Collector`, so a file with five mistakes reports five errors, not the first.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from ivig_schedule.input import catalog, change_text, tomltext, units
from ivig_schedule.input.fields import (
    Collector,
    Fields,
    Incomplete,
    choice_error,
    mapping_or_empty,
)
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import (
    MAX_COURSES,
    MAX_WEEK,
    DosingPolicy,
    IgHistory,
    Order,
    Patient,
    Product,
    Regimen,
)
from ivig_schedule.model.prescription import Prescription
from ivig_schedule.model.units import MINUTES_PER_DAY
from ivig_schedule.model.vocabulary import (
    ARMS,
    CHANGE_KINDS,
    DOSING_WEIGHT_BASES,
    LANGUAGES,
    RISK_FACTORS,
    ROUNDINGS,
    SEXES,
    TIS_MEASURES,
    WEEKDAYS,
    Arm,
    DosingWeightBasis,
    RiskFactor,
    Rounding,
    Sex,
)

if TYPE_CHECKING:
    from ivig_schedule.model.changes import AnyChange, TisInput

T = TypeVar("T")
TOP_KEYS = ("patient", "order", "trial", "product", "regimen", "change", "care")
PATIENT_KEYS = ("id", "weight_kg", "height_cm", "sex", "timezone", "risk_factors", "birth_date",
                "pregnant", "ig_history")
IG_HISTORY_KEYS = ("naive", "last_infusion", "last_product")
ORDER_KEYS = (
    "product", "regimen", "indication", "start", "start_time", "days_per_course",
    "dosing_weight", "rounding", "pump_resolution_ml_h", "max_infusion_hours", "max_rate_ml_h",
    "courses", "setup_minutes", "observation_minutes", "first_observation_minutes",
    "closed_weekdays", "holidays", "closed_dates", "id", "dosing_policy", "long_interval_weeks",
)
CHANGE_COMMON = ("on", "kind", "reason", "by", "hash")
CHANGE_KEYS: dict[str, tuple[str, ...]] = {
    "delay": ("course", "days", "shift_following"),
    "skip": ("course",),
    "weight": ("weight_kg", "from_course"),
    "dose": ("dose_g_per_kg", "from_course"),
    "days": ("days_per_course", "from_course"),
    "response": ("week", "tis"),
    "stop": ("from_course",),
    "given": ("course", "day", "date", "lot", "expiry", "note"),
    "product": ("product", "from_course"),
    "unblinding": (),
}
"""The fields each kind of change takes (besides on, kind and reason)."""
MAX_CHANGES = 200
MAX_TIS_PERCENT = Decimal(1000)
TRIAL_KEYS = ("arm", "treatment_number")
PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_PATIENT_ID = "patient"
MAX_WEIGHT_KG = 1000
"""Input bound, not a clinical limit: no weight at or above this is a person's (the clinical
limits are in limits.toml)."""
MAX_DAYS_PER_COURSE = 10
"""Input bound: labels split a course over 1-5 days; more than 10 is a typing error."""
MAX_MINUTES = MINUTES_PER_DAY
"""Set-up and observation times are at most a day."""

OVERRIDES = {
    "weight": "patient.weight_kg",
    "patient_id": "patient.id",
    "timezone": "patient.timezone",
    "start": "order.start",
    "days": "order.days_per_course",
    "product": "order.product",
    "regimen": "order.regimen",
    "dosing_weight": "order.dosing_weight",
    "arm": "trial.arm",
    "height": "patient.height_cm",
    "sex": "patient.sex",
    "risk": "patient.risk_factors",
    "start_time": "order.start_time",
    "indication": "order.indication",
    "max_rate_ml_h": "order.max_rate_ml_h",
    "dosing_policy": "order.dosing_policy",
}
"""Command-line flag → the field it overrides."""


def load_toml(text: str) -> dict[str, Any]:
    """Parse prescription TOML; syntax errors name the line and column."""
    return tomltext.loads(text, "(toml)")


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with each non-None flag value written into its field."""
    merged: dict[str, Any] = copy.deepcopy(dict(data))
    for flag, given in overrides.items():
        if given is None or given == ():
            continue
        value = list(given) if isinstance(given, tuple) else given
        table, key = OVERRIDES[flag].split(".")
        section = merged.setdefault(table, {})
        if not isinstance(section, dict):
            raise PrescriptionError(table, section, "must be a table")
        section[key] = value
    return merged


def _date(value: Any, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise PrescriptionError(path, str(value), "must be a date like 2027-01-11, without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PrescriptionError(path, value, "must be a date like 2027-01-11")


def _time(value: Any, path: str) -> dt.time:
    if isinstance(value, dt.time):
        parsed = value
    elif isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value.strip()):
        try:
            parsed = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise PrescriptionError(path, value, "must be a local time like 09:00") from None
    else:
        raise PrescriptionError(path, value, "must be a local time like 09:00")
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def _timezone(value: str, path: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise PrescriptionError(path, value,
                                "must be an IANA time zone like Europe/Amsterdam") from None
    return value


def _read(c: Collector, read: Callable[[], T]) -> T:
    """Read one field, recording its error in `c` (the table is then not built)."""
    return cast(T, c.run(read))


def _complete(c: Collector, mark: int) -> None:
    if c.failed_since(mark):
        raise Incomplete


def _patient_id(table: Fields) -> str:
    pid = table.text("id", default=DEFAULT_PATIENT_ID) or DEFAULT_PATIENT_ID
    if not PATIENT_ID.fullmatch(pid):
        raise PrescriptionError(table.at("id"), pid,
                                "allowed: 1-64 letters, digits, '.', '_' or '-' (no names)")
    return pid


def _weight(table: Fields) -> tuple[Any, str, Any]:
    if not table.has("weight_kg"):
        raise PrescriptionError(table.at("weight_kg"), None, "is required (kilograms)")
    kg, written, pounds = units.weight_kg(table.data["weight_kg"], table.at("weight_kg"))
    if kg >= MAX_WEIGHT_KG:
        raise PrescriptionError(table.at("weight_kg"), table.data["weight_kg"],
                                f"must be a weight below {MAX_WEIGHT_KG} kg")
    return kg, written, pounds


def _risks(table: Fields) -> tuple[RiskFactor, ...]:
    risks = table.data.get("risk_factors", [])
    if not isinstance(risks, list) or any(r not in RISK_FACTORS for r in risks):
        raise PrescriptionError(table.at("risk_factors"), risks,
                                "must be a list of: " + ", ".join(RISK_FACTORS))
    return tuple(sorted(set(cast(list[RiskFactor], risks))))


Zone = str | Callable[[], str]
"""A zone, or a way to find one only when a prescription names none (e.g. this machine's)."""


def _default(zone: Zone) -> str:
    return zone if isinstance(zone, str) else zone()


IDENTITY_REQUIRED = ("is required for a calendar, a FHIR Bundle, a sheet or a roster: a file "
                     "another system keeps needs the patient's pseudonymous id")
ZONE_REQUIRED = ("is required where times leave this machine (calendar, FHIR, sheet, roster): "
                 "give the patient's IANA zone, e.g. Europe/Amsterdam")
FOR_FILES = frozenset({"patient.id", "patient.timezone"})
"""What an output other systems keep requires: a real id and the patient's own zone."""


def patient_from_table(table: Fields, default_timezone: Zone, c: Collector,
                       required: frozenset[str] = frozenset()) -> Patient:
    """The [patient] table; every bad field is recorded in `c`. `required` names the fields the
    output needs written out (`FOR_FILES`), where a default would not do."""
    mark = c.mark()
    c.errors.extend(table.unknown(PATIENT_KEYS))
    if "patient.id" in required and not table.has("id"):
        c.errors.append(PrescriptionError(table.at("id"), None, IDENTITY_REQUIRED))
    if "patient.timezone" in required and not table.has("timezone"):
        c.errors.append(PrescriptionError(table.at("timezone"), None, ZONE_REQUIRED))
    pid = _read(c, lambda: _patient_id(table))
    weight = _read(c, lambda: _weight(table))
    height = _read(c, lambda: (units.height_cm(table.data["height_cm"],
                                                     table.at("height_cm"))
                                     if table.has("height_cm") else (None, None)))
    sex = _read(c, lambda: table.choice("sex", SEXES))
    zone = _read(c, lambda: _timezone(
        table.text("timezone") or _default(default_timezone),
        table.at("timezone")))
    risks = _read(c, lambda: _risks(table))
    birth = _read(c, lambda: _date(table.data["birth_date"], table.at("birth_date"))
                  if table.has("birth_date") else None)
    pregnant = _read(c, lambda: table.flag("pregnant"))
    history = _read(c, lambda: _ig_history(table))
    _complete(c, mark)
    return Patient(
        id=pid,
        weight_kg=weight[0],
        weight_input=weight[1],
        weight_lb=weight[2],
        height_cm=height[0],
        height_input=height[1],
        sex=cast(Sex | None, sex),
        timezone=zone,
        risk_factors=risks,
        timezone_given=table.has("timezone"),
        birth_date=birth,
        pregnant=bool(pregnant),
        ig_history=history,
    )


def _ig_history(table: Fields) -> IgHistory | None:
    """``[patient] ig_history = { naive, last_infusion, last_product }``: the patient's past
    exposure to immunoglobulin."""
    history = table.table("ig_history")
    if history is None:
        return None
    history.reject_unknown(IG_HISTORY_KEYS)
    naive = history.flag("naive") if history.has("naive") else None
    last = (_date(history.data["last_infusion"], history.at("last_infusion"))
            if history.has("last_infusion") else None)
    product = history.text("last_product")
    if naive and (last is not None or product is not None):
        raise PrescriptionError(history.at("naive"), True,
                                "a patient new to immunoglobulin has no last_infusion or "
                                "last_product; give naive = false, or leave those out")
    return IgHistory(naive=naive, last_infusion=last, last_product=product)


def _days_per_course(table: Fields) -> int | tuple[tuple[str, int], ...] | None:
    if not table.has("days_per_course"):
        return None
    value = table.data["days_per_course"]
    if isinstance(value, Mapping):
        by_phase = Fields(value, table.at("days_per_course"))
        return tuple(
            (str(name), cast(int, by_phase.integer(str(name), unit="days",
                                                   maximum=MAX_DAYS_PER_COURSE)))
            for name in value
        )
    return table.integer("days_per_course", unit="days", maximum=MAX_DAYS_PER_COURSE)


def _start(table: Fields) -> dt.date:
    if not table.has("start"):
        raise PrescriptionError(table.at("start"), None, "is required (first infusion day)")
    return _date(table.data["start"], table.at("start"))


def order_from_table(table: Fields, c: Collector) -> Order:
    """The [order] table; every bad field is recorded in `c`."""
    mark = c.mark()
    c.errors.extend(table.unknown(ORDER_KEYS))
    start = _read(c, lambda: _start(table))
    start_time = _read(c, lambda: (_time(table.data["start_time"], table.at("start_time"))
                                         if table.has("start_time") else dt.time(9, 0)))
    defaults = Order(start=dt.date(2000, 1, 1))
    minutes = {
        key: _read(c, lambda key=key: table.integer(  # type: ignore[misc]
            key, unit="minutes", minimum=0, maximum=MAX_MINUTES, default=getattr(defaults, key)))
        for key in ("setup_minutes", "observation_minutes", "first_observation_minutes")
    }
    if table.has("observation_minutes") and not table.has("first_observation_minutes") \
            and minutes["observation_minutes"] is not None:
        minutes["first_observation_minutes"] = max(minutes["observation_minutes"],
                                                   defaults.first_observation_minutes)
    indication = _read(c, lambda: None if not table.has("indication") else catalog.indication(
        table.text("indication") or "", table.at("indication")))
    days = _read(c, lambda: _days_per_course(table))
    basis = _read(c, lambda: table.choice("dosing_weight", DOSING_WEIGHT_BASES,
                                                default="actual"))
    rounding = _read(c, lambda: table.choice("rounding", ROUNDINGS, default="nearest-vial"))
    resolution = _read(c, lambda: table.number(
        "pump_resolution_ml_h", unit="mL/h", default=defaults.pump_resolution_ml_h))
    hours = _read(c, lambda: table.number(
        "max_infusion_hours", unit="hours", default=defaults.max_infusion_hours))
    courses = _read(c, lambda: table.integer("courses", unit="courses"))
    max_rate = _read(c, lambda: table.number("max_rate_ml_h", unit="mL/h"))
    weekdays = _read(c, lambda: _weekdays(table))
    country = _read(c, lambda: _holidays(table))
    closed = _read(c, lambda: _closed_dates(table))
    _read(c, lambda: table.text("product"))
    _read(c, lambda: table.text("regimen"))
    order_id = _read(c, lambda: _order_id(table))
    policy = _read(c, lambda: table.text("dosing_policy"))
    interval = _read(c, lambda: table.integer("long_interval_weeks", unit="weeks", minimum=1,
                                              maximum=MAX_WEEK))
    _complete(c, mark)
    return Order(
        start=start,
        start_time=start_time,
        indication=indication,
        days_per_course=days,
        dosing_weight=cast(DosingWeightBasis, basis),
        rounding=cast(Rounding, rounding),
        pump_resolution_ml_h=cast(Decimal, resolution),
        max_infusion_hours=cast(Decimal, hours),
        max_rate_ml_h=max_rate,
        closed_weekdays=weekdays,
        holidays=country,
        closed_dates=closed,
        courses=courses,
        id=order_id,
        dosing_policy=policy,
        dosing_weight_given=table.has("dosing_weight"),
        long_interval_weeks=interval,
        **cast(dict[str, int], minutes),
    )


def _order_id(table: Fields) -> str | None:
    value = table.text("id")
    if value is not None and not PATIENT_ID.fullmatch(value):
        raise PrescriptionError(table.at("id"), value,
                                "allowed: 1-64 letters, digits, '.', '_' or '-'")
    return value


def _weekdays(table: Fields) -> tuple[int, ...]:
    raw = table.data.get("closed_weekdays", [])
    if not isinstance(raw, list) or not all(isinstance(d, str) and d.strip().lower() in WEEKDAYS
                                            for d in raw):
        raise PrescriptionError(table.at("closed_weekdays"), raw,
                                "must be a list of weekday names: " + ", ".join(WEEKDAYS))
    days = tuple(sorted({WEEKDAYS.index(d.strip().lower()) for d in raw}))
    if len(days) == len(WEEKDAYS):
        raise PrescriptionError(table.at("closed_weekdays"), raw, "must leave a weekday open")
    return days


def _holidays(table: Fields) -> str | None:
    code = table.text("holidays")
    if code is None:
        return None
    import holidays

    supported = holidays.list_supported_countries()
    if code.upper() not in supported:
        raise PrescriptionError(table.at("holidays"), code,
                                "must be a country code the holidays package knows, e.g. NL, "
                                "GB, US, DE")
    return code.upper()


def _closed_dates(table: Fields) -> tuple[dt.date, ...]:
    raw = table.data.get("closed_dates", [])
    if not isinstance(raw, list) or len(raw) > MAX_CHANGES * 5:
        raise PrescriptionError(table.at("closed_dates"), f"{len(raw)} dates" if isinstance(
            raw, list) else raw, f"must be a list of at most {MAX_CHANGES * 5} dates")
    return tuple(sorted({_date(d, f"{table.at('closed_dates')}[{i}]") for i, d in enumerate(raw)}))


def _tis_input(table: Fields) -> TisInput:
    from ivig_schedule.model.changes import TisInput  # only a response's measures need it

    table.reject_unknown(TIS_MEASURES)
    values = {m: table.number(m, unit="percent improvement", required=True, above=None,
                              minimum=-MAX_TIS_PERCENT) for m in TIS_MEASURES}
    for measure, value in values.items():
        if value is not None and value > MAX_TIS_PERCENT:
            raise PrescriptionError(table.at(measure), str(value),
                                    f"must be a percent improvement up to {MAX_TIS_PERCENT}")
    return TisInput(**cast(dict[str, Decimal], values))


def change_from_table(table: Fields, index: int) -> AnyChange:
    """One ``[[change]]`` table, as the type of its `kind`, with that kind's own fields."""
    from ivig_schedule.model.changes import CHANGE_TYPES  # only a history needs the types

    kind = table.choice("kind", CHANGE_KINDS)
    if kind is None:
        raise PrescriptionError(table.at("kind"), None, "is required: " + ", ".join(CHANGE_KINDS))
    table.reject_unknown((*CHANGE_COMMON, *CHANGE_KEYS[kind]))
    if not table.has("on"):
        raise PrescriptionError(table.at("on"), None, "is required (the date it was recorded)")
    fields: dict[str, Any] = {
        "index": index, "on": _date(table.data["on"], table.at("on")),
        "reason": table.text("reason", required=True) or "",
        "by": table.text("by", required=kind == "unblinding") or "",
    }
    keys = CHANGE_KEYS[kind]
    courses = {"unit": "course number", "maximum": MAX_COURSES}
    if "course" in keys:
        fields["course"] = table.integer("course", required=True, **courses)  # type: ignore[arg-type]
    if "from_course" in keys:
        fields["from_course"] = table.integer("from_course", required=True,
                                              **courses)  # type: ignore[arg-type]
    if kind == "delay":
        fields["days"] = table.integer("days", unit="days", required=True, maximum=366)
        fields["shift_following"] = table.flag("shift_following", default=True)
    elif kind == "weight":
        kg, written, pounds = _weight(table)
        fields.update(weight_kg=kg, weight_input=written, weight_lb=pounds)
    elif kind == "dose":
        fields["dose_g_per_kg"] = table.number("dose_g_per_kg", unit="g/kg", required=True)
    elif kind == "days":
        fields["days_per_course"] = table.integer("days_per_course", unit="days", required=True,
                                                  maximum=MAX_DAYS_PER_COURSE)
    elif kind == "response":
        fields["week"] = table.integer("week", unit="weeks", minimum=0, maximum=MAX_WEEK,
                                       required=True)
        fields.update(_tis(table))
    elif kind == "given":
        fields["day"] = table.integer("day", unit="day number", required=True,
                                      maximum=MAX_DAYS_PER_COURSE)
        fields["lot"] = table.text("lot")
        fields["note"] = table.text("note")
        for key in ("date", "expiry"):
            if table.has(key):
                fields[key] = _date(table.data[key], table.at(key))
        if fields.get("date") is not None and fields["date"] > fields["on"]:
            raise PrescriptionError(table.at("date"), fields["date"].isoformat(),
                                    f"must not be after the date it was recorded "
                                    f"(on = {fields['on']})")
        given_on = fields.get("date") or fields["on"]
        if fields.get("expiry") is not None and fields["expiry"] < given_on:
            raise PrescriptionError(
                table.at("expiry"), fields["expiry"].isoformat(),
                f"the lot expired before the day it was given ({given_on}); a lot may be given "
                "up to and on its expiry date: check the lot, and record the lot actually used")
    elif kind == "product":
        named = table.text("product", required=True) or ""
        fields["product"] = _lookup(catalog.products(), named, table.at("product"))
    return cast("AnyChange", CHANGE_TYPES[kind](**fields))


def _tis(table: Fields) -> dict[str, Any]:
    value = table.data.get("tis")
    if isinstance(value, Mapping):
        return {"measures": _tis_input(Fields(value, table.at("tis")))}
    number = table.number("tis", unit="points", required=True, minimum=Decimal(0))
    if number is not None and number > 100:
        raise PrescriptionError(table.at("tis"), str(number), "must be a score from 0 to 100")
    return {"tis": number}


def _changes(data: Mapping[str, Any], c: Collector) -> tuple[AnyChange, ...]:
    raw = data.get("change", [])
    if not isinstance(raw, list) or len(raw) > MAX_CHANGES:
        raise PrescriptionError("change", f"{len(raw)} tables" if isinstance(raw, list) else
                                type(raw).__name__,
                                f"must be [[change]] tables, at most {MAX_CHANGES}")
    found = []
    for i, r in enumerate(raw):
        def read(i: int = i, r: Any = r) -> AnyChange:
            return change_from_table(Fields(r, f"change[{i}]"), i)

        found.append(c.run(read))
    return tuple(ch for ch in found if ch is not None)


CARE_KEYS = ("nurse", "organizer", "travel_minutes", "language", "dosing_policy",
             "unblinding_contact", "label_storage", "user")
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TRAVEL_MINUTES = 240


def _care(data: Mapping[str, Any]) -> tuple[str | None, str | None, int | None, str | None]:
    """The [care] table: who visits, who publishes the calendars, and the nurse's travel time
    to this patient (minutes between visits that are not a clash)."""
    if "care" not in data:
        return None, None, None, None
    care = Fields(data["care"], "care")
    care.reject_unknown(CARE_KEYS)
    organizer = care.text("organizer")
    if organizer is not None and not _MAILTO.fullmatch(organizer):
        raise PrescriptionError(care.at("organizer"), organizer,
                                "must be a mailto: address, e.g. mailto:pharmacy@example.org")
    travel = care.integer("travel_minutes", unit="minutes", minimum=0,
                          maximum=MAX_TRAVEL_MINUTES)
    return care.text("nurse"), organizer, travel, care.choice("language", LANGUAGES)


def _lookup(known: Mapping[str, T], named: str, path: str) -> T:
    """A catalog entry by id, matched case-insensitively; an unknown id gets "did you mean"."""
    by_lower = {key.lower(): value for key, value in known.items()}
    if named.lower() in by_lower:
        return by_lower[named.lower()]
    raise choice_error(path, named, list(known))


def _resolve_product(data: Mapping[str, Any], order: Fields, regimen: Regimen | None) -> Product:
    named = order.text("product") or (regimen.product if regimen else None)
    if "product" in data:
        local = attrs.evolve(catalog.product_from_mapping(data["product"], "product", local=True),
                             slow_start=catalog.default_slow_start())
        if order.has("product") and named != local.id:
            raise PrescriptionError(order.at("product"), named,
                                    f"must match the inline [product] id {local.id!r} or be left out")
        missing = local.missing_fields()
        if missing:
            others = f" (missing too: {', '.join(missing[1:])})" if missing[1:] else ""
            raise PrescriptionError(f"product.{missing[0]}", None,
                                    f"is required in a local [product] table{others}")
        return local
    if named is None:
        raise PrescriptionError(order.at("product"), None,
                                "is required: a catalog id or an inline [product] table")
    return _lookup(catalog.products(), named, order.at("product"))


def _resolve_regimen(data: Mapping[str, Any], order: Fields) -> Regimen:
    named = order.text("regimen")
    if "regimen" in data:
        local = catalog.regimen_from_mapping(data["regimen"], "regimen")
        if named is not None and named != local.id:
            raise PrescriptionError(order.at("regimen"), named,
                                    f"must match the inline [regimen] id {local.id!r} or be left out")
        return local
    known = catalog.regimens()
    if named is None:
        raise PrescriptionError(order.at("regimen"), None,
                                "is required: " + ", ".join(known) + " or an inline [regimen]")
    return _lookup(known, named, order.at("regimen"))


def _check_days(order: Order, regimen: Regimen) -> None:
    days = order.days_per_course
    if days is None:
        return
    if isinstance(days, int):
        for phase in regimen.phases:
            if not phase.days_min <= days <= phase.days_max:
                raise PrescriptionError(
                    "order.days_per_course", days,
                    f"phase {phase.name!r} allows {phase.days_min}-{phase.days_max} days",
                )
        return
    phases = {p.name: p for p in regimen.phases}
    for name, count in days:
        if name not in phases:
            raise PrescriptionError(f"order.days_per_course.{name}", name,
                                    "unknown phase; allowed: " + ", ".join(phases))
        phase = phases[name]
        if not phase.days_min <= count <= phase.days_max:
            raise PrescriptionError(f"order.days_per_course.{name}", count,
                                    f"allowed: {phase.days_min}-{phase.days_max} days")


def _arm(data: Mapping[str, Any], regimen: Regimen) -> tuple[Arm | None, str | None]:
    """The arm written in the prescription, or the treatment number the pharmacy's store
    resolves it from (never both)."""
    arm: Arm | None = None
    number: str | None = None
    if "trial" in data:
        trial = Fields(data["trial"], "trial")
        trial.reject_unknown(TRIAL_KEYS)
        arm = cast(Arm | None, trial.choice("arm", ARMS))
        number = trial.text("treatment_number")
        if number is not None and not PATIENT_ID.fullmatch(number):
            raise PrescriptionError("trial.treatment_number", number,
                                    "allowed: 1-64 letters, digits, '.', '_' or '-'")
    if arm is not None and number is not None:
        raise PrescriptionError("trial.arm", arm,
                                "give the treatment_number or the arm, not both: with a "
                                "randomisation list the arm stays in the pharmacy's store")
    if regimen.blinded and arm is None and number is None:
        raise PrescriptionError("trial.treatment_number", None,
                                f"required for the blinded regimen {regimen.id!r} (or "
                                "trial.arm: " + ", ".join(ARMS) + ")")
    if not regimen.blinded and (arm is not None or number is not None):
        field, value = ("trial.arm", arm) if arm is not None else (
            "trial.treatment_number", number)
        raise PrescriptionError(field, value,
                                f"regimen {regimen.id!r} has no blinded phase; leave it out")
    return arm, number


def _section(data: Mapping[str, Any], key: str, missing: str) -> Fields:
    if key not in data:
        raise PrescriptionError(key, None, missing)
    return Fields(mapping_or_empty(data, key), key)


def parse(data: Mapping[str, Any], default_timezone: Zone,
          required: frozenset[str] = frozenset()) -> Prescription:
    """Validate a prescription mapping (TOML already parsed, overrides already applied).

    Raises `InputErrors` holding every error found, in file order.
    """
    c = Collector()
    top = cast(Fields, c.run(lambda: Fields(data, "")))
    if top is None:
        c.raise_if_any()
    c.errors.extend(top.unknown(TOP_KEYS))
    patient = c.run(lambda: patient_from_table(
        _section(data, "patient", "is required: a [patient] table or --weight"),
        default_timezone, c, required))
    order_table = c.run(lambda: _section(data, "order",
                                         "is required: an [order] table or --start"))
    order = c.run(lambda: order_from_table(order_table, c)) if order_table else None
    regimen = c.run(lambda: _resolve_regimen(data, order_table)) if order_table else None
    product = c.run(lambda: _resolve_product(data, order_table, regimen)) if order_table else None
    allocation = c.run(lambda: _arm(data, regimen)) if regimen else None
    arm, number = allocation if allocation is not None else (None, None)
    changes = cast("tuple[AnyChange, ...]", c.run(lambda: _changes(data, c), ()))
    raw_changes = data.get("change")
    edited = change_text.first_edited(raw_changes) if isinstance(raw_changes, list) else None
    care = c.run(lambda: _care(data))
    nurse, organizer, travel, lang = care if care is not None else (None, None, None, None)
    if order is not None and regimen is not None:
        c.run(lambda: _check_days(order, regimen))
    policy = c.run(lambda: _policy(data, order)) if order is not None else None
    c.raise_if_any()
    assert patient is not None and order is not None and product is not None
    assert regimen is not None
    return Prescription(patient=patient, order=order, product=product, regimen=regimen, arm=arm,
                        changes=changes, nurse=nurse, organizer=organizer,
                        travel_minutes=travel, language=lang, policy=policy,
                        treatment_number=number, history_edited=edited, **_label_care(data))


def _label_care(data: Mapping[str, Any]) -> dict[str, str | None]:
    """The [care] fields a bag label prints (read as text; checked where a label is made)."""
    care = data.get("care")
    found: dict[str, str | None] = {}
    for key in ("unblinding_contact", "label_storage"):
        value = care.get(key) if isinstance(care, Mapping) else None
        found[key] = value.strip() if isinstance(value, str) and value.strip() else None
    return found


def _policy(data: Mapping[str, Any], order: Order) -> DosingPolicy | None:
    """The order's dosing policy, else the pharmacy's (``[care] dosing_policy``), or None.

    Under a policy the dosing weight is the policy's: ``dosing_weight = "actual"`` written out
    is an opt-out (a safety rule asks for its reason); any other basis contradicts the policy."""
    path = "order.dosing_policy"
    named = order.dosing_policy
    if named is None:
        care = data.get("care")
        named = care.get("dosing_policy") if isinstance(care, Mapping) else None
        path = "care.dosing_policy"
    if named is None:
        return None
    if not isinstance(named, str):
        raise PrescriptionError(path, named, "must be a policy id: " + ", ".join(catalog.policies()))
    policy = _lookup(catalog.policies(), named, path)
    if order.dosing_weight_given and order.dosing_weight != "actual":
        raise PrescriptionError(
            "order.dosing_weight", order.dosing_weight,
            f"the dosing policy {policy.id!r} sets the dosing weight; leave dosing_weight out, "
            "or write \"actual\" to opt out (with --accept policy.opt_out --reason)")
    return policy


def gives_weight(text: str | None) -> bool:
    """True when prescription TOML `text` writes a body weight (``[patient] weight_kg``); False
    for no text and for text that does not parse (its own errors are reported when it is)."""
    if text is None:
        return False
    try:
        patient = load_toml(text).get("patient")
    except PrescriptionError:
        return False
    return isinstance(patient, Mapping) and "weight_kg" in patient


def weight_conflict(rx: Prescription, cell: Any, field: str = "weight") -> PrescriptionError | None:
    """The error for a weight given beside a prescription (a roster's cell) that differs from
    the prescription's latest recorded weight, to 0.01 kg (or the cell's own error when it is no
    weight); None when they agree. A roster never
    rewrites a recorded weight: a new weight is recorded as a weight change, from a course on."""
    try:
        kg, _written, _pounds = units.weight_kg(cell, field)
    except PrescriptionError as e:
        return e
    latest, as_written, where = rx.latest_weight()
    hundredth = Decimal("0.01")
    if kg.quantize(hundredth) == latest.quantize(hundredth):
        return None
    return PrescriptionError(
        field, cell, f"differs from the prescription's latest recorded weight {as_written} "
        f"({where}); record a new weight as a weight change (ivig-schedule change RX weight), "
        "or leave the cell empty")


def from_text(text: str | None, overrides: Mapping[str, Any],
              default_timezone: Zone, required: frozenset[str] = frozenset()) -> Prescription:
    """Parse prescription TOML text (or none, when flags give everything) plus overrides."""
    data = load_toml(text) if text is not None else {}
    return parse(apply_overrides(data, overrides), default_timezone, required)
