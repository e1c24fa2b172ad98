"""The sheet's page budget (`render.sheet_fit`), its page numbers and its type sizes, checked
without a layout engine (the slow sheet tests print the pages and count them)."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

import ivig_schedule.render
from ivig_schedule.render.language import language
from ivig_schedule.render.sheet import pages, to_html
from ivig_schedule.render.sheet_fit import PageContent, lines, vitals_rows_that_fit, width_mm
from ivig_schedule.views.views import plan_view

from .test_sheet import outcome

TEMPLATE_PATH = Path(ivig_schedule.render.__file__).parent / "templates" / "sheet.html.j2"


def test_text_width_comes_from_the_fonts_advances():
    """"Step" at 10 pt is S 0.635 + t 0.392 + e 0.615 + p 0.635 = 2.277 em, 2.277 × 10 pt ×
    25.4/72 mm = 8.03 mm; in bold S 0.720 + t 0.478 + e 0.678 + p 0.716 = 2.592 em, 9.14 mm."""
    assert width_mm("Step", 10) == pytest.approx(8.0327, abs=0.001)
    assert width_mm("Step", 10, bold=True) == pytest.approx(9.1440, abs=0.001)


@pytest.mark.parametrize(("box_mm", "expected"), [(14.2, 1), (14.0, 2), (6.0, 2)])
def test_text_breaks_at_spaces_only(box_mm, expected):
    """"aaa aaa" at 10 pt is 6.49 + 1.12 + 6.49 = 14.10 mm: one line in 14.2 mm, two in 14.0
    mm, and still two in 6 mm (a word wider than the box takes its own line, unbroken)."""
    assert lines("aaa aaa", box_mm, 10) == expected


def test_a_no_break_space_keeps_a_number_with_its_unit():
    """In a box narrower than any word, "Step 2: 96 mL/h" takes four lines, and three when the
    space before the unit is a no-break space."""
    assert lines("Step 2: 96 mL/h", 1, 9) == 4
    assert lines("Step 2: 96\u00a0mL/h", 1, 9) == 3


def _content(**changes: object) -> PageContent:
    base = PageContent(
        banners=(), warnings=(), regimen="2 g/kg every 4 weeks", weights="",
        prepare="Octagam 10%: 4 × 10 g (400 mL)", checks=("Weigh the patient", "Pump"),
        steps=4, step_columns=1, total="Total", offsets=False, lots=1,
        lot_labels=("Lot 10 g", "Expiry"),
        signatures=("Prepared by", "Checked by", "Infused by"), foot="foot")
    return attrs.evolve(base, **changes)


def test_rows_that_fit_are_all_or_a_page_full_and_never_none():
    """Eight checks fit a short page; 200 do not, on either paper: a page takes an even
    number of them (two columns), and exactly that many is a day that fits without going on
    (it has no "continues" line to make room for); a page crowded with 30 long warnings still
    takes one, so a day always moves on."""
    short = _content()
    assert vitals_rows_that_fit(short, "a4", ["Step 2: 96 mL/h"] * 8) == 8
    for paper in ("a4", "letter"):
        room = vitals_rows_that_fit(short, paper, ["Step 2 +30 min"] * 200)
        assert room % 2 == 0 and room > 10
        assert vitals_rows_that_fit(short, paper, ["Step 2 +30 min"] * room) == room
        assert vitals_rows_that_fit(short, paper, ["Step 2 +30 min"] * (room + 4)) < room + 4
    crowded = _content(warnings=("a very long warning " * 20,) * 30)
    assert vitals_rows_that_fit(crowded, "letter", ["Step 2 +30 min"] * 20) == 1


def test_a4_holds_more_rows_than_letter():
    """A4 is 17.6 mm taller than Letter: the same page holds more checks on A4."""
    many = ["Step 2 +30 min"] * 200
    assert (vitals_rows_that_fit(_content(), "a4", many)
            > vitals_rows_that_fit(_content(), "letter", many))


def test_pages_are_numbered_in_the_sheets_language():
    """ProDERM's course 2 has four days: "page 1 of 4" … "page 4 of 4", in Dutch "pagina 1
    van 4"; the HTML prints each label in its page's header line."""
    view = plan_view(outcome(), "nurse")
    sheets = [p for p in pages(view) if p["course"] == 2]
    assert len(sheets) == 4
    english = [p["page_label"] for p in pages(view, 2)]
    assert english == ["page 1 of 4", "page 2 of 4", "page 3 of 4", "page 4 of 4"]
    dutch = [p["page_label"] for p in pages(view, 2, language("nl"))]
    assert dutch == ["pagina 1 van 4", "pagina 2 van 4", "pagina 3 van 4", "pagina 4 van 4"]
    html = to_html(view, course=2, lang="nl")
    assert html.count('<span class="page-number">pagina ') == 4
    assert '<span class="page-number">pagina 3 van 4</span>' in html


def test_no_text_on_the_sheet_is_set_below_9_pt():
    """Every font size the sheet's style sets is 9 pt or more, but for the UTC offset under a
    planned time on a night the clocks change (7.5 pt, on a line of its own)."""
    css = TEMPLATE_PATH.read_text().split("</style>")[0]
    sizes = re.findall(r"([.\w#>\- ,]+)\{[^}]*font-size:\s*([\d.]+)pt", css)
    assert len(sizes) >= 8
    small = [(rule.strip(), float(size)) for rule, size in sizes if float(size) < 9]
    assert small == [(".vitals .offset", 7.5)]


def test_the_header_is_printed_by_the_page_not_by_margin_boxes():
    """The running header is a line of each page's own (Chromium prints no CSS margin
    boxes): no @top-left or @top-right rule, and each page starts with it."""
    html = to_html(plan_view(outcome(), "nurse"), course=1)
    assert "@top-left" not in html and "@top-right" not in html
    sections = html.split('<section class="page')[1:]
    assert len(sections) == 4
    assert all(s.split(">", 1)[1].lstrip().startswith('<div class="running">')
               for s in sections)
