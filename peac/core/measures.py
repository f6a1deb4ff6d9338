"""The value of a budget metric in a RunResult, in canonical units (seconds, fractions, per second).

One function read by the recorder (which stores a summary of every run), the gate and the diff,
so all three agree on what "p95 latency of checkout" means.
"""

from __future__ import annotations

from collections.abc import Iterable

from peac.core import quantiles
from peac.model.metrics import LATENCY_STATS, METRICS
from peac.model.results import NOT_REQUEST_FAILURES, RunResult

WHOLE_RUN = ""  # the step name that stands for all steps


def measure(result: RunResult, metric: str, stat: str, step: str | None = None) -> float | None:
    """The statistic, or None when the run has nothing to measure it on (no requests, no checks)."""
    if metric in ("latency", "service_time"):
        if step and not any(s.step == step for s in result.series.values()):
            return None
        histogram = result.latency(step or None, service=metric == "service_time")
        return quantiles.stat_seconds(histogram, stat)
    if metric == "iteration_duration":
        return None if step else quantiles.stat_seconds(result.iteration_duration, stat)
    if metric == "error_rate":
        requests = result.requests(step or None)
        return result.errors(step or None) / requests if requests else None
    if metric == "throughput":
        requests = result.requests(step or None)
        return result.throughput(step or None) if requests or not step else None
    counters = result.counters
    if metric == "check_pass_rate":
        checks = counters.checks_passed + counters.checks_failed
        return counters.checks_passed / checks if checks and not step else None
    if metric == "dropped_arrivals":
        if step:
            return None
        if stat == "count":
            return float(counters.dropped_arrivals)
        scheduled = counters.scheduled_arrivals
        return counters.dropped_arrivals / scheduled if scheduled else 0.0
    raise ValueError(f"unknown metric {metric!r}")


def series_key(step: str | None, metric: str, stat: str) -> str:
    """``step|metric|stat``: how a value is named in a run's stored summary."""
    return f"{step or WHOLE_RUN}|{metric}|{stat}"


def parse_key(key: str) -> tuple[str | None, str, str]:
    """(step or None for the whole run, metric, stat) of a ``step|metric|stat`` key.

    Split from the right: metric and stat are names peac defines, but a step is named by its
    scenario, and a path like ``/ok?a=1|2`` is a legal step name."""
    step, metric, stat = key.rsplit("|", 2)
    return step or None, metric, stat


def values_of(result: RunResult, keys: Iterable[str]) -> dict[str, float]:
    """Every summarised value of a result, plus ``keys`` the summary does not keep (p99.99)."""
    values = summarize(result)
    for key in keys:
        if key not in values:
            step, metric, stat = parse_key(key)
            value = measure(result, metric, stat, step)
            if value is not None:
                values[key] = value
    return values


# The statistics every recorded run keeps, per metric, in a fixed order (the stored table is
# lists in this order: compact to store and fast to read back).
STAT_ORDER: dict[str, tuple[str, ...]] = {
    m.name: LATENCY_STATS if m.unit == "duration" else m.stats for m in METRICS.values()
}
SUMMARIZED = frozenset((metric, stat) for metric, stats in STAT_ORDER.items() for stat in stats)
Table = dict[str, dict[str, list[float | None]]]  # step -> metric -> values in STAT_ORDER


def summary_table(result: RunResult) -> Table:
    """Every metric and statistic of the whole run (step ``""``) and of each step.

    Stored with each recorded run so that reading a long history never decodes a histogram;
    statistics not listed here (``p99.99``) are computed from the full result when asked for.
    """
    table: Table = {}
    for step in [WHOLE_RUN, *result.steps()]:
        histograms = {
            "latency": result.latency(step or None),
            "service_time": result.latency(step or None, service=True),
            "iteration_duration": None if step else result.iteration_duration,
        }
        row: dict[str, list[float | None]] = {}
        for metric, stats in STAT_ORDER.items():
            if metric in histograms:
                histogram = histograms[metric]
                values = [
                    None if histogram is None else quantiles.stat_seconds(histogram, stat)
                    for stat in stats
                ]
            else:
                values = [measure(result, metric, stat, step) for stat in stats]
            if any(v is not None for v in values):
                row[metric] = values
        table[step] = row
    return table


def flatten(table: Table) -> dict[str, float]:
    """A summary table as a flat ``step|metric|stat -> value`` mapping (missing values left out)."""
    flat = {}
    for step, row in table.items():
        for metric, values in row.items():
            for stat, value in zip(STAT_ORDER[metric], values, strict=True):
                if value is not None:
                    flat[series_key(step, metric, stat)] = value
    return flat


def summarize(result: RunResult) -> dict[str, float]:
    """Every summarised value of a result, flat."""
    return flatten(summary_table(result))


ALL_FAILED = "every request failed"


def all_failed(requests: int, error_rate: float | None) -> bool:
    """Whether a run's requests all failed (a server that was down, a wrong URL): its latencies
    are those of refusals and timeouts, not of the service."""
    return requests > 0 and error_rate is not None and error_rate >= 1.0


def invalid_reason(result: RunResult) -> str:
    """Why the run cannot be judged (saturated generator, partial run, no requests, every
    request failed), or ''."""
    reasons = []
    counters = result.counters
    requests = result.requests()
    if counters.requests == 0 and requests == 0:
        reasons.append("the run made no requests")
    elif all_failed(requests, measure(result, "error_rate", "rate")):
        kinds = ", ".join(
            f"{n} {kind}"
            for kind, n in counters.failures.items()
            if n and kind not in NOT_REQUEST_FAILURES
        )
        reasons.append(f"{ALL_FAILED} ({kinds or requests})")
    if result.partial:
        reasons.append(f"partial run ({result.stop_reason or 'stopped early'})")
    if result.health.saturated and result.health.cause == "machine":
        reasons.append(f"the machine was too busy to measure ({result.health.reason})")
    elif result.health.saturated:
        reasons.append(f"load generator saturated ({result.health.reason})")
    return "; ".join(reasons)
