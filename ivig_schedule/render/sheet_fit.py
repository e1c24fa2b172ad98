"""How many vital-sign rows fit on a day's sheet: the page's height budget, in millimetres.

The sheet is printed by WeasyPrint and by browsers, so the HTML must be split into pages
before any layout engine sees it. This module estimates the height of every block of a day's
page from what it holds (lines of text, table rows) with the sizes the template sets, and
leaves the rest of the page to the vital-signs grid. The estimate is deliberately generous
(text is assumed wider than it is, a margin is kept), so a page it accepts always fits; the
slow sheet tests print the matrix of ladders, roles, arms, papers and languages in WeasyPrint
and Chromium and count the pages. These are layout sizes, not clinical numbers.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

PAPER_HEIGHT_MM = {"a4": 297.0, "letter": 279.4}
PAPER_WIDTH_MM = {"a4": 210.0, "letter": 215.9}
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_SIDE_MM = 8.0, 7.0, 11.0
"""The template's ``@page`` margins."""
SAFETY_MM = 3.5
CHART_ASPECT = 48 / 120
"""The step chart's height to its width (`render.sheet.CHART`)."""
"""Kept free at the foot of every page: the estimate's margin of error."""
MM_PER_PT = 25.4 / 72
ADVANCE_EM = {
    False: (
    0.318, 0.401, 0.46, 0.838, 0.636, 0.95, 0.78, 0.275, 0.39, 0.39, 0.5, 0.838, 0.318, 0.361,
    0.318, 0.337, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.337,
    0.337, 0.838, 0.838, 0.838, 0.531, 1.0, 0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775,
    0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611,
    0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.39, 0.337, 0.39, 0.838, 0.5, 0.5, 0.613, 0.635,
    0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612,
    0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337,
    0.636, 0.838),
    True: (
    0.348, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.38,
    0.415, 0.38, 0.365, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696,
    0.4, 0.4, 0.838, 0.838, 0.838, 0.58, 1.0, 0.774, 0.762, 0.734, 0.83, 0.683, 0.683, 0.821,
    0.837, 0.372, 0.372, 0.775, 0.637, 0.995, 0.837, 0.85, 0.733, 0.85, 0.77, 0.72, 0.682,
    0.812, 0.774, 1.103, 0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838, 0.5, 0.5, 0.675,
    0.716, 0.593, 0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042, 0.712,
    0.687, 0.716, 0.716, 0.493, 0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652, 0.582, 0.712,
    0.365, 0.712, 0.838),
}
"""The advance of each printable ASCII character (space to tilde), in em, of DejaVu Sans 2.37
Book and Bold (the fonts' ``hmtx`` tables over 2048 units per em): the template's first font,
and wider than its fallbacks, so text measured with it takes at most the lines it is given."""
OTHER_EM = 0.85
"""Any other character (accented letters, ×, ·, °, ₂): as wide as the widest of them; a
no-break space is as wide as a space."""
BREAKS = " "
"""Where a line may break: at a space (a no-break space keeps a number with its unit)."""


def width_mm(text: str, size_pt: float, bold: bool = False) -> float:
    """How wide `text` is set at `size_pt`, in millimetres."""
    table = ADVANCE_EM[bold]
    em = sum(table[ord(c) - 32] if 32 <= ord(c) < 127 else table[0] if c == "\u00a0"
             else OTHER_EM for c in text)
    return em * size_pt * MM_PER_PT


def lines(text: str, box_mm: float, size_pt: float, bold: bool = False) -> int:
    """The lines `text` takes in a box `box_mm` wide, broken at spaces as a browser does (a
    word wider than the box takes a line of its own; at least one line)."""
    space = width_mm(" ", size_pt, bold)
    count, used = 1, 0.0
    for word in text.split(BREAKS):
        wide = width_mm(word, size_pt, bold)
        if used and used + space + wide > box_mm:
            count, used = count + 1, wide
        else:
            used = used + space + wide if used else wide
    return count


