"""Every sample plans and matches its golden outputs (checked by hand once; see README)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ivig_schedule import jobs
from ivig_schedule.input import prescription
from ivig_schedule.model.vocabulary import VIEWS
from ivig_schedule.render.records import to_json
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, checked, ics

PRESCRIPTIONS = sorted(SAMPLES.glob("*.toml"))


def _plan(path: Path, arm: str | None):
    rx = prescription.from_text(path.read_text(encoding="utf-8"), {"arm": arm}, "UTC")
    return rx, checked(rx)


def render(path: Path, view: str, arm: str | None = None) -> str:
    _, plan = _plan(path, arm)
    return to_json(plan_view(plan, view))


def render_ics(path: Path, view: str, arm: str | None = None) -> bytes:
    _rx, plan = _plan(path, arm)
    return ics(plan_view(plan, view))  # type: ignore[arg-type]


RENDERERS = {"json": lambda p, v: render(p, v).encode("utf-8"), "ics": render_ics}


def test_one_sample_per_preset_and_generic_regimen():
    """samples/ has a prescription for every catalog regimen."""
    regimens = {tomllib.loads(p.read_text())["order"]["regimen"] for p in PRESCRIPTIONS}
    assert regimens == {"2g-q4w", "loading-2g-then-1g-q3w", "time-is-muscle", "might",
                        "proderm", "lim-2021"}


@pytest.mark.parametrize("path", PRESCRIPTIONS, ids=[p.stem for p in PRESCRIPTIONS])
@pytest.mark.parametrize("view", ["pharmacy", "nurse"])
@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_sample_matches_golden(path, view, fmt, update_golden):
    """The rendered JSON and .ics equal the checked-in golden files, byte for byte."""
    golden = path.with_suffix(f".{view}.{fmt}")
    rendered = RENDERERS[fmt](path, view)
    if update_golden:
        golden.write_bytes(rendered)
    assert golden.read_bytes() == rendered


BLINDED = [p for p in PRESCRIPTIONS if "arm" in tomllib.loads(p.read_text()).get("trial", {})]
MASKED = [(p, view) for p in BLINDED for view in VIEWS
          if _plan(p, "active")[0].regimen.masks(view)]


@pytest.mark.parametrize(("path", "view"), MASKED, ids=lambda v: getattr(v, "stem", v))
def test_masked_views_of_blinded_samples_identical_across_arms(path, view):
    """Every view the regimen masks is the same for both arms, as JSON and as .ics."""
    assert render(path, view, "active") == render(path, view, "placebo")
    assert render_ics(path, view, "active") == render_ics(path, view, "placebo")


def test_every_blinded_sample_masks_someone():
    """The masking test above covers each blinded sample (it is not vacuous)."""
    assert {p for p, _ in MASKED} == set(BLINDED)
    assert ("nurse" in {v for p, v in MASKED if p.stem == "proderm"}
            and "nurse" not in {v for p, v in MASKED if p.stem == "time-is-muscle"})


@pytest.mark.parametrize("path", BLINDED, ids=lambda p: p.stem)
def test_unblinded_pharmacy_differs_across_arms(path):
    """The pharmacy sees the arm, so its output differs: the masking test is not trivially true."""
    assert render(path, "pharmacy", "active") != render(path, "pharmacy", "placebo")


@pytest.mark.parametrize("name", ["proderm", "might", "lim-2021"])
def test_json_without_orjson_is_the_same_bytes(monkeypatch, name):
    """The standard library's writer (used where orjson is missing) gives the same bytes as
    orjson for every view, so the JSON contract does not depend on which one ran."""
    from ivig_schedule.render import records

    assert records._orjson is not None
    outcome = jobs.run(jobs.Request(text=(SAMPLES / f"{name}.toml").read_text()))
    views = [plan_view(outcome.checked_plan(), v) for v in VIEWS]
    fast = [records.to_json(v) for v in views]
    monkeypatch.setattr(records, "_orjson", None)
    assert [records.to_json(v) for v in views] == fast
