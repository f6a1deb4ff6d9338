"""Whether the load generator, rather than the server, limited a run's numbers, and if so why.

An open-model run whose arrivals start late measures the generator's delay as the server's
latency (latency counts from the intended start). But a run is not refused for a transient:
a stall at start-up or a garbage collection makes a few arrivals late and the numbers are still
the server's. A run is refused when it was *behind schedule for a sustained time*: late
arrivals, or a late event loop, in at least ``SUSTAINED`` of its seconds and in a share of the
whole run that can move a percentile. Then the cause is named from what the generator measured
of itself in the seconds it was behind:

- *the generator*: its CPU near a full core (more ``--workers`` or shards help);
- *the machine*: it was ready to run but waited for a CPU (run queue, or the hypervisor's steal
  time) while using little itself: other work on this machine, not more load, is the problem;
- *a blocked loop*: neither, so something held the event loop without using CPU.

A generator that takes a whole core is saturated whatever its schedule says. One function for a
single worker and for the merge of several (judged on the busiest), so each reason is said once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from peac.model.results import Health

CPU_LIMIT = 0.90  # share of one core over the run: the generator is the bottleneck
CPU_MIN_SECONDS = 1.0  # a shorter run's CPU share is its start-up, not its load
LATE = 0.050  # an arrival started this much after its schedule, or a loop tick this late
BEHIND_SHARE = 0.25  # a second is behind when this share of its arrivals (or its time) was late
SUSTAINED = 2  # seconds behind before a run is refused: one stall is a transient
LATE_SHARE_LIMIT = 0.05  # ... and this share of all arrivals (or of the run's time) late
GENERATOR_CPU = 0.75  # CPU share while behind that names the generator as the cause
GENERATOR_SHARE, RUNNABLE = 0.3, 0.9  # or used a third of a core and waited for the rest
MACHINE_WAIT = 0.15  # share of the behind seconds spent waiting for a CPU: the machine was busy


@dataclass(frozen=True)
class WatchedSecond:
    """What the generator saw of itself in one second of the run."""

    arrivals: int = 0  # open-model arrivals scheduled in this second
    late: int = 0  # of them, started more than LATE after their schedule
    stalled: float = 0.0  # seconds the event loop woke up late (the ticks' overshoot)
    cpu: float = 0.0  # seconds of CPU the generator used
    waited: float | None = None  # seconds it was ready but waited for a CPU (None: unknown)

    def behind(self) -> bool:
        late_share = self.late / self.arrivals if self.arrivals else 0.0
        return late_share >= BEHIND_SHARE or self.stalled >= BEHIND_SHARE


@dataclass(frozen=True)
class Figures:
    """The few numbers the verdict rests on: stored in the result, so a merge of several
    workers is judged again on the busiest worker's figures."""

    cpu: float  # the generator's share of one core over the run
    elapsed: float  # seconds watched
    late_share: float = 0.0  # share of the arrivals started more than LATE late
    stalled_share: float = 0.0  # share of the run's time the event loop was late
    behind_seconds: int = 0
    cpu_behind: float = 0.0  # CPU share of a core in the seconds behind
    waited_behind: float | None = None  # share of the seconds behind spent waiting for a CPU
    late: int = 0  # arrivals started more than LATE late
    waited: float | None = None  # share of the whole run spent waiting for a CPU
    loop_lag_p99: float = 0.0
    schedule_lag_p99: float = 0.0
    schedule_lag_max: float = 0.0


def figures(
    seconds: Sequence[WatchedSecond],
    *,
    cpu: float,
    elapsed: float,
    loop_lag_p99: float = 0.0,
    schedule_lag_p99: float = 0.0,
    schedule_lag_max: float = 0.0,
) -> Figures:
    """The run's figures from its seconds (``cpu`` is the share of a core over ``elapsed``)."""
    arrivals = sum(s.arrivals for s in seconds)
    late = sum(s.late for s in seconds)
    behind = [s for s in seconds if s.behind()]
    waits = [s.waited for s in behind]
    known = [w for w in waits if w is not None]
    all_waits = [s.waited for s in seconds]
    return Figures(
        cpu=cpu,
        elapsed=elapsed,
        late_share=late / arrivals if arrivals else 0.0,
        stalled_share=sum(s.stalled for s in seconds) / max(elapsed, 1.0),
        behind_seconds=len(behind),
        cpu_behind=sum(s.cpu for s in behind) / len(behind) if behind else 0.0,
        waited_behind=sum(known) / len(behind) if behind and len(known) == len(waits) else None,
        late=late,
        waited=(
            sum(w for w in all_waits if w is not None) / max(elapsed, 1.0)
            if seconds and None not in all_waits
            else None
        ),
        loop_lag_p99=loop_lag_p99,
        schedule_lag_p99=schedule_lag_p99,
        schedule_lag_max=schedule_lag_max,
    )