@attrs.frozen
class PageContent:
    """What a day's page holds, as far as its height depends on it.

    Attributes:
        banners: The texts of the bold boxes at the top (unblinded, given); none for most.
        warnings: The warning paragraphs (the first with its run-in heading).
        regimen: The regimen's name (a facts cell a third of the width).
        weights: The facts table's weights line ("" when the view has none).
        prepare: What to prepare (a paragraph).
        checks: The two "before the start" texts (62 % of the width).
        steps: Pump steps on the page (0 on a continuation page).
        step_columns: 1, or 2 when the steps are set in two halves.
        total: The steps table's total label ("Total (never above … mL/h)").
        offsets: The clocks change during the visit (times carry a second line).
        lots: Lot and expiry rows (two vial sizes a row).
        lot_labels: The longest lot label and the expiry label (20 % and 14 % wide).
        signatures: The three signature labels (17 %, 17 % and 14 % wide).
        foot: The foot line.
        continuation: A page that carries only more vital-sign rows.
    """

    banners: tuple[str, ...]
    warnings: tuple[str, ...]
    regimen: str
    weights: str
    prepare: str
    checks: tuple[str, ...]
    steps: int
    step_columns: int
    total: str
    offsets: bool
    lots: int
    lot_labels: tuple[str, str]
    signatures: tuple[str, str, str]
    foot: str
    continuation: bool = False


ROW_MM = 4.0
"""A one-line table row at 9.5-10 pt (line, padding, border)."""
LINE_MM = {9.0: 3.85, 9.5: 3.95, 10.0: 4.25, 11.0: 4.7}
"""A line's height at a font size (line-height 1.15-1.2)."""
WARNING_LINE_MM = 3.55
"""A warning's line: 9 pt, line-height 1.1."""
H2_MM = 5.9
STEPS_HEADER_MM = 4.8
RECORD_ROW_MM = 5.6
"""A one-line row with a writing box (5.2 mm, padding, border)."""
VITALS_ROW_MM = 5.65
VITALS_OFFSET_ROW_MM = 7.8
VITALS_HEADER_MM = 5.2
WHEN_SHARE = {"a4": 32.0, "letter": 33.0}
PLAN_SHARE = {"a4": 11.0, "letter": 10.5}
INITIALS_SHARE = {"a4": 12.0, "letter": 11.5}
"""The vital-signs grid's "when", planned-time and initials columns, in % of a column's
width on each paper (without UTC offsets): the planned time "10:30" needs 9.8 mm with its
padding and "Paraaf" 11 mm, and on Letter's wider page "Step 2: 114.6 mL/h" fits on one
line."""
CELL_LOSS_MM = 1.3
"""A cell's width its text cannot use: padding (0.5 mm), its share of the borders (0.4 mm),
and 0.4 mm kept so that a text the width table puts just inside is not wrapped in print."""
CONTINUES_MM = 5.0
"""The line that says the vital signs go on over the page."""


