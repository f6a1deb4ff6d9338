"""What each page of ``peac report --html`` shows, as plain data (built by ``peac.core.site``,
drawn by ``peac.report.site``): the decisions about a page are made once, here and in the core,
and the renderer only lays them out. Every string may come from a commit or a result file and
is untrusted until the renderer escapes it."""

from __future__ import annotations

from dataclasses import dataclass, field

from peac.model.objectives import Objective


@dataclass(frozen=True)
class TrendPoint:
    """One commit of an objective's trend, with what the history before it forecast for it."""

    commit: str
    date: int  # committer time, epoch seconds
    subject: str
    value: float  # the commit's value (median of its runs)
    values: tuple[float, ...]  # one per run
    expected: float | None = None  # forecast of this commit from the commits before it
    bound: float | None = None  # one-sided prediction bound of that forecast (worse side)
    regression: bool = False  # beyond the forecast, significant and larger than min_effect
    # Was a regression when it was the newest commit, but the commits after it came back within
    # its bound: the change did not last, so it is no longer marked as one.
    transient: bool = False
    outlier: bool = False  # left out of the latest baseline as an isolated outlier
    change_point: bool = False  # the first commit of a level (a baseline's ``since``)
    tier: str = "pass"  # the budget's absolute limits crossed by the value: pass, warn, fail
    run_page: str = ""  # file name of this commit's run page, '' when there is none


@dataclass(frozen=True)
class Forecast:
    """The forecast of the next commit from the whole trend."""

    expected: float
    bound: float
    since: str | None  # the change point the forecast starts from
    description: str  # the model in words


@dataclass(frozen=True)
class Trend:
    """An objective's values along the base branch, oldest first."""

    page: str  # file name
    budget: str
    objective: Objective
    points: tuple[TrendPoint, ...]
    forecast: Forecast | None
    missing: str = ""  # why there is no forecast, '' when there is one
    skipped: str = ""  # runs left out of the series and why
    cut: int = 0  # older commits left out of the chart to bound its size


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective's row on the index: the newest commit against limits and forecast."""

    objective: Objective
    status: str  # pass, warn, fail, no-baseline, invalid
    value: float | None
    expected: float | None
    bound: float | None
    why: tuple[str, ...]  # the limits that fired, and notes
    trend: str  # file name of the trend page


@dataclass(frozen=True)
class BudgetSummary:
    name: str
    path: str
    scenario: str
    testbed: str
    outcome: str  # pass, warn, fail, or "no runs"
    headline: str
    commit: str  # the newest commit with runs of the scenario, '' when none
    objectives: tuple[ObjectiveStatus, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """One line of a chart over a run's time: (seconds since the start, value) pairs."""

    name: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Panel:
    """One chart of a run page: lines sharing a unit."""

    title: str
    unit: str  # a unit ``peac.model.units.show`` knows (duration, rate, percent, count, bytes)
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class StepRow:
    name: str  # the step, or "whole run"
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True)
class RunPage:
    """One run, from a result file or from the store: what its page shows."""

    page: str  # file name
    title: str  # where it came from: a file name or a short sha with the run id
    scenario: str
    commit: str  # '' when the result does not say
    testbed: str
    started_at: float
    duration: float
    invalid: str  # why the run cannot be judged, '' when it can
    steps: tuple[StepRow, ...]
    panels: tuple[Panel, ...]  # latency percentiles, request rate, VUs, server metrics
    failures: tuple[tuple[str, int], ...]  # failure kind, count (non-zero only)
    checks: tuple[tuple[str, int, int], ...]  # "step: check", passed, failed
    health: tuple[tuple[str, str], ...]  # what the generator saw, as label and text
    notes: tuple[str, ...] = ()  # what was cut to bound the page


@dataclass(frozen=True)
class Site:
    """Every page of a report site."""

    branch: str
    generated_at: float  # epoch seconds
    budgets: tuple[BudgetSummary, ...]
    trends: tuple[Trend, ...]
    runs: tuple[RunPage, ...]
    commit_url: str = ""  # ``https://host/.../{sha}``, '' for no links
    notes: tuple[str, ...] = field(default=())
