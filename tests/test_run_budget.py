"""`peac run --budget`: the run judged against the budget's absolute limits at its end (a mark
per objective, exit 1 on a broken fail limit), and a run that measured nothing failing even
without a budget. Real runs against a real server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.servers import closed_port, fault_server

SCENARIO = """apiVersion: peac/v1
kind: Scenario
metadata: {name: t}
spec:
  target: {base_url: '%(url)s'}
  load: {executor: per-vu-iterations, vus: 1, iterations: 5}
  flows:
    - name: f
      steps:
        - name: ok
          path: /ok
"""

BUDGET = """apiVersion: peac/v1
kind: Budget
metadata: {name: b}
spec:
  scenario: s.yaml
  objectives:
    - metric: latency
      stat: p95
      key: true
      warn: {max: %(warn)s}
      fail: {max: %(fail)s}
    - metric: error_rate
      fail: {max: 1%%}
"""


def _files(tmp_path: Path, url: str, warn: str, fail: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "s.yaml").write_text(SCENARIO % {"url": url}, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BUDGET % {"warn": warn, "fail": fail}, encoding="utf-8")


@pytest.mark.parametrize(
    ("warn", "fail", "code", "mark", "words"),
    [
        ("10s", "20s", 0, "✓", "limits: 2 passed"),
        ("1us", "20s", 0, "!", "limits: 1 warned, 1 passed"),
        ("1us", "2us", 1, "✗", "limits: 1 failed, 1 passed"),
    ],
)
def test_the_run_is_judged_against_the_budget_limits(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    warn: str,
    fail: str,
    code: int,
    mark: str,
    words: str,
) -> None:
    with fault_server() as url:
        _files(tmp_path, url, warn, fail)
        monkeypatch.chdir(tmp_path)
        got, out, err = run_cli("run", "s.yaml", "--budget", "b.yaml", "--workers", "1")
    assert got == code, out + err
    assert "budget b (b.yaml): absolute limits" in out
    latency = next(line for line in out.splitlines() if "latency p95 (key)" in line)
    assert latency.lstrip().startswith(mark)
    if code == 1:
        # The line names the tier that broke, its limit and where the budget sets it.
        assert "fail ≤ 2.0 µs: above its maximum (b.yaml:11)" in latency
    assert words in out
    assert (tmp_path / "results/run.json").is_file()  # the result is written either way


def test_the_budget_itself_can_be_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`peac run b.yaml` runs the budget's scenario and judges it, as --help says."""
    with fault_server() as url:
        _files(tmp_path, url, "10s", "20s")
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli("run", "b.yaml", "--workers", "1")
    assert code == 0, out + err
    assert "limits: 2 passed" in out


def test_a_run_nobody_answered_fails_with_the_likely_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    _files(tmp_path, url, "10s", "20s")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", "s.yaml", "--workers", "1")
    assert code == 1, out + err
    assert f"error: nothing answered at {url}: is the service running?" in err
    # With the budget, the refused run cannot be judged, whatever its "latencies" say.
    code, out, err = run_cli("run", "s.yaml", "--budget", "b.yaml", "--workers", "1")
    assert code == 1
    assert "the run cannot be judged: every request failed" in out
