"""Prescription TOML (plus command-line overrides) → a validated `Prescription`.

Every error names the field path, the value given and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from typing import Any, cast

from ivig_schedule import catalog, units
from ivig_schedule.errors import PrescriptionError
from ivig_schedule.fields import Fields
from ivig_schedule.model import (
    ARMS,
    DOSING_WEIGHT_BASES,
    RISK_FACTORS,
    ROUNDINGS,
    SEXES,
    Arm,
    DosingWeightBasis,
    Order,
    Patient,
    Prescription,
    Product,
    Regimen,
    RiskFactor,
    Rounding,
    Sex,
)

TOP_KEYS = ("patient", "order", "trial", "product", "regimen")
PATIENT_KEYS = ("id", "weight_kg", "height_cm", "sex", "timezone", "risk_factors")
ORDER_KEYS = (
    "product", "regimen", "indication", "start", "start_time", "days_per_course",
    "dosing_weight", "rounding", "pump_resolution_ml_h", "max_infusion_hours", "courses",
    "setup_minutes", "observation_minutes", "first_observation_minutes",
)
TRIAL_KEYS = ("arm",)
PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_PATIENT_ID = "patient"

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
}
"""Command-line flag → the field it overrides."""


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML, reporting the line and column of a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        where = re.search(r"line (\d+)", str(e))
        lines = text.splitlines()
        number = int(where.group(1)) if where else 0
        shown = lines[number - 1] if 0 < number <= len(lines) else ""
        raise PrescriptionError("(toml)", shown, f"not valid TOML: {e}") from None


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with each non-None flag value written into its field."""
    merged: dict[str, Any] = copy.deepcopy(dict(data))
    for flag, value in overrides.items():
        if value is None:
            continue
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


def patient_from_table(table: Fields, default_timezone: str) -> Patient:
    table.reject_unknown(PATIENT_KEYS)
    pid = table.text("id", default=DEFAULT_PATIENT_ID) or DEFAULT_PATIENT_ID
    if not PATIENT_ID.fullmatch(pid):
        raise PrescriptionError(table.at("id"), pid,
                                "allowed: 1-64 letters, digits, '.', '_' or '-' (no names)")
    if not table.has("weight_kg"):
        raise PrescriptionError(table.at("weight_kg"), None, "is required (kilograms)")
    weight, weight_input = units.weight_kg(table.data["weight_kg"], table.at("weight_kg"))
    height, height_input = (units.height_cm(table.data["height_cm"], table.at("height_cm"))
                            if table.has("height_cm") else (None, None))
    risks = table.data.get("risk_factors", [])
    if not isinstance(risks, list) or any(r not in RISK_FACTORS for r in risks):
        raise PrescriptionError(table.at("risk_factors"), risks,
                                "must be a list of: " + ", ".join(RISK_FACTORS))
    zone = table.text("timezone", default=default_timezone) or default_timezone
    return Patient(
        id=pid,
        weight_kg=weight,
        weight_input=weight_input,
        height_cm=height,
        height_input=height_input,
        sex=cast(Sex | None, table.choice("sex", SEXES)),
        timezone=_timezone(zone, table.at("timezone")),
        risk_factors=tuple(sorted(set(cast(list[RiskFactor], risks)))),
    )


def _days_per_course(table: Fields) -> int | tuple[tuple[str, int], ...] | None:
    if not table.has("days_per_course"):
        return None
    value = table.data["days_per_course"]
    if isinstance(value, Mapping):
        by_phase = Fields(value, table.at("days_per_course"))
        return tuple(
            (str(name), cast(int, by_phase.integer(str(name), unit="days")))
            for name in value
        )
    return table.integer("days_per_course", unit="days")


