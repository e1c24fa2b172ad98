"""CSV cells: every row's cells are neutralised exactly as `cell` neutralises one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ivig_schedule.render.csvcells import FORMULA_STARTS, cell, row

CELLS = st.one_of(
    st.text(alphabet=st.sampled_from([*FORMULA_STARTS, "a", "1", " ", "'"]), max_size=6),
    st.integers(), st.booleans(), st.none(), st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(), st.builds(dt.timedelta, minutes=st.integers(-100, 100)),
)


@given(st.lists(CELLS, max_size=12))
def test_row_is_each_cell(values):
    """`row` gives what `cell` gives for each value, text and numbers included."""
    assert row(values) == [cell(v) for v in values]
    assert [type(c) for c in row(values)] == [type(cell(v)) for v in values]


def test_formula_text_is_quoted_and_numbers_are_not():
    """A text starting like a formula gets an apostrophe; a number stays a number."""
    assert row(["=1+1", "-2", "@x", "plain", 3, Decimal("-2"), None, True]) == [
        "'=1+1", "'-2", "'@x", "plain", 3, Decimal("-2"), "", True]
