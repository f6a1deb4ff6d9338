"""Executors: how each kind of ``load`` drives virtual users, one registry by name.

Three ways of driving cover the eight executors: the open model (arrivals on a schedule,
whatever the server does), the closed model (a target number of VUs looping over time) and
iterations (a fixed amount of work). Each executor says its profile, its planned duration, its
peak VUs and which command-line overrides apply to it; the engine only looks one up by
``load.executor``. To add an executor: a pydantic model in ``peac.spec.scenario`` and an entry in
``EXECUTORS``.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from peac.errors import InputError
from peac.load import schedule
from peac.load.schedule import Segment
from peac.spec.scenario import (
    ConstantArrivalRate,
    ConstantVus,
    Load,
    PerVuIterations,
    RampingArrivalRate,
    RampingVus,
    SharedIterations,
    Spike,
    Stress,
)

if TYPE_CHECKING:
    from peac.load.engine import Engine
    from peac.load.vu import VirtualUser


@dataclass(frozen=True)
class Overrides:
    """Command-line changes to a scenario's load (``--duration``, ``--rate``, ``--vus``)."""

    duration: float | None = None
    rate: float | None = None
    vus: int | None = None


class Executor(Protocol):
    """One way of generating load."""

    def planned_duration(self, load: Load) -> float:
        """How long the load is planned to last (an upper bound for iterations)."""
        ...

    def peak_vus(self, load: Load) -> int:
        """The most VUs it may run at once."""
        ...

    def override(self, load: Load, changes: Overrides) -> Load:
        """``load`` with the changes that apply to it; an InputError for those that do not."""
        ...

    async def drive(self, engine: Engine, load: Load) -> None:
        """Generate the load through the engine's VUs until done or stopped."""
        ...


def _refuse(changes: Overrides, load: Load, allowed: tuple[str, ...]) -> None:
    for option, value in (("duration", changes.duration), ("rate", changes.rate)):
        if value is not None and option not in allowed:
            raise InputError(_NOT_FOR[option].format(name=load.executor))
    if changes.vus is not None and "vus" not in allowed:
        raise InputError(_NOT_FOR["vus"].format(name=load.executor))


_NOT_FOR = {
    "duration": "--duration does not apply to the {name} executor; edit its phases",
    "rate": "--rate applies to constant-arrival-rate, not to {name}",
    "vus": "--vus applies to constant-vus and the iteration executors, not {name}",
}


def _updated(load: Load, changes: Overrides, fields: dict[str, str]) -> Load:
    """``load`` with each override that applies written to its field (option -> field)."""
    _refuse(changes, load, tuple(fields))
    updates = {
        field: value
        for option, field in fields.items()
        if (value := getattr(changes, option)) is not None
    }
    return load.model_copy(update=updates) if updates else load


def _scaled_stages(load: RampingVus | RampingArrivalRate, duration: float) -> Load:
    total = sum(s.duration for s in load.stages)
    stages = [s.model_copy(update={"duration": s.duration * duration / total}) for s in load.stages]
    return load.model_copy(update={"stages": stages})


