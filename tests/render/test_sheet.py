"""The printed infusion sheet, checked in a real browser (headless Chromium): every step row is
there, nothing overflows the printable width, the chart has one segment per step, a print-to-PDF
has a page per infusion day, and its pages are not blank. Also: escaping, blinding, the PDF extra.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it); without it these tests skip
with a message outside CI and fail in CI.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.render.sheet import pages, to_html
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, needs_pdf

PRINTABLE_PX = {"a4": round((210 - 24) / 25.4 * 96), "letter": round((8.5 * 25.4 - 24) / 25.4 * 96)}
"""Page width less the 12 mm margins each side, in CSS pixels (96 per inch)."""
REPORT = """<pre id="layout-report"></pre><script>
const pages = [...document.querySelectorAll("section.page")].map((page) => {
  const box = page.getBoundingClientRect();
  let widest = 0;
  for (const el of page.querySelectorAll("*")) {
    widest = Math.max(widest, el.getBoundingClientRect().right - box.left);
  }
  return {
    course: page.dataset.course, day: page.dataset.day,
    stepRows: page.querySelectorAll("tr.step-row").length,
    segments: [...page.querySelectorAll("line.segment")].map(
      (l) => l.getBoundingClientRect().width),
    widest: widest, scroll: page.scrollWidth, client: page.clientWidth,
  };
});
document.getElementById("layout-report").textContent = JSON.stringify(pages);
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs Debian's chromium package)")
        pytest.skip("Chromium is not installed (apt-get install chromium): browser checks skipped")
    return found


def outcome(name: str = "proderm", **overrides: str):
    result = jobs.run(jobs.Request(text=(SAMPLES / f"{name}.toml").read_text(),
                                   overrides=overrides, default_timezone="UTC"))
    assert result.plan is not None, result.error
    return result.plan


