"""The runner's clock seam: every time the engine, its VUs and monitors read comes from here.

In production it is the event loop's own monotonic clock (what ``asyncio.sleep`` and timeouts
run on) plus the wall clock for timestamps. Tests hand the engine an event loop whose time is
virtual (``tests/virtual_time.py``), so schedules, latencies and timeouts are exact and a
ten-second scenario runs in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds, on the running event loop's clock."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch, for timestamps in results."""
        ...


class LoopClock:
    """The running event loop's clock, and the system's wall clock beside it."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        return time.time()
