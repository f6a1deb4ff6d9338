"""``peac budget-diff`` as text (one line per change at its file:line), Markdown (a table for
the pull request) and JSON. Every setting, name and path came from a file in a pull request:
escaped for the output it goes to."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peac.model.budget_changes import BudgetDiff, Reviewed
from peac.report import escape


@dataclass(frozen=True)
class BudgetDiffReport:
    base: str
    head: str
    diffs: Sequence[BudgetDiff]
    notes: Sequence[str] = ()


def _verdict(reviewed: Reviewed) -> str:
    if reviewed.needs_approval:
        return "needs approval"
    return reviewed.why


def _counts(report: BudgetDiffReport) -> str:
    counts: dict[str, int] = {}
    for diff in report.diffs:
        for r in diff.changes:
            counts[r.change.kind] = counts.get(r.change.kind, 0) + 1
    approval = sum(r.needs_approval for d in report.diffs for r in d.changes)
    parts = [f"{n} {kind}" for kind, n in sorted(counts.items())]
    if approval:
        parts.append(f"{approval} need approval")
    return ", ".join(parts) or "no budget changes"


def budget_diff_text(report: BudgetDiffReport) -> str:
    lines = [f"budget changes from {report.base} to {report.head}"]
    for diff in report.diffs:
        lines.append(f"{diff.path} (budget {diff.budget})")
        width = max(len(r.change.location) for r in diff.changes)
        for r in diff.changes:
            verdict = _verdict(r)
            lines.append(
                f"  {r.change.location.ljust(width)}  {r.change.kind:<9}  {r.change.text}"
                + (f"  [{verdict}]" if verdict else "")
            )
    lines += [f"note: {note}" for note in report.notes]
    lines.append(_counts(report))
    return escape.text_lines(lines)


def budget_diff_markdown(report: BudgetDiffReport) -> str:
    lines = [
        f"**peac budget-diff** · {escape.markdown(report.base)} → {escape.markdown(report.head)}"
        f": {escape.markdown(_counts(report))}",
    ]
    for diff in report.diffs:
        lines += [
            "",
            f"**{escape.markdown(diff.path)}** (budget {escape.markdown(diff.budget)})",
            "",
            "| line | change | setting | approval |",
            "|---:|---|---|---|",
        ]
        for r in diff.changes:
            cells = [str(r.change.line), r.change.kind, r.change.text, _verdict(r) or "-"]
            lines.append("| " + " | ".join(escape.markdown(c) for c in cells) + " |")
    lines += ["", *(f"> {escape.markdown(note)}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> float | str | None:
    if value is None:
        return None
    return value if math.isfinite(value) else str(value)


def budget_diff_data(report: BudgetDiffReport) -> dict[str, Any]:
    return {
        "base": report.base,
        "head": report.head,
        "budgets": [
            {
                "path": diff.path,
                "budget": diff.budget,
                "changes": [
                    {
                        "location": r.change.location,
                        "line": r.change.line,
                        "objective": r.change.objective,
                        "setting": r.change.setting,
                        "kind": r.change.kind,
                        "before": r.change.before,
                        "after": r.change.after,
                        "relative": _number(r.change.relative),
                        "tier": r.change.tier,
                        "text": r.change.text,
                        "needs_approval": r.needs_approval,
                        "why": r.why,
                    }
                    for r in diff.changes
                ],
            }
            for diff in report.diffs
        ],
        "notes": list(report.notes),
    }


def budget_diff_json(report: BudgetDiffReport) -> str:
    return json.dumps(budget_diff_data(report), indent=2) + "\n"