def browse(tmp_path: Path, html: str, width: int, script: str = REPORT,
           report: str = "layout-report") -> list:
    """What `script` (which writes JSON into ``<pre id=report>``) reports of the sheet laid
    out by Chromium at `width` CSS pixels."""
    page = tmp_path / "sheet.html"
    page.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          f"--window-size={width},1200", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True)
    found = re.search(rf'<pre id="{report}">(.*?)</pre>', out.stdout, re.S)
    assert found, out.stdout[-500:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_rendered_pages_have_every_step_and_fit_the_width(tmp_path, paper):
    """In Chromium each day's page lists every pump step, draws one visible segment per step,
    and nothing is wider than the printable width."""
    view = plan_view(outcome(), "nurse")
    html = to_html(view, paper=paper)
    width = PRINTABLE_PX[paper]
    pages = browse(tmp_path, html, width)
    days = [(c, d) for c in view.courses for d in c.days]
    assert len(pages) == len(days) == 40
    for page, (_course, day) in zip(pages, days, strict=True):
        assert page["stepRows"] == len(day.steps)
        assert len(page["segments"]) == len(day.steps)
        assert all(w > 0 for w in page["segments"])
        assert page["widest"] <= width + 1, page
        assert page["scroll"] <= page["client"] + 1, page


def _pgm_dark_fraction(path: Path) -> float:
    """The share of dark pixels of a binary PGM (P5) image."""
    data = path.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header, path
    pixels = data[header.end():]
    return sum(1 for p in pixels if p < 128) / len(pixels)


@pytest.mark.slow
def test_print_to_pdf_has_a_page_per_day_and_none_is_blank(tmp_path):
    """Chromium's print-to-PDF of course 1 has 4 pages (one per day); each page, rendered to an
    image with pdftoppm, has ink on it."""
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have poppler-utils (.ci/run installs it)")
        pytest.skip("poppler-utils is not installed: PDF page checks skipped")
    html = tmp_path / "sheet.html"
    html.write_text(to_html(plan_view(outcome(), "nurse"), course=1), encoding="utf-8")
    pdf = tmp_path / "sheet.pdf"
    subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
                   capture_output=True, timeout=120, check=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"Pages:\s+4\b", info.stdout), info.stdout
    subprocess.run(["pdftoppm", "-gray", "-r", "30", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == 4
    for image in images:
        assert _pgm_dark_fraction(image) > 0.01, image


@pytest.mark.slow
def test_masked_sheet_is_identical_across_arms():
    """ProDERM masks the nurse: her sheet (HTML and PDF) is byte-identical for both arms."""
    needs_pdf()
    from ivig_schedule.render.sheet import to_pdf

    active = to_html(plan_view(outcome(arm="active"), "nurse"), course=1)
    placebo = to_html(plan_view(outcome(arm="placebo"), "nurse"), course=1)
    assert active == placebo
    assert "sodium chloride" not in active and "Octagam" not in active
    assert to_pdf(active) == to_pdf(placebo)


@pytest.mark.slow
def test_pdf_has_no_clock_time_and_is_repeatable():
    """The same input gives the same PDF bytes, with no creation date in the document."""
    needs_pdf()
    from ivig_schedule.render.sheet import to_pdf

    html = to_html(plan_view(outcome(), "pharmacy"), course=2)
    first, second = to_pdf(html), to_pdf(html)
    assert first == second
    assert b"/CreationDate" not in first and b"/ModDate" not in first


def test_everything_from_the_prescription_is_escaped(tmp_path):
    """A regimen name with markup is printed as text, not interpreted."""
    rx = tmp_path / "rx.toml"
    rx.write_text('[patient]\nid = "SH-1"\nweight_kg = 70\ntimezone = "UTC"\n[order]\n'
                  'product = "octagam-10"\n'
                  'start = "2027-03-01"\ndays_per_course = 3\n[regimen]\nid = "local"\n'
                  'name = "<script>alert(1)</script> & co"\nsource = "ward"\n'
                  '[[regimen.phase]]\nname = "c"\ndose_g_per_kg = 2\ndays = [3, 3]\n'
                  'weeks = [0]\n')
    result = CliRunner().invoke(cli, ["sheet", str(rx), "--view", "pharmacy", "--today",
                                      "2027-01-01"])
    assert result.exit_code == 0, result.output
    assert "<script>alert(1)" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in result.stdout


def test_missing_pdf_extra_is_a_clear_error(tmp_path):
    """Without WeasyPrint, --format pdf exits 1 naming the extra to install."""
    code = ("import sys\nsys.modules['weasyprint'] = None\n"
            "from ivig_schedule.cli.app import main\n"
            f"sys.argv = ['ivig-schedule', 'sheet', {str(SAMPLES / 'proderm.toml')!r}, '-f', "
            f"'pdf', '-o', {str(tmp_path / 'x.pdf')!r}, '--today', '2027-01-01']\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1
    assert "pip install 'ivig-schedule[pdf]'" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_sheet_for_one_course_and_a_course_that_does_not_exist():
    """--course 2 prints course 2's four days; --course 11 is an input error."""
    good = CliRunner().invoke(cli, ["sheet", str(SAMPLES / "proderm.toml"), "--course", "2",
                                    "--today", "2027-01-01"])
    assert good.stdout.count('<section class="page"') == 4
    bad = CliRunner().invoke(cli, ["sheet", str(SAMPLES / "proderm.toml"), "--course", "11",
                                   "--today", "2027-01-01"])
    assert bad.exit_code == 1
    assert "--course" in bad.stderr


def test_pharmacy_prepares_one_bag_alike_for_both_arms():
    """ProDERM's pharmacy sheet says the same for both arms (one sterile bag, labelled as study
    medication) and differs only in the contents; blinded courses are "Study infusion" sheets."""
    texts = {}
    for arm in ("active", "placebo"):
        html = to_html(plan_view(outcome(arm=arm), "pharmacy"), course=1)
        prepared = re.findall(r"Prepare one sterile bag of [^<]*", html)
        assert len(prepared) == 4
        texts[arm] = [p.split("Contents:")[0] for p in prepared]
        assert "IVIg infusion sheet" not in html
    assert texts["active"] == texts["placebo"]


@pytest.mark.parametrize(("name", "view", "marked"), [
    ("proderm", "pharmacy", True), ("proderm", "nurse", False),
    ("time-is-muscle", "nurse", True), ("2g-q4w", "pharmacy", False)])
def test_unblinded_sheets_say_so_on_every_page(name, view, marked):
    """Every page of a sheet for a role that sees the arm of a blinded trial says UNBLINDED;
    a masked role's sheet and a sheet of an open regimen do not."""
    html = to_html(plan_view(outcome(name), view))
    pages = html.count('<section class="page"')
    assert html.count("UNBLINDED: this sheet shows the trial arm") == (pages if marked else 0)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout)
    assert found, info.stdout
    return int(found.group(1))


def _poppler() -> None:
    if shutil.which("pdfinfo") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have poppler-utils (.ci/run installs it)")
        pytest.skip("poppler-utils is not installed: PDF page checks skipped")


LONG_LADDER = """[patient]
id = "LL-1"
weight_kg = {weight}
timezone = "Europe/Amsterdam"

[order]
start = 2027-10-29
start_time = "07:00"
days_per_course = 1
courses = 1

[product]
id = "ladder-8"
name = "Ladder test product (local)"
concentration_mg_per_ml = 100
vials_g = [1, 2.5, 5, 10, 20]
rate_unit = "mg/kg/min"
titration = [{rates}]
step_minutes = {step}
max_rate = {top}
source = "test"

[regimen]
id = "one-day"
source = "test"
[[regimen.phase]]
name = "course"
dose_g_per_kg = {dose}
days = [1, 1]
weeks = [0]
"""


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_one_page_per_infusion_day_in_weasyprint_and_chromium(tmp_path, paper):
    """Every sample in the nurse and pharmacy views, and generated days with ladders of up to
    8 steps lasting 1 to 10 hours (one crossing the night the clocks go back): the PDF has
    exactly as many pages as infusion days, in WeasyPrint and in Chromium's print."""
    needs_pdf()
    _poppler()
    from ivig_schedule.render.sheet import to_pdf

    cases = [(plan_view(outcome(name), view), f"{name}-{view}")
             for name in ("proderm", "might", "lim-2021", "time-is-muscle", "2g-q4w",
                          "loading-2g-then-1g-q3w") for view in ("nurse", "pharmacy")]
    eight = [str(Decimal(n) / 4) for n in range(1, 9)]
    for rates, step, weight, dose in ((["2", "4"], 15, 60, "0.2"), (eight, 15, 90, "0.3"),
                                      (eight, 30, 90, "0.5"), (eight[:5], 60, 110, "0.4"),
                                      (eight, 60, 70, "0.7")):
        text = LONG_LADDER.format(weight=weight, rates=", ".join(rates), step=step,
                                  top=rates[-1], dose=dose)
        result = jobs.run(jobs.Request(text=text))
        assert result.plan is not None, result.error
        day = result.plan.courses[0].days[0]
        assert len(day.steps) <= 8
        cases.append((plan_view(result.plan, "pharmacy"),
                      f"ladder-{len(rates)}x{step}-{weight}"))
    hours = sorted(v.courses[0].days[0].infusion_minutes / 60 for v, n in cases
                   if n.startswith("ladder"))
    assert hours[0] <= 1 and hours[-1] >= 9, hours  # a one-hour day and a nine-hour one
    for view, name in cases:
        days = sum(1 for c in view.courses for d in c.days if d.status in ("planned", "given"))
        html = to_html(view, paper=paper)
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(to_pdf(html))
        assert _pages(pdf) == days, (name, "weasyprint")
        if name.startswith(("proderm", "ladder")):  # Chromium is slow: a sample and the ladders
            page = tmp_path / f"{name}.html"
            page.write_text(html, encoding="utf-8")
            printed = tmp_path / f"{name}-chromium.pdf"
            subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                            "--no-pdf-header-footer", f"--print-to-pdf={printed}",
                            page.as_uri()], capture_output=True, timeout=120, check=True)
            assert _pages(printed) == days, (name, "chromium")




