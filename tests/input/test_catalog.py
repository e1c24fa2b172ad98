"""The shipped catalog: every entry parses, carries a source, and hides unconfirmed numbers."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ivig_schedule.input import catalog

PRODUCTS = catalog.products()
REGIMENS = catalog.regimens()


def test_all_required_products_present():
    """The ten products the issue names are in the catalog."""
    assert set(PRODUCTS) == {
        "privigen", "octagam-10", "octagam-5", "gamunex-c", "gammagard-liquid", "panzyga",
        "flebogamma-dif-10", "kiovig", "intratect-100", "nanogam"}


@pytest.mark.parametrize("product", PRODUCTS.values(), ids=list(PRODUCTS))
def test_products_have_sources_and_honest_verification(product):
    """Every product names a source; an entry missing a planning field is unverified."""
    assert product.source
    assert product.verified == (not product.missing_fields())


def test_label_numbers_from_the_facts_sheet():
    """Spot-check numbers against the facts sheet (Privigen EU vials, Octagam DM ladder)."""
    assert PRODUCTS["privigen"].vials_g == (D(40), D(20), D(10), D(5), D("2.5"))
    assert PRODUCTS["octagam-10"].vials_g == (D(30), D(20), D(10), D(5), D(2))
    dm = PRODUCTS["octagam-10"].ladder_for("dermatomyositis")
    assert dm is not None
    assert (dm.titration, dm.max_rate, dm.step_minutes) == ((D(1), D(2), D(4)), D(4), 30)
    assert not dm.default_doubling
    assert PRODUCTS["octagam-10"].at_risk_max_rate == D("3.0")
    assert PRODUCTS["nanogam"].concentration_mg_per_ml == D(50)
    assert PRODUCTS["nanogam"].vials_g is None


def test_regimens_present_with_sources():
    """Generic regimens and the four seed-trial presets are present with sources."""
    assert set(REGIMENS) == {"2g-q4w", "loading-2g-then-1g-q3w", "time-is-muscle", "might",
                             "proderm", "lim-2021"}
    assert all(r.source for r in REGIMENS.values())


def test_trial_rules_as_data():
    """MIGHT's weight limit and TIME IS MUSCLE's 30 g ward infusion are data, not code."""
    assert REGIMENS["might"].max_weight_kg == D(120)
    tim = REGIMENS["time-is-muscle"]
    assert (tim.first_infusion_g, tim.first_infusion_location) == (D(30), "ward")
    assert tim.blinded
    assert not REGIMENS["lim-2021"].blinded
