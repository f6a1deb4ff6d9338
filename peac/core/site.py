"""What each page of the report site shows (``peac.model.site``), decided from budgets, series
and results: pure, so the pages say exactly what ``peac gate`` would say, and the renderer
(``peac.report.site``) only draws.

The index judges each budget's newest commit against the commits before it with the gate's own
judge; a trend page forecasts every commit from the commits before it (the band of the chart),
so a reader sees where the gate would have flagged a regression and where the level moved.
Sizes are bounded here: points per chart, forecasts per trend, lines per run page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from peac.core.baseline.assess import assess_points
from peac.core.baseline.forecast import baseline
from peac.core.judge import judge
from peac.core.limits import breaches
from peac.core.measures import measure
from peac.errors import InputError
from peac.model.baseline import Baseline
from peac.model.objectives import Objective, Rules, worst
from peac.model.results import FAILURE_KINDS, RunResult
from peac.model.series import Point, Series
from peac.model.site import (
    BudgetSummary,
    Forecast,
    Line,
    ObjectiveStatus,
    Panel,
    RunPage,
    StepRow,
    Trend,
    TrendPoint,
)
from peac.model.urls import host_of
from peac.model.verdict import HeadRun

MAX_TREND_POINTS = 200  # commits drawn per trend chart (the newest)
MAX_FORECASTS = 60  # commits of a trend forecast from their past (each is one baseline fit)
MAX_LINE_POINTS = 600  # points per line of a run's chart (longer runs are binned)
MAX_MONITOR_LINES = 8  # scraped server metrics drawn per run page
MAX_CHECKS = 100  # checks listed per run page
SHA_FIELD = "{sha}"


def commit_url(template: str) -> str:
    """A ``--commit-url`` template checked: an absolute http(s) URL with a host and ``{sha}``
    where the commit goes, and no other braces (it is filled in by plain replacement)."""
    if not template:
        return ""
    rest = template.replace(SHA_FIELD, "")
    if SHA_FIELD not in template or "{" in rest or "}" in rest:
        raise InputError(
            f"--commit-url: expected a URL with {SHA_FIELD} where the commit goes, e.g. "
            f"https://github.com/OWNER/REPO/commit/{SHA_FIELD}; got {template!r}"
        )
    if host_of(template.replace(SHA_FIELD, "0" * 40)) is None:
        raise InputError(
            f"--commit-url: expected an absolute http:// or https:// URL with a host, got "
            f"{template!r}"
        )
    return template


def _tier(objective: Objective, value: float) -> str:
    return str(worst([f.tier for f in breaches(objective, value)]))


def trend(
    page: str,
    budget: str,
    objective: Objective,
    series: Series,
    rules: Rules,
    run_pages: Mapping[str, str] | None = None,
) -> Trend:
    """An objective's trend: each of the newest ``MAX_TREND_POINTS`` commits with its value,
    the forecast of it from the commits before (for the newest ``MAX_FORECASTS``), whether it
    was a regression, an outlier or the start of a new level; and the next commit's forecast."""
    policy = rules.policy
    points = [p for p in series.points if p.values and all(math.isfinite(v) for v in p.values)]
    cut = max(len(points) - MAX_TREND_POINTS, 0)
    direction = {"higher_is_worse": objective.higher_is_worse, "log_scale": objective.log_scale}
    final = baseline(points, **direction, confidence=policy.confidence, floor=policy.min_effect / 2)
    changes: set[str] = set()
    outliers: set[str] = set()
    forecasts: dict[int, tuple[float | None, float | None, bool]] = {}
    for i in range(max(len(points) - MAX_FORECASTS, 1, cut), len(points)):
        check = assess_points(
            points[:i],
            points[i].values,
            **direction,
            confidence=policy.confidence,
            min_effect=policy.min_effect,
        )
        if isinstance(check.baseline, Baseline) and check.baseline.since:
            changes.add(check.baseline.since)
        forecasts[i] = (check.expected, check.bound, check.regression)
    forecast = None
    missing = ""
    if isinstance(final, Baseline):
        outliers = set(final.excluded)
        if final.since:
            changes.add(final.since)
        forecast = Forecast(final.expected, final.bound, final.since, final.describe())
    else:
        missing = final.reason
    shown = []
    for i in range(cut, len(points)):
        p = points[i]
        expected, bound, regression = forecasts.get(i, (None, None, False))
        transient = regression and _did_not_last(points[i + 1 :], bound, objective)
        regression = regression and not transient
        shown.append(
            TrendPoint(
                commit=p.commit,
                date=p.date,
                subject=p.subject,
                value=p.value,
                values=p.values,
                expected=expected,
                bound=bound,
                regression=regression,
                transient=transient,
                outlier=p.commit in outliers,
                change_point=p.commit in changes,
                tier=_tier(objective, p.value),
                run_page=(run_pages or {}).get(p.commit, ""),
            )
        )
    return Trend(
        page=page,
        budget=budget,
        objective=objective,
        points=tuple(shown),
        forecast=forecast,
        missing=missing,
        skipped=series.skipped_text(),
        cut=cut,
    )


