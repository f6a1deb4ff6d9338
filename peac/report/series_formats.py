"""``peac history show``: one series along the base branch, as text for people and JSON for
tools, with the baseline the next commit will be judged against."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from peac.model.baseline import Baseline, Diagnostics, Missing
from peac.model.series import Series
from peac.model.units import show
from peac.report import escape

SUBJECT = 48  # characters of a commit subject shown
RUN_ID = 8  # characters of a run id shown (peac history rm takes such a prefix)


@dataclass(frozen=True)
class SeriesReport:
    scenario: str
    testbed: str | None  # None: every testbed
    step: str | None
    metric: str
    stat: str
    unit: str
    branch: str
    series: Series
    history_commits: int  # commits read from the branch
    baseline: Baseline | Missing
    diagnostics: Diagnostics | None
    backtested: bool  # whether diagnostics were asked for
    notes: tuple[str, ...] = ()
    confidence: float = 0.95
    min_effect: float = 0.05


def series_text(report: SeriesReport) -> str:
    base, unit = report.baseline, report.unit
    title = f"{report.scenario} · {report.step or 'whole run'} · {report.metric} {report.stat}"
    lines = [
        escape.terminal(
            f"{title} · {report.branch} (first parent) · testbed {report.testbed or 'any'}"
        )
    ]
    cut = base.since if isinstance(base, Baseline) else None
    excluded = set(base.excluded) if isinstance(base, Baseline) else set()
    for p in reversed(report.series.points):
        day = datetime.fromtimestamp(p.date, UTC).strftime("%Y-%m-%d")
        mark = " outlier" if p.commit in excluded else " ◀ level since" if p.commit == cut else ""
        subject = escape.terminal(p.subject)
        subject = subject if len(subject) <= SUBJECT else subject[: SUBJECT - 1] + "…"
        runs = " ".join(escape.terminal(r[:RUN_ID]) for r in p.runs)
        lines.append(
            f"{p.commit[:7]}  {day}  {subject:<{SUBJECT}}  {show(p.value, unit):>10}  n={p.n}"
            + (f"  runs {runs}" if runs else "")
            + mark
        )
    empty = report.history_commits - len(report.series.points)
    if empty:
        lines.append(f"({empty} of {report.history_commits} commits have no matching runs)")
    lines += [f"({count} run(s) left out: {why})" for why, count in report.series.skipped.items()]
    if isinstance(base, Baseline):
        sign = "≤" if base.higher_is_worse else "≥"
        lines.append(
            f"next commit: expected {show(base.expected, unit)}, {sign} "
            f"{show(base.bound, unit)} at {base.confidence:.0%}: {base.describe()}"
        )
    else:
        lines.append(f"no baseline: {base.reason}")
    if report.backtested:
        checks = report.diagnostics
        if checks is None:
            lines.append("diagnostics: too few commits to backtest the forecast")
        else:
            lines.append(
                f"diagnostics: one-step forecasts of the last {checks.forecasts} commits: "
                f"MAPE {checks.mape:.1%}, RMSE {show(checks.rmse, unit)}, "
                f"{checks.alarm_rate:.0%} beyond the bound, coverage {checks.coverage:.0%} "
                f"(nominal {report.confidence:.0%})"
            )
            if checks.width > 2 * report.min_effect:
                lines.append(
                    f"too noisy to gate on small changes: the bound sits {checks.width:.0%} "
                    f"from the expected value, so a change under that is not told from noise "
                    "(record several runs per commit, or a quieter testbed)"
                )
            elif checks.coverage < report.confidence - 0.1:
                lines.append(
                    "the forecast misses this series more often than it should: expect false "
                    "alarms (is the history mixing testbeds, or changing level often?)"
                )
    lines += [escape.terminal(f"note: {note}") for note in report.notes]
    return "\n".join(lines) + "\n"


def series_json(report: SeriesReport) -> str:
    base = report.baseline
    data = {
        "scenario": report.scenario,
        "testbed": report.testbed,
        "series": report.series.key,
        "branch": report.branch,
        "points": [
            {
                "commit": p.commit,
                "date": p.date,
                "subject": p.subject,
                "value": p.value,
                "runs": list(p.values),
                "run_ids": list(p.runs),
            }
            for p in report.series.points
        ],
        "skipped": report.series.skipped,
        "baseline": None
        if not isinstance(base, Baseline)
        else {"expected": base.expected, "bound": base.bound, "model": base.describe()},
        "diagnostics": None if report.diagnostics is None else asdict(report.diagnostics),
        "notes": list(report.notes),
    }
    return json.dumps(data, indent=2) + "\n"
