"""RunResult: what one run (or several merged shards) measured, as plain data and its file format.

Counts and HdrHistograms add exactly, so shards run on several processes or machines merge into
the same numbers one big run would have given. The file is versioned JSON (``format``); the
histograms inside use the standard HdrHistogram compressed encoding.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from peac import histogram as hist
from peac.problems import PeacError

FORMAT = "peac.run-result/v1"
# Why a request (or an iteration) failed. ``check_failed``, ``template`` and ``blocked_host``
# are not failed requests: a failed check still got its response; the others sent nothing.
FAILURE_KINDS = (
    "refused",
    "timeout",
    "reset",
    "http_4xx",
    "http_5xx",
    "too_large",
    "blocked_host",
    "other",
    "check_failed",
    "template",
)
NOT_REQUEST_FAILURES = ("check_failed", "template", "blocked_host")


@dataclass
class Counters:
    requests: int = 0
    iterations: int = 0
    scheduled_arrivals: int = 0
    dropped_arrivals: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))

    def add(self, other: Counters) -> None:
        for name in (
            "requests",
            "iterations",
            "scheduled_arrivals",
            "dropped_arrivals",
            "bytes_sent",
            "bytes_received",
            "checks_passed",
            "checks_failed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.failures.items():
            self.failures[kind] = self.failures.get(kind, 0) + count

    @property
    def failed_requests(self) -> int:
        """Requests that failed (a failed check alone does not fail a request)."""
        return sum(v for k, v in self.failures.items() if k not in NOT_REQUEST_FAILURES)


@dataclass
class Series:
    """Latencies of one step x method x status class."""

    step: str
    method: str
    status: str  # "2xx" ... "5xx", or "error" for requests without a response
    latency: HdrHistogram = field(default_factory=hist.new)
    service_time: HdrHistogram = field(default_factory=hist.new)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.step, self.method, self.status)

    @property
    def count(self) -> int:
        return int(self.latency.get_total_count())


@dataclass
class Second:
    """One second of the run, for plots: counts and latency quantiles."""

    t: int
    requests: int = 0
    errors: int = 0
    active_vus: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


@dataclass
class Health:
    """Whether the load generator, not the server, limited the numbers."""

    saturated: bool = False
    reason: str = ""
    cpu_percent: float = 0.0
    loop_lag_p99: float = 0.0
    schedule_lag_p99: float = 0.0
    schedule_lag_max: float = 0.0


@dataclass
class RunResult:
    scenario: str
    scenario_digest: str
    executor: dict[str, Any]
    started_at: float
    ended_at: float
    peac_version: str
    testbed: dict[str, Any] = field(default_factory=dict)
    git: dict[str, Any] | None = None
    shards: list[str] = field(default_factory=lambda: ["1/1"])
    partial: bool = False
    stop_reason: str = ""
    counters: Counters = field(default_factory=Counters)
    series: dict[tuple[str, str, str], Series] = field(default_factory=dict)
    iteration_duration: HdrHistogram = field(default_factory=hist.new)
    timeline: list[Second] = field(default_factory=list)
    health: Health = field(default_factory=Health)
    server: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return max(self.ended_at - self.started_at, 1e-9)

    def steps(self) -> list[str]:
        return list(dict.fromkeys(s.step for s in self.series.values()))

    def latency(self, step: str | None = None, *, service: bool = False) -> HdrHistogram:
        chosen = [s for s in self.series.values() if step is None or s.step == step]
        return hist.merged(s.service_time if service else s.latency for s in chosen)

    def requests(self, step: str | None = None) -> int:
        return sum(s.count for s in self.series.values() if step is None or s.step == step)

    def errors(self, step: str | None = None) -> int:
        if step is None:
            return self.counters.failed_requests
        return sum(
            s.count
            for s in self.series.values()
            if s.step == step and s.status in ("error", "4xx", "5xx")
        )


def to_json(result: RunResult) -> dict[str, Any]:
    data = {
        "format": FORMAT,
        "scenario": result.scenario,
        "scenario_digest": result.scenario_digest,
        "executor": result.executor,
        "started_at": result.started_at,
        "ended_at": result.ended_at,
        "peac_version": result.peac_version,
        "testbed": result.testbed,
        "git": result.git,
        "shards": result.shards,
        "partial": result.partial,
        "stop_reason": result.stop_reason,
        "counters": asdict(result.counters),
        "health": asdict(result.health),
        "series": [
            {
                "step": s.step,
                "method": s.method,
                "status": s.status,
                "count": s.count,
                "latency": hist.encode(s.latency),
                "service_time": hist.encode(s.service_time),
            }
            for s in result.series.values()
        ],
        "iteration_duration": hist.encode(result.iteration_duration),
        "timeline": [asdict(second) for second in result.timeline],
        "server": result.server,
    }
    return data


def from_json(data: dict[str, Any]) -> RunResult:
    if data.get("format") != FORMAT:
        raise ValueError(f'expected format "{FORMAT}", got {data.get("format")!r}')
    result = RunResult(
        scenario=data["scenario"],
        scenario_digest=data["scenario_digest"],
        executor=data["executor"],
        started_at=float(data["started_at"]),
        ended_at=float(data["ended_at"]),
        peac_version=data["peac_version"],
        testbed=data.get("testbed", {}),
        git=data.get("git"),
        shards=list(data.get("shards", ["1/1"])),
        partial=bool(data.get("partial", False)),
        stop_reason=data.get("stop_reason", ""),
        counters=Counters(**data["counters"]),
        iteration_duration=hist.decode(data["iteration_duration"]),
        timeline=[Second(**second) for second in data.get("timeline", [])],
        health=Health(**data.get("health", {})),
        server=data.get("server", {}),
    )
    for item in data["series"]:
        series = Series(
            item["step"],
            item["method"],
            item["status"],
            hist.decode(item["latency"]),
            hist.decode(item["service_time"]),
        )
        result.series[series.key] = series
    return result


def write(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_json(result), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def read(path: Path) -> RunResult:
    """A result file, or a PeacError saying why it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return from_json(data)
    except FileNotFoundError:
        raise PeacError(f"{path}: no such result file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PeacError(f"{path}: not a peac result file: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise PeacError(f"{path}: not a peac result file ({exc})") from None


def merge(results: Sequence[RunResult]) -> RunResult:
    """One result from shards of the same scenario: counts and histograms add exactly."""
    if not results:
        raise PeacError("nothing to merge")
    digests = {r.scenario_digest for r in results}
    if len(digests) > 1:
        raise PeacError("cannot merge results of different scenarios (their digests differ)")
    first = results[0]
    total = RunResult(
        scenario=first.scenario,
        scenario_digest=first.scenario_digest,
        executor=first.executor,
        started_at=min(r.started_at for r in results),
        ended_at=max(r.ended_at for r in results),
        peac_version=first.peac_version,
        testbed=first.testbed,
        git=first.git,
        shards=[shard for r in results for shard in r.shards],
        partial=any(r.partial for r in results),
        stop_reason="; ".join(dict.fromkeys(r.stop_reason for r in results if r.stop_reason)),
    )
    for result in results:
        total.counters.add(result.counters)
        total.iteration_duration.add(result.iteration_duration)
        for key, series in result.series.items():
            into = total.series.setdefault(key, Series(*key))
            into.latency.add(series.latency)
            into.service_time.add(series.service_time)
    total.timeline = _merge_timelines(results, total.started_at)
    total.health = _merge_health([r.health for r in results])
    return total


def _merge_timelines(results: Iterable[RunResult], start: float) -> list[Second]:
    """Counts add per second; a merged second keeps the worst shard's quantiles (an upper bound)."""
    merged: dict[int, Second] = {}
    for result in results:
        offset = round(result.started_at - start)
        for second in result.timeline:
            into = merged.setdefault(second.t + offset, Second(second.t + offset))
            into.requests += second.requests
            into.errors += second.errors
            into.active_vus += second.active_vus
            for name in ("p50", "p95", "p99"):
                values = [v for v in (getattr(into, name), getattr(second, name)) if v is not None]
                setattr(into, name, max(values) if values else None)
    return [merged[t] for t in sorted(merged)]


def _merge_health(healths: Sequence[Health]) -> Health:
    saturated = [h for h in healths if h.saturated]
    return Health(
        saturated=bool(saturated),
        reason="; ".join(dict.fromkeys(h.reason for h in saturated)),
        cpu_percent=max(h.cpu_percent for h in healths),
        loop_lag_p99=max(h.loop_lag_p99 for h in healths),
        schedule_lag_p99=max(h.schedule_lag_p99 for h in healths),
        schedule_lag_max=max(h.schedule_lag_max for h in healths),
    )
