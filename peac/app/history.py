"""`peac history show/push/fetch`: the series results make along a branch, and sharing them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.core.baseline import baseline, diagnostics
from peac.core.measures import series_key
from peac.errors import ExitCode, InputError, did_you_mean
from peac.history.git import Repository
from peac.history.gitnotes import GitNotesStore
from peac.history.reader import History, computed_values, read_history
from peac.history.records import RunRecord
from peac.history.series import build, exclusion, invalid_notes
from peac.history.store import open_store
from peac.model.baseline import Baseline
from peac.model.metrics import Metric, metric_and_stat
from peac.report.escape import terminal
from peac.report.export_formats import ExportReport, ExportRow
from peac.report.registry import EXPORT, SERIES
from peac.report.series_formats import SeriesReport


@dataclass(frozen=True, kw_only=True)
class SyncRequest:
    root: Path
    direction: str  # push or fetch
    remote: str = "origin"
    store: str = "git"


def sync(request: SyncRequest, out: TextIO) -> int:
    store = open_store(request.store, request.root)
    if not isinstance(store, GitNotesStore):
        raise InputError(
            f"history {request.direction} works on the git notes store; {store.describe()} is "
            "synced by copying the directory (e.g. as a CI artifact)"
        )
    if request.direction == "fetch":
        count = store.fetch(request.remote)
        refs = " and ".join(store.refs)
        out.write(f"fetched {refs} from {request.remote}: {count} commits have results\n")
    else:
        attempts = store.push(request.remote)
        retried = f" after {attempts} attempts" if attempts > 1 else ""
        out.write(f"pushed {' and '.join(store.refs)} to {request.remote}{retried}\n")
    return ExitCode.OK


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Which series of the recorded runs: the options history show and export share."""

    root: Path
    scenario: str | None = None
    step: str | None = None
    metric: str = "latency"
    stat: str | None = None
    branch: str = "main"
    last: int = 30
    testbed: str | None = None
    any_testbed: bool = False
    store: str = "git"


@dataclass(frozen=True, kw_only=True)
class ShowRequest(Selection):
    diagnostics: bool = False
    fmt: str = "text"


@dataclass(frozen=True, kw_only=True)
class ExportRequest(Selection):
    fmt: str = "csv"


def _pick(values: set[str], given: str | None, what: str) -> str:
    if given is not None:
        if given not in values:
            known = ", ".join(sorted(values)) or "none"
            raise InputError(
                f"no runs of {what} {given!r} in this history{did_you_mean(given, values)} "
                f"(found: {known})"
            )
        return given
    if len(values) == 1:
        return next(iter(values))
    if not values:
        raise InputError("no recorded runs on this branch's history (peac record RESULT)")
    raise InputError(
        f"several {what}s in this history; pick one with --{what}: " + ", ".join(sorted(values))
    )


@dataclass(frozen=True)
class Selected:
    history: History
    scenario: str
    testbed: str | None  # None: every testbed
    key: str  # step|metric|stat
    metric: Metric
    stat: str
    computed: dict[str, float]  # values the summaries lack, by run id


def _select(request: Selection) -> Selected:
    metric, stat = metric_and_stat(request.metric, request.stat)
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    history = read_history(
        repo, store, request.branch, None, request.last, inclusive=True, require_runs=True
    )
    records: list[RunRecord] = [r for runs in history.runs.values() for r in runs]
    scenario = _pick({r.scenario for r in records}, request.scenario, "scenario")
    mine = [r for r in records if r.scenario == scenario]
    testbed = None
    if not request.any_testbed:
        newest = max(mine, key=lambda r: r.started_at)
        testbed = _pick({r.testbed for r in mine}, request.testbed or newest.testbed, "testbed")
    steps = {step for r in mine for step in r.table if step}
    if request.step is not None and request.step not in steps:
        raise InputError(
            f"--step: no step {request.step!r} in the runs of scenario {scenario!r}"
            f"{did_you_mean(request.step, steps)}; expected one of: "
            + (", ".join(repr(s) for s in sorted(steps)) or "none (leave --step out)")
        )
    key = series_key(request.step, metric.name, stat)
    return Selected(
        history, scenario, testbed, key, metric, stat, computed_values(history.runs, key)
    )


def show(request: ShowRequest, out: TextIO) -> int:
    chosen = _select(request)
    history, scenario, testbed = chosen.history, chosen.scenario, chosen.testbed
    metric, stat = chosen.metric, chosen.stat
    series = build(history.commits, history.runs, scenario, testbed, chosen.key, chosen.computed)
    direction = {"higher_is_worse": metric.higher_is_worse, "log_scale": metric.log_scale}
    report = SeriesReport(
        scenario=scenario,
        testbed=testbed,
        step=request.step,
        metric=metric.name,
        stat=stat,
        unit=metric.unit,
        branch=history.branch,
        series=series,
        history_commits=len(history.commits),
        baseline=baseline(series.points, **direction),
        diagnostics=diagnostics(series.points, **direction) if request.diagnostics else None,
        backtested=request.diagnostics,
        notes=tuple(
            history.notes + history.bad + invalid_notes(history.commits, history.runs, scenario)
        ),
    )
    out.write(SERIES.render(request.fmt, report))
    return ExitCode.OK


