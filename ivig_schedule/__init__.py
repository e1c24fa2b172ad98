"""ivig-schedule: plan IVIg courses as whole-vial doses, pump steps and calendars.

This is decision support. A pharmacist verifies every plan before anything is dispensed.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata only when asked for (fast start-up)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("ivig-schedule")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            return "0.0.0+unknown"
    raise AttributeError(name)
