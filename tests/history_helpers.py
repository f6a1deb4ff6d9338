"""Real git repositories in temp folders and RunResults built from given latencies.

The results are synthetic on purpose (the store, series and gate tests need known numbers); the
runner itself is tested against real servers elsewhere, and the main job records real runs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from peac.model import histogram as hist
from peac.model.results import GitState, RunResult, Series, Testbed


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def make_repo(path: Path, commits: int = 3, branch: str = "main") -> list[str]:
    """A repository with ``commits`` commits on ``branch``; their shas, oldest first."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    return [commit(path, f"change {i}") for i in range(commits)]


def commit(path: Path, subject: str) -> str:
    with (path / "changes.txt").open("a") as changes:
        changes.write(subject + "\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", subject)
    return git(path, "rev-parse", "HEAD")


def make_result(
    latencies: Mapping[str, Sequence[float]],
    *,
    errors: int = 0,
    started_at: float = 1_700_000_000.0,
    duration: float = 10.0,
    testbed: str = "ci",
    scenario: str = "shop",
    partial: bool = False,
    saturated: bool = False,
) -> RunResult:
    """A result whose steps saw exactly these latencies (seconds); ``errors`` 500s on the first."""
    result = RunResult(
        scenario=scenario,
        scenario_digest="d" * 16,
        executor={"executor": "constant-arrival-rate"},
        started_at=started_at,
        ended_at=started_at + duration,
        peac_version="test",
        testbed=Testbed(label=testbed, cpu="test cpu", cores=2),
        git=GitState(commit=""),
        partial=partial,
        stop_reason="interrupted" if partial else "",
    )
    result.health.saturated = saturated
    result.health.reason = "CPU 100%" if saturated else ""
    for step, values in latencies.items():
        series = Series(step, "GET", "2xx")
        for value in values:
            hist.record_seconds(series.latency, float(value))
            hist.record_seconds(series.service_time, float(value) * 0.9)
        result.series[series.key] = series
        result.counters.requests += len(values)
    if errors:
        first = next(iter(latencies))
        failed = Series(first, "GET", "5xx")
        for _ in range(errors):
            hist.record_seconds(failed.latency, 0.001)
            hist.record_seconds(failed.service_time, 0.001)
        result.series[failed.key] = failed
        result.counters.requests += errors
        result.counters.failures["http_5xx"] = errors
    return result


def lognormal(median: float, spread: float, n: int, seed: int) -> list[float]:
    """``n`` latencies around ``median`` (seconds) with log-sd ``spread``."""
    rng = np.random.default_rng(seed)
    return list(median * np.exp(rng.normal(0.0, spread, n)))
