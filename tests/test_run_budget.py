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
    # The refused requests' "latency" is within the limit but is not shown as a pass.
    latency = next(line for line in out.splitlines() if "latency p95 (key)" in line)
    assert latency.lstrip().startswith("?") and "not judged" in latency


def test_plain_progress_lines_come_at_the_interval_with_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In CI (no terminal) a run writes a plain line every interval, aggregated over the
    workers: two workers' requests add up in one line, never one line per worker."""
    with fault_server() as url:
        (tmp_path / ".git").mkdir()
        (tmp_path / "s.yaml").write_text(
            (SCENARIO % {"url": url}).replace(
                "{executor: per-vu-iterations, vus: 1, iterations: 5}",
                "{executor: constant-arrival-rate, rate: 40/s, duration: 3s, max_vus: 4}",
            ),
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli(
            "run", "s.yaml", "--workers", "2", "--progress", "plain", "--progress-interval", "1s"
        )
    assert code == 0, out + err
    lines = [line for line in err.splitlines() if line.startswith("running ")]
    # 3 s of load at 1 s intervals: a line at about 1 s and 2 s (3 s races the end of the run).
    assert 2 <= len(lines) <= 3, err
    assert all(" / 3s " in line and "reqs" in line and "VUs" in line for line in lines)
    counts = [int(line.split("  ")[1].split()[0]) for line in lines]
    assert counts == sorted(counts) and counts[-1] > 40  # both workers' 20/s add up


def test_the_live_line_shows_the_run_figures() -> None:
    import io

    from peac.model.progress import Progress
    from peac.report.progress import LiveProgress

    out = io.StringIO()
    live = LiveProgress(out)
    live(Progress(elapsed=2.0, planned=10.0, requests=84, errors=1, active_vus=3, p95=0.0123))
    live.close()
    text = out.getvalue()
    assert "84 reqs (42/s)" in text and "p95 12.3 ms" in text and "VUs 3" in text, text


def test_the_summary_counts_passes_and_failures_per_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peac.results.format import read

    with fault_server() as url:
        (tmp_path / ".git").mkdir()
        text = (SCENARIO % {"url": url}) + (
            "          checks:\n            - status: 200\n"
            "            - {name: never found, status: 404}\n"
        )
        (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli("run", "s.yaml", "--workers", "2")
    assert code == 0, out + err
    lines = out.splitlines()
    failing = lines.index(next(line for line in lines if "ok: never found" in line))
    passing = lines.index(next(line for line in lines if "ok: status 200" in line))
    assert failing < passing  # failing checks first
    assert lines[failing].strip() == "✗ ok: never found  0/5  (5 failed)"
    assert lines[passing].strip() == "✓ ok: status 200   5/5"
    # Kept in the result (merged over the two workers) and read back.
    assert read(tmp_path / "results/run.json").counters.checks == {
        "ok: status 200": [5, 0],
        "ok: never found": [0, 5],
    }


def test_latencies_are_not_rounded_to_the_millisecond_on_uvloop() -> None:
    """uvloop's loop.time() is libuv's cached millisecond clock; the runner's clock must not be,
    or a fast service's latencies all read 0 or 1 ms."""
    import asyncio
    import time

    uvloop = pytest.importorskip("uvloop")
    from peac.load.clock import LoopClock

    async def measure() -> float:
        clock = LoopClock()
        start = clock.now()
        deadline = time.perf_counter() + 0.0003
        while time.perf_counter() < deadline:  # busy 0.3 ms, no loop iteration in between
            pass
        return clock.now() - start

    elapsed = uvloop.run(measure())
    assert 0.00025 < elapsed < 0.01, elapsed
    assert 0.00025 < asyncio.run(measure()) < 0.01


def test_the_progress_p95_shows_from_the_first_second() -> None:
    from peac.load.recorder import Recorder

    recorder = Recorder(start=0.0)
    assert recorder.recent_p95() is None
    for i in range(100):
        recorder.request("s", "GET", "2xx", 0.010, 0.010, None, 0, 0, 0.2 + i * 0.001)
    assert recorder.recent_p95() == pytest.approx(0.010, rel=0.02)
    recorder.request("s", "GET", "2xx", 0.050, 0.050, None, 0, 0, 1.5)  # second 1 opens
    assert recorder.recent_p95() == pytest.approx(0.010, rel=0.02)  # second 0 is complete
