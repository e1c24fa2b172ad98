"""Unit-safe weights and heights."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ivig_schedule.input import units
from ivig_schedule.model.errors import PrescriptionError

from ..helpers import make


@pytest.mark.parametrize(
    ("given", "kg"),
    [(72.5, "72.5"), ("72.5 kg", "72.5"), ("72.5kg", "72.5"), (80, "80"),
     ("160 lb", "72.5747792"), ("160 lbs", "72.5747792"), ("1 lb", "0.45359237")],
)
def test_weights_convert_exactly(given, kg):
    """kg stays kg; pounds convert by the exact definition 1 lb = 0.45359237 kg."""
    value, written, _ = units.weight_kg(given, "patient.weight_kg")
    assert value == D(kg)
    assert written == str(given).strip()


@pytest.mark.parametrize(
    ("given", "cm"),
    [(175, "175"), ("175 cm", "175"), ("1.75 m", "175.00"), ("5 ft 9 in", "175.26"),
     ("6 ft", "182.88"), ("69 in", "175.26")],
)
def test_heights_convert_exactly(given, cm):
    """cm stays cm; feet and inches convert by 1 in = 2.54 cm (5 ft 9 in = 69 in = 175.26 cm)."""
    assert units.height_cm(given, "patient.height_cm")[0] == D(cm)


@pytest.mark.parametrize("given", ["72 stone", "72 kgs lb", "seventy", "", True, [72]])
def test_unknown_weight_units_rejected(given):
    """Anything but a number, kg or lb is rejected with the allowed forms."""
    with pytest.raises(PrescriptionError, match=r"72\.5 kg"):
        units.weight_kg(given, "patient.weight_kg")


@pytest.mark.parametrize("given", ["5 yards", "5 ft 13", "tall"])
def test_unknown_height_units_rejected(given):
    """Unknown height units are rejected, never guessed."""
    with pytest.raises(PrescriptionError, match="5 ft 9 in"):
        units.height_cm(given, "patient.height_cm")


def test_pounds_show_in_json_record():
    """The record keeps the input as written beside the kilograms."""
    from ivig_schedule.engine import compute as engine
    from ivig_schedule.render.records import plan_record
    from ivig_schedule.views.views import plan_view

    view = plan_view(engine.compute(make(patient={"weight_kg": "160 lb"})), "pharmacy")
    record = plan_record(view)
    assert record["patient"]["weight_input"] == "160 lb"
    assert record["patient"]["weight_kg"] == D("72.5747792")  # 160 x 0.45359237