def order_from_table(table: Fields) -> Order:
    table.reject_unknown(ORDER_KEYS)
    if not table.has("start"):
        raise PrescriptionError(table.at("start"), None, "is required (first infusion day)")
    start = _date(table.data["start"], table.at("start"))
    start_time = (_time(table.data["start_time"], table.at("start_time"))
                  if table.has("start_time") else dt.time(9, 0))
    defaults = Order(start=start)
    minutes = {
        key: table.integer(key, unit="minutes", minimum=0, default=getattr(defaults, key))
        for key in ("setup_minutes", "observation_minutes", "first_observation_minutes")
    }
    observation = minutes["observation_minutes"]
    if table.has("observation_minutes") and not table.has("first_observation_minutes"):
        minutes["first_observation_minutes"] = max(cast(int, observation),
                                                   defaults.first_observation_minutes)
    return Order(
        start=start,
        start_time=start_time,
        indication=table.text("indication"),
        days_per_course=_days_per_course(table),
        dosing_weight=cast(DosingWeightBasis,
                           table.choice("dosing_weight", DOSING_WEIGHT_BASES, default="actual")),
        rounding=cast(Rounding, table.choice("rounding", ROUNDINGS, default="nearest-vial")),
        pump_resolution_ml_h=cast(Any, table.number(
            "pump_resolution_ml_h", unit="mL/h", default=defaults.pump_resolution_ml_h)),
        max_infusion_hours=cast(Any, table.number(
            "max_infusion_hours", unit="hours", default=defaults.max_infusion_hours)),
        courses=table.integer("courses", unit="courses"),
        **cast(dict[str, int], minutes),
    )


def _resolve_product(data: Mapping[str, Any], order: Fields, regimen: Regimen) -> Product:
    named = order.text("product") or regimen.product
    if "product" in data:
        local = catalog.product_from_mapping(data["product"], "product", local=True)
        if order.has("product") and named != local.id:
            raise PrescriptionError(order.at("product"), named,
                                    f"must match the inline [product] id {local.id!r} or be left out")
        return local
    if named is None:
        raise PrescriptionError(order.at("product"), None,
                                "is required: a catalog id or an inline [product] table")
    known = catalog.products()
    if named not in known:
        raise PrescriptionError(order.at("product"), named, "allowed: " + ", ".join(known))
    return known[named]


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
    if named not in known:
        raise PrescriptionError(order.at("regimen"), named, "allowed: " + ", ".join(known))
    return known[named]


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


def parse(data: Mapping[str, Any], default_timezone: str) -> Prescription:
    """Validate a prescription mapping (TOML already parsed, overrides already applied)."""
    top = Fields(data, "")
    top.reject_unknown(TOP_KEYS)
    patient_table = top.table("patient")
    order_table = top.table("order")
    if patient_table is None:
        raise PrescriptionError("patient", None, "is required: a [patient] table or --weight")
    if order_table is None:
        raise PrescriptionError("order", None, "is required: an [order] table or --start")
    patient = patient_from_table(patient_table, default_timezone)
    order = order_from_table(order_table)
    regimen = _resolve_regimen(data, order_table)
    product = _resolve_product(data, order_table, regimen)
    _check_days(order, regimen)
    trial = top.table("trial")
    arm: Arm | None = None
    if trial is not None:
        trial.reject_unknown(TRIAL_KEYS)
        arm = cast(Arm | None, trial.choice("arm", ARMS))
    if regimen.blinded and arm is None:
        raise PrescriptionError("trial.arm", None,
                                f"required for the blinded regimen {regimen.id!r}; allowed: "
                                + ", ".join(ARMS))
    if not regimen.blinded and arm is not None:
        raise PrescriptionError("trial.arm", arm,
                                f"regimen {regimen.id!r} has no blinded phase; leave it out")
    indication = order.indication or regimen.indication
    if indication is not None and product.ladder_for(indication) is None:
        known = [ladder.indication for ladder in product.ladders]
        if order.indication is not None:
            raise PrescriptionError("order.indication", indication,
                                    f"{product.id} has ladders for: " + ", ".join(known))
    return Prescription(patient=patient, order=order, product=product, regimen=regimen, arm=arm)


def from_text(text: str | None, overrides: Mapping[str, Any], default_timezone: str) -> Prescription:
    """Parse prescription TOML text (or none, when flags give everything) plus overrides."""
    data = load_toml(text) if text is not None else {}
    return parse(apply_overrides(data, overrides), default_timezone)
