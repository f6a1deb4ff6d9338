"""Generator health: is the load generator, rather than the server, limiting the numbers?

Measured during the run, second by second: how many arrivals started late against their
schedule, how late the event loop woke up (loop lag), the process's CPU use, and the time it was
ready to run but waited for a CPU (the kernel's run-queue delay, plus the hypervisor's steal
time). ``peac.core.health`` judges them at the end; this module only measures.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from hdrh.histogram import HdrHistogram

from peac.core import quantiles
from peac.core.health import LATE, WatchedSecond, figures, judge_health
from peac.load.clock import Clock
from peac.model import histogram as hist
from peac.model.results import Health

TICK = 0.05
MAX_SECONDS = 7 * 24 * 3600  # per-second figures beyond a week of run are folded into its last

Meter = Callable[[], tuple[float, float | None]]  # (CPU seconds, seconds waited for a CPU)


def _read_first_line(path: Path) -> str | None:
    try:
        with path.open() as f:
            return f.readline()
    except OSError:
        return None


_SCHEDSTAT = Path("/proc/thread-self/schedstat")  # this thread: the one running the event loop
_STAT = Path("/proc/stat")
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_CPUS = os.cpu_count() or 1


def _waited() -> float | None:
    """Seconds this thread was ready to run but waited for a CPU: the run queue's delay
    (Linux schedstat), plus this machine's steal time spread over its CPUs (a hypervisor that
    gave the CPU to another guest). None where the kernel does not say."""
    line = _read_first_line(_SCHEDSTAT)
    if line is None:
        return None
    try:
        queued = int(line.split()[1]) / 1e9
    except (IndexError, ValueError):
        return None
    stat = _read_first_line(_STAT)
    stolen = 0.0
    if stat is not None and stat.startswith("cpu "):
        fields = stat.split()
        if len(fields) > 8 and fields[8].isdigit():
            stolen = int(fields[8]) / _HZ / _CPUS
    return queued + stolen


def process_meter() -> tuple[float, float | None]:
    """The generator's CPU seconds so far and the seconds it waited for a CPU."""
    return time.process_time(), _waited()


class HealthMonitor:
    def __init__(self, clock: Clock, start: float, meter: Meter = process_meter) -> None:
        self.clock = clock
        self.start = start
        self.meter = meter
        self.loop_lag = hist.new()
        self.arrivals: list[int] = []
        self.late: list[int] = []
        self.stalled: list[float] = []
        self.samples: list[tuple[float, float, float | None]] = []  # (t, cpu, waited)
        self.cpu_start, waited = meter()
        self.samples.append((0.0, self.cpu_start, waited))

    def _grow(self, second: int) -> int:
        second = min(max(second, 0), MAX_SECONDS)
        while len(self.arrivals) <= second:
            self.arrivals.append(0)
            self.late.append(0)
            self.stalled.append(0.0)
        return second

    def arrival(self, offset: float, late: float) -> None:
        """An open-model arrival due ``offset`` after the start began ``late`` seconds late."""
        second = int(offset)
        if second >= len(self.arrivals):
            second = self._grow(second)
        self.arrivals[second] += 1
        if late > LATE:
            self.late[second] += 1

    def _sample(self, t: float) -> None:
        cpu, waited = self.meter()
        self.samples.append((t, cpu, waited))

    async def watch(self, stop: asyncio.Event) -> None:
        last_sample = 0
        while not stop.is_set():
            before = self.clock.now()
            await asyncio.sleep(TICK)
            now = self.clock.now()
            overshoot = max(0.0, now - before - TICK)
            hist.record_seconds(self.loop_lag, overshoot)
            t = now - self.start
            if overshoot > 0:
                self._spread(t - overshoot, t)
            if int(t) > last_sample:
                last_sample = int(t)
                self._sample(t)

    def _spread(self, begin: float, end: float) -> None:
        """A late wake-up from ``begin`` to ``end`` (run time) counts in the seconds it spans."""
        begin = max(begin, 0.0)
        while begin < end:
            second = self._grow(int(begin))
            upto = min(end, second + 1.0) if second < MAX_SECONDS else end
            self.stalled[second] += upto - begin
            begin = upto

    def seconds(self, elapsed: float) -> list[WatchedSecond]:
        """The run's seconds, with the CPU and wait of the samples spread over them."""
        count = max(len(self.arrivals), math.ceil(elapsed))
        if count:
            self._grow(count - 1)
        cpu = [0.0] * count
        waited: list[float | None] = [0.0] * count
        for (t0, c0, w0), (t1, c1, w1) in zip(self.samples, self.samples[1:], strict=False):
            span = t1 - t0
            if span <= 0:
                continue
            for second in range(int(t0), min(count, int(t1) + 1)):
                overlap = min(t1, second + 1) - max(t0, second)
                if overlap <= 0:
                    continue
                cpu[second] += (c1 - c0) * overlap / span
                w = waited[second]
                if w0 is None or w1 is None or w is None:
                    waited[second] = None
                else:
                    waited[second] = w + (w1 - w0) * overlap / span
        return [
            WatchedSecond(
                arrivals=self.arrivals[i],
                late=self.late[i],
                stalled=self.stalled[i],
                cpu=cpu[i],
                waited=waited[i] if len(self.samples) > 1 else None,
            )
            for i in range(count)
        ]

    def verdict(self, elapsed: float, schedule_lags: HdrHistogram) -> Health:
        self._sample(elapsed)
        cpu_now = self.samples[-1][1]
        return judge_health(
            figures(
                self.seconds(elapsed),
                cpu=(cpu_now - self.cpu_start) / max(elapsed, 1e-9),
                elapsed=elapsed,
                loop_lag_p99=quantiles.stat_seconds(self.loop_lag, "p99") or 0.0,
                schedule_lag_p99=quantiles.stat_seconds(schedule_lags, "p99") or 0.0,
                schedule_lag_max=quantiles.stat_seconds(schedule_lags, "max") or 0.0,
            )
        )
