"""`ivig-schedule check`: every input error and every limit breach at once, no plan written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ivig_schedule import catalog, engine, prescription
from ivig_schedule.errors import CatalogError, PrescriptionError
from ivig_schedule.fields import Fields
from ivig_schedule.guardrails import Limits

EXIT_OK, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 3


def _section_errors(data: Mapping[str, Any], default_timezone: str) -> list[PrescriptionError]:
    """Validate each section on its own so that one bad section does not hide another."""
    checks: list[Callable[[], object]] = [
        lambda: Fields(data, "").reject_unknown(prescription.TOP_KEYS),
        lambda: prescription.patient_from_table(Fields(data.get("patient"), "patient"),
                                                default_timezone),
        lambda: prescription.order_from_table(Fields(data.get("order"), "order")),
    ]
    if "product" in data:
        checks.append(lambda: catalog.product_from_mapping(data["product"], "product",
                                                           local=True))
    if "regimen" in data:
        checks.append(lambda: catalog.regimen_from_mapping(data["regimen"], "regimen"))
    errors = []
    for run in checks:
        try:
            run()
        except PrescriptionError as e:
            errors.append(e)
    return errors


def check_text(
    text: str | None,
    overrides: Mapping[str, Any],
    default_timezone: str,
    *,
    accepts: tuple[str, ...],
    reasons: tuple[str, ...],
    strict: bool,
    limits: Limits,
    today: dt.date,
) -> tuple[list[str], int]:
    """Lines to print and the exit code (0 plannable, 1 input errors, 3 refused)."""
    try:
        data = prescription.apply_overrides(
            prescription.load_toml(text) if text is not None else {}, overrides)
    except PrescriptionError as e:
        return [f"error: {e}"], EXIT_BAD_INPUT
    errors = _section_errors(data, default_timezone)
    if not errors:
        try:
            parsed = prescription.parse(data, default_timezone)
            assessment = engine.assess(parsed, limits, today)
        except (PrescriptionError, CatalogError) as e:
            errors.append(e)  # type: ignore[arg-type]
    if errors:
        return [f"error: {e}" for e in errors], EXIT_BAD_INPUT
    accepted = dict(zip(accepts, reasons, strict=True))
    lines = []
    code = EXIT_OK
    for breach in assessment.breaches:
        if breach.severity == "hard":
            lines.append(f"refuse: {breach.rule.id}: {breach.describe()}")
            code = EXIT_REFUSED
        elif breach.rule.id in accepted:
            lines.append(f"accepted: {breach.rule.id}: {breach.describe()} "
                         f"(reason: {accepted[breach.rule.id]})")
        else:
            lines.append(f"warn: {breach.rule.id}: {breach.describe()}")
            if strict:
                code = EXIT_REFUSED
    if assessment.plan is not None:
        lines.extend(f"warn: {w.code}: {w.message}" for w in assessment.plan.warnings)
    verdict = {EXIT_OK: "ok: the prescription would plan",
               EXIT_REFUSED: "refused: fix the breaches above (hard limits live in --limits)"}
    lines.append(verdict[code])
    return lines, code
