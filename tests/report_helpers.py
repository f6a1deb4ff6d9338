"""A recorded history for the report site's tests: a real repository whose main has commits with
runs in git notes (full results with timelines, checks and failures), a level shift, an outlier,
a regression on the newest commit, and commit subjects and step names that try to inject HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.history.gitnotes import GitNotesStore
from peac.model.results import GitState, RunResult, Second
from peac.results.format import write
from tests.conftest import write as write_file
from tests.history_helpers import commit, git, lognormal, make_result

HOSTILE_SUBJECT = "<script>alert(1)</script> & \"quotes\" 'too'"
HOSTILE_STEP = '"><img src=x onerror=alert(1)>'
COMMITS = 24
SHIFT_AT = 12  # checkout's level moves up 30 % from this commit on
OUTLIER_AT = 6
HOSTILE_AT = 9

SCENARIO = """\
apiVersion: peac/v1
kind: Scenario
metadata: {name: shop}
spec:
  target: {base_url: http://127.0.0.1:8080}
  load: {executor: constant-vus, vus: 1, duration: 1s}
  flows:
    - name: buy
      steps:
        - {name: home, path: /}
        - {name: checkout, method: POST, path: /checkout}
"""

BUDGET = """\
apiVersion: peac/v1
kind: Budget
metadata: {name: shop-api}
spec:
  scenario: shop.scenario.yaml
  objectives:
    - metric: latency
      stat: p95
      key: true
      warn: {max: 400ms}
      fail: {max: 2s}
    - step: checkout
      metric: latency
      stat: p50
      warn: {max: 330ms}
      fail: {max: 450ms, max_regression: 20%}
    - metric: error_rate
      warn: {max: 1%}
      fail: {max: 5%}
"""


def checkout_level(i: int) -> float:
    """Checkout's median latency at commit ``i``: a quiet level, a shift, an outlier, and a
    regression on the newest commit."""
    if i == COMMITS - 1:
        return 0.42
    if i == OUTLIER_AT:
        return 0.3  # a one-commit blip, smaller than the newest commit's jump
    base = 0.2 if i < SHIFT_AT else 0.26
    return base * (1 + 0.015 * ((i * 7) % 5 - 2))


def shop_run(i: int, sha: str = "", steps: dict[str, float] | None = None) -> RunResult:
    levels = steps or {"home": 0.05, "checkout": checkout_level(i)}
    result = make_result(
        {
            step: lognormal(level, 0.1, 400, i * 10 + n)
            for n, (step, level) in enumerate(levels.items())
        },
        errors=2,
        started_at=1_767_225_600.0 + 3600 * i,
    )
    result.git = GitState(commit=sha)
    result.timeline = [
        Second(
            t=t,
            requests=80 + (t * 7) % 13,
            errors=1 if t in (3, 17) else 0,
            active_vus=4 + t % 3,
            p50=0.05 + 0.002 * (t % 5),
            p95=0.2 + 0.01 * (t % 7),
            p99=0.3 + 0.02 * (t % 4),
        )
        for t in range(30)
    ]
    result.counters.checks = {f"{step}: status 200": [390, 10] for step in levels}
    result.counters.checks_passed = 390 * len(levels)
    result.counters.checks_failed = 10 * len(levels)
    result.counters.failures["check_failed"] = 10 * len(levels)
    return result


def make_history(root: Path) -> tuple[Path, list[str]]:
    """The repository and its commits' shas, oldest first."""
    repo = root / "shop"
    write_file(repo / "budgets/shop.scenario.yaml", SCENARIO)
    write_file(repo / "budgets/shop.budget.yaml", BUDGET)
    shas = []
    with pytest.MonkeyPatch.context() as env:
        for role in ("AUTHOR", "COMMITTER"):  # also for fixtures made before the hermetic one
            env.setenv(f"GIT_{role}_NAME", "peac tests")
            env.setenv(f"GIT_{role}_EMAIL", "tests@peac.invalid")
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        git(repo, "init", "-q", "-b", "main")
        store = GitNotesStore(repo)
        for i in range(COMMITS):
            date = f"2026-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z"
            env.setenv("GIT_COMMITTER_DATE", date)
            env.setenv("GIT_AUTHOR_DATE", date)
            sha = commit(repo, HOSTILE_SUBJECT if i == HOSTILE_AT else f"change {i}")
            shas.append(sha)
            store.record(sha, shop_run(i, sha))
    return repo, shas


def hostile_result(path: Path) -> Path:
    """A result file whose step names try to inject HTML."""
    result = shop_run(0, "", {HOSTILE_STEP: 0.1, "home": 0.05})
    write(result, path)
    return path