def _fixed_mm(page: PageContent, paper: str) -> float:
    """The page's height less the vital-sign rows."""
    width = PAPER_WIDTH_MM[paper] - 2 * MARGIN_SIDE_MM
    height = 6.0 + 6.2  # the running header; the heading
    for banner in page.banners:
        height += lines(banner, width - 5, 11.0, bold=True) * LINE_MM[11.0] + 4.6
    height += H2_MM + VITALS_HEADER_MM  # the vital signs' heading and header row
    if page.continuation:
        return height + 2 * LINE_MM[9.0] + 2.0  # the "continues" line and the foot
    if page.warnings:
        height += 3.6  # the box (its heading runs in before the first warning)
        height += sum(lines(w, width - 4.2, 9.0) * WARNING_LINE_MM + 0.6
                      for w in page.warnings)
    facts = ((2 + page.offsets) * ROW_MM
             + lines(page.regimen, width * 0.33 - 1, 9.5) * LINE_MM[9.5] + 0.9)
    if page.weights:
        facts += lines(page.weights, width * 0.83 - 1, 9.5) * LINE_MM[9.5] + 0.9
    height += facts
    height += H2_MM + lines(page.prepare, width, 10.0) * LINE_MM[10.0]
    table_width = width * (0.33 if page.step_columns > 1 else 0.56) - 2
    rows = math.ceil(page.steps / page.step_columns)
    step_row = LINE_MM[9.5] * (2 if page.offsets else 1) + 0.8
    total = lines(page.total, table_width * 0.57 - 1.2, 9.5, bold=True) * LINE_MM[9.5] + 0.8
    table = STEPS_HEADER_MM + rows * step_row + total
    chart = (width * (0.34 if page.step_columns > 1 else 0.44) - 3) * CHART_ASPECT
    height += H2_MM + max(table, chart)
    height += H2_MM + sum(max(lines(c, width * 0.62 - 2, 10.0) * LINE_MM[10.0] + 0.9,
                              RECORD_ROW_MM)
                          for c in page.checks)
    lot_row = max(RECORD_ROW_MM, *(lines(label, width * share - 2, 10.0) * LINE_MM[10.0] + 0.9
                        for label, share in zip(page.lot_labels, (0.20, 0.14), strict=True)))
    signature_row = max(RECORD_ROW_MM, *(lines(label, width * share - 2, 10.0) * LINE_MM[10.0] + 0.9
                              for label, share in zip(page.signatures, (0.17, 0.17, 0.14),
                                                      strict=True)))
    height += H2_MM + RECORD_ROW_MM + page.lots * lot_row + 10.6 + signature_row
    height += 1.0 + lines(page.foot, width, 9.0) * LINE_MM[9.0]
    return height


def _row_mm(when: str, page: PageContent, paper: str) -> float:
    """A vital-signs row: one writing line, or as many lines as its "when" takes."""
    table = (PAPER_WIDTH_MM[paper] - 2 * MARGIN_SIDE_MM) * 0.5
    share = 0.28 if page.offsets else WHEN_SHARE[paper] / 100
    text = lines(when, table * share - CELL_LOSS_MM, 9.0) * LINE_MM[9.0] + 0.9
    return max(VITALS_OFFSET_ROW_MM if page.offsets else VITALS_ROW_MM, text)


def halves(rows: list[Any], most_in_one: int) -> list[list[Any]]:
    """`rows` in one column, or beyond `most_in_one` in two halves side by side (the first
    half the longer): how the sheet sets its steps and its vital-sign rows."""
    if len(rows) <= most_in_one:
        return [rows]
    half = (len(rows) + 1) // 2
    return [rows[:half], rows[half:]]


def _grid_mm(heights: list[float]) -> float:
    """The grid's height: its taller column."""
    columns: list[list[float]] = halves(heights, VITALS_PER_COLUMN)
    return max(sum(column) for column in columns)


def vitals_rows_that_fit(page: PageContent, paper: str, whens: list[str]) -> int:
    """How many of a day's vital-sign checks (their "when" texts, in order) its page holds:
    all when they fit; else as many as fit with the line saying they go on over the page
    (at least one, so a page always moves the day on)."""
    free = (PAPER_HEIGHT_MM[paper] - MARGIN_TOP_MM - MARGIN_BOTTOM_MM - SAFETY_MM
            - _fixed_mm(page, paper))
    heights = [_row_mm(when, page, paper) for when in whens]
    if _grid_mm(heights) <= free:
        return len(heights)
    fits = 1
    for count in range(len(heights) - 1, 1, -1):
        if _grid_mm(heights[:count]) <= free - CONTINUES_MM:
            fits = count
            break
    return fits


VITALS_PER_COLUMN = 5
"""Vital-sign rows before the grid is set in two columns side by side."""