@dataclass(frozen=True, kw_only=True)
class RemoveRequest:
    root: Path
    commit: str
    run: str | None = None  # a run id, or a prefix of one of at least MIN_RUN_ID characters
    push: bool = False
    remote: str = "origin"
    store: str = "git"


MIN_RUN_ID = 4


def _chosen(records: list[RunRecord], run: str | None, where: str) -> list[RunRecord]:
    if run is None:
        return records
    if len(run) < MIN_RUN_ID:
        raise InputError(
            f"--run: expected a run id (at least {MIN_RUN_ID} characters of one, as history show "
            f"lists them), got {run!r}"
        )
    found = [r for r in records if r.run_id.startswith(run)]
    if len(found) == 1:
        return found
    ids = [r.run_id for r in records]
    if found:
        raise InputError(f"--run {run!r} is ambiguous on {where}: " + ", ".join(ids))
    raise InputError(
        f"--run: no run {run!r} on {where}{did_you_mean(run, ids)}; its runs: " + ", ".join(ids)
    )


def remove(request: RemoveRequest, out: TextIO) -> int:
    """Take a commit's runs (or one of them) out of the store, and off the remote with push."""
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    if request.push and not isinstance(store, GitNotesStore):
        raise InputError(
            f"--push works on the git notes store; {store.describe()} is synced by copying the "
            "directory"
        )
    sha = repo.commit(repo.tracking(request.commit) or request.commit)
    if isinstance(store, GitNotesStore) and request.push:
        store.fetch(request.remote)  # remove what the remote has too, not only what is here
    bad: list[str] = []
    records = store.runs([sha], bad).get(sha, [])
    where = f"{sha[:7]} in {store.describe()}"
    if not records:
        raise InputError(
            f"no recorded runs on {where}"
            + (f" ({len(bad)} unreadable record(s): {bad[0]})" if bad else "")
            + ("" if request.push else " (peac history fetch brings the remote's)")
        )
    chosen = _chosen(records, request.run, where)
    store.remove(sha, [r.run_id for r in chosen])
    for r in chosen:
        out.write(terminal(f"removed run {r.run_id} ({r.scenario} on testbed {r.testbed})") + "\n")
    out.write(f"{len(chosen)} of {len(records)} run(s) removed from {where}\n")
    if isinstance(store, GitNotesStore) and request.push:
        attempts = store.push(request.remote)
        retried = f" after {attempts} attempts" if attempts > 1 else ""
        out.write(f"pushed the removal to {request.remote}{retried}\n")
    return ExitCode.OK


def export(request: ExportRequest, out: TextIO) -> int:
    """Every run of the selected series, one row each, with whether it was used and why not."""
    chosen = _select(request)
    history = chosen.history
    series = build(
        history.commits, history.runs, chosen.scenario, chosen.testbed, chosen.key, chosen.computed
    )
    # What the baseline of the next commit uses, as history show reports it: outliers and the
    # commits before the last level shift are in the series but not in the baseline.
    base = baseline(
        series.points,
        higher_is_worse=chosen.metric.higher_is_worse,
        log_scale=chosen.metric.log_scale,
    )
    outliers = set(base.excluded) if isinstance(base, Baseline) else set()
    in_baseline = set(base.commits) if isinstance(base, Baseline) else None
    rows = []
    for commit in reversed(chosen.history.commits):  # oldest first, like a series
        for record in chosen.history.runs.get(commit.sha, ()):
            if record.scenario != chosen.scenario:
                continue
            value = record.value(chosen.key)
            if value is None:
                value = chosen.computed.get(record.run_id)
            excluded = exclusion(record, chosen.scenario, chosen.testbed)
            if not excluded and value is None:
                excluded = "no value"
            if not excluded and commit.sha in outliers:
                excluded = "outlier left out of the baseline"
            elif not excluded and in_baseline is not None and commit.sha not in in_baseline:
                since = base.since if isinstance(base, Baseline) else None
                excluded = (
                    f"before the level shift at {since[:7]}" if since else "outside the window"
                )
            rows.append(
                ExportRow(
                    commit=commit.sha,
                    date=commit.date,
                    subject=commit.subject,
                    run_id=record.run_id,
                    scenario=record.scenario,
                    testbed=record.testbed,
                    value=value,
                    used=not excluded,
                    excluded=excluded,
                )
            )
    report = ExportReport(chosen.key, chosen.metric.unit, chosen.history.branch, rows)
    out.write(EXPORT.render(request.fmt, report))
    return ExitCode.OK
