"""Dosing weight, vial rounding, day split and vial choice (rules 4a-4e)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.engine.dosing import (
    VialSet,
    VialTable,
    dosing_weight,
    ideal_body_weight_kg,
    round_course,
    split_days,
    unrounded_vial_set,
)
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import Patient

from ..helpers import make

OCTAGAM = VialSet((D(30), D(20), D(10), D(5), D(2)), D(100))
PRIVIGEN = VialSet((D(40), D(20), D(10), D(5), D("2.5")), D(100))


def patient(weight: str, height: str | None = "175", sex: str | None = "male") -> Patient:
    return Patient(id="x", weight_kg=D(weight), timezone="UTC",
                   height_cm=D(height) if height else None, sex=sex)  # type: ignore[arg-type]


def test_devine_male_and_female():
    """Devine IBW at 175 cm: 50 + 2.3 x (175/2.54 - 60) = 70.46 kg; female 65.96 kg (by hand)."""
    assert ideal_body_weight_kg(D(175), "male").quantize(D("0.01")) == D("70.46")
    assert ideal_body_weight_kg(D(175), "female").quantize(D("0.01")) == D("65.96")


def test_devine_at_60_inches_is_the_base():
    """At exactly 60 in (152.4 cm) the IBW is the base weight."""
    assert ideal_body_weight_kg(D("152.4"), "female") == D("45.5")


def test_adjusted_weight():
    """Adjusted = IBW + 0.4 x (actual - IBW): 70.4646 + 0.4 x 41.5354 = 87.08 kg."""
    weight = dosing_weight(patient("112"), "adjusted")
    assert weight.kg.quantize(D("0.01")) == D("87.08")
    assert weight.used == "adjusted"


def test_dosing_weight_never_above_actual():
    """A light patient's ideal weight above the actual weight is capped at the actual weight."""
    assert dosing_weight(patient("55"), "ideal").kg == D(55)
    assert dosing_weight(patient("55"), "adjusted").kg == D(55)


@pytest.mark.parametrize(
    ("weight", "height", "used"),
    [
        ("112", "175", "adjusted"),  # BMI 36.6 > 30
        ("91.8", "175", "actual"),  # BMI 29.98, not above 30
        ("92", "175", "adjusted"),  # BMI 30.04
        ("90", "150", "actual"),  # BMI 40 but shorter than 152.4 cm
    ],
)
def test_auto_uses_adjusted_only_when_obese_and_tall_enough(weight, height, used):
    """auto = adjusted when BMI > 30 and height >= 152.4 cm, actual otherwise."""
    assert dosing_weight(patient(weight, height), "auto").used == used


@pytest.mark.parametrize("basis", ["ideal", "adjusted", "auto"])
def test_formulas_need_height_and_sex(basis):
    """Ideal, adjusted and auto fail with a field path when height or sex is missing."""
    with pytest.raises(PrescriptionError, match=r"patient.height_cm"):
        dosing_weight(patient("80", height=None), basis)
    with pytest.raises(PrescriptionError, match=r"patient.sex"):
        dosing_weight(patient("80", sex=None), basis)


def test_grain_is_the_common_step():
    """Privigen's sizes share a 2.5 g step; Octagam's a 1 g step."""
    assert PRIVIGEN.grain_g == D("2.5")
    assert OCTAGAM.grain_g == D(1)


@pytest.mark.parametrize(
    ("prescribed", "vials", "rounding", "expected"),
    [
        ("128", PRIVIGEN, "nearest-vial", "127.5"),  # 0.5 below vs 2 above
        ("128.75", PRIVIGEN, "nearest-vial", "127.5"),  # exact tie rounds down
        ("128.76", PRIVIGEN, "nearest-vial", "130"),
        ("129.9", PRIVIGEN, "down", "127.5"),
        ("3", OCTAGAM, "nearest-vial", "2"),  # 3 g cannot be made; 2 and 4 tie, down wins
        ("3.1", OCTAGAM, "nearest-vial", "4"),
        ("1", OCTAGAM, "nearest-vial", "2"),  # below the smallest vial rounds up to it
        ("174.157", OCTAGAM, "nearest-vial", "174"),
    ],
)
def test_course_rounding(prescribed, vials, rounding, expected):
    """Course grams round to a whole-vial total as the order says (hand-computed cases)."""
    assert round_course(D(prescribed), vials, rounding)[0] == D(expected)


def test_rounding_none_keeps_tenths():
    """rounding none keeps the prescribed grams to 0.1 g."""
    grid = unrounded_vial_set(D(100))
    assert round_course(D("140.929"), grid, "none")[0] == D("140.9")


def test_rounding_down_below_smallest_vial_rounds_up_and_says_so():
    """Rounding down a dose smaller than one vial leaves nothing to give: the engine rounds up
    to the smallest vial (2 g) and marks it, so that the limits refuse the plan."""
    rounded, trail = round_course(D("1.5"), OCTAGAM, "down")
    assert (rounded, trail.fell_back) == (D(2), True)
    assert round_course(D("2.5"), OCTAGAM, "down")[1].fell_back is False


