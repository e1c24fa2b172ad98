"""Ladder conversion, the rate cap and the pump steps (rules 4f-4g)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ivig_schedule.engine import pump
from ivig_schedule.input.fields import to_decimal
from ivig_schedule.model.inputs import Ladder, Product, to_mg_per_kg_min


def ladder(titration, max_rate, unit="mg/kg/min"):
    return Ladder(indication="default", rate_unit=unit, titration=tuple(D(str(t)) for t in titration),
                  step_minutes=30, max_rate=D(str(max_rate)), source="test")


@pytest.mark.parametrize(
    ("rate", "unit", "concentration", "expected"),
    [
        ("0.04", "mL/kg/min", "100", "4"),
        ("0.02", "mL/kg/min", "50", "1"),
        ("0.5", "mL/kg/h", "100", "0.8333333333333333333333333333"),
        ("0.6", "mL/kg/h", "100", "1"),
        ("3.3", "mg/kg/min", "100", "3.3"),
    ],
)
def test_conversion_to_mg_per_kg_min(rate, unit, concentration, expected):
    """mL/kg/min x mg/mL and mL/kg/h / 60 x mg/mL give mg/kg/min."""
    assert to_mg_per_kg_min(D(rate), unit, D(concentration)) == D(expected)


def test_float_input_floors_to_the_expected_tenth():
    """0.3 mL/kg/h-equivalent x 72 kg must floor to 21.6 mL/h: floats go through str()."""
    rate = to_decimal(0.3, "x", unit="mg/kg/min")
    # 0.3 mg/kg/min x 72 kg x 60 / 60 mg/mL = 21.6 mL/h exactly.
    assert pump.rate_ml_per_h(rate, D(72), D(60), D("0.1")) == D("21.6")
    trap = D(0.3)  # noqa: RUF032 - the binary float this project must never use
    assert pump.rate_ml_per_h(trap, D(72), D(60), D("0.1")) == D("21.5")


def test_rates_round_down_to_resolution():
    """87.0787 kg x 1 mg/kg/min x 0.6 = 52.247 mL/h rounds down to 52.2, or 52 at 1 mL/h."""
    weight = D("87.0787")
    assert pump.rate_ml_per_h(D(1), weight, D(100), D("0.1")) == D("52.2")
    assert pump.rate_ml_per_h(D(1), weight, D(100), D(1)) == D(52)


def product(at_risk=None, unit="mg/kg/min"):
    return Product(id="p", name="p", concentration_mg_per_ml=D(100), source="test",
                   verified=True, vials_g=(D(10),), at_risk_max_rate=at_risk,
                   at_risk_rate_unit=unit)


def test_cap_drops_higher_steps_and_becomes_last():
    """At-risk 3.3 below the ladder's 4 drops 4 and ends the ladder at 3.3."""
    lad = ladder([1, 2, 4], 4)
    cap = pump.rate_cap(lad, product(D("3.3")), True, None, D(80))
    assert cap.cap_mg_per_kg_min == D("3.3")
    assert pump.capped_ladder(lad, D(100), cap.cap_mg_per_kg_min) == (D(1), D(2), D("3.3"))


def test_at_risk_cap_applies_only_to_patients_at_risk():
    """Without a risk factor the label maximum is the cap, whatever the at-risk value."""
    cap = pump.rate_cap(ladder([1, 2, 4], 4), product(D("3.3")), False, None, D(80))
    assert (cap.cap_mg_per_kg_min, cap.at_risk_mg_per_kg_min) == (D(4), None)


def test_cap_above_ladder_leaves_it_alone():
    """An at-risk cap above the label maximum changes nothing; the lower cap wins."""
    lad = ladder([1, 2, 4], 4)
    cap = pump.rate_cap(lad, product(D(12)), True, None, D(80))
    assert cap.cap_mg_per_kg_min == D(4)
    assert pump.capped_ladder(lad, D(100), cap.cap_mg_per_kg_min) == (D(1), D(2), D(4))


def test_ladder_stopping_below_cap_is_not_extended():
    """The cap is a ceiling, not a target: a ladder ending at 2 under a cap of 3 stays at 2."""
    assert pump.capped_ladder(ladder([0.5, 1, 2], 3), D(50), D(3)) == (D("0.5"), D(1), D(2))


def test_worked_example_programme():
    """80 kg, 400 mL, Octagam 10% DM: 48x30, 96x30, 192x103 min (hand-checked in the issue)."""
    steps = pump.programme((D(1), D(2), D(4)), D(400), 30, D(80), D(100), D("0.1"))
    assert [(s.rate_ml_per_h, s.minutes, s.volume_ml) for s in steps] == [
        (D(48), 30, D(24)), (D(96), 30, D(48)), (D(192), 103, D(328))]


def test_volume_done_during_an_early_step_stops_there():
    """A 50 mL bag finishes during step 2 (24 mL then 26 mL at 96 mL/h = 16.25 -> 17 min)."""
    steps = pump.programme((D(1), D(2), D(4)), D(50), 30, D(80), D(100), D("0.1"))
    assert [(s.rate_ml_per_h, s.minutes, s.volume_ml) for s in steps] == [
        (D(48), 30, D(24)), (D(96), 17, D(26))]


def test_step_vtbi_rounds_down_and_last_takes_the_rest():
    """57.3 mL/h for 30 min is 28.65 mL, programmed as 28.6; the last step takes the rest."""
    steps = pump.programme((D(1), D(2)), D(100), 30, D("95.5"), D(100), D("0.1"))
    assert steps[0].volume_ml == D("28.6")
    assert sum(s.volume_ml for s in steps) == D(100)


def test_rate_below_one_increment_is_an_error():
    """A rate that rounds down to 0 mL/h cannot be programmed."""
    from ivig_schedule.model.errors import PrescriptionError

    with pytest.raises(PrescriptionError, match="pump_resolution"):
        pump.programme((D("0.01"),), D(10), 30, D(3), D(100), D(1))
