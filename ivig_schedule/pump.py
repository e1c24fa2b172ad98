"""Titration ladder → pump programme (mL/h, minutes, VTBI). The only place rates are converted.

mL/h = rate (mg/kg/min) × dosing weight (kg) × 60 ÷ concentration (mg/mL), rounded *down* to the
pump's resolution so that a programmed rate never exceeds the label's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ivig_schedule.errors import PrescriptionError
from ivig_schedule.model import DEFAULT_LADDER, Ladder, Product, RateCap, RateStep, RateUnit
from ivig_schedule.units import MINUTES_PER_HOUR

VTBI_RESOLUTION_ML = Decimal("0.1")
"""Step volumes but the last are rounded down to this, so the steps sum to the day exactly."""
RATE_FORMULA = "{rate} mg/kg/min × {weight} kg × {per_hour} ÷ {concentration} mg/mL"
"""How a ladder rate becomes mL/h (the trail prints it with the step's own values)."""
MINUTES_FORMULA = "{volume} mL ÷ {rate} mL/h × {per_hour}"
"""How long the step that empties the bag runs, before rounding up."""


def to_mg_per_kg_min(rate: Decimal, unit: RateUnit, concentration_mg_per_ml: Decimal) -> Decimal:
    """Convert a label rate to mg/kg/min (mL/kg/min × mg/mL; mL/kg/h ÷ 60 × mg/mL)."""
    if unit == "mg/kg/min":
        return rate
    if unit == "mL/kg/min":
        return rate * concentration_mg_per_ml
    return rate * concentration_mg_per_ml / MINUTES_PER_HOUR


def choose_ladder(product: Product, indication: str | None) -> tuple[Ladder, str, bool]:
    """The ladder for `indication`, why it was chosen, and whether that was a fallback."""
    ladder = product.ladder_for(indication)
    if ladder is not None:
        return ladder, f"{product.id}'s ladder for {ladder.indication}", False
    fallback = product.ladder_for(None)
    if fallback is None:
        raise PrescriptionError("order.product", product.id, "has no titration ladder")
    return (fallback, f"{product.id} has no ladder for {indication}; its "
            f"{DEFAULT_LADDER} ladder is used", indication is not None)


def rate_cap(ladder: Ladder, product: Product, at_risk: bool) -> RateCap:
    """The ceiling: the ladder's maximum, or the at-risk maximum when it applies and is lower."""
    concentration = product.concentration_mg_per_ml
    label = to_mg_per_kg_min(ladder.max_rate, ladder.rate_unit, concentration)
    risk = None
    if at_risk and product.at_risk_max_rate is not None:
        risk = to_mg_per_kg_min(product.at_risk_max_rate, product.at_risk_rate_unit,
                                concentration)
    return RateCap(label_mg_per_kg_min=label, at_risk_mg_per_kg_min=risk,
                   cap_mg_per_kg_min=label if risk is None else min(label, risk))


def capped_ladder(ladder: Ladder, concentration_mg_per_ml: Decimal,
                  cap_mg_per_kg_min: Decimal) -> tuple[Decimal, ...]:
    """The ladder in mg/kg/min under the cap.

    Steps above the cap are dropped and the cap becomes the last step. A ladder that stops below
    the cap is kept as it is: the cap is a ceiling, not a target.
    """
    rates = [to_mg_per_kg_min(r, ladder.rate_unit, concentration_mg_per_ml)
             for r in ladder.titration]
    kept = [r for r in rates if r <= cap_mg_per_kg_min]
    if len(kept) < len(rates) and (not kept or kept[-1] < cap_mg_per_kg_min):
        kept.append(cap_mg_per_kg_min)
    return tuple(kept)


def exact_ml_per_h(
    rate_mg_per_kg_min: Decimal, dosing_weight_kg: Decimal, concentration_mg_per_ml: Decimal
) -> Decimal:
    """Pump rate in mL/h before any rounding."""
    return rate_mg_per_kg_min * dosing_weight_kg * MINUTES_PER_HOUR / concentration_mg_per_ml


def mg_per_kg_min(rate_ml_per_h: Decimal, dosing_weight_kg: Decimal,
                  concentration_mg_per_ml: Decimal) -> Decimal:
    """A programmed mL/h back in mg/kg/min (for the rate checks)."""
    return rate_ml_per_h * concentration_mg_per_ml / (dosing_weight_kg * MINUTES_PER_HOUR)


def ml_per_kg_min(rate_ml_per_h: Decimal, dosing_weight_kg: Decimal) -> Decimal:
    """A programmed mL/h per kilogram of dosing weight, per minute."""
    return rate_ml_per_h / (dosing_weight_kg * MINUTES_PER_HOUR)


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
        ml_per_h = (exact / resolution_ml_per_h).to_integral_value(ROUND_FLOOR) * resolution_ml_per_h
        if ml_per_h <= 0:
            raise PrescriptionError(
                "order.pump_resolution_ml_h",
                str(resolution_ml_per_h),
                f"coarser than the first rate ({rate} mg/kg/min gives under one increment)",
            )
        programmed = mg_per_kg_min(ml_per_h, dosing_weight_kg, concentration_mg_per_ml)
        held_ml = (ml_per_h * step_minutes / MINUTES_PER_HOUR / VTBI_RESOLUTION_ML
                   ).to_integral_value(ROUND_FLOOR) * VTBI_RESOLUTION_ML
        is_last = index == len(rates_mg_per_kg_min) - 1
        if not is_last and held_ml < remaining:
            steps.append(RateStep(ml_per_h, rate, step_minutes, held_ml, exact, programmed))
            remaining -= held_ml
            continue
        exact_minutes = remaining * MINUTES_PER_HOUR / ml_per_h
        minutes = int(exact_minutes.to_integral_value(ROUND_CEILING))
        steps.append(RateStep(ml_per_h, rate, minutes, remaining, exact, programmed,
                              exact_minutes))
        break
    return tuple(steps)