def judge_health(f: Figures, *, workers: int = 1) -> Health:
    """The verdict on one worker's figures, or on the worst of several workers' figures."""
    busiest = f" in the busiest of {workers} workers" if workers > 1 else ""
    reasons: list[str] = []
    cause = ""
    if f.cpu >= CPU_LIMIT and f.elapsed >= CPU_MIN_SECONDS:
        reasons.append(f"generator CPU at {f.cpu:.0%} of a core{busiest} (limit {CPU_LIMIT:.0%})")
        cause = "generator"
    share = max(f.late_share, f.stalled_share)
    # A run too short to be behind for SUSTAINED seconds is judged on the seconds it has.
    needed = max(1, min(SUSTAINED, int(f.elapsed))) if math.isfinite(f.elapsed) else SUSTAINED
    sustained = f.behind_seconds >= needed and share >= LATE_SHARE_LIMIT
    note = ""
    if sustained and cause:  # the CPU already says why
        reasons.append(f"{_lateness(f)}{busiest}")
    elif sustained:
        cause = _cause(f)
        reasons.append(f"{_lateness(f)}{busiest}: {_because(f, cause)}")
    elif (f.late or f.behind_seconds) and not reasons:
        note = (
            f"{_lateness(f)}: a transient (limits: {SUSTAINED} s behind and "
            f"{LATE_SHARE_LIMIT:.0%} of the run), so the run is judged"
        )
    return Health(
        saturated=bool(reasons),
        reason="; ".join(reasons),
        cpu_percent=round(f.cpu * 100, 1),
        loop_lag_p99=f.loop_lag_p99,
        schedule_lag_p99=f.schedule_lag_p99,
        schedule_lag_max=f.schedule_lag_max,
        seconds=f.elapsed,
        cause=cause,
        note=note,
        late_share=f.late_share,
        stalled_share=f.stalled_share,
        behind_seconds=f.behind_seconds,
        cpu_behind=f.cpu_behind,
        waited_behind=f.waited_behind,
        late=f.late,
        waited=None if f.waited is None else min(1.0, f.waited),
    )


def _lateness(f: Figures) -> str:
    seconds = f"in {f.behind_seconds} s" if f.behind_seconds else "in no second for long"
    if f.late:
        return (
            f"{f.late} arrival(s) ({f.late_share:.1%}) started more than "
            f"{LATE * 1e3:.0f} ms late, {seconds}"
        )
    return f"the event loop ran late for {f.stalled_share:.1%} of the run, {seconds}"


def _cause(f: Figures) -> str:
    if f.cpu_behind >= GENERATOR_CPU:
        return "generator"
    if (
        f.waited_behind is not None
        and f.cpu_behind >= GENERATOR_SHARE
        and f.cpu_behind + f.waited_behind >= RUNNABLE
    ):
        return "generator"  # it wanted a whole core and got most of one: CPU-bound
    if f.waited_behind is not None and f.waited_behind >= MACHINE_WAIT:
        return "machine"
    return "blocked"


def _because(f: Figures, cause: str) -> str:
    waited = (
        f", waiting for a CPU {f.waited_behind:.0%} of that time"
        if f.waited_behind is not None
        else ""
    )
    if cause == "generator" and f.cpu_behind < GENERATOR_CPU:
        return (
            f"the generator is the bottleneck: it wanted a whole core, used "
            f"{f.cpu_behind:.0%} of one and waited for a CPU {f.waited_behind or 0:.0%} of the "
            "time (other work shares the cores)"
        )
    if cause == "generator":
        return f"the generator is the bottleneck (CPU at {f.cpu_behind:.0%} of a core{waited})"
    if cause == "machine":
        return (
            f"this machine was busy with other work (the generator waited for a CPU "
            f"{f.waited_behind:.0%} of that time, using {f.cpu_behind:.0%} of a core itself)"
        )
    return (
        f"the event loop was held up without using CPU (generator CPU {f.cpu_behind:.0%} of a "
        f"core{waited}): a blocking call, swapping or a stopped process"
    )