def ladder(steps: int, step_minutes: int, dose: str, arm: str | None = None,
           weight: int = 70) -> object:
    """A one-day plan with a ladder of `steps` rates rising evenly to 4 mg/kg/min, blinded
    with the trial arm `arm` (open-label when None)."""
    rates = [str((Decimal(k) * 4 / steps).quantize(Decimal("0.01")))
             for k in range(1, steps + 1)]
    text = LONG_LADDER.format(weight=weight, rates=", ".join(rates), step=step_minutes,
                              top=rates[-1], dose=dose)
    if arm is not None:
        text = text.replace("days = [1, 1]", "days = [1, 1]\nblinded = true")
        text += f'\n[trial]\narm = "{arm}"\n'
    result = jobs.run(jobs.Request(text=text))
    assert result.plan is not None, result.error
    assert len(result.plan.courses[0].days[0].steps) == steps
    return result.plan


LADDERS = [(n, minutes, "1") for n in (1, 4, 6, 7, 10, 12) for minutes in (15, 30)] + [
    (8, 60, "1.5")]
"""Ladders of 1 to 12 steps of 15 and 30 minutes (every catalog ladder has 30-minute steps),
the longest a 12 × 30 min ladder of about 7 hours, and an 8 × 60 min ladder of a day of 9 h
45 min (such a day used to print on two pages)."""


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_every_ladder_of_1_to_12_steps_prints_one_page_a_day_for_every_role_and_arm(
        tmp_path, paper):
    """For every ladder of `LADDERS`, open-label and blinded in both arms, in the nurse's and
    the pharmacy's view (the unblinded banner and two warnings included), in English and in
    Dutch: the sheet plans one page per infusion day and WeasyPrint prints exactly that; a
    sample of them printed by Chromium has as many pages too."""
    needs_pdf()
    _poppler()
    from ivig_schedule.render.language import language
    from ivig_schedule.render.sheet import to_pdf

    warned = 0
    for (steps, minutes, dose), arm in itertools.product(LADDERS, (None, "active", "placebo")):
        plan = ladder(steps, minutes, dose, arm)
        for role, lang in itertools.product(("nurse", "pharmacy"), ("en", "nl")):
            view = plan_view(plan, role)
            warned = max(warned, len(view.warnings))
            days = sum(1 for c in view.courses for d in c.days if d.status == "planned")
            planned = pages(view, None, language(lang), paper)
            assert len(planned) == days, (steps, minutes, arm, role, lang)
            html = to_html(view, paper=paper, lang=lang)
            pdf = tmp_path / "sheet.pdf"
            pdf.write_bytes(to_pdf(html))
            assert _pages(pdf) == days, (steps, minutes, arm, role, lang, "weasyprint")
            if role == "pharmacy" and lang == "nl" and arm == "active" and minutes != 15:
                page = tmp_path / "sheet.html"
                page.write_text(html, encoding="utf-8")
                printed = tmp_path / "chromium.pdf"
                subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                                "--no-pdf-header-footer", f"--print-to-pdf={printed}",
                                page.as_uri()], capture_output=True, timeout=120, check=True)
                assert _pages(printed) == days, (steps, minutes, arm, "chromium")
    assert warned >= 2  # the pages carried two warnings at least once


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_long_days_print_exactly_the_pages_the_sheet_plans(tmp_path, paper):
    """Days of 9 h 43 min and 11 h 6 min (12 steps of 15 and 30 min at 2 g/kg, 25-27 checks,
    some "when" cells on two lines), open-label and blinded, nurse and pharmacy, en and nl:
    WeasyPrint prints exactly the pages the sheet planned, continuation pages included, so no
    page ever spills over one the sheet did not head."""
    needs_pdf()
    _poppler()
    from ivig_schedule.render.language import language
    from ivig_schedule.render.sheet import to_pdf

    continued = 0
    for (steps, minutes), arm in itertools.product(((12, 15), (12, 30)), (None, "active")):
        plan = ladder(steps, minutes, "2", arm)
        for role, lang in itertools.product(("nurse", "pharmacy"), ("en", "nl")):
            view = plan_view(plan, role)
            planned = pages(view, None, language(lang), paper)
            continued += sum(1 for p in planned if p["continuation"])
            pdf = tmp_path / "sheet.pdf"
            pdf.write_bytes(to_pdf(to_html(view, paper=paper, lang=lang)))
            assert _pages(pdf) == len(planned), (steps, minutes, arm, role, lang)
    assert continued > 0  # some of these days did need a continuation page


