"""Titration ladder → pump programme (mL/h, minutes, VTBI). The only place rates are converted.

mL/h = rate (mg/kg/min) × dosing weight (kg) × 60 ÷ concentration (mg/mL), rounded *down* to the
pump's resolution so that a programmed rate never exceeds the label's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import Ladder, Product, to_mg_per_kg_min
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import RateCap, RateStep
from ivig_schedule.model.units import MINUTES_PER_HOUR

VTBI_RESOLUTION_ML = Decimal("0.1")
"""Step volumes but the last are rounded down to this, so the steps sum to the day exactly."""


def choose_ladder(product: Product, indication: str | None,
                  indication_from: str) -> tuple[Ladder, str, bool]:
    """The ladder for `indication`, why it was chosen, and whether it was a fallback.

    A product without a ladder for the indication (or an order with no indication at all) gets
    the product's slowest ladder: the one with the lowest maximum rate. Never a faster one.
    """
    ladder = product.ladder_for(indication)
    if ladder is not None:
        scope = "every indication (local protocol)" if ladder.indication != indication else (
            indication)
        return ladder, f"{product.id}'s ladder for {scope}; the indication comes from " \
            f"{indication_from}", False
    if not product.ladders:
        raise PrescriptionError("order.product", product.id, "has no titration ladder")
    slowest = product.slowest_ladder()
    wanted = f"no ladder for {indication}" if indication else "no indication was given"
    maximum = plain(slowest.maximum_mg_per_kg_min(product.concentration_mg_per_ml))
    return (slowest, f"{product.id} has {wanted}; its slowest ladder is used "
            f"({slowest.indication}, up to {maximum} mg/kg/min)", True)


def floor_to(value: Decimal, resolution: Decimal) -> Decimal:
    """`value` rounded down to a multiple of `resolution` (how a pump is programmed)."""
    return (value / resolution).to_integral_value(ROUND_FLOOR) * resolution


def rate_cap(ladder: Ladder, product: Product, at_risk: bool, absolute_ml_per_h: Decimal | None,
             dosing_weight_kg: Decimal, resolution_ml_per_h: Decimal = Decimal("0.1")) -> RateCap:
    """The ceiling: the lowest of the ladder's maximum, the at-risk maximum (when the patient has
    a risk factor) and the order's absolute mL/h converted for this patient.

    When the at-risk maximum equals another part and the label says "less than", the at-risk
    part binds, so the stricter reading (rates stay below it) wins.
    """
    concentration = product.concentration_mg_per_ml
    parts = {"label": ladder.maximum_mg_per_kg_min(concentration)}
    risk = absolute = None
    if at_risk and product.at_risk_max_rate is not None:
        risk = to_mg_per_kg_min(product.at_risk_max_rate, product.at_risk_rate_unit,
                                concentration)
        parts["at-risk"] = risk
    if absolute_ml_per_h is not None:
        absolute = mg_per_kg_min(absolute_ml_per_h, dosing_weight_kg, concentration)
        parts["absolute"] = absolute
    exclusive_risk = product.at_risk_exclusive
    binding = min(parts, key=lambda name: (parts[name],
                                           not (name == "at-risk" and exclusive_risk)))
    exact = absolute_ml_per_h if binding == "absolute" else exact_ml_per_h(
        parts[binding], dosing_weight_kg, concentration)
    assert exact is not None
    exclusive = binding == "at-risk" and product.at_risk_exclusive
    highest = floor_to(exact, resolution_ml_per_h)
    if exclusive and highest == exact:
        highest -= resolution_ml_per_h
    return RateCap(label_mg_per_kg_min=parts["label"], at_risk_mg_per_kg_min=risk,
                   cap_mg_per_kg_min=parts[binding], cap_ml_per_h=highest,
                   absolute_ml_per_h=absolute_ml_per_h,
                   absolute_mg_per_kg_min=absolute, binding=binding, exclusive=exclusive)


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
    return floor_to(exact_ml_per_h(rate_mg_per_kg_min, dosing_weight_kg, concentration_mg_per_ml),
                    resolution_ml_per_h)


def programme(
    rates_mg_per_kg_min: Sequence[Decimal],
    volume_ml: Decimal,
    step_minutes: int,
    dosing_weight_kg: Decimal,
    concentration_mg_per_ml: Decimal,
    resolution_ml_per_h: Decimal,
    cap: RateCap | None = None,
) -> tuple[RateStep, ...]:
    """The day's pump steps.

    Each step is held `step_minutes`; the last runs until `volume_ml` is in, its minutes rounded
    up. If the bag empties during an earlier step, that step ends there and nothing follows.
    VTBI of a full step is rate × minutes, rounded down to 0.1 mL; the last step takes the rest,
    so the steps sum exactly to the day's volume.

    A step at an absolute cap is programmed from the cap's own mL/h (no round trip through
    mg/kg/min); under an exclusive cap ("less than") a rate that lands on the cap exactly is
    lowered by one pump increment.
    """
    steps: list[RateStep] = []
    remaining = volume_ml
    for index, rate in enumerate(rates_mg_per_kg_min):
        exact = exact_ml_per_h(rate, dosing_weight_kg, concentration_mg_per_ml)
        if cap is not None and cap.binding == "absolute" and rate == cap.cap_mg_per_kg_min:
            assert cap.absolute_ml_per_h is not None
            exact = cap.absolute_ml_per_h
        ml_per_h = floor_to(exact, resolution_ml_per_h)
        if cap is not None and cap.exclusive and ml_per_h == exact and \
                rate >= cap.cap_mg_per_kg_min:
            ml_per_h -= resolution_ml_per_h
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
