"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from ivig_schedule.input import catalog

COMPLETE_PRODUCTS = sorted(p.id for p in catalog.products().values() if not p.missing_fields())

weights_kg = st.decimals(min_value=Decimal(3), max_value=Decimal(250), places=1)
products = st.sampled_from(COMPLETE_PRODUCTS)
days = st.integers(min_value=1, max_value=5)
arms = st.sampled_from(["active", "placebo"])
roundings = st.sampled_from(["nearest-vial", "down", "none"])
risks = st.sampled_from([[], ["thrombosis"], ["renal"]])