# -- the open model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenModel:
    """Arrivals at a rate profile; an arrival finding every VU busy waits (``max_wait``) or
    is dropped, and the time it waited counts into its latency."""

    profile: Callable[[Load], list[Segment]]

    def planned_duration(self, load: Load) -> float:
        return schedule.total_duration(self.profile(load))

    def peak_vus(self, load: Load) -> int:
        return int(getattr(load, "max_vus", 1))

    def override(self, load: Load, changes: Overrides) -> Load:
        if isinstance(load, ConstantArrivalRate):
            return _updated(load, changes, {"duration": "duration", "rate": "rate"})
        if isinstance(load, RampingArrivalRate):
            _refuse(changes, load, ("duration",))
            return load if changes.duration is None else _scaled_stages(load, changes.duration)
        _refuse(changes, load, ())
        return load

    async def drive(self, engine: Engine, load: Load) -> None:
        shard = engine.shard
        clock = engine.clock
        cap = max(1, math.ceil(self.peak_vus(load) / shard.count))
        max_wait = float(getattr(load, "max_wait", 0.0))
        idle: list[VirtualUser] = []
        waiting: deque[float] = deque()  # intended start times of arrivals waiting for a VU
        busy = 0
        counters = engine.recorder.counters

        async def arrive(vu: VirtualUser, intended: float) -> None:
            nonlocal busy
            try:
                await vu.iteration(intended)
                while waiting and not engine.stop.is_set():  # serve arrivals that waited
                    queued = waiting.popleft()
                    if clock.now() - queued > max_wait:
                        counters.dropped_arrivals += 1
                        continue
                    await vu.iteration(queued)
            finally:
                busy -= 1
                engine.recorder.active_vus = busy
                idle.append(vu)

        for offset in schedule.arrival_times(self.profile(load), shard):
            if not await engine.sleep_until(offset):
                break
            intended = engine.start + offset
            engine.record_lag(offset, clock.now() - intended)
            counters.scheduled_arrivals += 1
            if busy >= cap:
                if max_wait > 0:
                    waiting.append(intended)
                else:
                    counters.dropped_arrivals += 1
                continue
            vu = idle.pop() if idle else engine.new_vu(len(engine.vus) * shard.count + shard.index)
            busy += 1
            engine.recorder.active_vus = busy
            engine.spawn(arrive(vu, intended))
        await engine.finish()
        counters.dropped_arrivals += len(waiting)  # still waiting when the run ended
        waiting.clear()


def _constant_rate(load: Load) -> list[Segment]:
    assert isinstance(load, ConstantArrivalRate)
    return [Segment(load.duration, load.rate, load.rate)]


def _ramping_rate(load: Load) -> list[Segment]:
    assert isinstance(load, RampingArrivalRate)
    segments, rate = [], load.start_rate
    for stage in load.stages:
        segments.append(Segment(stage.duration, rate, stage.target))
        rate = stage.target
    return segments


def _spike(load: Load) -> list[Segment]:
    assert isinstance(load, Spike)
    return [
        Segment(load.before, load.base_rate, load.base_rate),
        Segment(load.ramp, load.base_rate, load.peak_rate),
        Segment(load.hold, load.peak_rate, load.peak_rate),
        Segment(load.ramp, load.peak_rate, load.base_rate),
        Segment(load.after, load.base_rate, load.base_rate),
    ]


def _stress(load: Load) -> list[Segment]:
    assert isinstance(load, Stress)
    steps = math.floor((load.max_rate - load.start_rate) / load.step_rate + 1e-9) + 1
    rates = [load.start_rate + i * load.step_rate for i in range(steps)]
    return [Segment(load.step_duration, r, r) for r in rates]


# -- the closed model -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedModel:
    """A target number of VUs over time, each looping over flows back to back."""

    profile: Callable[[Load], list[Segment]]

    def planned_duration(self, load: Load) -> float:
        return schedule.total_duration(self.profile(load))

    def peak_vus(self, load: Load) -> int:
        return int(max(max(s.start, s.end) for s in self.profile(load)))

    def override(self, load: Load, changes: Overrides) -> Load:
        if isinstance(load, ConstantVus):
            return _updated(load, changes, {"duration": "duration", "vus": "vus"})
        assert isinstance(load, RampingVus)
        _refuse(changes, load, ("duration",))
        return load if changes.duration is None else _scaled_stages(load, changes.duration)

    async def drive(self, engine: Engine, load: Load) -> None:
        segments = self.profile(load)
        end = schedule.total_duration(segments)
        clock = engine.clock

        async def loop(vu: VirtualUser, number: int) -> None:
            while not engine.stop.is_set():
                now = clock.now() - engine.start
                if now >= end:
                    return
                if schedule.vus_at(segments, now) > number:
                    engine.recorder.active_vus += 1
                    try:
                        await vu.iteration()
                    finally:
                        engine.recorder.active_vus -= 1
                else:
                    await engine.sleep_until(min(end, now + 0.05))

        for number in range(self.peak_vus(load)):
            if engine.shard.owns(number):
                engine.spawn(loop(engine.new_vu(number), number))
        await engine.sleep_until(end)
        await engine.finish()


