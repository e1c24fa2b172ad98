"""The 2016 ACR/EULAR Total Improvement Score (TIS) for adult dermatomyositis and polymyositis.

Source: Rider et al., Rheumatology 2017;56:1884-93, Table 3 (points), and Aggarwal et al., Ann
Rheum Dis 2017;76:792-801 (the adult thresholds: minimal ≥ 20, moderate ≥ 40, major ≥ 60).

Each of the six core set measures earns points by its *percent improvement* (negative is
worsening). A band edge belongs to the lower band: "> 5-15 %" starts just above 5. How to turn
raw scores into a percent improvement is not confirmed in the project's sources, so the input is
the percent improvement itself.
"""

from __future__ import annotations

from decimal import Decimal

from ivig_schedule.model.changes import Score, TisInput
from ivig_schedule.model.vocabulary import TIS_MEASURES

MEASURES = TIS_MEASURES
EDGES = (Decimal(5), Decimal(15), Decimal(25), Decimal(40))
"""Upper edges (inclusive) of the bands below the top, in percent improvement."""
MMT_EDGES = (Decimal(2), Decimal(10), Decimal(20), Decimal(30))
POINTS: dict[str, tuple[Decimal, ...]] = {
    "physician_global": tuple(map(Decimal, ("0", "7.5", "15", "17.5", "20"))),
    "patient_global": tuple(map(Decimal, ("0", "2.5", "5", "7.5", "10"))),
    "mmt": tuple(map(Decimal, ("0", "10", "20", "27.5", "32.5"))),
    "haq": tuple(map(Decimal, ("0", "5", "7.5", "7.5", "10"))),
    "enzyme": tuple(map(Decimal, ("0", "2.5", "5", "7.5", "7.5"))),
    "extramuscular": tuple(map(Decimal, ("0", "7.5", "12.5", "15", "20"))),
}
"""Points per band, lowest band first (Rider et al. 2017, Table 3)."""
CLASSES = ((Decimal(60), "major"), (Decimal(40), "moderate"), (Decimal(20), "minimal"))
"""Adult thresholds, highest first; below 20 is ``none``."""


def points(measure: str, improvement_percent: Decimal) -> Decimal:
    """Points for one measure's percent improvement (an edge belongs to the lower band)."""
    edges = MMT_EDGES if measure == "mmt" else EDGES
    band = sum(1 for edge in edges if improvement_percent > edge)
    return POINTS[measure][band]


def classify(total: Decimal) -> str:
    """``major``, ``moderate``, ``minimal`` or ``none``."""
    return next((name for floor, name in CLASSES if total >= floor), "none")


def score(measures: TisInput) -> Score:
    """The total and class for the six measures' percent improvements."""
    earned = tuple((m, points(m, getattr(measures, m))) for m in MEASURES)
    total = sum((p for _, p in earned), Decimal(0))
    return Score(total=total, klass=classify(total), points=earned)