LASTING = 3  # commits after a regression that decide whether it lasted


def _did_not_last(after: Sequence[Point], bound: float | None, objective: Objective) -> bool:
    """Whether the commits after a regression came back within the bound it broke: at least
    two of the next ``LASTING`` (one, when only one follows yet, is not enough to tell)."""
    if bound is None:
        return False
    following = [p.value for p in after[:LASTING]]
    if len(following) < 2:
        return False
    back = sum(v <= bound if objective.higher_is_worse else v >= bound for v in following)
    return back * 2 > len(following)


def budget_status(
    rules: Rules,
    path: str,
    scenario: str,
    testbed: str,
    series: Mapping[str, Series],
    pages: Mapping[str, str],
) -> BudgetSummary:
    """The newest commit with runs of the budget's scenario judged as ``peac gate`` would
    judge it against the commits before it (same judge, same correction over objectives)."""
    heads = [s.points[-1] for s in series.values() if s.points]
    if not heads:
        return BudgetSummary(
            rules.name, path, scenario, testbed, "no runs", "no recorded runs", "", ()
        )
    newest = max(heads, key=lambda p: p.date)
    head_runs: dict[str, dict[str, float]] = {}
    merged: dict[str, float] = {}
    history: dict[str, Series] = {}
    for key, s in series.items():
        last = s.points[-1] if s.points else None
        if last is not None and last.commit == newest.commit:
            merged[key] = last.value
            for n, value in enumerate(last.values):
                run = last.runs[n] if n < len(last.runs) else str(n)
                head_runs.setdefault(run, {})[key] = value
            history[key] = Series(key, s.points[:-1], dict(s.skipped))
        else:
            history[key] = s
    runs = [HeadRun(name, values) for name, values in head_runs.items()]
    return head_status(rules, path, scenario, testbed, history, pages, runs, merged, newest.commit)


def head_status(
    rules: Rules,
    path: str,
    scenario: str,
    testbed: str,
    history: Mapping[str, Series],
    pages: Mapping[str, str],
    runs: Sequence[HeadRun],
    merged: Mapping[str, float],
    commit: str,
) -> BudgetSummary:
    """``commit``'s runs judged against ``history`` (the commits before it) as ``peac gate``
    judges them: on a pull request's site, the pull request's own verdict."""
    history = {
        key: Series(key, [p for p in s.points if p.commit != commit], dict(s.skipped))
        for key, s in history.items()
    }
    verdict = judge(rules, runs, merged, history)
    rows = []
    for v in verdict.objectives:
        base = v.baseline
        why = [f"{f.tier}: {f.message}" for f in v.fired] + list(v.notes)
        if v.missing is not None:
            why.append(f"no forecast: {v.missing.reason}")
        rows.append(
            ObjectiveStatus(
                objective=v.objective,
                status=str(v.status),
                value=v.value,
                expected=base.expected if base else None,
                bound=base.bound if base else None,
                why=tuple(dict.fromkeys(why)),
                trend=pages.get(v.objective.series_key, ""),
            )
        )
    return BudgetSummary(
        name=rules.name,
        path=path,
        scenario=scenario,
        testbed=testbed,
        outcome=str(verdict.outcome),
        headline=verdict.headline,
        commit=commit,
        objectives=tuple(rows),
        notes=verdict.notes + verdict.advice,
    )


def _binned(
    samples: Sequence[tuple[float, float]], limit: int, peak: bool
) -> tuple[tuple[float, float], ...]:
    """At most ``limit`` points: consecutive samples merged by their maximum (``peak``: a
    latency spike must stay visible) or their mean (rates)."""
    if len(samples) <= limit:
        return tuple(samples)
    size = math.ceil(len(samples) / limit)
    out = []
    for start in range(0, len(samples), size):
        chunk = samples[start : start + size]
        values = [v for _, v in chunk]
        out.append((chunk[0][0], max(values) if peak else sum(values) / len(values)))
    return tuple(out)


def _timeline_panels(result: RunResult) -> list[Panel]:
    seconds = result.timeline
    panels = []
    latency = []
    for name in ("p50", "p95", "p99"):
        samples = [
            (float(s.t), float(getattr(s, name)))
            for s in seconds
            if getattr(s, name) is not None and math.isfinite(getattr(s, name))
        ]
        if samples:
            latency.append(Line(name, _binned(samples, MAX_LINE_POINTS, True)))
    if latency:
        panels.append(Panel("Latency percentiles per second", "duration", tuple(latency)))
    if seconds:
        requests = [(float(s.t), float(s.requests)) for s in seconds]
        errors = [(float(s.t), float(s.errors)) for s in seconds]
        lines = [Line("requests/s", _binned(requests, MAX_LINE_POINTS, False))]
        if any(v for _, v in errors):
            lines.append(Line("errors/s", _binned(errors, MAX_LINE_POINTS, False)))
        panels.append(Panel("Request rate", "rate", tuple(lines)))
        vus = [(float(s.t), float(s.active_vus)) for s in seconds]
        panels.append(
            Panel(
                "Active virtual users", "count", (Line("VUs", _binned(vus, MAX_LINE_POINTS, True)),)
            )
        )
    return panels


