"""The engine's scheduling and recording, exactly, through its two seams: an in-memory httpx
transport (``MockTransport``) and a virtual clock. No sockets and no waiting: a 10-second run
takes milliseconds, and every count and latency is the one the schedule implies. Real loopback
servers prove the whole path in test_runner.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path

import httpx
import pytest

from peac.core import quantiles
from peac.core.measures import measure
from peac.load.engine import Engine, RunOptions, execute
from peac.model.objectives import Limits, Objective, Source
from peac.model.results import RunResult
from peac.results.format import to_json
from peac.spec.plan import ScenarioPlan
from tests.runner_helpers import scenario
from tests.virtual_time import EPOCH, VirtualClock, run_virtual


class _Stream(httpx.AsyncByteStream):
    def __init__(self, parts: AsyncIterator[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self.parts:
            yield part


Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
FLOW = "    - name: h\n      steps:\n        - path: /x\n"


def answering_after(seconds: float, status: int = 200) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(seconds)  # virtual: the server takes exactly this long
        return httpx.Response(status, content=b"ok")

    return handler


def run(
    plan: ScenarioPlan,
    handler: Handler,
    *,
    stop: asyncio.Event | None = None,
    abort_rules: tuple[Objective, ...] = (),
) -> RunResult:
    opts = RunOptions(
        seed=1,
        environ={},
        clock=VirtualClock(),
        transport=lambda: httpx.MockTransport(handler),
        stop=stop,
        abort_rules=abort_rules,
    )
    return run_virtual(execute(plan, plan.scenario.spec.load, opts))


def run_engine(plan: ScenarioPlan, handler: Handler, before: Callable[[Engine], None]) -> RunResult:
    """Run ``plan`` on virtual time with ``before`` called on the engine inside the loop (to
    schedule stops, as signal handlers would)."""

    async def main() -> RunResult:
        options = RunOptions(
            seed=1,
            environ={},
            clock=VirtualClock(),
            transport=lambda: httpx.MockTransport(handler),
        )
        engine = Engine(plan, plan.scenario.spec.load, options)
        before(engine)
        return await engine.run()

    return run_virtual(main())


def plan_for(tmp_path: Path, load: str, flows: str = FLOW) -> ScenarioPlan:
    return scenario(tmp_path, "http://127.0.0.1:9", load, flows)


def test_open_model_runs_every_arrival_on_schedule(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: constant-arrival-rate, rate: 10/s, duration: 10s}")
    result = run(plan, answering_after(0.05))
    c = result.counters
    assert (c.scheduled_arrivals, c.dropped_arrivals, c.iterations, c.requests) == (
        100,
        0,
        100,
        100,
    )
    # every request took exactly 50 ms (HDR keeps 3 significant digits)
    for stat in ("min", "p50", "max"):
        assert quantiles.stat_seconds(result.latency(), stat) == pytest.approx(0.05, rel=1e-3)
    assert [s.requests for s in result.timeline] == [10] * 10
    assert result.started_at == EPOCH
    assert result.duration == pytest.approx(10.0, abs=0.06)
    assert not result.health.saturated


def test_closed_model_vus_loop_back_to_back(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: constant-vus, vus: 2, duration: 5s, graceful_stop: 1s}")
    result = run(plan, answering_after(0.125))  # a binary fraction: no rounding at the end
    # two VUs, each 8 requests a second of 125 ms for 5 s
    assert result.counters.requests == 80
    assert quantiles.stat_seconds(result.latency(), "max") == pytest.approx(0.125, rel=1e-3)


def test_a_busy_generator_drops_arrivals_and_counts_them(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path, "{executor: constant-arrival-rate, rate: 10/s, duration: 2s, max_vus: 1}"
    )
    result = run(plan, answering_after(0.25))
    c = result.counters
    # one VU busy 250 ms per arrival takes those at 0.0, 0.3, 0.6, ... 1.8 s; the rest find
    # it busy and are dropped
    assert c.scheduled_arrivals == 20
    assert c.requests == 7
    assert c.dropped_arrivals == 13


def test_waiting_arrivals_count_their_wait_into_latency(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        "{executor: constant-arrival-rate, rate: 10/s, duration: 1s, max_vus: 1, max_wait: 5s}",
    )
    result = run(plan, answering_after(0.2))
    c = result.counters
    assert (c.requests, c.dropped_arrivals) == (10, 0)
    # the last arrival (0.9 s) starts at 9 x 0.2 = 1.8 s and ends at 2.0 s: 1.1 s of latency,
    # while the server's own service time stays 200 ms
    assert quantiles.stat_seconds(result.latency(), "max") == pytest.approx(1.1, rel=1e-3)
    assert quantiles.stat_seconds(result.latency(service=True), "max") == pytest.approx(
        0.2, rel=1e-3
    )


def test_shared_iterations_end_when_the_work_is_done(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: shared-iterations, vus: 3, iterations: 30}")
    result = run(plan, answering_after(0.1))
    assert result.counters.iterations == 30
    assert result.duration == pytest.approx(1.0, abs=0.06)  # 30 x 100 ms over 3 VUs
    assert not result.partial


def test_max_duration_stops_iterations_and_says_so(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        "{executor: per-vu-iterations, vus: 1, iterations: 100, max_duration: 2200ms, "
        "graceful_stop: 1s}",
    )
    result = run(plan, answering_after(0.5))
    assert result.partial
    assert result.stop_reason == "max_duration 2.2s reached"
    # four done by the stop at 2.2 s; the one in flight finishes within graceful_stop, at 2.5 s
    assert result.counters.iterations == 5
    assert result.duration == pytest.approx(2.5, abs=0.06)


def test_abort_on_fail_stops_a_lost_run(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: constant-arrival-rate, rate: 20/s, duration: 60s}")
    rule = Objective(
        name="error_rate rate",
        metric="error_rate",
        stat="rate",
        step=None,
        unit="percent",
        higher_is_worse=True,
        key=False,
        weight=1.0,
        abort_on_fail=True,
        warn=None,
        fail=Limits(max=0.05),
        source=Source("b.yaml", 1, 1),
    )
    result = run(plan, answering_after(0.01, status=500), abort_rules=(rule,))
    assert result.partial
    assert result.stop_reason.startswith('aborted: objective "error_rate rate" is 100.00%')
    assert "beyond its fail.max 5.00%" in result.stop_reason
    # the watch looks once a second and needs 20 requests: it stops within the first seconds
    assert result.counters.scheduled_arrivals <= 3 * 20
    assert result.counters.failures["http_5xx"] == result.counters.requests


def test_a_stop_request_ends_the_run_with_a_partial_result(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: constant-vus, vus: 1, duration: 60s, graceful_stop: 1s}")
    stop = asyncio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 5:
            stop.set()  # as the SIGINT handler does, via Engine.request_stop
        await asyncio.sleep(0.1)
        return httpx.Response(200)

    result = run(plan, handler, stop=stop)
    assert result.counters.requests == 5  # the one in flight finished within graceful_stop
    assert result.duration < 1.0


def test_a_trickling_server_hits_the_whole_request_deadline(tmp_path: Path) -> None:
    """A byte every half second never trips a per-read timeout; the request's deadline does."""
    plan = plan_for(
        tmp_path,
        "{executor: per-vu-iterations, vus: 1, iterations: 1}",
        "    - name: h\n      steps:\n        - path: /x\n          timeout: 2s\n",
    )

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(1000):
            await asyncio.sleep(0.5)
            yield b"x"

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_Stream(trickle()))

    result = run(plan, handler)
    assert result.counters.failures["timeout"] == 1
    assert quantiles.stat_seconds(result.latency(), "max") == pytest.approx(2.0, rel=1e-3)


