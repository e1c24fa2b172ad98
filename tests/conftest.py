"""Shared fixtures: golden-file updating and small prescription builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivig_schedule import jobs
from ivig_schedule.input import prescription

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite the golden files in samples/ (check them by hand after).")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def make(overrides: dict[str, Any] | None = None, **sections: dict[str, Any]) -> Any:
    """A validated Prescription from a base order plus the given sections/overrides."""
    data: dict[str, Any] = {
        "patient": {"id": "T-1", "weight_kg": 80, "timezone": "America/New_York"},
        "order": {"product": "octagam-10", "regimen": "2g-q4w",
                  "indication": "dermatomyositis", "start": "2027-01-11",
                  "days_per_course": 4},
    }
    for name, values in sections.items():
        section = data.setdefault(name, {})
        section.update(values)
        for key in [k for k, v in section.items() if v is None]:
            del section[key]
    return prescription.parse(prescription.apply_overrides(data, overrides or {}), "UTC")


def checked(rx: Any, **options: Any) -> Any:
    """The checked plan of a prescription (warnings and overrides applied), or its error."""
    return jobs.assess(rx, **options).checked_plan()