def test_a_day_too_long_for_its_page_goes_on_over_a_named_page():
    """A 12 × 75 min ladder at 2 g/kg (a day of over 15 hours, 38 vital-sign checks): its
    vital signs go on over continuation pages that name the same course and day and say what
    they continue; the first page says so; every check is on exactly one page, in order; and
    the pages are numbered 1 to N."""
    from ivig_schedule.views.monitoring import vitals

    plan = ladder(12, 75, "2")
    view = plan_view(plan, "nurse")
    day = view.courses[0].days[0]
    sheets = [p for p in pages(view) if (p["course"], p["day"]) == (1, 1)]
    assert len(sheets) >= 2 and not sheets[0]["continuation"]
    assert all(p["continuation"] for p in sheets[1:])
    assert sheets[0]["continues"] == "The vital signs go on over the page (page 2)."
    assert sheets[1]["heading"] == ("IVIg infusion sheet · course 1, day 1 "
                                    "(continued: vital signs)")
    assert sheets[1]["running"] == sheets[0]["running"]
    whens = [r["when"] + r["keep"] for p in sheets for column in p["vitals"] for r in column]
    assert len(whens) == len(vitals(day)) == 38
    assert whens[0] == "Before start" and whens[-1] == "Observed until"
    everything = pages(view)
    assert [p["page_label"] for p in everything] == [
        f"page {i} of {len(everything)}" for i in range(1, len(everything) + 1)]


