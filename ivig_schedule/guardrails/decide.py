"""Breaches → one decision: ok, warn or refuse. The one place a breach becomes a refusal.

``plan``, ``check``, ``explain``, ``change`` and every roster row take their verdict from
`decide`, so they cannot disagree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from attrs import frozen

from ivig_schedule.guardrails.rules import Breach
from ivig_schedule.model.errors import RefusedBySafetyRule
from ivig_schedule.model.limits import ENGINE_QUANTITY, FLAG, Limits, Rule, RuleOutcome
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import Finding, Override

Verdict = Literal["ok", "warn", "refused"]


@frozen
class Decision:
    """What the breaches mean for this plan, decided once for plan, check and explain.

    Attributes:
        status: ``ok`` (nothing to say), ``warn`` (plans, with warnings) or ``refused``.
        breaches: Every breach, hard first.
        refusals: The breaches that refuse: every hard one, and under ``--strict`` every
            unacknowledged soft one.
        warnings: Soft breaches not acknowledged, as findings (and unused ``--accept``s).
        overrides: Soft breaches acknowledged with a reason.
        accepted: The ``--accept`` rule ids and their reasons.
        strict: Whether ``--strict`` was given.
    """

    status: Verdict
    breaches: tuple[Breach, ...]
    refusals: tuple[Breach, ...]
    warnings: tuple[Finding, ...]
    overrides: tuple[Override, ...]
    accepted: tuple[tuple[str, str], ...]
    strict: bool

    def outcome_of(self, breach: Breach) -> str:
        """``hard``, ``accepted`` or ``soft`` for one breach (``ok`` rules have none)."""
        if breach.severity == "hard":
            return "hard"
        return "accepted" if breach.rule.id in dict(self.accepted) else "soft"

    def refusal(self) -> RefusedBySafetyRule:
        """The error that speaks for a refused decision: the first refusing breach."""
        assert self.refusals, "only a refused decision has a refusal"
        breach = self.refusals[0]
        reasons = dict(self.accepted)
        if breach.severity == "soft" and breach.rule.needs_reason:
            note = "; this limit needs a recorded reason: acknowledge it with --accept " \
                   f"{breach.rule.id} --reason TEXT"
        elif breach.severity == "soft":
            note = "; --strict refuses unacknowledged soft limits: acknowledge it with --accept " \
                   f"{breach.rule.id} --reason TEXT"
        elif breach.rule.id in reasons:
            note = ("; hard limits cannot be overridden from the command line: "
                    "change them in your own --limits file")
        else:
            note = ""
        others = len(self.refusals) - 1
        if others:
            note += f"; {others} more: run `ivig-schedule check`"
        flag = breach.rule.unit == FLAG
        if breach.rule.quantity == ENGINE_QUANTITY:
            value, message = breach.describe(), note.removeprefix("; ")
        elif flag:
            value, message = breach.where, breach.rule.says(breach.direction) + note
        else:
            more = f" and {breach.count - 1} more" if breach.count > 1 else ""
            value = f"{plain(breach.value)}{breach.unit} ({breach.where}{more})"
            message = breach.rule.says(breach.direction) + note
        return RefusedBySafetyRule(
            breach.rule.id, value, "" if flag else f"{plain(breach.limit)}{breach.unit}",
            breach.rule.source, message, breach.direction, breach.severity)


def rule_outcomes(limits: Limits, measured: frozenset[str],
                  decision: Decision) -> tuple[RuleOutcome, ...]:
    """Every rule whose quantity was measured, with what it concluded."""
    by_rule = {b.rule.id: b for b in decision.breaches}
    reasons = dict(decision.accepted)
    rows = []
    for rule in limits.rules:
        if rule.quantity not in measured:
            continue
        breach = by_rule.get(rule.id)
        outcome = "ok" if breach is None else decision.outcome_of(breach)
        rows.append(RuleOutcome(rule, outcome, breach.describe() if breach else "",
                                reasons.get(rule.id, "") if outcome == "accepted" else ""))
    return tuple(rows)


def finding_breach(finding: Finding) -> Breach:
    """A soft engine warning (DST shift, ladder fallback …) as a soft breach, decided alike."""
    rule = Rule(id=finding.code, quantity=ENGINE_QUANTITY, unit=FLAG, message=finding.message,
                source=finding.source or "ivig-schedule engine", upper_soft=Decimal(0))
    return Breach(rule, "soft", Decimal(1), Decimal(0), "plan", "above")


def decide(breaches: tuple[Breach, ...], accepted: tuple[tuple[str, str], ...],
           strict: bool) -> Decision:
    """Hard refuses; soft warns, or is an override when accepted; ``--strict`` refuses soft,
    and a soft limit that needs a reason refuses until it has one."""
    reasons = dict(accepted)
    ordered = tuple(sorted(breaches, key=lambda b: b.severity != "hard"))
    hard = tuple(b for b in ordered if b.severity == "hard")
    soft = tuple(b for b in ordered if b.severity == "soft")
    unacknowledged = tuple(b for b in soft if b.rule.id not in reasons)
    overrides = tuple(
        Override(b.rule.id, b.describe() if b.rule.unit == FLAG else f"{plain(b.value)}{b.unit}",
                 "" if b.rule.unit == FLAG else f"{plain(b.limit)}{b.unit}",
                 reasons[b.rule.id])
        for b in soft if b.rule.id in reasons
    )
    broken = {b.rule.id for b in soft}
    warnings = tuple(Finding(b.rule.id, b.describe()) for b in unacknowledged) + tuple(
        Finding("override.unused", f"--accept {rule} matched no soft breach; nothing recorded")
        for rule in reasons if rule not in broken
    )
    refusals = hard + (unacknowledged if strict else
                       tuple(b for b in unacknowledged if b.rule.needs_reason))
    status: Verdict = "refused" if refusals else ("warn" if soft else "ok")
    return Decision(status=status, breaches=ordered, refusals=refusals, warnings=warnings,
                    overrides=overrides, accepted=accepted, strict=strict)


