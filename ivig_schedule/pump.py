"""Titration ladder → pump programme (mL/h, minutes, VTBI).

mL/h = rate (mg/kg/min) × dosing weight (kg) × 60 ÷ concentration (mg/mL), rounded *down* to the
pump's resolution so that a programmed rate never exceeds the label's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ivig_schedule.errors import PrescriptionError
from ivig_schedule.model import Ladder, RateStep, RateUnit

VTBI_RESOLUTION_ML = Decimal("0.1")
"""Step volumes but the last are rounded down to this, so the steps sum to the day exactly."""
MINUTES_PER_HOUR = 60


def to_mg_per_kg_min(rate: Decimal, unit: RateUnit, concentration_mg_per_ml: Decimal) -> Decimal:
    """Convert a label rate to mg/kg/min (mL/kg/min × mg/mL; mL/kg/h ÷ 60 × mg/mL)."""
    if unit == "mg/kg/min":
        return rate
    if unit == "mL/kg/min":
        return rate * concentration_mg_per_ml
    return rate * concentration_mg_per_ml / MINUTES_PER_HOUR


def capped_ladder(
    ladder: Ladder, concentration_mg_per_ml: Decimal, at_risk_cap_mg_per_kg_min: Decimal | None
) -> tuple[tuple[Decimal, ...], Decimal]:
    """The ladder in mg/kg/min with the cap applied, and the cap.

    The cap is the ladder's maximum, or the at-risk maximum when one applies and is lower. Steps
    above the cap are dropped and the cap becomes the last step. A ladder that stops below the
    cap is kept as it is: the cap is a ceiling, not a target.
    """
    maximum = to_mg_per_kg_min(ladder.max_rate, ladder.rate_unit, concentration_mg_per_ml)
    cap = maximum
    if at_risk_cap_mg_per_kg_min is not None:
        cap = min(cap, at_risk_cap_mg_per_kg_min)
    rates = [to_mg_per_kg_min(r, ladder.rate_unit, concentration_mg_per_ml)
             for r in ladder.titration]
    kept = [r for r in rates if r <= cap]
    if len(kept) < len(rates) and (not kept or kept[-1] < cap):
        kept.append(cap)
    return tuple(kept), cap


def exact_ml_per_h(
    rate_mg_per_kg_min: Decimal, dosing_weight_kg: Decimal, concentration_mg_per_ml: Decimal
) -> Decimal:
    """Pump rate in mL/h before any rounding."""
    return rate_mg_per_kg_min * dosing_weight_kg * MINUTES_PER_HOUR / concentration_mg_per_ml


def rate_ml_per_h(
    rate_mg_per_kg_min: Decimal,
    dosing_weight_kg: Decimal,
    concentration_mg_per_ml: Decimal,
    resolution_ml_per_h: Decimal,
) -> Decimal:
    """Pump rate in mL/h, rounded down to the pump's resolution."""
    exact = exact_ml_per_h(rate_mg_per_kg_min, dosing_weight_kg, concentration_mg_per_ml)
    return (exact / resolution_ml_per_h).to_integral_value(ROUND_FLOOR) * resolution_ml_per_h


def programme(
    rates_mg_per_kg_min: Sequence[Decimal],
    volume_ml: Decimal,
    step_minutes: int,
    dosing_weight_kg: Decimal,
    concentration_mg_per_ml: Decimal,
    resolution_ml_per_h: Decimal,
) -> tuple[RateStep, ...]:
    """The day's pump steps.

    Each step is held `step_minutes`; the last runs until `volume_ml` is in, its minutes rounded
    up. If the bag empties during an earlier step, that step ends there and nothing follows.
    VTBI of a full step is rate × minutes, rounded down to 0.1 mL; the last step takes the rest,
    so the steps sum exactly to the day's volume.
    """
    steps: list[RateStep] = []
    remaining = volume_ml
    for index, rate in enumerate(rates_mg_per_kg_min):
        exact = exact_ml_per_h(rate, dosing_weight_kg, concentration_mg_per_ml)
        ml_per_h = rate_ml_per_h(rate, dosing_weight_kg, concentration_mg_per_ml,
                                 resolution_ml_per_h)
        if ml_per_h <= 0:
            raise PrescriptionError(
                "order.pump_resolution_ml_h",
                str(resolution_ml_per_h),
                f"finer than the first rate ({rate} mg/kg/min gives under one increment)",
            )
        held_ml = (ml_per_h * step_minutes / MINUTES_PER_HOUR / VTBI_RESOLUTION_ML).to_integral_value(
            ROUND_FLOOR
        ) * VTBI_RESOLUTION_ML
        is_last = index == len(rates_mg_per_kg_min) - 1
        if not is_last and held_ml < remaining:
            steps.append(RateStep(ml_per_h, rate, step_minutes, held_ml, exact))
            remaining -= held_ml
            continue
        minutes = int((remaining * MINUTES_PER_HOUR / ml_per_h).to_integral_value(ROUND_CEILING))
        steps.append(RateStep(ml_per_h, rate, minutes, remaining, exact))
        break
    return tuple(steps)
