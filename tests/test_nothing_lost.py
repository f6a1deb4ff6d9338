"""At full speed nothing is lost: every request the server answered is counted once, in the
counters, the histograms and the timeline alike (the runner batches its histogram values and
reads whole responses in one wake-up; this proves neither drops or doubles one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.model.results import RunResult
from tests.runner_helpers import run, scenario
from tests.servers import counting_server


def assert_all_counted(result: RunResult, served: int) -> None:
    c = result.counters
    assert c.failed_requests == 0, c.failures
    assert c.requests == served > 0
    assert sum(s.latency.get_total_count() for s in result.series.values()) == served
    assert sum(s.service_time.get_total_count() for s in result.series.values()) == served
    assert sum(s.requests for s in result.timeline) == served
    assert c.bytes_received == 1024 * served
    assert c.iterations == served
    assert result.iteration_duration.get_total_count() == served


@pytest.mark.parametrize(
    "load",
    [
        "{executor: constant-vus, vus: 40, duration: 2s, graceful_stop: 5s}",
        "{executor: constant-arrival-rate, rate: 3000/s, duration: 2s, max_vus: 200,"
        " graceful_stop: 5s}",
    ],
)
def test_every_request_the_server_answered_is_counted_once(tmp_path: Path, load: str) -> None:
    with counting_server() as (url, served):
        plan = scenario(tmp_path, url, load, "    - name: f\n      steps: [{path: /1k}]\n")
        result = run(plan)
        assert_all_counted(result, served())
    if "arrival" in load:
        c = result.counters
        assert c.scheduled_arrivals == 6000
        assert c.requests + c.dropped_arrivals == 6000
