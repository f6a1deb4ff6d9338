"""The server side of a run: Prometheus scraping, process sampling, and bottleneck hints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peac.core.hints import hints
from peac.demo.shop.app import ShopApp
from peac.demo.shop.server import running
from peac.load.engine import RunOptions, execute
from peac.load.monitor import MAX_SERIES, parse_prometheus
from peac.model.results import (
    Health,
    MonitorSeries,
    ProcessSample,
    ProcessSeries,
    RunResult,
    ScrapeSample,
    Second,
    ServerSide,
)
from tests.runner_helpers import scenario


def _result(**fields: object) -> RunResult:
    base = RunResult("s", "d", {}, 0.0, 10.0, "0")
    for name, value in fields.items():
        setattr(base, name, value)
    return base


def test_parse_prometheus_text() -> None:
    values = parse_prometheus(
        '# TYPE req counter\nreq_total{route="a",code="200"} 3\nprocess_cpu_seconds_total 1.5\n'
    )
    assert values == {'req_total{code="200",route="a"}': 3.0, "process_cpu_seconds_total": 1.5}
    many = "".join(f'm{{i="{i}"}} {i}\n' for i in range(MAX_SERIES + 50))
    assert len(parse_prometheus(many)) == MAX_SERIES
    with pytest.raises(ValueError):
        parse_prometheus("this is { not prometheus\n")


def test_hint_for_a_saturated_generator() -> None:
    result = _result(health=Health(saturated=True, reason="generator CPU at 100% of a core"))
    assert hints(result) == [
        "the load generator was saturated (generator CPU at 100% of a core): add --workers or "
        "machines (--shard) before reading these numbers as the server's"
    ]


def test_hint_for_server_cpu_while_latency_rises() -> None:
    timeline = [Second(t, requests=100, p95=0.02 if t < 5 else 0.2) for t in range(10)]
    server = ServerSide(
        process=ProcessSeries(1, [ProcessSample(t, 50.0 + 5 * t, 1) for t in range(10)])
    )
    (hint,) = hints(_result(timeline=timeline, server=server))
    assert hint == (
        "server CPU reached 95% of a core while p95 rose from 20ms to 200ms: the "
        "server's CPU looks like the bottleneck"
    )


def test_server_cpu_from_prometheus_counter() -> None:
    samples = [ScrapeSample(float(t), {"process_cpu_seconds_total": 0.95 * t}) for t in range(6)]
    timeline = [Second(t, requests=10, p95=0.01 * (t + 1) ** 2) for t in range(6)]
    server = ServerSide(
        monitors=[MonitorSeries("m", "http://127.0.0.1/metrics", 1.0, 0, "", samples)]
    )
    (hint,) = hints(_result(timeline=timeline, server=server))
    assert hint.startswith("server CPU reached 95% of a core")


def test_hint_for_an_error_knee() -> None:
    timeline = [Second(0, 100, 0), Second(1, 200, 1), Second(2, 300, 60), Second(3, 300, 90)]
    assert hints(_result(timeline=timeline)) == [
        "errors rose past about 200 req/s: from 0.5% at second 1 to 20.0% at second 2"
    ]


def test_no_hints_for_a_calm_run() -> None:
    timeline = [Second(t, 100, 0, p95=0.02) for t in range(10)]
    assert hints(_result(timeline=timeline)) == []


def test_monitors_and_process_are_sampled_during_a_run(tmp_path: Path) -> None:
    import asyncio

    with running(ShopApp(seed=1, scale=0.05)) as (_, url):
        plan = scenario(
            tmp_path,
            url,
            "{executor: constant-vus, vus: 2, duration: 2500ms, graceful_stop: 1s}",
            "    - name: h\n      steps:\n        - path: /api/products\n",
            f"  monitor:\n    - {{url: '{url}/metrics', interval: 1s, name: shop}}\n",
        )
        # The demo service runs in a thread of this process, so this process is the server.
        options = RunOptions(seed=1, environ={}, server_pid=os.getpid())
        result = asyncio.run(execute(plan, plan.scenario.spec.load, options))
    (monitor,) = result.server.monitors
    assert monitor.name == "shop"
    assert monitor.errors == 0
    assert len(monitor.samples) >= 2
    last = monitor.samples[-1].values
    assert last['shop_requests_total{route="products",status="200"}'] > 0
    assert result.server.process is not None
    samples = result.server.process.samples
    assert len(samples) >= 2
    assert all(s.rss_bytes > 0 for s in samples)
