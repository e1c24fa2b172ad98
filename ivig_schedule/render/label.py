"""A blinded bag label as HTML (for a label printer's browser) or PDF. Computes no numbers."""

from __future__ import annotations

import html

from ivig_schedule.model.numbers import written
from ivig_schedule.views.label import CLINICAL_TRIAL_USE, LabelView

_STYLE = """@page { size: 100mm 70mm; margin: 3mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 8pt; margin: 0; }
h1 { font-size: 9pt; margin: 0 0 1mm; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: normal; color: #333; width: 28mm; vertical-align: top; }
td { font-weight: bold; vertical-align: top; }
p.use { margin: 1mm 0 0; font-weight: bold; text-transform: uppercase; }"""


def to_html(label: LabelView) -> str:
    """The label's HTML: every particular in a row, the trial-use statement last."""
    rows = (
        ("Trial", label.trial_code),
        ("Subject", label.subject),
        ("Treatment number", label.treatment_number),
        ("Visit", f"{label.visit} ({label.infusion_date.isoformat()})"),
        ("Contents", label.substance),
        ("Form and route", label.form_route),
        ("Volume", f"{written(label.volume_ml)} mL"),
        ("Code", label.code),
        ("Directions", label.directions),
        ("Storage", label.storage),
        ("Use by", label.use_by),
        ("Information and emergency unblinding", label.contact),
    )
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Bag label {html.escape(label.subject)} {html.escape(label.visit)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>Study medication</h1><table>{body}"
            f"</table><p class=\"use\">{CLINICAL_TRIAL_USE}</p></body></html>\n")


def to_pdf(label: LabelView) -> bytes:
    """The label as PDF (WeasyPrint, as the sheet)."""
    from ivig_schedule.render.sheet import to_pdf as pdf

    return pdf(to_html(label))
