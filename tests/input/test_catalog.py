"""The shipped catalog: every entry parses, carries a source, and hides unconfirmed numbers."""

from __future__ import annotations

import tomllib
from decimal import Decimal as D

import pytest

from ivig_schedule.input import catalog
from ivig_schedule.input.catalog import build, parsed
from ivig_schedule.input.limits_file import built_in_limits

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


# --- the generated parse (catalog/parsed.py) ----------------------------------------------------

CATALOG_FILES = build.FILES


def test_the_generated_parse_holds_what_the_build_writes_now():
    """parsed.py is current: the module the build would write now holds the same texts and
    parses (compared as values, so a Python whose pprint lays text out otherwise still
    passes); editing a catalog file without running the build fails here."""
    written: dict = {}
    exec(compile(build.source(), "parsed.py", "exec"), written)  # the build's own output
    assert written["FILES"] == parsed.FILES, "run: python -m ivig_schedule.input.catalog.build"
    assert set(parsed.FILES) == set(CATALOG_FILES)


@pytest.mark.parametrize("name", CATALOG_FILES)
def test_the_generated_parse_equals_tomllib_after_every_reader_has_run(name):
    """Each cached file equals tomllib's own parse of it, value for value and type for type,
    even after the products, regimens, policies and limits were read from it (no reader
    changes the shared data)."""
    catalog.products(), catalog.regimens(), catalog.policies(), built_in_limits()
    text = (build.FOLDER / name).read_text(encoding="utf-8")
    made_from, data = parsed.FILES[name]
    expected = tomllib.loads(text)
    assert made_from == text
    assert data == expected
    assert _types(data) == _types(expected)  # 1 == 1.0 == True: equality alone misses a type


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_the_catalog_covers_every_toml_file_of_the_folder():
    """No catalog file is left out of the generated parse."""
    assert sorted(p.name for p in build.FOLDER.glob("*.toml")) == sorted(CATALOG_FILES)


def test_a_file_that_no_longer_matches_is_parsed_from_its_text(monkeypatch):
    """A catalog file edited after the build is read as it now is, not from the stale cache."""
    monkeypatch.setitem(parsed.FILES, "products.toml",
                        ("another text", {"stale": True}))
    text, data = catalog.shipped("products.toml")
    assert "stale" not in data
    assert data == tomllib.loads(text)
    assert "privigen" in data


def test_the_build_refuses_a_value_with_no_literal_form():
    """Only values whose repr reads back as themselves go into the generated module."""
    with pytest.raises(TypeError, match=r"x\.y\[0\]: Decimal"):
        build._check({"x": {"y": [D(1)]}}, "x")
