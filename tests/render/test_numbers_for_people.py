"""Numbers people read are written the ISMP way in every human output of every sample and view:
no trailing zero after a decimal point ("48 mL/h", never "48.0 mL/h"), and no bare leading point
(".5"). Machine formats (JSON, CSV, FHIR) keep their numbers and are not checked here."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs
from ivig_schedule.model.numbers import written
from ivig_schedule.model.vocabulary import VIEWS

from ..helpers import SAMPLES

TODAY = __import__("datetime").date(2026, 12, 3)
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.toml"))
TRAILING_ZERO = re.compile(r"(?<![\w.])\d+\.\d*0(?![\d\w])")
BARE_POINT = re.compile(r"(?<![\w.\d])\.\d")


def ics_text(data: bytes) -> str:
    """The text people read in a calendar: SUMMARY, DESCRIPTION and LOCATION, unfolded and
    unescaped (VERSION:2.0 and other properties are for programs)."""
    unfolded = data.decode("utf-8").replace("\r\n ", "")
    keep = [line.split(":", 1)[1] for line in unfolded.split("\r\n")
            if line.startswith(("SUMMARY", "DESCRIPTION", "LOCATION"))]
    return "\n".join(keep).replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")


def sheet_text(data: bytes) -> str:
    """The words of a sheet: tags, styles and attribute values left out."""
    text = data.decode("utf-8")
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def human_outputs(name: str, view: str) -> dict[str, str]:
    request = jobs.Request(text=(SAMPLES / f"{name}.toml").read_text(), today=TODAY)
    found = {}
    for fmt in ("table", "ics"):
        written_out = outputs.plan(request, fmt, view)  # type: ignore[arg-type]
        assert written_out.data is not None, written_out.failure
        found[fmt] = (ics_text(written_out.data) if fmt == "ics"
                      else written_out.data.decode("utf-8"))
    if view in ("pharmacy", "nurse"):  # the infusion sheet is for the roles at the pump
        sheet = outputs.sheet(request, view)  # type: ignore[arg-type]
        assert sheet.data is not None, sheet.failure
        found["sheet"] = sheet_text(sheet.data)
    if view == "pharmacy":
        explained = outputs.explain(request)
        assert explained.data is not None
        found["explain"] = explained.data.decode("utf-8")
        found["check"] = outputs.check(request).data.decode("utf-8")  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_no_trailing_zero_or_bare_point_in_any_human_output(name, view):
    """Table, calendar text, sheet, explain and check of each sample in each view: not one
    number like 48.0, 2.50 or .5."""
    for fmt, text in human_outputs(name, view).items():
        zeros = sorted(set(TRAILING_ZERO.findall(text)))
        assert not zeros, (fmt, zeros[:10])
        assert not BARE_POINT.findall(text), fmt


@pytest.mark.parametrize(("value", "text"), [
    ("48.0", "48"), ("400.0", "400"), ("0.50", "0.5"), ("2.5", "2.5"), ("1E+3", "1000"),
    ("0.0125", "0.0125"), ("0", "0"), ("0.00", "0"), ("192.00", "192"), ("86.25", "86.25")])
def test_the_one_formatter_for_people(value, text):
    """Checked by hand: no trailing zero, a leading zero, no exponent, nothing rounded."""
    assert written(Decimal(value)) == text
