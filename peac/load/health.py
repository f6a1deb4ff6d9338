"""Generator health: is the load generator, rather than the server, limiting the numbers?

Measured during the run: the process's CPU use, how late the event loop wakes up (loop lag),
and how late arrivals start against their schedule (schedule lag). Judged at the end with plain
thresholds that are stated in the reason, so a user can see why a run was declared saturated.
"""

from __future__ import annotations

import asyncio
import time

from hdrh.histogram import HdrHistogram

from peac.core import quantiles
from peac.core.health import judge_health
from peac.load.clock import Clock
from peac.model import histogram as hist
from peac.model.results import Health

TICK = 0.05


class HealthMonitor:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.loop_lag = hist.new()
        self.cpu_start = time.process_time()

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            before = self.clock.now()
            await asyncio.sleep(TICK)
            hist.record_seconds(self.loop_lag, max(0.0, self.clock.now() - before - TICK))

    def verdict(self, elapsed: float, schedule_lags: HdrHistogram) -> Health:
        return judge_health(
            cpu=(time.process_time() - self.cpu_start) / max(elapsed, 1e-9),
            elapsed=elapsed,
            loop_lag_p99=quantiles.stat_seconds(self.loop_lag, "p99") or 0.0,
            schedule_lag_p99=quantiles.stat_seconds(schedule_lags, "p99") or 0.0,
            schedule_lag_max=quantiles.stat_seconds(schedule_lags, "max") or 0.0,
        )
