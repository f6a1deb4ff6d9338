"""Running a scenario on N worker processes, each its own event loop and shard of the load.

Python runs one core per process, so ``--workers N`` splits the load exactly (shard K of N per
worker, combined with ``--shard`` across machines) and the workers' histograms merge exactly.
Workers start together at a common wall-clock time so their seconds line up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from queue import Empty
from typing import Any

from peac.errors import PeacError, WorkerError, crash_site
from peac.load.engine import Engine, Progress, RunOptions
from peac.load.schedule import Shard
from peac.model.objectives import Objective
from peac.model.results import GitState, RunResult, Testbed
from peac.results.format import from_json, to_json
from peac.results.merge import merge
from peac.spec.plan import ScenarioPlan
from peac.spec.scenario import Load

STOP_SIGNALS = {signal.SIGINT: "interrupted (SIGINT)", signal.SIGTERM: "terminated (SIGTERM)"}


@dataclass(frozen=True)
class RunRequest:
    plan: ScenarioPlan
    load: Load
    shard: Shard
    workers: int
    start_at: float | None
    seed: int | None
    testbed: Testbed
    git: GitState | None
    abort_rules: tuple[Objective, ...] = ()
    environ: dict[str, str] | None = None  # what secrets are read from (None: os.environ)
    server_pid: int | None = None
    transport_kind: str = "lean"


async def _run_one(
    request: RunRequest, shard: Shard, progress: Callable[[Progress], None] | None
) -> RunResult:
    options = RunOptions(
        shard=shard,
        start_at=request.start_at,
        seed=request.seed,
        progress=progress,
        testbed=request.testbed,
        git=request.git,
        abort_rules=request.abort_rules,
        server_pid=request.server_pid,
        transport_kind=request.transport_kind,
        environ=request.environ,
    )
    engine = Engine(request.plan, request.load, options)
    loop = asyncio.get_running_loop()
    for signum, reason in STOP_SIGNALS.items():
        loop.add_signal_handler(signum, engine.request_stop, reason)
    try:
        return await engine.run()
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def _run_loop(work: Coroutine[Any, Any, RunResult]) -> RunResult:
    """Run on uvloop when installed, without changing the process's global loop policy."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(work)


def _worker(request: RunRequest, index: int, results: Any, report: bool = False) -> None:
    """One worker process: its shard of the load in its own event loop; the result goes back
    through the queue. A PeacError goes back as itself (the parent raises the same error, so
    the exit code is the one a single process would give); anything else as its description,
    which the parent raises as an internal error."""
    shard = Shard(
        request.shard.index * request.workers + index, request.shard.count * request.workers
    )

    def progress(snapshot: Progress) -> None:
        results.put(("progress", index, snapshot, None))

    try:
        result = _run_loop(_run_one(request, shard, progress if report else None))
        results.put(("result", index, to_json(result), None))
    except PeacError as exc:
        results.put(("result", index, None, exc))
    except BaseException as exc:  # reported by the parent, never lost silently
        results.put(("result", index, None, crash_site(exc)))


def combined(snapshots: Iterable[Progress]) -> Progress:
    """One progress line for all workers: counts add up, the clock is the furthest, the p95 is
    the worst worker's (an upper bound of the whole run's, without merging histograms live)."""
    items = list(snapshots)
    p95s = [p.p95 for p in items if p.p95 is not None]
    return Progress(
        elapsed=max(p.elapsed for p in items),
        planned=max(p.planned for p in items),
        requests=sum(p.requests for p in items),
        errors=sum(p.errors for p in items),
        active_vus=sum(p.active_vus for p in items),
        p95=max(p95s) if p95s else None,
    )


def run(request: RunRequest, progress: Callable[[Progress], None] | None = None) -> RunResult:
    """Run in this process (one worker) or in ``workers`` processes, merged into one result."""
    if request.workers <= 1:
        return _run_loop(_run_one(request, request.shard, progress))
    start_at = request.start_at or time.time() + 1.0 + 0.3 * request.workers
    request = dataclasses.replace(request, start_at=start_at)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_worker, args=(request, i, queue, progress is not None), daemon=True)
        for i in range(request.workers)
    ]
    for process in processes:
        process.start()
    collected: dict[int, dict[str, Any]] = {}
    failures: list[PeacError | str] = []
    latest: dict[int, Progress] = {}
    with _forward_signals(processes):
        while len(collected) + len(failures) < len(processes):
            try:
                kind, index, data, error = queue.get(timeout=1.0)
            except Empty:
                if not any(p.is_alive() for p in processes) and queue.empty():
                    codes = sorted({p.exitcode for p in processes if p.exitcode})
                    failures.append(f"a worker process died without a result (exit {codes})")
                    break
                continue
            if kind == "progress":
                latest[index] = data
                if progress is not None and len(latest) == len(processes):
                    progress(combined(latest.values()))
                continue
            if data is None:
                failures.append(error)
            else:
                collected[index] = data
    for process in processes:
        process.join(timeout=5)
    _raise_first(failures)
    merged = merge([from_json(collected[i]) for i in sorted(collected)])
    merged.shards = [str(request.shard)]
    return merged


def _raise_first(failures: list[PeacError | str]) -> None:
    """The workers' failures as one error: the user's own mistake (a PeacError, the same in
    every worker) exactly as one process would have raised it, else a WorkerError."""
    for failure in failures:
        if isinstance(failure, PeacError):
            raise failure
    if failures:
        described = "; ".join(dict.fromkeys(str(f) for f in failures))
        raise WorkerError(f"load workers failed: {described}")


@contextlib.contextmanager
def _forward_signals(processes: list[Any]) -> Iterator[None]:
    """While workers run, SIGINT/SIGTERM to the parent are passed on to them; the parent keeps
    waiting for their partial results instead of dying."""

    def forward(signum: int, _frame: object) -> None:
        for process in processes:
            if process.pid is not None and process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signum)

    previous = {s: signal.signal(s, forward) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
