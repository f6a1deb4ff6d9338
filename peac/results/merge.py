"""Merging results of one scenario (shards, workers, repeated runs): counts and histograms add
exactly, so N shards give the numbers one big run would have given."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from peac.core.health import Figures, judge_health
from peac.errors import InputError
from peac.model.results import Health, LoadWindow, RunResult, Second, Series


def merge(results: Sequence[RunResult]) -> RunResult:
    """One result from shards of the same scenario version (same digest)."""
    if not results:
        raise InputError("nothing to merge")
    digests = {r.scenario_digest for r in results}
    if len(digests) > 1:
        raise InputError(
            "cannot merge results of different scenario versions (their digests differ: "
            + ", ".join(sorted(d[:12] for d in digests))
            + ")"
        )
    first = results[0]
    scraped = [r.server for r in results if r.server.monitors or r.server.process]
    total = RunResult(
        scenario=first.scenario,
        scenario_digest=first.scenario_digest,
        executor=first.executor,
        started_at=min(r.started_at for r in results),
        ended_at=max(r.ended_at for r in results),
        peac_version=first.peac_version,
        testbed=first.testbed,
        git=first.git,
        shards=[shard for r in results for shard in r.shards],
        partial=any(r.partial for r in results),
        stop_reason="; ".join(dict.fromkeys(r.stop_reason for r in results if r.stop_reason)),
        server=scraped[0] if scraped else first.server,  # only one shard scrapes
    )
    for result in results:
        total.counters.add(result.counters)
        total.iteration_duration.add(result.iteration_duration)
        for key, series in result.series.items():
            into = total.series.setdefault(key, Series(*key))
            into.latency.add(series.latency)
            into.service_time.add(series.service_time)
    total.timeline = _merge_timelines(results, total.started_at)
    if all(r.load.seconds > 0 for r in results):
        requests: dict[str, int] = {}
        for result in results:
            for step, n in result.load.requests.items():
                requests[step] = requests.get(step, 0) + n
        # Shards load side by side (their windows overlap: the rate adds up); repetitions of
        # a run one after another (the windows add up: the rate is their average).
        side_by_side = max(r.started_at for r in results) < min(r.ended_at for r in results)
        seconds = [r.load.seconds for r in results]
        total.load = LoadWindow(max(seconds) if side_by_side else sum(seconds), requests)
    total.health = _merge_health([r.health for r in results])
    return total


def _merge_timelines(results: Iterable[RunResult], start: float) -> list[Second]:
    """Counts add per second; a merged second keeps the worst shard's quantiles (an upper bound)."""
    merged: dict[int, Second] = {}
    for result in results:
        offset = round(result.started_at - start)
        for second in result.timeline:
            into = merged.setdefault(second.t + offset, Second(second.t + offset))
            into.requests += second.requests
            into.errors += second.errors
            into.active_vus += second.active_vus
            for name in ("p50", "p95", "p99"):
                values = [v for v in (getattr(into, name), getattr(second, name)) if v is not None]
                setattr(into, name, max(values) if values else None)
    return [merged[t] for t in sorted(merged)]


def _merge_health(healths: Sequence[Health]) -> Health:
    """Judged again on the busiest worker's figures: one reason per cause, not per worker."""
    waits = [h.waited_behind for h in healths]
    known = [w for w in waits if w is not None]
    all_waits = [h.waited for h in healths if h.waited is not None]
    merged = judge_health(
        Figures(
            cpu=max(h.cpu_percent for h in healths) / 100,
            # Results written before the watch time was recorded count as long enough.
            elapsed=max(h.seconds for h in healths) or math.inf,
            late_share=max(h.late_share for h in healths),
            stalled_share=max(h.stalled_share for h in healths),
            behind_seconds=max(h.behind_seconds for h in healths),
            cpu_behind=max(h.cpu_behind for h in healths),
            waited_behind=max(known) if known else None,
            late=max(h.late for h in healths),
            waited=max(all_waits) if all_waits else None,
            loop_lag_p99=max(h.loop_lag_p99 for h in healths),
            schedule_lag_p99=max(h.schedule_lag_p99 for h in healths),
            schedule_lag_max=max(h.schedule_lag_max for h in healths),
        ),
        workers=len(healths),
    )
    if not merged.saturated:  # results of older versions carry only their verdict
        earlier = [h.reason for h in healths if h.saturated and h.reason]
        if earlier:
            merged.saturated, merged.reason = True, earlier[0]
    return merged
