"""Recording what requests measured, in memory that does not grow with the number of requests.

Latencies go into HdrHistograms per step x method x status class; counters are plain integers;
the per-second timeline keeps one small histogram per open second and only the quantiles of
closed seconds.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

from peac.load.abort import AbortWatch
from peac.model import histogram as hist
from peac.model.results import ERROR_MESSAGE, Counters, Second, Series

_OPEN_SECONDS = 3


class Recorder:
    """Counters, series and the timeline of one engine.

    Durations are batched: a request appends its latency and service time to lists, and
    ``flush`` adds them to the histograms (``hist.add_seconds``, bit for bit what recording
    them one by one gives) at each new second and whenever the histograms are read. hdrh's
    ``record_value`` is pure Python; four calls per request were a tenth of the runner's CPU.
    """

    def __init__(self, start: float) -> None:
        self.start = start
        self.counters = Counters()
        self.series: dict[tuple[str, str, str], Series] = {}
        self.iteration_duration = hist.new()
        self.timeline: dict[int, Second] = {}
        self._open: dict[int, HdrHistogram] = {}
        self._open_values: dict[int, list[float]] = {}
        self.active_vus = 0
        self.watch: AbortWatch | None = None
        # Not yet in the histograms: per series (series, latencies, service times), iterations.
        self._batches: dict[tuple[str, str, str], tuple[Series, list[float], list[float]]] = {}
        self._iterations: list[float] = []
        # The newest second, looked up once per second rather than per request.
        self._t = -1
        self._newest: Second | None = None
        self._newest_values: list[float] | None = None

    def flush(self) -> None:
        """Put every batched duration into its histogram."""
        for series, latencies, services in self._batches.values():
            if latencies:
                hist.add_seconds(series.latency, latencies)
                hist.add_seconds(series.service_time, services)
                latencies.clear()
                services.clear()
        if self._iterations:
            hist.add_seconds(self.iteration_duration, self._iterations)
            self._iterations.clear()
        for t, values in self._open_values.items():
            if values:
                hist.add_seconds(self._open[t], values)
                values.clear()

    def requests_by_step(self) -> dict[str, int]:
        """Requests completed so far, per step."""
        self.flush()
        found: dict[str, int] = {}
        for series in self.series.values():
            found[series.step] = found.get(series.step, 0) + series.count
        return found

    def _second(self, t: int) -> tuple[Second, list[float] | None]:
        second = self.timeline.get(t)
        if second is None:
            second = self.timeline[t] = Second(t)
            self._open[t] = HdrHistogram(hist.LOWEST_US, hist.HIGHEST_US, 2)
            self._open_values[t] = []
            for old in [s for s in self._open if s <= t - _OPEN_SECONDS]:
                self._close(old)
            self.flush()  # once a second: the batches stay small
        if t > self._t:
            self._t, self._newest, self._newest_values = t, second, self._open_values.get(t)
        return second, self._open_values.get(t)

    def recent_p95(self) -> float | None:
        """p95 of the newest second with requests, for the progress line: a closed second when
        there is one, else the newest still-open one (so a short run shows a p95 at once)."""
        self.flush()
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
        values = self._open_values.pop(t)
        if values:
            hist.add_seconds(histogram, values)
        if t == self._t:
            self._newest_values = None
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
        batch = self._batches.get(key)
        if batch is None:
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = Series(step, method, status)
            batch = self._batches[key] = (series, [], [])
        batch[1].append(latency)
        batch[2].append(service)
        counters = self.counters
        counters.requests += 1
        counters.bytes_sent += sent
        counters.bytes_received += received
        t = max(0, int(now - self.start))
        if t == self._t:
            second, values = self._newest, self._newest_values
            assert second is not None
        else:
            second, values = self._second(t)
        if second.active_vus < self.active_vus:
            second.active_vus = self.active_vus
        second.requests += 1
        if values is not None:
            values.append(latency)
        if failure is not None:
            counters.failures[failure] = counters.failures.get(failure, 0) + 1
            second.errors += 1
        if self.watch is not None:
            self.watch.request(step, latency, service, failure is not None, now)

    def first_error(self, kind: str, message: str) -> None:
        """Keep the first message of a kind of failure (later ones are counted, not kept)."""
        if kind not in self.counters.first_errors:
            self.counters.first_errors[kind] = message[:ERROR_MESSAGE]

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
        self._iterations.append(duration)

    def finish(self) -> list[Second]:
        """Flush every batch and close every second: the series and histograms are final."""
        self.flush()
        for t in list(self._open):
            self._close(t)
        return [self.timeline[t] for t in sorted(self.timeline)]
