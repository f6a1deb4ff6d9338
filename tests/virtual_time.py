"""An asyncio event loop on virtual time, for deterministic tests of the runner.

The loop's clock only moves when every task is waiting: then it jumps straight to the next
timer instead of sleeping. With an in-memory transport (``httpx.MockTransport``) nothing waits
on real I/O, so a ten-second scenario runs in milliseconds and every latency, arrival and
timeout lands exactly where the schedule says.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
EPOCH = 1_800_000_000.0  # the wall clock of a virtual run starts here


class _Selector(selectors.DefaultSelector):
    """Polls real file descriptors without blocking; a wait for a timer advances the clock."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[Any]:
        events: list[Any] = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:  # no timer at all: only real I/O can wake us
            return list(super().select(None))
        assert self.loop is not None
        self.loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._now = 0.0
        selector = _Selector()
        super().__init__(selector)
        selector.loop = self

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        # On a nanosecond grid, so that timers summing to 5 s land on 5.0, not 4.999999999.
        self._now = round(self._now + seconds, 9)


class VirtualClock:
    """The engine's clock on a virtual loop: both readings follow the loop's time."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        return EPOCH + asyncio.get_running_loop().time()


def run_virtual(work: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(work)