def test_rounding_down_below_smallest_vial_is_refused_by_its_rule():
    """A 0.75 kg dosing weight at 2 g/kg rounded down: refused by the limits rule, not the engine."""
    rx = make(patient={"weight_kg": "0.75"},
              order={"regimen": None, "rounding": "down", "days_per_course": 1},
              regimen={"id": "one", "source": "t", "phase": [
                  {"name": "a", "dose_g_per_kg": 2, "days": [1, 1], "weeks": [0]}]})
    outcome = jobs.assess(rx)
    assert outcome.exit_code == jobs.EXIT_REFUSED
    assert "rounding.down_below_smallest_vial" in {b.rule.id for b in outcome.decision.breaches}


@pytest.mark.parametrize(
    ("total", "days", "vials", "expected"),
    [
        ("160", 4, OCTAGAM, ("40", "40", "40", "40")),
        ("174", 4, OCTAGAM, ("44", "44", "43", "43")),
        ("127.5", 2, PRIVIGEN, ("65", "62.5")),
        ("10", 3, OCTAGAM, ("4", "4", "2")),  # 3 g days are impossible with 2/5 g vials
        ("145", 5, OCTAGAM, ("29", "29", "29", "29", "29")),
    ],
)
def test_split_is_even_with_larger_days_first(total, days, vials, expected):
    """Days are whole-vial totals, as even as possible, larger first (checked by hand)."""
    assert split_days(D(total), days, vials) == tuple(D(e) for e in expected)


def test_impossible_split_names_the_days_field():
    """20 g in 3 days of 10 g vials cannot be done; the error names order.days_per_course."""
    tens = VialSet((D(10),), D(100))
    with pytest.raises(PrescriptionError, match=r"order.days_per_course"):
        split_days(D(20), 3, tens)


@pytest.mark.parametrize(
    ("grams", "vials", "expected"),
    [
        ("40", OCTAGAM, [("30", 1), ("10", 1)]),  # 30+10 beats 20+20 (both 2 vials)
        ("44", OCTAGAM, [("30", 1), ("10", 1), ("2", 2)]),
        ("65", PRIVIGEN, [("40", 1), ("20", 1), ("5", 1)]),
        ("60", OCTAGAM, [("30", 2)]),
    ],
)
def test_fewest_vials_prefer_larger(grams, vials, expected):
    """The fewest vials make each day; a tie takes the larger vials."""
    got = [(v.grams, v.count) for v in vials.vials_for(D(grams))]
    assert got == [(D(g), n) for g, n in expected]


def test_vial_volume_follows_concentration():
    """A 10 g vial at 50 mg/mL holds 200 mL."""
    five_percent = VialSet((D(10),), D(50))
    assert five_percent.vials_for(D(20))[0].ml == D(200)


def test_cover_for_partial_vials():
    """With partial vials the smallest whole-vial total at or above the dose is opened."""
    assert [(v.grams, v.count) for v in OCTAGAM.cover(D("35.2"))] == [(D(30), 1), (D(2), 3)]


def test_a_vial_set_answers_a_larger_total_after_a_smaller_one():
    """The table grows when a total beyond its first block (128 grains) is asked for. With 20
    and 30 g vials (10 g grains): 20 g is one vial; 6010 g (601 grains) is 199 × 30 g + 2 × 20 g,
    the fewest (601 = 3a + 2b with a as large as leaves b even); 10 g is never makeable
    (checked by hand)."""
    vials = VialSet((D(20), D(30)), D(100))
    assert [(v.grams, v.count) for v in vials.vials_for(D(20))] == [(D(20), 1)]
    assert [(v.grams, v.count) for v in vials.vials_for(D(6010))] == [(D(30), 199), (D(20), 2)]
    assert not vials.makeable(1)
    assert [(v.grams, v.count) for v in vials.cover(D(10))] == [(D(20), 1)]


def _every_combination_table(sizes_desc: tuple[int, ...], limit: int) -> list:
    """The slow reference: every total's whole combination, the fewest vials, ties to larger."""
    best: list = [()] + [None] * limit
    for total in range(1, limit + 1):
        options = [tuple(sorted((*best[total - s], s), reverse=True))
                   for s in sizes_desc if s <= total and best[total - s] is not None]
        best[total] = min(options, key=lambda c: (len(c), [-v for v in c]), default=None)
    return best


@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=5, unique=True))
@settings(max_examples=60, deadline=None)
def test_vial_table_agrees_with_every_combination(sizes):
    """Counts read back into vials give, for every total, the reference's combination."""
    sizes_desc = tuple(sorted(sizes, reverse=True))
    table = VialTable(sizes_desc, 200)
    reference = _every_combination_table(sizes_desc, 200)
    assert [table.combination(total) for total in range(201)] == reference
    assert [table.reachable(total) for total in range(201)] == [c is not None for c in reference]


@pytest.mark.parametrize("vials", [OCTAGAM, PRIVIGEN], ids=["octagam", "privigen"])
def test_catalog_vial_tables_agree_with_every_combination(vials):
    """The catalog's vial sizes give the reference's combination for every total to 300 g."""
    units = vials.units(D(300))
    table = vials.table(units)
    reference = _every_combination_table(vials.sizes_units, units)
    assert [table.combination(total) for total in range(units + 1)] == reference
