"""RunResult: what one run (or several merged shards) measured, as plain typed data.

Counts and HdrHistograms add exactly, so shards run on several processes or machines merge into
the same numbers one big run would have given (``peac.results.merge``). The file format lives in
``peac.results.format``; this module knows nothing of files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from peac.model import histogram as hist

# Why a request (or an iteration) failed. ``check_failed``, ``template`` and ``blocked_host``
# are not failed requests: a failed check still got its response; the others sent nothing.
FAILURE_KINDS = (
    "refused",
    "tls",
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
ERROR_MESSAGE = 300  # characters kept of a failure's first message


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
    cookies_dropped: int = 0  # cookies a server set over the jar's limits (peac.load.cookies)
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))
    checks: dict[str, list[int]] = field(default_factory=dict)  # "step: check" -> [passed, failed]
    # The first message of each kind of failure (a count alone cannot say which certificate
    # did not verify, or which host refused): at most ERROR_MESSAGE characters each.
    first_errors: dict[str, str] = field(default_factory=dict)

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
            "cookies_dropped",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.failures.items():
            self.failures[kind] = self.failures.get(kind, 0) + count
        for label, (passed, failed) in other.checks.items():
            mine = self.checks.setdefault(label, [0, 0])
            mine[0] += passed
            mine[1] += failed
        for kind, message in other.first_errors.items():
            self.first_errors.setdefault(kind, message)

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
    seconds: float = 0.0  # how long the generator was watched (0: unknown, older results)
    # Why it was saturated: "generator" (its own CPU), "machine" (it waited for a CPU: other
    # work on the machine), "blocked" (the loop was held without CPU); "" when it was not.
    cause: str = ""
    note: str = ""  # lateness that did not make the run unjudgeable (a transient), said plainly
    late_share: float = 0.0  # share of open-model arrivals started more than 50 ms late
    stalled_share: float = 0.0  # share of the run's time the event loop woke up late
    behind_seconds: int = 0  # seconds in which a quarter of the arrivals (or the time) was late
    cpu_behind: float = 0.0  # the generator's share of a core in those seconds
    waited_behind: float | None = None  # share of those seconds it waited for a CPU (None: unknown)
    late: int = 0  # arrivals started more than 50 ms late
    waited: float | None = None  # share of the run it waited for a CPU (None: unknown)


@dataclass(frozen=True)
class GitState:
    """The commit a run measured, and whether the work tree had uncommitted changes."""

    commit: str
    dirty: bool = False


@dataclass(frozen=True)
class Testbed:
    """The machine a run was measured on; ``key`` is what runs are compared by."""

    label: str = "default"
    cpu: str = ""
    cores: int = 0
    python: str = ""
    system: str = ""

    @property
    def key(self) -> str:
        """The user's label, or the CPU and cores when unlabelled.

        A label is the team's statement that machines are comparable (a CI runner pool whose CPU
        models vary); without one only the same hardware is.
        """
        if self.label and self.label != "default":
            return self.label
        return f"{self.cpu or 'unknown cpu'} x{self.cores or '?'}"


@dataclass
class ScrapeSample:
    t: float  # seconds since the start of the run
    values: dict[str, float]  # Prometheus ``name{labels}`` -> value


@dataclass
class MonitorSeries:
    """One scraped ``monitor`` endpoint over the run."""

    name: str
    url: str
    interval: float
    errors: int = 0
    last_error: str = ""
    samples: list[ScrapeSample] = field(default_factory=list)


@dataclass
class ProcessSample:
    t: float
    cpu_percent: float  # of one core
    rss_bytes: int


@dataclass
class ProcessSeries:
    """A local server process sampled during the run (``--server-pid``)."""

    pid: int
    samples: list[ProcessSample] = field(default_factory=list)
    error: str = ""


@dataclass
class ServerSide:
    """What the server side showed during the run."""

    monitors: list[MonitorSeries] = field(default_factory=list)
    process: ProcessSeries | None = None


@dataclass
class LoadWindow:
    """The part of the run in which load was generated: from the start until the executor
    stopped starting iterations (the graceful stop's tail of finishing iterations is after it).
    Throughput is requests completed per second in this window, so that a short run is not
    judged slower for the seconds it spent letting in-flight iterations end."""

    seconds: float = 0.0  # 0: unknown (results of older versions)
    requests: dict[str, int] = field(default_factory=dict)  # per step, completed in the window


@dataclass
class RunResult:
    scenario: str
    scenario_digest: str
    executor: dict[str, Any]  # the scenario's load section as JSON (executor and its settings)
    started_at: float
    ended_at: float
    peac_version: str
    testbed: Testbed = field(default_factory=Testbed)
    git: GitState | None = None
    shards: list[str] = field(default_factory=lambda: ["1/1"])
    partial: bool = False
    stop_reason: str = ""
    counters: Counters = field(default_factory=Counters)
    series: dict[tuple[str, str, str], Series] = field(default_factory=dict)
    iteration_duration: HdrHistogram = field(default_factory=hist.new)
    timeline: list[Second] = field(default_factory=list)
    health: Health = field(default_factory=Health)
    server: ServerSide = field(default_factory=ServerSide)
    load: LoadWindow = field(default_factory=LoadWindow)

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

    def throughput(self, step: str | None = None) -> float:
        """Requests completed per second while load was generated (the whole run's rate for
        results that do not say when the load ended)."""
        window = self.load
        if window.seconds >= 1.0 and window.requests:
            done = sum(n for name, n in window.requests.items() if step is None or name == step)
            return done / window.seconds
        return self.requests(step) / self.duration

    def errors(self, step: str | None = None) -> int:
        if step is None:
            return self.counters.failed_requests
        return sum(
            s.count
            for s in self.series.values()
            if s.step == step and s.status in ("error", "4xx", "5xx")
        )
