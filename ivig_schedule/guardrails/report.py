"""``check``'s report: every input error, every breach with its decision, and a verdict line."""

from __future__ import annotations

from collections.abc import Sequence

from ivig_schedule.guardrails.decide import Decision
from ivig_schedule.model.errors import PrescriptionError, RefusedBySafetyRule
from ivig_schedule.model.plan import Finding


def check_lines(errors: Sequence[PrescriptionError], decision: Decision | None,
                warnings: Sequence[Finding], refusal: RefusedBySafetyRule | None) -> list[str]:
    """One line per error or breach, then the verdict; the same decision ``plan`` acts on."""
    if errors:
        lines = [f"error: {e}" for e in errors]
        if decision is not None:
            lines.extend(f"refuse: {b.rule.id}: {b.describe()}" for b in decision.refusals)
        return [*lines, f"invalid: {len(errors)} input error(s); nothing would plan"]
    lines = []
    if decision is not None:
        reasons = dict(decision.accepted)
        for breach in decision.breaches:
            kind = decision.outcome_of(breach)
            if kind == "hard" or breach in decision.refusals:
                lines.append(f"refuse: {breach.rule.id}: {breach.describe()}")
            elif kind == "accepted":
                lines.append(f"accepted: {breach.rule.id}: {breach.describe()} "
                             f"(reason: {reasons[breach.rule.id]})")
            else:
                lines.append(f"warn: {breach.rule.id}: {breach.describe()}")
    shown = {line.split(": ", 2)[1] for line in lines}
    lines.extend(f"warn: {w.code}: {w.message}" for w in warnings if w.code not in shown)
    if refusal is None:
        return [*lines, "ok: the prescription would plan"]
    if decision is not None and decision.refusals and all(
            b.severity == "soft" for b in decision.refusals):
        hint = "--strict: acknowledge each soft limit with --accept RULE --reason TEXT"
    elif refusal is not None and decision is not None and not decision.refusals:
        return [*lines, f"refuse: {refusal}", "refused: see the rule above"]
    else:
        hint = "hard limits are changed only in your own --limits file"
    return [*lines, f"refused: {hint}"]
