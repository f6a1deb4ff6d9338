"""Recording what requests measured, in memory that does not grow with the number of requests.

Latencies go into HdrHistograms per step x method x status class; counters are plain integers;
the per-second timeline keeps one small histogram per open second and only the quantiles of
closed seconds.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

from peac.load.abort import AbortWatch
from peac.model import histogram as hist
from peac.model.results import Counters, Second, Series

_OPEN_SECONDS = 3


class Recorder:
    def __init__(self, start: float) -> None:
        self.start = start
        self.counters = Counters()
        self.series: dict[tuple[str, str, str], Series] = {}
        self.iteration_duration = hist.new()
        self.timeline: dict[int, Second] = {}
        self._open: dict[int, HdrHistogram] = {}
        self.active_vus = 0
        self.watch: AbortWatch | None = None

    def _second(self, now: float) -> tuple[Second, HdrHistogram | None]:
        t = max(0, int(now - self.start))
        second = self.timeline.get(t)
        if second is None:
            second = self.timeline[t] = Second(t)
            self._open[t] = HdrHistogram(hist.LOWEST_US, hist.HIGHEST_US, 2)
            for old in [s for s in self._open if s <= t - _OPEN_SECONDS]:
                self._close(old)
        second.active_vus = max(second.active_vus, self.active_vus)
        return second, self._open.get(t)

    def recent_p95(self) -> float | None:
        """p95 of the newest second with requests, for the progress line: a closed second when
        there is one, else the newest still-open one (so a short run shows a p95 at once)."""
        closed = [t for t, s in self.timeline.items() if s.p95 is not None and t not in self._open]
        newest_closed = max(closed, default=-1)
        open_with_data = [t for t, h in self._open.items() if h.get_total_count()]
        newest_open = max(open_with_data, default=-1)
        if newest_open > newest_closed and newest_open >= 0:
            # The open second before the current one is complete enough to read.
            t = max((u for u in open_with_data if u < newest_open), default=newest_open)
            if t > newest_closed:
                return float(self._open[t].get_value_at_percentile(95.0)) / 1e6
        return self.timeline[newest_closed].p95 if newest_closed >= 0 else None

    def _close(self, t: int) -> None:
        histogram = self._open.pop(t)
        second = self.timeline[t]
        for name, pct in (("p50", 50.0), ("p95", 95.0), ("p99", 99.0)):
            if histogram.get_total_count():
                setattr(second, name, histogram.get_value_at_percentile(pct) / 1e6)

    def request(
        self,
        step: str,
        method: str,
        status: str,
        latency: float,
        service: float,
        failure: str | None,
        sent: int,
        received: int,
        now: float,
    ) -> None:
        key = (step, method, status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(step, method, status)
        hist.record_seconds(series.latency, latency)
        hist.record_seconds(series.service_time, service)
        counters = self.counters
        counters.requests += 1
        counters.bytes_sent += sent
        counters.bytes_received += received
        second, histogram = self._second(now)
        second.requests += 1
        if histogram is not None:
            hist.record_seconds(histogram, latency)
        if failure is not None:
            counters.failures[failure] = counters.failures.get(failure, 0) + 1
            second.errors += 1
        if self.watch is not None:
            self.watch.request(step, latency, service, failure is not None, now)

    def failure(self, kind: str) -> None:
        """A failure that is not a request (template error, host refused before sending)."""
        self.counters.failures[kind] = self.counters.failures.get(kind, 0) + 1

    def check(self, passed: bool, label: str = "") -> None:
        if self.watch is not None:
            self.watch.check(passed)
        if label:
            counts = self.counters.checks.setdefault(label, [0, 0])
            counts[0 if passed else 1] += 1
        if passed:
            self.counters.checks_passed += 1
        else:
            self.counters.checks_failed += 1
            self.counters.failures["check_failed"] += 1

    def iteration(self, duration: float) -> None:
        self.counters.iterations += 1
        hist.record_seconds(self.iteration_duration, duration)

    def finish(self) -> list[Second]:
        for t in list(self._open):
            self._close(t)
        return [self.timeline[t] for t in sorted(self.timeline)]
