"""Invariants over random prescriptions with random histories: a plan that is not refused never
programs a step above its own course's cap nor gives a day above the hard g/kg limit of its own
course's dosing weight; plan, check and explain agree on the exit code."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input import catalog

from .. import strategies as s

TODAY = dt.date(2026, 12, 1)
REGIMENS = {"2g-q4w": None, "loading-2g-then-1g-q3w": None, "might": "active",
            "proderm": "placebo"}
HARD_DAY_G_PER_KG = Decimal("1.1")
"""dose.day_max's hard bound in limits.toml (checked by hand in test_guardrails)."""


def _mg_per_kg_min(rate: Decimal, unit: str, concentration: Decimal) -> Decimal:
    """A label rate in mg/kg/min, converted here from the label's unit (not by the engine)."""
    if unit == "mL/kg/min":
        return rate * concentration
    if unit == "mL/kg/h":
        return rate * concentration / 60
    return rate


@st.composite
def histories(draw) -> dict:
    """A prescription and a history of up to five changes of the kinds that re-dose, re-weigh,
    move, re-split, skip or stop courses."""
    regimen = draw(st.sampled_from(sorted(REGIMENS)))
    product = "octagam-10" if regimen == "proderm" else draw(s.products)
    weight = draw(st.decimals(min_value=Decimal(30), max_value=Decimal(140), places=1))
    data: dict = {
        "patient": {"id": "H-1", "weight_kg": str(weight), "timezone": "Europe/Amsterdam",
                    "risk_factors": draw(s.risks)},
        "order": {"regimen": regimen, "product": product, "start": "2027-01-11"},
    }
    if draw(st.booleans()):
        data["order"]["max_rate_ml_h"] = draw(st.sampled_from([80, 150, 400]))
    if REGIMENS[regimen]:
        data["trial"] = {"arm": REGIMENS[regimen]}
    changes = []
    for index in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from(["weight", "dose", "delay", "skip", "days", "stop"]))
        course = draw(st.integers(min_value=1, max_value=3))
        change: dict = {"on": dt.date(2026, 11, 1 + index), "kind": kind, "reason": "test"}
        if kind == "weight":
            change |= {"from_course": course, "weight_kg": str(draw(st.decimals(
                min_value=Decimal(25), max_value=Decimal(160), places=1)))}
        elif kind == "dose":
            change |= {"from_course": course, "dose_g_per_kg": draw(st.sampled_from(
                ["0.5", "1", "2", "3", "4"]))}
        elif kind == "delay":
            change |= {"course": course, "days": draw(st.integers(min_value=1, max_value=40)),
                       "shift_following": draw(st.booleans())}
        elif kind == "days":
            change |= {"from_course": course, "days_per_course": draw(st.integers(1, 5))}
        elif kind == "skip":
            change |= {"course": course}
        else:
            change |= {"from_course": course}
        changes.append(change)
    data["change"] = changes
    return data


def to_toml(data: dict) -> str:
    lines = []
    for table in ("patient", "order", "trial"):
        if table in data:
            lines.append(f"[{table}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in data[table].items()]
    for change in data["change"]:
        lines.append("[[change]]")
        lines += [f"{k} = {v.isoformat() if isinstance(v, dt.date) else json.dumps(v)}"
                  for k, v in change.items()]
    return "\n".join(lines) + "\n"


def _body_weight(data: dict, course: int) -> Decimal:
    """The body weight of a course: the last weight change that applies to it, else the
    patient's (read from the prescription, not from the engine)."""
    weight = Decimal(data["patient"]["weight_kg"])
    for change in data["change"]:
        if change["kind"] == "weight" and change["from_course"] <= course:
            weight = Decimal(change["weight_kg"])
    return weight


def _cap(data: dict, weight: Decimal) -> tuple[Decimal, bool]:
    """The highest rate in mg/kg/min for a course at `weight`, and whether it must stay below."""
    product = catalog.products()[data["order"]["product"]]
    regimen = catalog.regimens()[data["order"]["regimen"]]
    concentration = product.concentration_mg_per_ml
    ladder = product.ladder_for(regimen.indication) or min(
        product.ladders, key=lambda lad: _mg_per_kg_min(lad.max_rate, lad.rate_unit,
                                                        concentration))
    parts = [(_mg_per_kg_min(ladder.max_rate, ladder.rate_unit, concentration), False)]
    if data["patient"]["risk_factors"] and product.at_risk_max_rate is not None:
        parts.append((_mg_per_kg_min(product.at_risk_max_rate, product.at_risk_rate_unit,
                                     concentration), product.at_risk_exclusive))
    if "max_rate_ml_h" in data["order"]:
        parts.append((Decimal(data["order"]["max_rate_ml_h"]) * concentration / (weight * 60),
                      False))
    lowest = min(p for p, _ in parts)
    return lowest, any(exclusive and p == lowest for p, exclusive in parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_a_plan_that_is_not_refused_stays_within_each_courses_own_limits(data):
    """No planned step above its own course's cap; no day above 1.1 g/kg of its own course's
    dosing weight (actual weight here: the body weight that course was recorded at)."""
    out = jobs.run(jobs.Request(text=to_toml(data), today=TODAY))
    assert out.exit_code in (jobs.EXIT_OK, jobs.EXIT_BAD_INPUT, jobs.EXIT_REFUSED)
    event(f"exit {out.exit_code}")
    if out.exit_code != jobs.EXIT_OK:
        return
    concentration = catalog.products()[data["order"]["product"]].concentration_mg_per_ml
    for course in out.plan.courses:
        if course.status != "planned":
            continue
        weight = _body_weight(data, course.number)
        cap, exclusive = _cap(data, weight)
        for day in course.days:
            assert day.grams / weight <= HARD_DAY_G_PER_KG, (course.number, day.day)
            for step in day.steps:
                rate = step.rate_ml_per_h * concentration / (weight * 60)
                assert rate < cap if exclusive else rate <= cap, (course.number, day.day, step)


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(histories())
def test_plan_check_and_explain_agree_after_any_history(tmp_path, data):
    """The three commands give the same exit code for any history."""
    path = tmp_path / "rx.toml"
    path.write_text(to_toml(data))
    codes = {command: CliRunner().invoke(cli, [command, str(path), "--today",
                                               TODAY.isoformat()]).exit_code
             for command in ("plan", "check", "explain")}
    assert len(set(codes.values())) == 1, codes