def test_each_request_keeps_its_own_deadline_across_steps_and_iterations(tmp_path: Path) -> None:
    """The deadline is one timer per VU, re-armed lazily: a short timeout after a long one
    (the timer armed 10 s out must be brought forward) times out exactly on its own, again
    in every iteration."""
    plan = plan_for(
        tmp_path,
        "{executor: per-vu-iterations, vus: 1, iterations: 3}",
        "    - name: h\n      steps:\n"
        "        - {path: /fast, timeout: 10s, name: fast}\n"
        "        - {path: /slow, timeout: 1s, name: slow}\n",
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep({"/fast": 0.25, "/slow": 2.0}[request.url.path])
        return httpx.Response(200)

    result = run(plan, handler)
    c = result.counters
    assert (c.requests, c.failures["timeout"]) == (6, 3)  # a failed step ends its iteration
    fast, slow = (result.latency(step) for step in ("fast", "slow"))
    assert quantiles.stat_seconds(fast, "max") == pytest.approx(0.25, rel=1e-3)
    assert quantiles.stat_seconds(slow, "min") == pytest.approx(1.0, rel=1e-3)
    assert quantiles.stat_seconds(slow, "max") == pytest.approx(1.0, rel=1e-3)
    assert result.duration == pytest.approx(3 * 1.25, rel=1e-3)


def test_requests_cut_off_at_the_graceful_stop_are_counted_as_timeouts(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        "{executor: constant-arrival-rate, rate: 10/s, duration: 2s, graceful_stop: 1s}",
    )
    result = run(plan, answering_after(30.0))  # nothing answers before the run ends
    c = result.counters
    assert c.scheduled_arrivals == 20
    assert c.requests + c.dropped_arrivals == c.scheduled_arrivals  # none vanishes
    assert c.failures["timeout"] == c.requests == 20
    assert result.duration == pytest.approx(2.9, abs=0.06)  # last arrival at 1.9 s + 1 s


def test_a_second_stop_ends_the_graceful_stop_at_once(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "{executor: constant-vus, vus: 1, duration: 60s, graceful_stop: 30s}")

    def stop_twice(engine: Engine) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(1.0, engine.request_stop, "interrupted (SIGINT)")
        loop.call_later(2.0, engine.request_stop, "terminated (SIGTERM)")

    result = run_engine(plan, answering_after(100.0), stop_twice)
    assert result.stop_reason == "interrupted (SIGINT)"
    assert result.duration == pytest.approx(2.0, abs=0.06)  # not 1 s + 30 s of grace
    assert result.counters.failures["timeout"] == 1


def test_a_rate_beyond_the_machine_still_yields_to_a_stop(tmp_path: Path) -> None:
    """Arrivals all behind schedule never wait, so the scheduler must yield by itself."""
    plan = plan_for(
        tmp_path, "{executor: constant-arrival-rate, rate: 1000000/s, duration: 60s, max_vus: 1}"
    )

    def stop_at_once(engine: Engine) -> None:
        asyncio.get_running_loop().call_soon(engine.request_stop, "interrupted (SIGINT)")

    result = run_engine(plan, answering_after(0.0), stop_at_once)
    assert result.partial
    assert result.counters.scheduled_arrivals < 10


@pytest.mark.parametrize(
    "template",
    [
        "{{ 1 / 0 }}",
        "{{ random_choice([]) }}",
        "{{ random_int(2, 1) }}",
        '{{ 1 + "a" }}',
        "{{ 2.0 ** 100000 }}",
        "{{ 9 ** (9 ** 9) }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ random_int(secrets.key, 2) }}",  # the secret's value must not surface anywhere
    ],
)
def test_a_failing_template_is_a_counted_failure_and_the_run_goes_on(
    tmp_path: Path, template: str
) -> None:
    plan = scenario(
        tmp_path,
        "http://127.0.0.1:9",
        "{executor: per-vu-iterations, vus: 1, iterations: 3}",
        "    - name: f\n      steps:\n"
        f"        - path: '/x'\n          headers: {{A: '{template}'}}\n"
        "        - path: /y\n",
        "  secrets:\n    key: {env: KEY}\n",
    )
    opts = RunOptions(
        seed=1,
        environ={"KEY": "s3cr3t-value"},
        clock=VirtualClock(),
        transport=lambda: httpx.MockTransport(answering_after(0.01)),
    )
    result = run_virtual(execute(plan, plan.scenario.spec.load, opts))
    assert result.counters.failures["template"] == 3
    assert result.counters.iterations == 3
    assert result.counters.requests == 0  # a flow stops at its failed step
    assert "s3cr3t" not in json.dumps(to_json(result))


@pytest.mark.parametrize(
    ("body", "check"),
    [
        (b"[" * 100_000, "{json: {path: 'a', exists: true}}"),  # nested past the parser
        (b'{"n": {"a": 1}}', "{json: {path: 'sum(n)', equals: 1}}"),  # sum of an object
        (b'{"total": "x"}', "{json: {path: 'abs(total)', equals: 1}}"),  # abs of a string
    ],
)
def test_a_hostile_body_fails_the_check_not_the_run(
    tmp_path: Path, body: bytes, check: str
) -> None:
    plan = plan_for(
        tmp_path,
        "{executor: per-vu-iterations, vus: 1, iterations: 2}",
        f"    - name: h\n      steps:\n        - path: /x\n          checks: [{check}]\n"
        "          capture:\n            got: {json: 'abs(total)'}\n",
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    result = run(plan, handler)
    assert result.counters.requests == 2
    assert (result.counters.checks_passed, result.counters.checks_failed) == (0, 2)


def test_throughput_is_the_rate_while_load_was_generated_not_the_tail(tmp_path: Path) -> None:
    """Iterations that think after their last request keep the run open for the graceful stop;
    those seconds are not part of the rate the load was sent at (before: 100 requests over
    12.95 s, 7.7/s, for a 10/s load)."""
    flows = "    - name: h\n      steps:\n        - path: /x\n          think: {constant: 3s}\n"
    plan = plan_for(tmp_path, "{executor: constant-arrival-rate, rate: 10/s, duration: 10s}", flows)
    result = run(plan, answering_after(0.05))
    assert result.duration == pytest.approx(12.95, abs=0.06)  # the last iteration's think time
    assert result.load.seconds == pytest.approx(9.9, abs=1e-6)  # the last arrival
    assert result.load.requests == {"GET /x": 99}  # the 100th answers 50 ms after its arrival
    assert measure(result, "throughput", "rate") == pytest.approx(10.0)


def test_merged_throughput_adds_shards_and_averages_repetitions() -> None:
    """Two shards of one run load side by side: their rates add. Two repetitions of a run one
    after the other (the pipeline's ci.repetitions): the rate is theirs, not twice it."""
    from peac.model.results import LoadWindow
    from peac.results.merge import merge

    def part(start: float, shard: str) -> RunResult:
        result = RunResult("s", "d" * 16, {"executor": "x"}, start, start + 12.0, "test")
        result.shards = [shard]
        result.load = LoadWindow(10.0, {"GET /x": 100})
        return result

    shards = merge([part(0.0, "1/2"), part(0.0, "2/2")])
    assert measure(shards, "throughput", "rate") == pytest.approx(20.0)
    repetitions = merge([part(0.0, "1/1"), part(20.0, "1/1")])
    assert measure(repetitions, "throughput", "rate") == pytest.approx(10.0)
