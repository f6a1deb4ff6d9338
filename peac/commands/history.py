"""`peac record` and `peac history show/push/fetch`: results attached to commits, and the series
they make along the base branch."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from peac.history.records import RunRecord, testbed_key
from peac.history.store import open_store
from peac.problems import PeacError


def record(paths: tuple[Path, ...], commit: str | None, store_spec: str, out: TextIO) -> int:
    from peac.history.gitrepo import Repository
    from peac.results import read

    repo = Repository(Path.cwd())
    store = open_store(store_spec, Path.cwd())
    results = [(path, read(path)) for path in paths]  # all readable before any is recorded
    for path, result in results:
        measured = (result.git or {}).get("commit") or ""
        target = repo.commit(commit or measured or "HEAD")
        if commit and measured and measured != target:
            sys.stderr.write(
                f"note: {path} was measured on {measured[:7]}; recording it on {target[:7]} "
                "as asked\n"
            )
        if (result.git or {}).get("dirty"):
            sys.stderr.write(
                f"note: {path} was measured on a work tree with uncommitted changes; it is kept "
                "but baselines leave it out\n"
            )
        run_id, added = store.record(target, result)
        what = "recorded" if added else "already recorded"
        out.write(
            f"{what} run {run_id} ({result.scenario} on testbed {testbed_key(result.testbed)}) "
            f"on {target[:7]} in {store.describe()}\n"
        )
    return 0


def sync(direction: str, remote: str, store_spec: str, out: TextIO) -> int:
    from peac.history.gitnotes import GitNotesStore

    store = open_store(store_spec, Path.cwd())
    if not isinstance(store, GitNotesStore):
        raise PeacError(
            f"history {direction} works on the git notes store; {store.describe()} is synced "
            "by copying the directory (e.g. as a CI artifact)"
        )
    if direction == "fetch":
        count = store.fetch(remote)
        out.write(f"fetched {store.ref} from {remote}: {count} commits have results\n")
    else:
        attempts = store.push(remote)
        retried = f" after {attempts} attempts" if attempts > 1 else ""
        out.write(f"pushed {store.ref} to {remote}{retried}\n")
    return 0


@dataclass(frozen=True)
class ShowRequest:
    scenario: str | None
    step: str | None
    metric: str
    stat: str | None
    branch: str
    last: int
    testbed: str | None
    any_testbed: bool
    diagnostics: bool
    fmt: str
    store: str


def _pick(values: set[str], given: str | None, what: str) -> str:
    from peac.problems import did_you_mean

    if given is not None:
        if given not in values:
            known = ", ".join(sorted(values)) or "none"
            raise PeacError(
                f"no runs of {what} {given!r} in this history{did_you_mean(given, values)} "
                f"(found: {known})"
            )
        return given
    if len(values) == 1:
        return next(iter(values))
    if not values:
        raise PeacError("no recorded runs on this branch's history (peac record RESULT)")
    raise PeacError(
        f"several {what}s in this history; pick one with --{what}: " + ", ".join(sorted(values))
    )


def show(request: ShowRequest, out: TextIO) -> int:
    from peac.baseline import Baseline, baseline, diagnostics
    from peac.history.gitrepo import Repository
    from peac.history.reader import read_history
    from peac.history.series import build
    from peac.measures import series_key
    from peac.report.values import show as fmt
    from peac.spec.metrics import METRICS

    metric = METRICS.get(request.metric)
    if metric is None:
        raise PeacError(f"--metric: expected one of {', '.join(METRICS)}, got {request.metric!r}")
    stat = request.stat or metric.default_stat or "p95"
    if not metric.accepts(stat):
        raise PeacError(f"--stat: {request.metric} has no statistic {stat!r}")
    repo = Repository(Path.cwd())
    store = open_store(request.store, Path.cwd())
    history = read_history(
        repo, store, request.branch, request.branch, request.last, inclusive=True
    )
    records: list[RunRecord] = [r for runs in history.runs.values() for r in runs]
    scenario = _pick({r.scenario for r in records}, request.scenario, "scenario")
    mine = [r for r in records if r.scenario == scenario]
    testbed = None
    if not request.any_testbed:
        newest = max(mine, key=lambda r: r.started_at)
        testbed = _pick({r.testbed for r in mine}, request.testbed or newest.testbed, "testbed")
    key = series_key(request.step, request.metric, stat)
    series = build(history.commits, history.runs, scenario, testbed, key)
    log_scale = metric.unit in ("duration", "rate")
    base = baseline(series.points, higher_is_worse=metric.higher_is_worse, log_scale=log_scale)
    checks = (
        diagnostics(series.points, higher_is_worse=metric.higher_is_worse, log_scale=log_scale)
        if request.diagnostics
        else None
    )
    if request.fmt == "json":
        data = {
            "scenario": scenario,
            "testbed": testbed,
            "series": key,
            "branch": history.branch,
            "points": [
                {
                    "commit": p.commit,
                    "date": p.date,
                    "subject": p.subject,
                    "value": p.value,
                    "runs": list(p.values),
                }
                for p in series.points
            ],
            "skipped": series.skipped,
            "baseline": None
            if not isinstance(base, Baseline)
            else {"expected": base.expected, "bound": base.bound, "model": base.describe()},
            "diagnostics": None if checks is None else checks.__dict__,
            "notes": history.notes + history.bad,
        }
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    title = f"{scenario} · {request.step or 'whole run'} · {request.metric} {stat}"
    out.write(f"{title} · {history.branch} (first parent) · testbed {testbed or 'any'}\n")
    cut = base.since if isinstance(base, Baseline) else None
    excluded = set(base.excluded) if isinstance(base, Baseline) else set()
    for p in reversed(series.points):
        day = datetime.fromtimestamp(p.date, UTC).strftime("%Y-%m-%d")
        mark = " outlier" if p.commit in excluded else " ◀ level since" if p.commit == cut else ""
        subject = p.subject if len(p.subject) <= 48 else p.subject[:47] + "…"
        out.write(
            f"{p.commit[:7]}  {day}  {subject:<48}  {fmt(p.value, metric.unit):>10}  "
            f"n={p.n}{mark}\n"
        )
    empty = len(history.commits) - len(series.points)
    if empty:
        out.write(f"({empty} of {len(history.commits)} commits have no matching runs)\n")
    for reason, count in series.skipped.items():
        out.write(f"({count} run(s) left out: {reason})\n")
    if isinstance(base, Baseline):
        sign = "≤" if base.higher_is_worse else "≥"
        out.write(
            f"next commit: expected {fmt(base.expected, metric.unit)}, {sign} "
            f"{fmt(base.bound, metric.unit)} at {base.confidence:.0%}: {base.describe()}\n"
        )
    else:
        out.write(f"no baseline: {base.reason}\n")
    if request.diagnostics:
        if checks is None:
            out.write("diagnostics: too few commits to backtest the forecast\n")
        else:
            out.write(
                f"diagnostics: one-step forecasts of the last {checks.forecasts} commits: "
                f"MAPE {checks.mape:.1%}, RMSE {fmt(checks.rmse, metric.unit)}, "
                f"{checks.alarm_rate:.0%} beyond the bound\n"
            )
    for note in history.notes + history.bad:
        out.write(f"note: {note}\n")
    return 0
