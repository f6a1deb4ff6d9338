"""``peac recommend``: proposed limits beside the budget's own, with the backtest of both, as
text for people, Markdown for a pull request and JSON for tools. Names from the budget and the
results, and notes from git, are escaped for each output."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from peac.model.recommendation import Backtest, Rates, Recommendation
from peac.model.units import limit_text, show
from peac.report import escape


@dataclass(frozen=True)
class RecommendRow:
    """One limit kind (``max`` or ``min``) of one objective: the budget's and the proposal."""

    objective: str
    unit: str
    kind: str  # "max", "min", or '' when the objective has only regression limits
    current_warn: float | None
    current_fail: float | None
    recommendation: Recommendation | None
    note: str = ""


@dataclass(frozen=True)
class Written:
    """One limit ``--write`` changed in the budget file."""

    objective: str
    setting: str  # "fail.max"
    old: float | None
    new: float
    line: int


@dataclass(frozen=True)
class RecommendReport:
    budget: str
    path: str
    branch: str
    testbed: str
    history_commits: int
    false_alarm_rate: float
    window: int
    rows: tuple[RecommendRow, ...]
    uncovered: tuple[str, ...] = ()  # steps with results and no objective
    notes: tuple[str, ...] = ()
    wrote: bool = False  # --write was given
    written: tuple[Written, ...] = field(default=())
    not_rewritten: tuple[tuple[str, str, str], ...] = ()  # (objective, setting, why) --write left


def _limit(value: float | None, unit: str) -> str:
    return "-" if value is None else str(limit_text(value, unit))


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rates(rates: Rates) -> str:
    return f"warn {_rate(rates.warn)}, fail {_rate(rates.fail)}"


def _day(date: int) -> str:
    return datetime.fromtimestamp(date, UTC).strftime("%Y-%m-%d")


def _fitted(r: Recommendation) -> str:
    if not r.commits:
        return ""
    return (
        f"{r.commits[0][:7]}..{r.commits[-1][:7]} ({len(r.commits)} commits, "
        f"{_day(r.first_date)} to {_day(r.last_date)})"
    )


def _changes(back: Backtest, unit: str) -> list[str]:
    found = []
    for c in back.changes:
        way = "worse" if c.worse else "better"
        caught = ", ".join(c.caught_by) if c.caught_by else "no limit"
        if not c.worse:
            caught = "not a regression"
        found.append(
            f"level shift at {c.commit[:7]} ({_day(c.date)}): {show(c.before, unit)} → "
            f"{show(c.after, unit)} ({way}); caught by: {caught}"
        )
    return found


def _not_written(report: RecommendReport, row: RecommendRow) -> str:
    """Why --write left a proposed limit of ``row`` as it was ('' when nothing was left)."""
    proposal = row.recommendation
    if not report.wrote or proposal is None or proposal.fail is None:
        return ""
    done = {w.setting for w in report.written if w.objective == row.objective}
    left = [
        f"{setting}: left as it is: {why} (give each objective its own limits to rewrite it)"
        for objective, setting, why in report.not_rewritten
        if objective == row.objective
    ]
    done |= {s for o, s, _ in report.not_rewritten if o == row.objective}
    for tier, old, new in (
        ("warn", row.current_warn, proposal.warn),
        ("fail", row.current_fail, proposal.fail),
    ):
        setting = f"{tier}.{row.kind}"
        if new is None or setting in done or (old is not None and abs(new - old) <= 1e-12):
            continue
        left.append(
            f"{setting}: the budget sets none (not added)"
            if old is None
            else f"{setting}: left as it is (the new value would not keep warn before fail)"
        )
    return "; ".join(left)


def recommend_text(report: RecommendReport) -> str:
    lines = [
        f"{report.budget} ({report.path}): limits from {report.branch}'s history "
        f"({report.history_commits} commits, testbed {report.testbed}); fail aims at "
        f"{report.false_alarm_rate:.1%} false alarms per commit, warn at "
        f"{min(report.false_alarm_rate * 5, 0.5):.1%}"
    ]
    for row in report.rows:
        r, unit = row.recommendation, row.unit
        if r is None:
            lines.append(f"{row.objective}: {row.note}")
            continue
        current = f"warn {_limit(row.current_warn, unit)}, fail {_limit(row.current_fail, unit)}"
        if r.fail is None:
            lines.append(
                f"{row.objective} ({row.kind}): current {current}; no proposal: {r.reason}"
            )
        else:
            proposed = f"warn {_limit(r.warn, unit)}, fail {_limit(r.fail, unit)}"
            lines.append(
                f"{row.objective} ({row.kind}): current {current}; proposed {proposed} "
                f"(expected {show(r.expected, unit)})"
            )
            if r.warn_reason:
                lines.append(f"  no warn proposal: {r.warn_reason}")
            lines.append(f"  fitted on {_fitted(r)}: " + "; ".join(r.method))
        back = r.backtest
        lines.append(
            f"  backtest over the last {back.commits} commits: current {_rates(back.current)}"
            + (f"; proposed {_rates(back.proposed)}" if r.fail is not None else "")
        )
        if r.fail is not None and back.level_commits:
            lines.append(
                f"  on the {back.level_commits} commits of the current level the proposal "
                f"fires: {_rates(back.level)} (aims at warn {r.warn_rate:.1%}, fail "
                f"{r.false_alarm_rate:.1%})"
            )
        if r.provisional:
            lines.append(f"  {r.provisional}")
        lines += ["  " + line for line in _changes(back, unit)]
        left = _not_written(report, row)
        if left:
            lines.append(f"  not written: {left}")
    if report.uncovered:
        lines.append(
            "steps with results but no objective: " + ", ".join(repr(s) for s in report.uncovered)
        )
    lines += [f"note: {n}" for n in report.notes]
    if report.wrote:
        if report.written:
            lines.append(f"wrote {len(report.written)} limit(s) to {report.path}:")
            lines += [
                f"  line {w.line}: {w.objective} {w.setting} "
                f"{_limit(w.old, _unit_of(report, w.objective))} → "
                f"{_limit(w.new, _unit_of(report, w.objective))}"
                for w in report.written
            ]
        elif report.not_rewritten:
            lines.append(
                f"{report.path} unchanged: {len(report.not_rewritten)} proposed limit(s) left "
                "as they are (not written, above)"
            )
        else:
            lines.append(f"{report.path} unchanged: no limit to change")
    return escape.text_lines(lines)


