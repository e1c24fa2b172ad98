"""Fuzzing the prescription schema through the command line.

Whatever the file holds, the tool answers with exit 0, 1 or 3, never a traceback, one error line
on exit 1, and no output file unless it succeeded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule.cli import cli

from .conftest import SAMPLES

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
}


def toml_value(value) -> str:  # noqa: PLR0911 - one return per TOML type
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON escapes are valid TOML basic-string escapes
    if isinstance(value, list):  # TOML has no null: None elements are left out
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}"
                           for k, v in value.items() if v is not None) + "}"


def to_toml(data: dict) -> str:
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


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


FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def check_run(tmp_path: Path, text: str | bytes) -> None:
    source = tmp_path / "rx.toml"
    target = tmp_path / "out.json"
    for stale in (source, target):
        stale.unlink(missing_ok=True)
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(source), "-f", "json", "-o", str(target)])
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
    assert {p.name for p in tmp_path.iterdir()} <= {"out.json", "rx.toml"}


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


def test_huge_file(tmp_path):
    """A very large file of junk keys fails with one line, not a crash."""
    text = (SAMPLES / "2g-q4w.toml").read_text() + "".join(
        f"junk_{i} = {i}\n" for i in range(50_000))
    check_run(tmp_path, text)
