"""Fuzzing the prescription schema, local product and regimen tables, and limits files.

Whatever the files hold, the tool answers with exit 0, 1 or 3, never a traceback or an "internal
error", one error line on exit 1, and no output file unless it succeeded.

CI runs a modest number of examples; set IVIG_FUZZ_EXAMPLES (e.g. 5000) for a long local run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES, to_toml, toml_value

BASE = {
    "patient": {"id": "FZ-1", "weight_kg": 70, "timezone": "Europe/Amsterdam"},
    "order": {"product": "octagam-10", "regimen": "2g-q4w", "start": "2027-03-01",
              "days_per_course": 3},
}
KEYS = {
    "patient": ["id", "weight_kg", "height_cm", "sex", "timezone", "risk_factors", "wieght"],
    "order": ["product", "regimen", "indication", "start", "start_time", "days_per_course",
              "dosing_weight", "rounding", "pump_resolution_ml_h", "max_infusion_hours",
              "courses", "setup_minutes", "strat"],
    "trial": ["arm"],
    "product": ["id", "name", "concentration_mg_per_ml", "vials_g", "rate_unit", "titration",
                "step_minutes", "max_rate", "at_risk_max_rate", "source", "ladders", "verified"],
    "regimen": ["id", "name", "source", "phase", "visit", "first_infusion_g", "max_weight_kg",
                "indication", "product"],
}
LOCAL_PRODUCT = {"id": "p", "concentration_mg_per_ml": 100, "vials_g": [2, 5, 10],
                 "titration": [1, 2], "step_minutes": 30, "max_rate": 2, "source": "s"}
LOCAL_REGIMEN = {"id": "r", "source": "s",
                 "phase": [{"name": "a", "dose_g_per_kg": 2, "days": [2, 5], "weeks": [0, 4]}]}
PHASE_KEYS = ["name", "dose_g_per_kg", "days", "weeks", "every_weeks", "count", "start_week",
              "blinded"]
RULE_KEYS = ["id", "quantity", "unit", "lower_hard", "lower_soft", "upper_soft", "upper_hard",
             "message", "source", "scope"]


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["72.5 kg", "160 lb", "5 ft 9 in", "2027-02-30",
                                           "25:00", "Mars/Base", "octagam-10", "nanogam",
                                           "proderm", "might", "placebo", "auto", "none"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@st.composite
def prescriptions(draw) -> str:
    data = json.loads(json.dumps(BASE))
    if draw(st.booleans()):
        data["product"] = dict(LOCAL_PRODUCT)
        del data["order"]["product"]
    if draw(st.booleans()):
        data["regimen"] = json.loads(json.dumps(LOCAL_REGIMEN))
        del data["order"]["regimen"]
        phase = data["regimen"]["phase"][0]
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            phase[draw(st.sampled_from(PHASE_KEYS))] = draw(values)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        section = draw(st.sampled_from(sorted(KEYS)))
        key = draw(st.sampled_from(KEYS[section]))
        table = data.setdefault(section, {})
        if draw(st.booleans()) and key in table:
            del table[key]
        else:
            value = draw(values)
            if value is not None:
                table[key] = value
    return to_toml(data)


EXAMPLES = int(os.environ.get("IVIG_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def check_run(tmp_path: Path, text: str | bytes, *extra: str) -> None:
    source = tmp_path / "rx.toml"
    target = tmp_path / "out.json"
    for stale in (source, target):
        stale.unlink(missing_ok=True)
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(source), "-f", "json", "-o", str(target),
                                      *extra])
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.output, text)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ")
        assert "internal error" not in result.stderr, (result.stderr, text)
    if result.exit_code == 0:
        assert json.loads(target.read_text(encoding="utf-8"))["format"] == "ivig-schedule/plan@1"
    else:
        assert not target.exists()
    assert "internal error" not in result.output, (result.output, text)
    assert {p.name for p in tmp_path.iterdir()} <= {"out.json", "rx.toml", "limits.toml"}


@pytest.mark.slow
@FUZZ
@given(prescriptions())
def test_fuzzed_fields(tmp_path, text):
    """Random types, missing keys, extreme numbers in every field: 0/1/3 and one clean line."""
    check_run(tmp_path, text)


@FUZZ
@given(st.text(max_size=400))
def test_fuzzed_raw_text(tmp_path, text):
    """Arbitrary unicode as a prescription file is a clean input error (or, rarely, a plan)."""
    check_run(tmp_path, text)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzzed_bytes(tmp_path, data):
    """Non-UTF-8 bytes are a clean input error."""
    check_run(tmp_path, data)


@pytest.mark.slow
def test_huge_file(tmp_path):
    """A very large file of junk keys fails with one line, not a crash."""
    text = (SAMPLES / "2g-q4w.toml").read_text() + "".join(
        f"junk_{i} = {i}\n" for i in range(50_000))
    check_run(tmp_path, text)


@st.composite
def limits_texts(draw) -> str:
    rules = []
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        rule = {"id": f"r{i}", "quantity": draw(st.sampled_from(
            ["weight_kg", "step_rate_ml_per_h", "day_grams", "infusion_minutes", "nope"])),
            "unit": "u", "upper_soft": 100, "message": "m", "source": "s"}
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            rule[draw(st.sampled_from(RULE_KEYS))] = draw(values)
        rules.append(rule)
    head = {"name": draw(st.sampled_from(['"L"', "1", '""'])), "version": '"1"'}
    lines = [f"{k} = {v}" for k, v in head.items()]
    for rule in rules:
        lines.append("[[rule]]")
        lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in rule.items()
                     if v is not None)
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@FUZZ
@given(limits_texts())
def test_fuzzed_limits_files(tmp_path, text):
    """Random limits files: a clean one-line error naming the file, or a plan checked by them."""
    limits = tmp_path / "limits.toml"
    limits.write_text(text, encoding="utf-8")
    check_run(tmp_path, to_toml(BASE), "--limits", str(limits))
