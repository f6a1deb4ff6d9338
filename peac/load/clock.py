"""The runner's clock seam: every time the engine, its VUs and monitors read comes from here.

In production it is the event loop's own monotonic clock (what ``asyncio.sleep`` and timeouts
run on) plus the wall clock for timestamps. Tests hand the engine an event loop whose time is
virtual (``tests/virtual_time.py``), so schedules, latencies and timeouts are exact and a
ten-second scenario runs in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds, on the running event loop's clock."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch, for timestamps in results."""
        ...


class LoopClock:
    """The running event loop's clock, and the system's wall clock beside it.

    asyncio's loops (and the tests' virtual one) read ``time.monotonic`` or their own virtual
    time; uvloop's ``time()`` is libuv's cached millisecond clock, which would round every
    sub-millisecond latency to 0 or 1 ms, so on other loops the system's monotonic clock is read
    directly (the engine only ever uses differences and relative sleeps, never ``call_at``).
    """

    def __init__(self) -> None:
        self._now: Callable[[], float] | None = None

    def now(self) -> float:
        # Resolved once: the runner reads the clock several times per request.
        if self._now is None:
            loop = asyncio.get_running_loop()
            self._now = loop.time if isinstance(loop, asyncio.BaseEventLoop) else time.monotonic
        return self._now()

    def wall(self) -> float:
        return time.time()
