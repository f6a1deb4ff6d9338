"""The generator's health verdict: a run is refused only when it was behind schedule for a
sustained time, never for a start-up transient or a few late arrivals, and the cause is named
(the generator's own CPU, a machine busy with other work, or a loop blocked without CPU).

The pure judge is checked on made-up seconds; the engine on virtual time, where a stall is made
by moving the clock inside a request (the loop cannot run meanwhile, as with a real block), and
the CPU meter is a seam that says what a busy machine or a busy generator would say."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from peac.core.health import (
    LATE_SHARE_LIMIT,
    SUSTAINED,
    Figures,
    WatchedSecond,
    figures,
    judge_health,
)
from peac.load.engine import RunOptions, execute
from peac.load.health import Meter, process_meter
from peac.model.results import Health, RunResult
from peac.results.format import from_json, to_json
from peac.results.merge import merge
from tests.runner_helpers import scenario
from tests.virtual_time import VirtualClock, VirtualTimeLoop, run_virtual


def quiet(n: int, rate: int = 50) -> list[WatchedSecond]:
    return [WatchedSecond(arrivals=rate, cpu=0.05, waited=0.0) for _ in range(n)]


def judged(seconds: list[WatchedSecond], cpu: float = 0.05) -> Health:
    return judge_health(figures(seconds, cpu=cpu, elapsed=float(len(seconds))))


# -- the pure judge -----------------------------------------------------------------------------


def test_a_quiet_run_is_healthy_with_no_note() -> None:
    health = judged(quiet(4))
    assert (health.saturated, health.reason, health.note, health.cause) == (False, "", "", "")


def test_a_start_up_stall_is_a_transient_said_in_a_note() -> None:
    """The false alarm of issue 21: a 30/s run whose first arrivals started ~100 ms late."""
    seconds = quiet(4, rate=30)
    seconds[0] = WatchedSecond(arrivals=30, late=5, stalled=0.12, cpu=0.2, waited=0.0)
    health = judged(seconds)
    assert not health.saturated
    assert health.note == (
        "5 arrival(s) (4.2%) started more than 50 ms late, in no second for long: a transient "
        "(limits: 2 s behind and 5% of the run), so the run is judged"
    )


def test_one_long_stall_in_one_second_is_a_transient() -> None:
    seconds = quiet(10)
    seconds[3] = WatchedSecond(arrivals=50, late=45, stalled=0.9, cpu=0.05, waited=0.0)
    health = judged(seconds)
    assert not health.saturated and health.behind_seconds == 1


def test_a_generator_behind_on_its_own_cpu_is_the_bottleneck() -> None:
    seconds = [WatchedSecond(arrivals=1000, late=800, cpu=0.85, waited=0.01) for _ in range(4)]
    health = judged(seconds, cpu=0.85)
    assert health.saturated and health.cause == "generator"
    assert health.reason == (
        "3200 arrival(s) (80.0%) started more than 50 ms late, in 4 s: the generator is the "
        "bottleneck (CPU at 85% of a core, waiting for a CPU 1% of that time)"
    )


def test_a_full_core_is_saturated_whatever_the_schedule_says() -> None:
    health = judged(quiet(4), cpu=0.97)
    assert health.saturated and health.cause == "generator"
    assert health.reason == "generator CPU at 97% of a core (limit 90%)"


def test_a_busy_machine_is_told_apart_from_a_busy_generator() -> None:
    seconds = [WatchedSecond(arrivals=50, late=30, cpu=0.06, waited=0.45) for _ in range(3)]
    health = judged([*quiet(2), *seconds])
    assert health.saturated and health.cause == "machine"
    assert "this machine was busy with other work (the generator waited for a CPU 45% of that " in (
        health.reason
    )
    assert "using 6% of a core itself" in health.reason


def test_behind_without_cpu_or_wait_is_a_blocked_loop() -> None:
    seconds = [WatchedSecond(arrivals=50, late=40, stalled=0.5, cpu=0.02, waited=0.0)] * 3
    health = judged(seconds)
    assert health.saturated and health.cause == "blocked"
    assert "held up without using CPU" in health.reason


def test_an_unknown_wait_never_names_the_machine() -> None:
    seconds = [WatchedSecond(arrivals=50, late=40, cpu=0.02, waited=None)] * 3
    health = judged(seconds)
    assert health.cause == "blocked" and health.waited_behind is None
    assert "waiting for a CPU" not in health.reason


def test_a_closed_model_is_judged_on_the_loop_lag_alone() -> None:
    seconds = [WatchedSecond(stalled=0.4, cpu=0.3, waited=0.3) for _ in range(5)]
    health = judged(seconds)
    assert health.saturated and health.cause == "machine"
    assert health.reason.startswith("the event loop ran late for 40.0% of the run, in 5 s")


def test_sustained_means_both_seconds_and_share() -> None:
    """Two behind seconds in a long run are a small share: a transient; the share limit alone
    (one long second of a short run) is not sustained either."""
    long_run = quiet(100)
    for i in (10, 60):
        long_run[i] = WatchedSecond(arrivals=50, late=20, cpu=0.05, waited=0.0)
    assert not judged(long_run).saturated
    short = quiet(3)
    short[1] = WatchedSecond(arrivals=50, late=50, cpu=0.05, waited=0.0)
    assert not judged(short).saturated


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5000),
            st.integers(0, 5000),
            st.floats(0, 1.5),
            st.floats(0, 1.0),
            st.none() | st.floats(0, 1.0),
        ),
        max_size=30,
    ),
    st.floats(0, 1.0),
)
def test_the_verdict_follows_its_stated_rule_on_any_seconds(
    raw: list[tuple[int, int, float, float, float | None]], cpu: float
) -> None:
    seconds = [WatchedSecond(a, min(late, a), s, c, w) for a, late, s, c, w in raw]
    health = judge_health(figures(seconds, cpu=cpu, elapsed=float(max(1, len(seconds)))))
    behind = sum(1 for s in seconds if s.behind())
    share = max(health.late_share, health.stalled_share)
    needed = max(1, min(SUSTAINED, max(1, len(seconds))))
    sustained = behind >= needed and share >= LATE_SHARE_LIMIT
    assert health.saturated == (sustained or cpu >= 0.9)
    assert 0 <= health.late_share <= 1
    assert health.cause in ("", "generator", "machine", "blocked")
    assert bool(health.cause) == health.saturated
    assert not (health.saturated and health.note)


def test_the_figures_survive_the_result_file_and_a_merge() -> None:
    seconds = [WatchedSecond(arrivals=50, late=30, cpu=0.06, waited=0.45) for _ in range(3)]
    health = judged([*quiet(2), *seconds])
    result = RunResult(
        scenario="s",
        scenario_digest="d" * 16,
        executor={"executor": "constant-arrival-rate"},
        started_at=1.0,
        ended_at=6.0,
        peac_version="test",
    )
    result.health = health
    read = from_json(json.loads(json.dumps(to_json(result))))
    assert read.health == health
    calm = from_json(json.loads(json.dumps(to_json(result))))
    calm.health = judged(quiet(5))
    merged = merge([read, calm]).health
    assert merged.saturated and merged.cause == "machine"
    assert "in the busiest of 2 workers" in merged.reason


def test_a_merge_keeps_an_older_results_verdict() -> None:
    """Results written before these figures existed carry only saturated and a reason."""
    old = Figures(cpu=0.1, elapsed=4.0)
    a, b = judge_health(old), judge_health(old)
    a.saturated, a.reason = True, "arrivals started late: schedule lag p99 90ms (limit 50ms)"
    results = []
    for health in (a, b):
        r = RunResult("s", "d" * 16, {"executor": "x"}, 1.0, 5.0, "test")
        r.health = health
        results.append(r)
    merged = merge(results).health
    assert merged.saturated and merged.reason == a.reason


# -- the engine on virtual time -----------------------------------------------------------------


def _run(
    tmp_path: Path,
    load: str,
    handler: Callable[[httpx.Request], httpx.Response],
    meter: Meter,
) -> RunResult:
    plan = scenario(
        tmp_path, "http://127.0.0.1:9", load, "    - name: h\n      steps:\n        - path: /x\n"
    )

    async def answer(request: httpx.Request) -> httpx.Response:
        return handler(request)

    options = RunOptions(
        seed=1,
        environ={},
        clock=VirtualClock(),
        transport=lambda: httpx.MockTransport(answer),
        meter=meter,
    )
    return run_virtual(execute(plan, plan.scenario.spec.load, options))


def _stall_at(times: set[int], seconds: float) -> Callable[[httpx.Request], httpx.Response]:
    """A handler that blocks the loop for ``seconds`` on the listed requests (1-based)."""
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        if count in times:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, VirtualTimeLoop)
            loop.advance(seconds)  # time passes and nothing else runs: a blocked loop
        return httpx.Response(200, content=b"ok")

    return handler


def _meter(cpu_share: float, wait_share: float) -> Meter:
    """What the kernel would say of a generator using ``cpu_share`` of a core and waiting
    ``wait_share`` of the time for one (read on the virtual clock)."""

    def meter() -> tuple[float, float | None]:
        now = asyncio.get_running_loop().time()
        return cpu_share * now, wait_share * now

    return meter


def test_a_stall_at_the_first_request_is_not_saturation(tmp_path: Path) -> None:
    load = "{executor: constant-arrival-rate, rate: 50/s, duration: 4s}"
    result = _run(tmp_path, load, _stall_at({1}, 0.12), _meter(0.05, 0.0))
    health = result.health
    assert not health.saturated, health.reason
    # due at 20, 40, ..., 120 ms, all started at 120 ms: the first three more than 50 ms late
    assert health.late == 3
    assert health.note.startswith("3 arrival(s) (1.5%) started more than 50 ms late")
    assert health.schedule_lag_max >= 0.1


def test_a_generator_stalled_every_second_on_a_busy_machine_is_refused(tmp_path: Path) -> None:
    load = "{executor: constant-arrival-rate, rate: 50/s, duration: 4s}"
    stalls = {1 + 50 * i for i in range(4)}  # one 0.6 s block per second of arrivals
    result = _run(tmp_path, load, _stall_at(stalls, 0.6), _meter(0.05, 0.5))
    health = result.health
    assert health.saturated and health.cause == "machine", health.reason
    assert health.behind_seconds >= SUSTAINED


def test_the_same_stalls_with_the_cpu_full_blame_the_generator(tmp_path: Path) -> None:
    load = "{executor: constant-arrival-rate, rate: 50/s, duration: 4s}"
    stalls = {1 + 50 * i for i in range(4)}
    result = _run(tmp_path, load, _stall_at(stalls, 0.6), _meter(0.8, 0.0))
    assert result.health.saturated and result.health.cause == "generator"


def test_the_real_meter_reads_this_process() -> None:
    cpu, waited = process_meter()
    assert cpu > 0
    if Path("/proc/thread-self/schedstat").exists():
        assert waited is not None and waited >= 0


def test_a_generator_that_wants_a_whole_core_it_shares_is_the_bottleneck() -> None:
    """Beside other work a CPU-bound generator gets part of a core and waits for the rest."""
    seconds = [WatchedSecond(arrivals=9000, late=8000, cpu=0.62, waited=0.35)] * 3
    health = judged(seconds, cpu=0.62)
    assert health.cause == "generator"
    assert "it wanted a whole core, used 62% of one and waited for a CPU 35% of the" in (
        health.reason
    )
