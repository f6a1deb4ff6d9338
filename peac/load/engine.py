"""The engine: drives virtual users by the scenario's executor and turns the recording into a
RunResult. One event loop, one process; ``workers.py`` runs several of these as shards.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from peac import __version__
from peac.errors import InputError
from peac.load import schedule
from peac.load.abort import AbortWatch
from peac.load.clock import Clock, LoopClock
from peac.load.executors import executor_of
from peac.load.guarded import GuardedTransport
from peac.load.health import HealthMonitor, Meter, process_meter
from peac.load.monitor import ServerWatch
from peac.load.recorder import Recorder
from peac.load.runtime import Runtime, prepare
from peac.load.transport import LeanTransport
from peac.load.vu import VirtualUser
from peac.model import histogram as hist
from peac.model.objectives import Objective
from peac.model.progress import Progress
from peac.model.results import GitState, LoadWindow, RunResult, ServerSide, Testbed
from peac.spec.plan import ScenarioPlan
from peac.spec.scenario import Load

TransportFactory = Callable[[], httpx.AsyncBaseTransport]
# Requests are written as headers then body; without TCP_NODELAY the body can wait for an ACK
# that the server delays by ~40 ms, and that wait would be measured as server latency.
__all__ = ["Engine", "Progress", "RunOptions", "execute"]

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


@dataclass
class RunOptions:
    shard: schedule.Shard = field(default_factory=schedule.Shard)
    start_at: float | None = None  # wall-clock time (epoch seconds) to start at
    seed: int | None = None
    transport: TransportFactory | None = None  # seam: an httpx transport per VU (tests: mocks)
    clock: Clock = field(default_factory=LoopClock)  # seam: tests run on virtual time
    environ: dict[str, str] | None = None
    progress: Callable[[Progress], None] | None = None
    stop: asyncio.Event | None = None
    testbed: Testbed = field(default_factory=Testbed)
    git: GitState | None = None
    abort_rules: tuple[Objective, ...] = ()
    server_pid: int | None = None
    transport_kind: str = "lean"  # "lean" (peac's HTTP/1.1 transport) or "httpx"
    meter: Meter = process_meter  # seam: the generator's CPU and CPU wait (tests: made up)


class Engine:
    def __init__(self, plan: ScenarioPlan, load: Load, options: RunOptions) -> None:
        self.plan = plan
        self.load = load
        self.options = options
        self.clock = options.clock
        self.shard = options.shard
        self.runtime: Runtime = prepare(plan, options.environ)
        self.stop = options.stop or asyncio.Event()
        self.hurry = asyncio.Event()  # a second stop: skip the rest of the graceful stop
        self.vus: list[VirtualUser] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.crashes: list[BaseException | None] = []
        seed = options.seed if options.seed is not None else random.randrange(2**32)
        self.seed = seed * 1_000_003 + options.shard.index
        self.partial = False
        self.stop_reason = ""
        # One TLS context for every VU: httpx builds a new one per client otherwise (~30 ms of
        # CA-bundle loading each, blocking the event loop while VUs are created mid-run).
        self.tls = httpx.create_ssl_context()
        if plan.ca is not None:  # target.ca: a test or internal CA, trusted besides the system's
            try:
                self.tls.load_verify_locations(cafile=str(plan.ca))
            except (ssl.SSLError, OSError) as exc:
                raise InputError(f"target.ca {plan.ca.name}: cannot be read as PEM") from exc
        self.load_window: LoadWindow | None = None
        self.lags = hist.new()  # how late arrivals started against their schedule
        self._lags: list[float] = []  # not yet in ``lags``
        # The first transport imports httpcore (and, through it, anyio and trio when installed):
        # 100-200 ms of imports that would block the event loop at the first arrival, making the
        # run's first arrivals start late and inflating their latencies. Paid here, before the
        # clock starts; the transport is never opened, so there is nothing to close.
        self._transport()

    def _transport(self) -> httpx.AsyncBaseTransport:
        defaults = self.plan.scenario.spec.defaults
        transport: httpx.AsyncBaseTransport
        if self.options.transport:
            transport = self.options.transport()
        else:
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            transport = GuardedTransport(
                verify=self.tls, http2=defaults.http2, limits=limits, socket_options=NODELAY
            )
            if self.options.transport_kind == "lean" and not defaults.http2:
                transport = LeanTransport(fallback=transport, tls=self.tls)
        return transport

    def new_vu(self, index: int) -> VirtualUser:
        defaults = self.plan.scenario.spec.defaults
        transport = self._transport()
        vu = VirtualUser(
            index,
            self.runtime,
            self.recorder,
            transport,
            random.Random(self.seed + index),
            defaults.max_body,
            self.clock,
            follow_redirects=defaults.follow_redirects,
            connect_timeout=defaults.connect_timeout,
        )
        self.vus.append(vu)
        return vu

    async def run(self) -> RunResult:
        clock = self.clock
        if self.options.start_at is not None:
            await asyncio.sleep(max(0.0, self.options.start_at - clock.wall()))
        started_wall = clock.wall()
        self.start = clock.now()
        self.recorder = Recorder(self.start)
        if self.options.abort_rules:
            self.recorder.watch = AbortWatch(list(self.options.abort_rules), self.start)
        monitor = self.monitor = HealthMonitor(clock, self.start, self.options.meter)
        monitor_task = asyncio.create_task(monitor.watch(self.stop))
        progress_task = asyncio.create_task(self._progress())
        abort_task = asyncio.create_task(self._abort_watch())
        server = None
        monitors = list(self.plan.scenario.spec.monitor)
        if self.options.shard.index == 0 and (monitors or self.options.server_pid is not None):
            server = ServerWatch(monitors, self.options.server_pid, self.start, clock)
        server_task = asyncio.create_task(server.run(self.stop) if server else _nothing())
        try:
            await executor_of(self.load).drive(self, self.load)
        finally:
            self.stop.set()
            for task in (monitor_task, progress_task, abort_task):
                task.cancel()
            await asyncio.wait({server_task}, timeout=3.0)
            server_task.cancel()
            helpers = await asyncio.gather(
                monitor_task, progress_task, abort_task, server_task, return_exceptions=True
            )
            for vu in self.vus:
                vu.close()
            await asyncio.gather(
                *(vu.transport.aclose() for vu in self.vus), return_exceptions=True
            )
        # A bug in peac must not hide inside a background task: surface it as an internal error.
        for outcome in [*helpers, *self.crashes]:
            if isinstance(outcome, Exception) and not isinstance(outcome, asyncio.CancelledError):
                raise outcome
        ended_wall = clock.wall()
        counters = self.recorder.counters
        timeline = self.recorder.finish()  # flushes the batched durations into the series
        self._flush_lags()
        health = monitor.verdict(clock.now() - self.start, self.lags)
        return RunResult(
            scenario=self.plan.name,
            scenario_digest=self.plan.digest,
            executor=self.load.model_dump(mode="json"),
            started_at=started_wall,
            ended_at=ended_wall,
            peac_version=__version__,
            testbed=self.options.testbed,
            git=self.options.git,
            shards=[str(self.options.shard)],
            partial=self.partial,
            stop_reason=self.stop_reason,
            counters=counters,
            series=self.recorder.series,
            iteration_duration=self.recorder.iteration_duration,
            timeline=timeline,
            health=health,
            server=server.result if server else ServerSide(),
            load=self.load_window or LoadWindow(),
        )

    def request_stop(self, reason: str) -> None:
        """Stop starting new iterations; in-flight ones get the graceful-stop period. A second
        request (CI's cancel sends SIGINT, then SIGTERM) ends that period at once."""
        if not self.stop.is_set():
            self.partial = True
            self.stop_reason = reason
            self.stop.set()
        elif self.partial:
            self.hurry.set()

    def record_lag(self, offset: float, late: float) -> None:
        """An arrival due ``offset`` after the start began ``late`` seconds after that."""
        self.monitor.arrival(offset, late)
        lags = self._lags
        lags.append(late)
        if len(lags) >= 4096:  # batched as the recorder batches latencies
            self._flush_lags()

    def _flush_lags(self) -> None:
        hist.add_seconds(self.lags, self._lags)
        self._lags.clear()

    async def sleep_until(self, offset: float) -> bool:
        """Sleep until ``offset`` after the start; False when a stop came first."""
        delay = self.start + offset - self.clock.now()
        if delay <= 0:
            # Behind schedule: still let the loop run (signal handlers, VUs, the abort watch),
            # or a rate the machine cannot keep up with would never yield.
            await asyncio.sleep(0)
            return not self.stop.is_set()
        if delay < 0.01:
            # The next arrival is near (high rates): a plain timer. Waiting on the stop event
            # too costs a task per arrival, and a stop is still seen within 10 ms.
            await asyncio.sleep(delay)
            return not self.stop.is_set()
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=delay)
        except TimeoutError:
            return True
        return False

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.crashes.append(task.exception())

    async def finish(self) -> None:
        """Give in-flight iterations the graceful-stop period, then cancel what is left."""
        if self.load_window is None:  # the load ends here: what follows is the tail
            self.load_window = LoadWindow(
                self.clock.now() - self.start, self.recorder.requests_by_step()
            )
        for vu in self.vus:
            vu.stopping = self.stop.is_set()
        if self.tasks:
            hurry = asyncio.ensure_future(self.hurry.wait())
            in_flight: asyncio.Future[Any] = asyncio.gather(*self.tasks, return_exceptions=True)
            await asyncio.wait(
                {in_flight, hurry},
                timeout=self.load.graceful_stop,
                return_when=asyncio.FIRST_COMPLETED,
            )
            hurry.cancel()
            pending = {task for task in self.tasks if not task.done()}
            for task in pending:
                task.cancel()  # a request cut off here is counted as a timeout
            if pending:
                await asyncio.wait(pending, timeout=1.0)
            in_flight.cancel()

    async def _abort_watch(self) -> None:
        watch = self.recorder.watch
        if watch is None:
            return
        while not self.stop.is_set():
            await asyncio.sleep(1.0)
            reason = watch.verdict(self.clock.now())
            if reason is not None:
                self.request_stop(reason)

    async def _progress(self) -> None:
        report = self.options.progress
        if report is None:
            return
        planned = executor_of(self.load).planned_duration(self.load)
        while True:
            await asyncio.sleep(1.0)
            counters = self.recorder.counters
            report(
                Progress(
                    elapsed=self.clock.now() - self.start,
                    planned=planned,
                    requests=counters.requests,
                    errors=counters.failed_requests,
                    active_vus=self.recorder.active_vus,
                    p95=self.recorder.recent_p95(),
                )
            )


async def _nothing() -> None:
    return None


async def execute(plan: ScenarioPlan, load: Load, options: RunOptions) -> RunResult:
    """Run one shard of ``plan`` with ``load`` in the current event loop."""
    return await Engine(plan, load, options).run()
