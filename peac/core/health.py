"""Whether the load generator, rather than the server, limited a run's numbers: plain
thresholds on what the generator measured of itself, stated in the reason so that a reader can
check them. One function for a single worker and for the merge of several, so each reason is
said once (about the busiest worker), never once per worker."""

from __future__ import annotations

from peac.model.results import Health

CPU_LIMIT = 0.90  # share of one core
CPU_MIN_SECONDS = 1.0  # a shorter run's CPU share is its start-up, not its load
LOOP_LAG_LIMIT = 0.050
SCHEDULE_LAG_LIMIT = 0.050


def judge_health(
    *,
    cpu: float,
    elapsed: float,
    loop_lag_p99: float,
    schedule_lag_p99: float,
    schedule_lag_max: float,
    workers: int = 1,
) -> Health:
    """``cpu`` is the busiest worker's share of one core over ``elapsed`` seconds."""
    reasons = []
    busiest = f" in the busiest of {workers} workers" if workers > 1 else ""
    if cpu >= CPU_LIMIT and elapsed >= CPU_MIN_SECONDS:
        reasons.append(f"generator CPU at {cpu:.0%} of a core{busiest} (limit {CPU_LIMIT:.0%})")
    if loop_lag_p99 > LOOP_LAG_LIMIT:
        reasons.append(
            f"event-loop lag p99 {loop_lag_p99 * 1e3:.0f}ms (limit {LOOP_LAG_LIMIT * 1e3:.0f}ms)"
        )
    if schedule_lag_p99 > SCHEDULE_LAG_LIMIT:
        reasons.append(
            f"arrivals started late: schedule lag p99 {schedule_lag_p99 * 1e3:.0f}ms "
            f"(limit {SCHEDULE_LAG_LIMIT * 1e3:.0f}ms)"
        )
    return Health(
        saturated=bool(reasons),
        reason="; ".join(reasons),
        cpu_percent=round(cpu * 100, 1),
        loop_lag_p99=loop_lag_p99,
        schedule_lag_p99=schedule_lag_p99,
        schedule_lag_max=schedule_lag_max,
        seconds=elapsed,
    )