@pytest.mark.slow
def test_a_day_too_long_for_its_page_prints_every_page_with_its_header(tmp_path):
    """The 12 × 75 min day prints as many pages as the sheet plans, in WeasyPrint and
    Chromium, and every printed page carries its running header and "page i of N"."""
    needs_pdf()
    _poppler()
    from ivig_schedule.render.sheet import to_pdf

    view = plan_view(ladder(12, 75, "2"), "nurse")
    planned = pages(view)
    assert len(planned) == 2
    html = to_html(view)
    weasy = tmp_path / "weasy.pdf"
    weasy.write_bytes(to_pdf(html))
    page = tmp_path / "sheet.html"
    page.write_text(html, encoding="utf-8")
    chrome = tmp_path / "chromium.pdf"
    subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={chrome}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    for pdf in (weasy, chrome):
        assert _pages(pdf) == len(planned), pdf.name
        for number, sheet in enumerate(planned, start=1):
            text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number),
                                   str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout
            assert f"page {number} of {len(planned)}" in text, (pdf.name, number)
            assert f"course {sheet['course']}, day {sheet['day']} of" in text, (pdf.name, number)


def test_y_ticks_are_programmed_rates_and_never_overlap():
    """The chart's rate labels are rates the pump is set to (no halfway value), and no two are
    closer than a label's height."""
    from ivig_schedule.render.sheet import CHART, _chart

    for name in ("might", "proderm", "lim-2021"):
        view = plan_view(outcome(name), "nurse")
        for course in view.courses:
            for day in course.days:
                chart = _chart(day)
                rates = {str(s.rate_ml_per_h) for s in day.steps}
                labels = [t["label"] for t in chart["y_ticks"]]
                assert labels and all(
                    any(Decimal(label) == Decimal(r) for r in rates) for label in labels)
                ys = sorted(t["y"] for t in chart["y_ticks"])
                assert all(b - a >= CHART["font"] for a, b in itertools.pairwise(ys))


