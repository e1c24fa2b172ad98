"""ivig-schedule: plan IVIg courses as whole-vial doses, pump steps and calendars.

This is decision support. A pharmacist verifies every plan before anything is dispensed.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ivig-schedule")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"
