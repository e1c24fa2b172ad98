"""Prescription parsing: field-path errors, inline tables, flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ivig_schedule.input import prescription
from ivig_schedule.model.errors import PrescriptionError

from ..helpers import make

BASE = """
[patient]
id = "PD-0042"
weight_kg = 72.5
timezone = "Europe/Amsterdam"

[order]
product = "octagam-10"
regimen = "2g-q4w"
start = 2027-01-11
"""


def error_of(text: str, overrides=None) -> PrescriptionError:
    with pytest.raises(PrescriptionError) as info:
        prescription.from_text(text, overrides or {}, "UTC")
    return info.value


def test_native_toml_date_and_float_weight():
    """A TOML date and a float weight parse exactly (72.5 stays Decimal('72.5'))."""
    rx = prescription.from_text(BASE, {}, "UTC")
    assert rx.order.start == dt.date(2027, 1, 11)
    assert rx.patient.weight_kg == D("72.5")
    assert rx.order.start_time == dt.time(9, 0)


@pytest.mark.parametrize(
    ("section", "values", "field"),
    [
        ("patient", {"weight_kg": -5}, "patient.weight_kg"),
        ("patient", {"weight_kg": 0}, "patient.weight_kg"),
        ("patient", {"weight_kg": "heavy"}, "patient.weight_kg"),
        ("patient", {"weight_kg": True}, "patient.weight_kg"),
        ("patient", {"timezone": "Mars/Olympus"}, "patient.timezone"),
        ("patient", {"id": "Jane Doe"}, "patient.id"),
        ("patient", {"risk_factors": ["smoking"]}, "patient.risk_factors"),
        ("order", {"product": "nope"}, "order.product"),
        ("order", {"regimen": "nope"}, "order.regimen"),
        ("order", {"start": "2027-02-30"}, "order.start"),
        ("order", {"start_time": "25:00"}, "order.start_time"),
        ("order", {"days_per_course": 6}, "order.days_per_course"),
        ("order", {"days_per_course": 1}, "order.days_per_course"),
        ("order", {"rounding": "up"}, "order.rounding"),
        ("order", {"dosing_weight": "lean"}, "order.dosing_weight"),
    ],
)
def test_bad_fields_name_their_path(section, values, field):
    """Each bad value fails with its field path first in the message."""
    with pytest.raises(PrescriptionError) as info:
        make(**{section: values})
    assert info.value.field == field
    assert str(info.value).startswith(field + ":")


def test_message_names_value_and_what_is_allowed():
    """The one-line message says the field, the allowed values and what was given."""
    error = error_of(BASE.replace('"2g-q4w"', '"2g-q5w"'))
    assert str(error) == (
        'order.regimen: did you mean 2g-q4w? allowed: 2g-q4w, loading-2g-then-1g-q3w, '
        'time-is-muscle, might, '
        'proderm, lim-2021 (got "2g-q5w")')


def test_unknown_key_suggests_nearest():
    """A misspelt key is an error naming it and the nearest valid key."""
    error = error_of(BASE + 'start_tim = "10:00"\n')
    assert error.field == "order.start_tim"
    assert "did you mean start_time?" in str(error)


def test_malformed_toml_reports_line_and_column():
    """Broken TOML reports where it broke."""
    error = error_of(BASE + "days_per_course = = 3\n")
    assert "line 11, column 19" in str(error)
    assert 'got "days_per_course = = 3"' in str(error)


def test_inline_product_is_validated_like_catalog():
    """An inline [product] with a bad field names product.<field>."""
    with pytest.raises(PrescriptionError, match=r"product\.vials_g\[1\]"):
        make(order={"product": None}, product={
            "id": "x", "concentration_mg_per_ml": 50, "vials_g": [1, -2], "titration": [1],
            "step_minutes": 30, "max_rate": 1, "source": "s"})


def test_inline_product_with_ml_per_kg_h_unit():
    """A local table in mL/kg/h is accepted and flagged as local."""
    rx = make(order={"product": None, "indication": None}, product={
        "id": "local", "concentration_mg_per_ml": 100, "vials_g": [5, 10], "rate_unit": "mL/kg/h",
        "titration": [0.6, 1.2], "step_minutes": 30, "max_rate": 2.4, "source": "s"})
    assert rx.product.local
    assert rx.product.ladders[0].rate_unit == "mL/kg/h"


def test_blinded_regimen_requires_arm():
    """A blinded regimen without trial.arm is an error."""
    with pytest.raises(PrescriptionError, match=r"trial.arm"):
        make(order={"regimen": "proderm"})


def test_arm_on_open_regimen_is_rejected():
    """An arm on a regimen with no blinded phase is a mistake worth stopping."""
    with pytest.raises(PrescriptionError, match=r"trial.arm"):
        make(trial={"arm": "placebo"})


def test_days_by_phase():
    """days_per_course may be a table by phase name, each checked against its phase range."""
    rx = make(order={"regimen": "loading-2g-then-1g-q3w",
                     "days_per_course": {"loading": 3, "maintenance": 1}})
    assert dict(rx.order.days_per_course) == {"loading": 3, "maintenance": 1}
    with pytest.raises(PrescriptionError, match=r"order.days_per_course.maintenance"):
        make(order={"regimen": "loading-2g-then-1g-q3w",
                    "days_per_course": {"loading": 3, "maintenance": 3}})


def test_flags_alone_make_a_prescription():
    """--weight, --product, --regimen, --start suffice; the zone defaults to the given one."""
    rx = prescription.from_text(None, {"weight": "70.2", "product": "privigen",
                                       "regimen": "2g-q4w", "start": "2027-05-03"}, "Europe/Oslo")
    assert rx.patient.weight_kg == D("70.2")
    assert rx.patient.timezone == "Europe/Oslo"


def test_flags_override_file_fields():
    """A flag replaces the file's value for that field."""
    rx = prescription.from_text(BASE, {"weight": "90", "days": 3}, "UTC")
    assert (rx.patient.weight_kg, rx.order.days_per_course) == (D(90), 3)
