"""A verdict flattened into rows and sentences that every renderer shares."""

from __future__ import annotations

from dataclasses import dataclass

from peac.model.budget_changes import Kind, Reviewed
from peac.model.verdict import Limit, ObjectiveVerdict, Status, Verdict
from peac.report.limit_lines import limits_text
from peac.report.values import percent, show, spark

ICONS = {
    "pass": "✅",
    "warn": "⚠️",
    "fail": "❌",
    "no-baseline": "❔",
    "invalid": "⛔",
    "waived": "🔕",
    "approved": "✅",
    "note": "ℹ️",
}


@dataclass(frozen=True)
class Reason:
    """One sentence of a row's explanation, labelled by the tier that fired it (a warn limit
    is never shown as a failure) or ``note``."""

    label: str
    text: str

    @property
    def icon(self) -> str:
        return ICONS[self.label]


@dataclass(frozen=True)
class Row:
    group: str  # step, or "whole run"
    name: str
    key: bool
    base: str
    head: str
    delta: str
    bound: str
    history: str
    status: str
    icon: str
    why: list[Reason]
    model: str
    limits: str  # the budget's own limits for this objective


def change(v: ObjectiveVerdict) -> float | None:
    """The head against the expected value, signed as measured (throughput down is negative)."""
    base = v.baseline
    if base is None or v.value is None or base.expected == 0:
        return None
    return v.value / base.expected - 1.0


def _bound(v: ObjectiveVerdict) -> str:
    base = v.baseline
    if base is None:
        return "-"
    sign = "≤" if base.higher_is_worse else "≥"
    return f"{sign} {show(base.bound, v.objective.unit)}"


def why(v: ObjectiveVerdict, path: str) -> list[Reason]:
    """Sentences that explain the status: each fired limit with its evidence, then notes."""
    unit = v.objective.unit
    lines = []
    worst: dict[str, str] = {}
    for fired in v.fired:  # one sentence per kind of limit: the most severe tier that fired
        if worst.setdefault(fired.limit, fired.tier) != fired.tier:
            continue
        if fired.limit is Limit.BLIP:
            lines.append(Reason(fired.tier, fired.message))
            continue
        setting = fired.setting
        where = f"{path}:{v.objective.line_of(setting)}"
        if fired.limit in (Limit.REGRESSION, Limit.DEFAULT):
            base = v.baseline
            expected = show(base.expected if base else None, unit)
            p = f"p={v.p_adjusted:.3g}" if v.p_adjusted is not None else ""
            lines.append(
                Reason(
                    fired.tier,
                    f"{show(v.value, unit)} is {percent(change(v))} against the expected "
                    f"{expected} ({v.test}, {p} after correction), beyond "
                    + (
                        f"the minimum effect {fired.threshold * 100:g}% (default regression "
                        f"check at {fired.tier}; set regression: off to turn it off) ({where})"
                        if fired.limit is Limit.DEFAULT
                        else f"{setting} {fired.threshold * 100:g}% ({where})"
                    ),
                ),
            )
        else:
            lines.append(
                Reason(
                    fired.tier,
                    f"{show(v.value, unit)} is {fired.message} {setting} "
                    f"{show(fired.threshold, unit)} ({where})",
                )
            )
    label = v.status if v.status in ("invalid", "no-baseline", "waived") else "note"
    said = {reason.text for reason in lines}
    lines += [Reason(label, note) for note in v.notes if note not in said]
    if v.status is Status.WAIVED:  # what fired is shown, but the waiver decides the row
        lines = [Reason("waived", r.text) for r in lines]
        lines.sort(key=lambda r: not r.text.startswith("waived by"))
    return lines


def change_reason(reviewed: Reviewed) -> Reason:
    """One budget change of the review as a sentence: ``fail`` when it blocks the gate."""
    change = reviewed.change
    if reviewed.blocked:
        what = {
            Kind.REMOVED: "objective removed without approval",
        }.get(change.kind, "budget loosened without approval")
        if change.setting == "waiver":
            what = "not applied without approval"
        elif change.setting == "budget file":
            what = (
                "read through a link without approval (the file in the diff is not the one judged)"
                if change.after.startswith("a link to ")
                else "moved without approval"
            )
        elif change.setting == "scenario":
            what = "judges another scenario without approval"
        return Reason("fail", f"{change.text} ({change.location}): {what}")
    if reviewed.approved_by:
        return Reason(
            "approved",
            f"{change.text} ({change.location}): {change.kind}, approved by {reviewed.approved_by}",
        )
    detail = f", {reviewed.why}" if reviewed.why else ""
    return Reason("note", f"{change.text} ({change.location}): {change.kind}{detail}")


def change_reasons(verdict: Verdict) -> list[Reason]:
    """The budget's changes, the ones that block the gate first."""
    reasons = [change_reason(r) for r in verdict.changes]
    order = {"fail": 0, "approved": 1, "note": 2}
    return sorted(reasons, key=lambda r: order[r.label])


def rows(verdict: Verdict, budget_path: str) -> list[Row]:
    out = []
    for v in verdict.objectives:
        o = v.objective
        base = v.baseline
        recent = v.reference.recent if v.reference else ()
        out.append(
            Row(
                group=o.step or "whole run",
                name=o.name,
                key=o.key,
                base=show(base.expected if base else None, o.unit),
                head=show(v.value, o.unit),
                delta=percent(change(v)),
                bound=_bound(v),
                history=spark(recent[-20:], v.value),
                status=v.status,
                icon=ICONS[v.status],
                why=why(v, budget_path),
                model=base.describe() if base else "",
                limits=limits_text(o),
            )
        )
    return out


def groups(all_rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in all_rows:
        grouped.setdefault(row.group, []).append(row)
    return grouped