def _server_panels(result: RunResult, notes: list[str]) -> list[Panel]:
    panels = []
    process = result.server.process
    if process is not None and process.samples:
        cpu = [(s.t, s.cpu_percent / 100.0) for s in process.samples]
        rss = [(s.t, float(s.rss_bytes)) for s in process.samples]
        panels.append(
            Panel(
                f"Server process {process.pid}: CPU (of one core)",
                "percent",
                (Line("cpu", _binned(cpu, MAX_LINE_POINTS, False)),),
            )
        )
        panels.append(
            Panel(
                f"Server process {process.pid}: memory (RSS)",
                "bytes",
                (Line("rss", _binned(rss, MAX_LINE_POINTS, True)),),
            )
        )
    for monitor in result.server.monitors:
        names = list(dict.fromkeys(name for s in monitor.samples for name in s.values))
        if len(names) > MAX_MONITOR_LINES:
            notes.append(
                f"monitor {monitor.name}: {MAX_MONITOR_LINES} of its {len(names)} metrics drawn"
            )
        for name in names[:MAX_MONITOR_LINES]:
            samples = [
                (s.t, s.values[name])
                for s in monitor.samples
                if name in s.values and math.isfinite(s.values[name])
            ]
            if samples:
                line = Line(name, _binned(samples, MAX_LINE_POINTS, False))
                panels.append(Panel(f"{monitor.name}: {name}", "count", (line,)))
    return panels


def _step_row(result: RunResult, step: str | None) -> StepRow:
    return StepRow(
        name=step if step is not None else "whole run",
        requests=result.requests(step),
        errors=result.errors(step),
        p50=measure(result, "latency", "p50", step),
        p95=measure(result, "latency", "p95", step),
        p99=measure(result, "latency", "p99", step),
    )


def run_page(page: str, title: str, result: RunResult, invalid: str = "") -> RunPage:
    """What a run's page shows: per-step numbers, charts over its time, failures by kind,
    checks, the generator's health and the server side."""
    notes: list[str] = []
    health = result.health
    rows = [
        ("saturated", "yes: " + health.reason if health.saturated else "no"),
        ("generator CPU", f"{health.cpu_percent:.0f}%"),
        ("event loop lag p99", f"{health.loop_lag_p99 * 1e3:.1f} ms"),
        ("schedule lag p99", f"{health.schedule_lag_p99 * 1e3:.1f} ms"),
        ("schedule lag max", f"{health.schedule_lag_max * 1e3:.1f} ms"),
        ("arrivals > 50 ms late", f"{health.late} ({health.late_share:.1%})"),
        ("seconds behind schedule", str(health.behind_seconds)),
        (
            "waited for a CPU (other work on the machine)",
            "unknown" if health.waited is None else f"{health.waited:.0%} of the run",
        ),
        ("dropped arrivals", str(result.counters.dropped_arrivals)),
    ]
    if health.note:
        rows.append(("generator note", health.note))
    if result.partial:
        rows.append(("partial", result.stop_reason or "yes"))
    for monitor in result.server.monitors:
        if monitor.errors:
            rows.append((f"monitor {monitor.name}", f"{monitor.errors} failed scrapes"))
    if result.server.process is not None and result.server.process.error:
        rows.append(("server process", result.server.process.error))
    checks = sorted(result.counters.checks.items())
    if len(checks) > MAX_CHECKS:
        notes.append(f"{MAX_CHECKS} of {len(checks)} checks listed")
    known = [k for k in FAILURE_KINDS if result.counters.failures.get(k)]
    other = [k for k in result.counters.failures if k not in FAILURE_KINDS]
    return RunPage(
        page=page,
        title=title,
        scenario=result.scenario,
        commit=result.git.commit if result.git is not None else "",
        testbed=result.testbed.key,
        started_at=result.started_at,
        duration=result.duration,
        invalid=invalid,
        steps=tuple(_step_row(result, s) for s in [None, *result.steps()]),
        panels=tuple(_timeline_panels(result) + _server_panels(result, notes)),
        failures=tuple(
            (kind, result.counters.failures[kind])
            for kind in known + sorted(other)
            if result.counters.failures[kind]
        ),
        checks=tuple((label, pf[0], pf[1]) for label, pf in checks[:MAX_CHECKS]),
        health=tuple(rows),
        notes=tuple(notes),
    )