def _unit_of(report: RecommendReport, objective: str) -> str:
    return next((r.unit for r in report.rows if r.objective == objective), "count")


def recommend_markdown(report: RecommendReport) -> str:
    md: Callable[[object], str] = escape.markdown
    lines = [
        f"### peac recommend: {md(report.budget)}",
        "",
        f"Limits from the history of `{md(report.branch)}` ({report.history_commits} commits, "
        f"testbed {md(report.testbed)}); fail aims at {report.false_alarm_rate:.1%} false "
        f"alarms per commit. Backtest: share of the last {report.window} commits (or fewer, as "
        "recorded) beyond each limit.",
        "",
        "| objective | limit | current warn | current fail | proposed warn | proposed fail "
        "| expected | backtest current | backtest proposed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    below = []
    for row in report.rows:
        r, unit = row.recommendation, row.unit
        if r is None:
            below.append(f"- {md(row.objective)}: {md(row.note)}")
            continue
        cells = [
            md(row.objective),
            row.kind,
            _limit(row.current_warn, unit),
            _limit(row.current_fail, unit),
            _limit(r.warn, unit),
            _limit(r.fail, unit),
            show(r.expected, unit),
            md(_rates(r.backtest.current)),
            md(_rates(r.backtest.proposed)) if r.fail is not None else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if r.fail is None:
            below.append(f"- {md(row.objective)}: no proposal: {md(r.reason)}")
        below += [f"- {md(row.objective)}: {md(c)}" for c in _changes(r.backtest, unit)]
        if r.provisional:
            below.append(f"- {md(row.objective)}: {md(r.provisional)}")
    if report.uncovered:
        below.append(
            "- steps with results but no objective: " + ", ".join(md(s) for s in report.uncovered)
        )
    below += [f"- note: {md(n)}" for n in report.notes]
    below += [
        f"- wrote {md(w.objective)} {w.setting}: {_limit(w.new, _unit_of(report, w.objective))} "
        f"(line {w.line})"
        for w in report.written
    ]
    return "\n".join(lines + (["", *below] if below else [])) + "\n"


def _recommendation(r: Recommendation) -> dict[str, object]:
    return {
        "limit": r.limit,
        "warn": r.warn,
        "fail": r.fail,
        "expected": r.expected,
        "reason": r.reason,
        "warn_reason": r.warn_reason,
        "false_alarm_rate": r.false_alarm_rate,
        "warn_rate": r.warn_rate,
        "raw_warn": r.raw_warn,
        "raw_fail": r.raw_fail,
        "method": list(r.method),
        "fitted": {
            "commits": len(r.commits),
            "first": r.commits[0] if r.commits else None,
            "last": r.commits[-1] if r.commits else None,
        },
        "resolution": r.resolution,
        "provisional": r.provisional,
        "backtest": {
            "commits": r.backtest.commits,
            "level_commits": r.backtest.level_commits,
            "level": {"warn": r.backtest.level.warn, "fail": r.backtest.level.fail},
            "current": {"warn": r.backtest.current.warn, "fail": r.backtest.current.fail},
            "proposed": {"warn": r.backtest.proposed.warn, "fail": r.backtest.proposed.fail},
            "changes": [
                {
                    "commit": c.commit,
                    "date": c.date,
                    "before": c.before,
                    "after": c.after,
                    "worse": c.worse,
                    "caught_by": list(c.caught_by),
                }
                for c in r.backtest.changes
            ],
        },
    }


def recommend_json(report: RecommendReport) -> str:
    document = {
        "budget": report.budget,
        "path": report.path,
        "branch": report.branch,
        "testbed": report.testbed,
        "history_commits": report.history_commits,
        "false_alarm_rate": report.false_alarm_rate,
        "window": report.window,
        "objectives": [
            {
                "objective": row.objective,
                "unit": row.unit,
                "limit": row.kind or None,
                "current": {"warn": row.current_warn, "fail": row.current_fail},
                "note": row.note,
                "recommendation": (
                    _recommendation(row.recommendation) if row.recommendation else None
                ),
            }
            for row in report.rows
        ],
        "steps_without_objective": list(report.uncovered),
        "notes": list(report.notes),
        "written": [
            {
                "objective": w.objective,
                "setting": w.setting,
                "old": w.old,
                "new": w.new,
                "line": w.line,
            }
            for w in report.written
        ],
        "not_written": [
            {"objective": o, "setting": setting, "why": why}
            for o, setting, why in report.not_rewritten
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
