"""The metrics a budget can judge: their unit, statistics and which direction is worse.

One table, read by the compiler (to check objectives), the reference docs and later the gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from peac.errors import InputError

Unit = Literal["duration", "percent", "rate", "count"]

LATENCY_STATS = ("p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean", "min")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?)$")


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Unit
    stats: tuple[str, ...]
    higher_is_worse: bool
    description: str

    @property
    def default_stat(self) -> str | None:
        return None if self.unit == "duration" else self.stats[0]

    @property
    def log_scale(self) -> bool:
        return log_scale(self.unit)

    def accepts(self, stat: str) -> bool:
        if stat in self.stats:
            return True
        return self.unit == "duration" and _PERCENTILE.match(stat) is not None


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "latency",
            "duration",
            LATENCY_STATS,
            True,
            "Response time per request; in open-model runs measured from the intended start "
            "(free of coordinated omission).",
        ),
        Metric(
            "service_time",
            "duration",
            LATENCY_STATS,
            True,
            "Response time measured from the actual send.",
        ),
        Metric(
            "iteration_duration",
            "duration",
            LATENCY_STATS,
            True,
            "Time for one whole flow, think time included.",
        ),
        Metric(
            "error_rate",
            "percent",
            ("rate",),
            True,
            "Share of requests that failed (connection errors, timeouts, 4xx, 5xx).",
        ),
        Metric("check_pass_rate", "percent", ("rate",), False, "Share of checks that passed."),
        Metric("throughput", "rate", ("rate",), False, "Completed requests per second."),
        Metric(
            "dropped_arrivals",
            "percent",
            ("rate", "count"),
            True,
            "Arrivals not started because max_vus iterations were in flight (open model).",
        ),
    )
}


def log_scale(unit: Unit) -> bool:
    """Durations and rates are compared on a log scale, where their noise is closer to
    symmetric and changes are relative."""
    return unit in ("duration", "rate")


def metric_and_stat(metric: str, stat: str | None) -> tuple[Metric, str]:
    """The metric named on a command line and its statistic (the metric's default when none
    is given); an InputError naming the accepted ones otherwise."""
    found = METRICS.get(metric)
    if found is None:
        raise InputError(f"--metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    chosen = stat or found.default_stat or "p95"
    if not found.accepts(chosen):
        raise InputError(
            f"--stat: {metric} has no statistic {chosen!r} (it has {', '.join(found.stats)}"
            + (" or any pNN" if found.unit == "duration" else "")
            + ")"
        )
    return found, chosen


def tail_share(stat: str) -> float | None:
    """The share of samples beyond a percentile (``p95``: 0.05; ``max``: 0), None for other
    statistics (a mean, a rate)."""
    if stat == "max":
        return 0.0
    found = _PERCENTILE.match(stat)
    return None if found is None else 1.0 - float(found.group(1)) / 100