@pytest.mark.slow
def test_pdf_is_tagged_and_every_page_names_its_day(tmp_path):
    """The PDF is tagged (structure for screen readers), and every page's text carries the
    running header: the patient, the weekday and date, the course and day, page x of y."""
    needs_pdf()
    _poppler()
    from ivig_schedule.render.sheet import to_pdf

    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(to_pdf(to_html(plan_view(outcome(), "nurse"), course=2)))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"Tagged:\s+yes", info.stdout)
    for page in range(1, 5):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                               str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "PD-0042 · " in text and f"course 2, day {page} of 4" in text
        assert f"page {page} of 4" in text
        assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) 2027-",
                         text)


FALL_BACK = """[patient]
id = "D-1"
weight_kg = 80
timezone = "America/New_York"
[order]
product = "octagam-10"
regimen = "2g-q4w"
indication = "dermatomyositis"
start = 2027-11-07
start_time = "00:00"
days_per_course = 4
"""
"""New York's clocks go back at 02:00 EDT on 2027-11-07 (to 01:00 EST). 80 kg, 40 g a day:
48 mL/h × 30, 96 mL/h × 30, then 192 mL/h × 103 min from 01:00 EDT."""


def test_vital_signs_on_the_night_the_clocks_go_back_are_in_elapsed_time():
    """Step 3 starts at 01:00 EDT; its checks 30, 60 and 90 minutes later fall at 01:30 EDT,
    01:00 EST and 01:30 EST (02:00 EDT is 01:00 EST), the infusion ends 163 min after 00:00 EDT
    at 01:43 EST and the first-infusion observation ends 60 min later at 02:43 EST; every time
    carries its offset."""
    result = jobs.run(jobs.Request(text=FALL_BACK))
    assert result.plan is not None, result.error
    page = pages(plan_view(result.plan, "nurse"))[0]
    rows = [(r["when"] + r["keep"], r["at"], r["offset"]) for column in page["vitals"]
            for r in column]
    assert rows == [
        ("Before start", "00:00", "UTC-04:00"),
        ("Step 2: 96 mL/h", "00:30", "UTC-04:00"),
        ("Step 3: 192 mL/h", "01:00", "UTC-04:00"),
        ("Step 3 +30 min", "01:30", "UTC-04:00"),
        ("Step 3 +60 min", "01:00", "UTC-05:00"),
        ("Step 3 +90 min", "01:30", "UTC-05:00"),
        ("Infusion end", "01:43", "UTC-05:00"),
        ("Observed until", "02:43", "UTC-05:00"),
    ]
    second = pages(plan_view(result.plan, "nurse"))[1]  # 2027-11-08: no change, no offsets
    assert all(r["offset"] == "" for column in second["vitals"] for r in column)