def _constant_vus(load: Load) -> list[Segment]:
    assert isinstance(load, ConstantVus)
    return [Segment(load.duration, load.vus, load.vus)]


def _ramping_vus(load: Load) -> list[Segment]:
    assert isinstance(load, RampingVus)
    segments, vus = [], float(load.start_vus)
    for stage in load.stages:
        segments.append(Segment(stage.duration, vus, stage.target))
        vus = stage.target
    return segments


# -- iterations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Iterations:
    """A fixed amount of work: ``iterations`` per VU, or shared by all VUs; bounded by
    ``max_duration``."""

    shared: bool

    def planned_duration(self, load: Load) -> float:
        assert isinstance(load, PerVuIterations | SharedIterations)
        return load.max_duration

    def peak_vus(self, load: Load) -> int:
        assert isinstance(load, PerVuIterations | SharedIterations)
        return load.vus

    def override(self, load: Load, changes: Overrides) -> Load:
        return _updated(load, changes, {"duration": "max_duration", "vus": "vus"})

    async def drive(self, engine: Engine, load: Load) -> None:
        assert isinstance(load, PerVuIterations | SharedIterations)
        shard = engine.shard
        numbers = [n for n in range(load.vus) if shard.owns(n)]
        remaining = 0
        if self.shared:
            remaining = shard.split(load.iterations)
            numbers = numbers or [shard.index]

        async def loop(vu: VirtualUser) -> None:
            nonlocal remaining
            count = 0
            while not engine.stop.is_set():
                if self.shared:
                    if remaining <= 0:
                        return
                    remaining -= 1
                elif count >= load.iterations:
                    return
                count += 1
                engine.recorder.active_vus += 1
                try:
                    await vu.iteration()
                finally:
                    engine.recorder.active_vus -= 1

        for number in numbers:
            engine.spawn(loop(engine.new_vu(number)))
        if engine.tasks:
            done_all: asyncio.Future[Any] = asyncio.gather(*engine.tasks, return_exceptions=True)
            stop_wait: asyncio.Future[Any] = asyncio.ensure_future(engine.stop.wait())
            await asyncio.wait(
                {done_all, stop_wait},
                timeout=load.max_duration,
                return_when=asyncio.FIRST_COMPLETED,
            )
            stop_wait.cancel()
            if not done_all.done() and not engine.stop.is_set():
                engine.request_stop(f"max_duration {load.max_duration:g}s reached")
        await engine.finish()


EXECUTORS: dict[str, Executor] = {
    "constant-arrival-rate": OpenModel(_constant_rate),
    "ramping-arrival-rate": OpenModel(_ramping_rate),
    "spike": OpenModel(_spike),
    "stress": OpenModel(_stress),
    "constant-vus": ClosedModel(_constant_vus),
    "ramping-vus": ClosedModel(_ramping_vus),
    "per-vu-iterations": Iterations(shared=False),
    "shared-iterations": Iterations(shared=True),
}


def executor_of(load: Load) -> Executor:
    return EXECUTORS[load.executor]


def rate_segments(load: Load) -> list[Segment]:
    """The arrival-rate profile of an open-model load (per second over time)."""
    executor = executor_of(load)
    if not isinstance(executor, OpenModel):
        raise TypeError(f"{load.executor} is not an open-model executor")
    return executor.profile(load)


def is_open_model(load: Load) -> bool:
    return isinstance(executor_of(load), OpenModel)
