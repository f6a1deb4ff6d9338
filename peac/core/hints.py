"""Plain-language hints about what limited a run, from its own measurements.

Pure: a RunResult in, sentences out. Each hint states the numbers it rests on, so a reader can
check it instead of trusting it.
"""

from __future__ import annotations

import itertools

from peac.model.results import RunResult, ServerSide

CPU_BUSY = 90.0  # percent of one core
KNEE_BEFORE = 0.01
KNEE_AFTER = 0.05


def _halves(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 4:
        return None
    middle = len(values) // 2
    first, second = values[:middle], values[middle:]
    return sum(first) / len(first), sum(second) / len(second)


def server_cpu_series(server: ServerSide) -> list[tuple[float, float]]:
    """(t, CPU percent of one core) from the sampled process, else from process_cpu_seconds_total
    of the first monitor that exposes it."""
    process = server.process
    if process is not None and process.samples:
        return [(s.t, s.cpu_percent) for s in process.samples]
    for monitor in server.monitors:
        points = [
            (s.t, s.values["process_cpu_seconds_total"])
            for s in monitor.samples
            if "process_cpu_seconds_total" in s.values
        ]
        if len(points) >= 2:
            return [
                (t1, 100.0 * (v1 - v0) / (t1 - t0))
                for (t0, v0), (t1, v1) in itertools.pairwise(points)
                if t1 > t0
            ]
    return []


def hints(result: RunResult, *, local_server: bool = False, workers: int = 1) -> list[str]:
    """``local_server``: the target runs on this machine, so the generator and the server
    compete for the same cores and more workers make things worse, not better."""
    found: list[str] = []
    if result.health.saturated:
        if result.health.cause == "machine":
            advice = (
                "more --workers would not help: run on a quieter machine (or runner), or stop "
                "what else runs beside the generator"
            )
        elif result.health.cause == "blocked":
            advice = (
                "more --workers would not help: look for swapping, a stopped process or a "
                "blocking call in the generator's machine"
            )
        elif local_server:
            advice = (
                f"the server runs on this machine and shares its cores with {workers} "
                "worker(s): use fewer --workers, or generate the load from another machine"
            )
        else:
            advice = "add --workers or machines (--shard)"
        found.append(
            f"the load generator was saturated ({result.health.reason}): {advice} before "
            "reading these numbers as the server's"
        )
    p95s = [s.p95 for s in result.timeline if s.p95 is not None]
    cpu = [v for _, v in server_cpu_series(result.server)]
    latency = _halves(p95s)
    if cpu and latency and max(cpu) >= CPU_BUSY and latency[1] > 1.5 * latency[0]:
        found.append(
            f"server CPU reached {max(cpu):.0f}% of a core while p95 rose from "
            f"{latency[0] * 1e3:.0f}ms to {latency[1] * 1e3:.0f}ms: the server's CPU "
            "looks like the bottleneck"
        )
    knee = _error_knee(result)
    if knee:
        found.append(knee)
    return found


def _error_knee(result: RunResult) -> str:
    """The request rate past which the error share jumped, if it did."""
    seconds = [s for s in result.timeline if s.requests > 0]
    for before, after in itertools.pairwise(seconds):
        share_before = before.errors / before.requests
        share_after = after.errors / after.requests
        if share_before <= KNEE_BEFORE and share_after >= KNEE_AFTER:
            return (
                f"errors rose past about {before.requests} req/s: from {share_before:.1%} at "
                f"second {before.t} to {share_after:.1%} at second {after.t}"
            )
    return ""