CLIPPED = """<pre id="clip-report"></pre><script>
const cells = [...document.querySelectorAll("td.plan-time")].map((td) => ({
  text: td.innerText, scroll: td.scrollWidth, client: td.clientWidth,
  children: [...td.children].map((c) => c.getBoundingClientRect().right
                                     - td.getBoundingClientRect().right)}));
document.getElementById("clip-report").textContent = JSON.stringify(cells);
</script>"""


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_no_vital_signs_time_is_clipped_on_the_night_the_clocks_change(tmp_path, paper):
    """In Chromium every planned time of the vital-signs grid, with its UTC offset, fits its
    cell: nothing is wider than the cell it is written in."""
    result = jobs.run(jobs.Request(text=FALL_BACK))
    assert result.plan is not None, result.error
    html = to_html(plan_view(result.plan, "nurse"), paper=paper)
    cells = browse(tmp_path, html, PRINTABLE_PX[paper], CLIPPED, "clip-report")
    with_offsets = [c for c in cells if "UTC" in c["text"]]
    assert len(with_offsets) == 8  # the first day's eight checks
    for cell in cells:
        assert cell["scroll"] <= cell["client"], cell
        assert all(right <= 0.5 for right in cell["children"]), cell


OVERFLOW = """<pre id="overflow-report"></pre><script>
const wide = [];
for (const cell of document.querySelectorAll("td, th")) {
  const range = document.createRange();
  range.selectNodeContents(cell);
  if (cell.scrollWidth > cell.clientWidth + 0.5
      || range.getBoundingClientRect().right > cell.getBoundingClientRect().right + 0.5) {
    wide.push(cell.innerText);
  }
}
document.getElementById("overflow-report").textContent = JSON.stringify(wide);
</script>"""


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_no_label_or_value_is_wider_than_its_cell(tmp_path, paper):
    """In Chromium at the printable width, no table cell's text runs past its cell (the
    clipped "114.6 mL/", "Puls", "Para" and "Houdbaar tot" broken mid-word of before), on
    sheets with 5 and 12 steps (rates up to 242.2 mL/h, the steps in two halves) and on the
    night the clocks go back (times with their UTC offsets), in English and in Dutch, for the
    nurse and the pharmacy."""
    result = jobs.run(jobs.Request(text=FALL_BACK))
    assert result.plan is not None, result.error
    plans = [ladder(5, 30, "1", "active", weight=110), ladder(12, 30, "1", "active", weight=110),
             result.plan]
    for plan, role, lang in itertools.product(plans, ("nurse", "pharmacy"), ("en", "nl")):
        html = to_html(plan_view(plan, role), paper=paper, lang=lang)
        wide = browse(tmp_path, html, PRINTABLE_PX[paper], OVERFLOW, "overflow-report")
        assert wide == [], (role, lang)
    assert "242,2" in to_html(plan_view(plans[1], "nurse"), lang="nl")


def test_a_given_days_reprint_says_it_was_given_and_keeps_its_lot():
    """80 kg, 2 days a course: course 1 day 1 given on 2026-06-01 from lot L-1 (expiry
    2027-05-01). Its reprint says GIVEN on that date and prints the lot and expiry; course 1
    day 2, not yet given, says neither."""
    text = ('[patient]\nid = "H-7"\nweight_kg = 80\ntimezone = "Europe/Amsterdam"\n[order]\n'
            'product = "octagam-10"\nregimen = "2g-q4w"\nstart = "2026-06-01"\n'
            'days_per_course = 2\ncourses = 2\n'
            '\n[[change]]\non = 2026-06-01\nkind = "given"\nreason = "r"\ncourse = 1\nday = 1\n'
            'lot = "L-1"\nexpiry = 2027-05-01\n')
    plan = jobs.run(jobs.Request(text=text)).checked_plan()
    found = {(p["course"], p["day"]): p for p in pages(plan_view(plan, "pharmacy"))}
    html = to_html(plan_view(plan, "pharmacy"), course=1)
    assert "GIVEN on 2026-06-01 (recorded)" in found[(1, 1)]["given"]
    assert found[(1, 2)]["given"] == ""
    first = html.split('data-day="2"')[0]
    assert "GIVEN on 2026-06-01" in first and ">L-1<" in first and ">2027-05-01<" in first
    assert "GIVEN on" not in html.split('data-day="2"')[1]
