"""The verdict as text (terminal), JSON (tools), JUnit XML (one testcase per objective) and
GitHub workflow annotations at the budget line of each objective that warned or failed."""

from __future__ import annotations

import json
import math
from typing import Any

from peac.model.budget_changes import Reviewed, Waiver
from peac.model.verdict import Status, Verdict
from peac.report import escape
from peac.report.context import GateContext
from peac.report.limit_lines import limits_text
from peac.report.verdict_rows import change_reasons, groups, rows


def verdict_text(verdict: Verdict, context: GateContext) -> str:
    all_rows = rows(verdict, context.budget_path)
    table = [("", "objective", "base", "head", "change", "bound", "history", "limits")]
    for group, items in groups(all_rows).items():
        table.append(("", f"[{group}]", "", "", "", "", "", ""))
        for r in items:
            name = r.name + (" (key)" if r.key else "")
            table.append(
                (r.status.upper(), name, r.base, r.head, r.delta, r.bound, r.history, r.limits)
            )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    for r in all_rows:
        lines += [f"{reason.label}: {r.name}: {reason.text}" for reason in r.why]
    lines += [f"{r.label}: budget change: {r.text}" for r in change_reasons(verdict)]
    lines += [f"{verdict.outcome}: {note}" for note in verdict.notes]
    lines += [f"note: {note}" for note in (*verdict.advice, *context.notes)]
    lines += [f"trend on {context.base}, not this change: {t}" for t in verdict.trends]
    head = context.head[:7] or "(uncommitted)"
    lines.append(
        f"head {head} vs {context.base} at {context.merge_base[:7] or '-'} "
        f"({history_used(context)})"
    )
    lines.append(f"{verdict.budget}: {verdict.headline}")
    return escape.text_lines(lines)


def history_used(context: GateContext) -> str:
    """How much history was used, in the numbers that were used."""
    read = context.history_commits
    used = context.commits_with_runs
    if used is None:
        return f"{read} commits of history"
    return f"{read} commits of history, {used} with runs of this scenario and testbed"


def _number(value: float | None) -> float | str | None:
    if value is None:
        return None
    return value if math.isfinite(value) else str(value)


def _waiver(waiver: Waiver | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "objective": waiver.objective,
        "budget": waiver.budget,
        "by": waiver.by,
        "reason": waiver.reason,
        "created": waiver.created.isoformat(),
        "expires": waiver.expires.isoformat(),
        "commit": waiver.commit,
        "location": waiver.location,
        "added_in_this_pull_request": waiver.added,
    }


def _change(reviewed: Reviewed) -> dict[str, Any]:
    change = reviewed.change
    return {
        "location": change.location,
        "objective": change.objective,
        "setting": change.setting,
        "kind": change.kind,
        "before": change.before,
        "after": change.after,
        "relative": _number(change.relative),
        "tier": change.tier,
        "text": change.text,
        "needs_approval": reviewed.needs_approval,
        "approved_by": reviewed.approved_by,
        "blocked": reviewed.blocked,
        "why": reviewed.why,
    }


def verdict_data(verdict: Verdict, context: GateContext) -> dict[str, Any]:
    objectives = []
    for v in verdict.objectives:
        base = v.baseline
        missing = v.missing
        objectives.append(
            {
                "name": v.objective.name,
                "metric": v.objective.metric,
                "stat": v.objective.stat,
                "step": v.objective.step,
                "key": v.objective.key,
                "status": v.status,
                "outcome": v.outcome,
                "value": _number(v.value),
                "runs": list(v.runs),
                "effect": _number(v.effect),
                "test": v.test,
                "p_value": _number(v.p_value),
                "p_adjusted": _number(v.p_adjusted),
                "significant": v.significant,
                "fired": [
                    {"tier": f.tier, "limit": f.limit, "threshold": f.threshold} for f in v.fired
                ],
                "notes": list(v.notes),
                "limits": limits_text(v.objective),
                "location": f"{context.budget_path}:{v.objective.source.line}",
                "baseline": None
                if base is None
                else {
                    "expected": base.expected,
                    "bound": base.bound,
                    "confidence": base.confidence,
                    "model": base.fit.name,
                    "explanation": base.describe(),
                    "commits": list(base.commits),
                    "since": base.since,
                    "excluded": list(base.excluded),
                    "drift": _number(base.drift),
                },
                "missing_baseline": None if missing is None else missing.reason,
                "history": list(v.reference.recent) if v.reference else [],
                "waiver": _waiver(v.waiver),
                "status_without_waiver": v.waived,
            }
        )
    return {
        "budget": verdict.budget,
        "outcome": verdict.outcome,
        "headline": verdict.headline,
        "invalid": verdict.invalid,
        "head": context.head,
        "base": context.base,
        "merge_base": context.merge_base,
        "testbed": context.testbed,
        "correction": verdict.correction,
        "alpha": round(verdict.alpha, 6),
        "min_effect": verdict.min_effect,
        "objectives": objectives,
        "budget_changes": [_change(r) for r in verdict.changes],
        "notes": list(verdict.notes),
        "advice": list(verdict.advice),
        "base_trends": list(verdict.trends),
        "history_commits": context.history_commits,
        "commits_with_runs": context.commits_with_runs,
    }


