"""The value of a budget metric in a RunResult, in canonical units (seconds, fractions, per second).

One function read by the recorder (which stores a summary of every run), the gate and the diff,
so all three agree on what "p95 latency of checkout" means.
"""

from __future__ import annotations

from peac import histogram as hist
from peac.results import RunResult
from peac.spec.metrics import LATENCY_STATS, METRICS

WHOLE_RUN = ""  # the step name that stands for all steps


def measure(result: RunResult, metric: str, stat: str, step: str | None = None) -> float | None:
    """The statistic, or None when the run has nothing to measure it on (no requests, no checks)."""
    if metric in ("latency", "service_time"):
        if step and not any(s.step == step for s in result.series.values()):
            return None
        histogram = result.latency(step or None, service=metric == "service_time")
        return hist.stat_seconds(histogram, stat)
    if metric == "iteration_duration":
        return None if step else hist.stat_seconds(result.iteration_duration, stat)
    if metric == "error_rate":
        requests = result.requests(step or None)
        return result.errors(step or None) / requests if requests else None
    if metric == "throughput":
        requests = result.requests(step or None)
        return requests / result.duration if requests or not step else None
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


SUMMARIZED = frozenset(
    (m.name, stat)
    for m in METRICS.values()
    for stat in (LATENCY_STATS if m.unit == "duration" else m.stats)
)


def summarize(result: RunResult) -> dict[str, float]:
    """Every metric and statistic of the whole run and of each step, for the history.

    Stored with each recorded run so that reading a long history never decodes a histogram;
    statistics not listed here (``p99.99``) are computed from the full result when asked for.
    """
    values: dict[str, float] = {}
    for step in [WHOLE_RUN, *result.steps()]:
        histograms = {
            "latency": result.latency(step or None),
            "service_time": result.latency(step or None, service=True),
            "iteration_duration": None if step else result.iteration_duration,
        }
        for metric, stat in sorted(SUMMARIZED):
            if metric in histograms:
                histogram = histograms[metric]
                value = None if histogram is None else hist.stat_seconds(histogram, stat)
            else:
                value = measure(result, metric, stat, step)
            if value is not None:
                values[series_key(step, metric, stat)] = value
    return values


def invalid_reason(result: RunResult) -> str:
    """Why the run cannot be judged (saturated generator, partial run, no requests), or ''."""
    reasons = []
    if result.counters.requests == 0 and result.requests() == 0:
        reasons.append("the run made no requests")
    if result.partial:
        reasons.append(f"partial run ({result.stop_reason or 'stopped early'})")
    if result.health.saturated:
        reasons.append(f"load generator saturated ({result.health.reason})")
    return "; ".join(reasons)