def verdict_json(verdict: Verdict, context: GateContext) -> str:
    return json.dumps(verdict_data(verdict, context), indent=2) + "\n"


def verdict_junit(verdict: Verdict, context: GateContext) -> str:
    from xml.etree import ElementTree as ET

    all_rows = rows(verdict, context.budget_path)
    suite = ET.Element(
        "testsuite",
        name=escape.terminal(f"peac budget {verdict.budget}"),
        tests=str(len(all_rows)),
        failures=str(sum(v.outcome == "fail" for v in verdict.objectives) + bool(verdict.blocked)),
        errors="0",
        skipped=str(sum(v.status is Status.WAIVED for v in verdict.objectives)),
    )
    for row, v in zip(all_rows, verdict.objectives, strict=True):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=escape.terminal(f"peac.{verdict.budget}.{row.group}"),
            name=escape.terminal(row.name),
            file=escape.terminal(context.budget_path),
            line=str(v.objective.source.line),
        )
        reasons = [escape.terminal(f"{r.label}: {r.text}") for r in row.why]
        message = "; ".join(reasons) or f"{row.head} ({row.status})"
        if v.outcome == "fail":
            failure = ET.SubElement(case, "failure", message=message, type=v.status)
            failure.text = "\n".join([*reasons, escape.terminal(row.model)])
        elif v.waiver is not None:
            ET.SubElement(case, "skipped", message=escape.terminal(v.waiver.describe()))
        out = ET.SubElement(case, "system-out")
        out.text = (
            f"status {v.status}; head {row.head}; base {row.base}; change {row.delta}; "
            f"bound {row.bound}\n" + "\n".join(reasons)
        )
    if verdict.changes:
        suite.set("tests", str(len(all_rows) + 1))
        case = ET.SubElement(
            suite,
            "testcase",
            classname=escape.terminal(f"peac.{verdict.budget}.budget-changes"),
            name="budget changes",
            file=escape.terminal(context.budget_path),
            line=str(verdict.changes[0].change.line),
        )
        changes = change_reasons(verdict)
        blocked = [escape.terminal(r.text) for r in changes if r.label == "fail"]
        if blocked:
            failure = ET.SubElement(
                case, "failure", message="; ".join(blocked), type="budget-loosened"
            )
            failure.text = "\n".join(blocked)
        ET.SubElement(case, "system-out").text = "\n".join(
            escape.terminal(f"{r.label}: {r.text}") for r in changes
        )
    if verdict.notes:
        ET.SubElement(suite, "system-err").text = escape.text_lines(list(verdict.notes))
    suites = ET.Element("testsuites", name="peac gate")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def verdict_github(verdict: Verdict, context: GateContext) -> str:
    """``::error``/``::warning`` at the objective's line of the budget file, then the text."""
    lines = []
    budget = escape.workflow_property(context.budget_path)
    for row, v in zip(rows(verdict, context.budget_path), verdict.objectives, strict=True):
        if v.waiver is not None:
            title = escape.workflow_property(f"peac: {v.objective.name} waived")
            lines.append(
                f"::notice file={budget},line={v.objective.source.line},title={title}::"
                + escape.workflow_data(v.waiver.describe())
            )
        if v.outcome == "pass":
            continue
        level = "error" if v.outcome == "fail" else "warning"
        src = v.objective.source
        fired = [f.setting for f in v.fired if f.tier == v.outcome]
        line = v.objective.line_of(fired[0]) if fired else src.line
        where = f"file={escape.workflow_property(context.budget_path)},line={line}"
        title = escape.workflow_property(f"peac: {row.name} {v.status}")
        message = escape.workflow_data("; ".join(r.text for r in row.why) or v.status)
        lines.append(f"::{level} {where},title={title}::{message}")
    for reviewed in verdict.changes:
        change = reviewed.change
        if not reviewed.needs_approval:
            continue
        level = "error" if reviewed.blocked else "notice"
        title = "budget loosened without approval" if reviewed.blocked else "budget change approved"
        where = f"file={escape.workflow_property(change.path)},line={change.line}"
        text = f"{change.text}: " + (
            "needs approval" if reviewed.blocked else f"approved by {reviewed.approved_by}"
        )
        lines.append(
            f"::{level} {where},title={escape.workflow_property('peac: ' + title)}::"
            f"{escape.workflow_data(text)}"
        )
    for note in verdict.notes:
        lines.append(f"::error title=peac::{escape.workflow_data(note)}")
    return "\n".join(lines) + ("\n" if lines else "") + verdict_text(verdict, context)
