"""``peac diff``: two sets of runs compared metric by metric, benchstat-style (pure).

Each side is one or more runs of the same scenario. With at least two runs a side, runs are
compared with a Mann-Whitney U test (like benchstat); with single runs, latency quantiles are
compared by a bootstrap over the requests inside each run's histogram, and error rates by
Fisher's exact test, which catch request-level noise but not run-to-run noise (said in the
output). ``~`` marks a change that is not significant at ``alpha``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hdrh.histogram import HdrHistogram

from peac.core import quantiles
from peac.core.measures import measure
from peac.core.significance import rank_test
from peac.model.metrics import METRICS
from peac.model.results import RunResult

DEFAULT_METRICS = (
    ("latency", "p50"),
    ("latency", "p95"),
    ("latency", "p99"),
    ("error_rate", "rate"),
    ("throughput", "rate"),
)
BOOTSTRAP = 400


@dataclass(frozen=True)
class Row:
    step: str  # '' for the whole run
    metric: str
    stat: str
    base: tuple[float, ...]
    head: tuple[float, ...]
    change: float | None  # head median against base median
    p_value: float | None
    test: str  # "U" (Mann-Whitney), "bootstrap", "fisher", "" (no test possible)

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    @property
    def base_value(self) -> float | None:
        return float(statistics.median(self.base)) if self.base else None

    @property
    def head_value(self) -> float | None:
        return float(statistics.median(self.head)) if self.head else None

    def significant(self, alpha: float) -> bool:
        return self.p_value is not None and self.p_value < alpha


def _bootstrap_quantile(histogram: HdrHistogram, stat: str, rng: np.random.Generator) -> np.ndarray:
    """The quantile (or mean) over ``BOOTSTRAP`` resamples of the run's requests."""
    counts, low, width = quantiles.buckets(histogram)
    total = int(counts.sum())
    values = low + width - 1
    draws = rng.multinomial(total, counts / total, size=BOOTSTRAP).astype(np.float64)
    if stat == "mean":
        return np.asarray(draws @ (low + np.floor(width / 2)) / total)
    wanted = quantiles.rank(quantiles.percentile_of(stat), total)
    at = np.argmax(np.cumsum(draws, axis=1) >= wanted, axis=1)
    return np.asarray(values[at])


def _single_run_test(
    base: RunResult, head: RunResult, step: str, metric: str, stat: str, seed: int
) -> tuple[float | None, str]:
    if metric in ("latency", "service_time"):
        service = metric == "service_time"
        a, b = (
            base.latency(step or None, service=service),
            head.latency(step or None, service=service),
        )
        if a.get_total_count() == 0 or b.get_total_count() == 0:
            return None, ""
        rng = np.random.default_rng(seed)
        diff = np.log(_bootstrap_quantile(b, stat, rng)) - np.log(_bootstrap_quantile(a, stat, rng))
        tail = min(float(np.mean(diff <= 0)), float(np.mean(diff >= 0)))
        # Ties (diff == 0) count in both tails, so twice the smaller can pass 1: a p-value
        # cannot.
        return min(max(2 * tail, 1 / BOOTSTRAP), 1.0), "bootstrap"
    if metric == "error_rate":
        from scipy import stats

        n_a, n_b = base.requests(step or None), head.requests(step or None)
        e_a, e_b = base.errors(step or None), head.errors(step or None)
        if not n_a or not n_b:
            return None, ""
        table = [[e_a, n_a - e_a], [e_b, n_b - e_b]]
        return float(stats.fisher_exact(table).pvalue), "fisher"
    return None, ""


def compare(
    base: Sequence[RunResult],
    head: Sequence[RunResult],
    metrics: Sequence[tuple[str, str]] = DEFAULT_METRICS,
    steps: Sequence[str] | None = None,
) -> list[Row]:
    """One row per step x metric present on both sides."""
    if steps is None:
        names = dict.fromkeys(s for r in [*base, *head] for s in r.steps())
        steps = ["", *names]
    rows = []
    for step in steps:
        for k, (metric, stat) in enumerate(metrics):
            a = tuple(v for r in base if (v := measure(r, metric, stat, step or None)) is not None)
            b = tuple(v for r in head if (v := measure(r, metric, stat, step or None)) is not None)
            if not a or not b:
                continue
            ma, mb = statistics.median(a), statistics.median(b)
            change = None if ma == 0 else mb / ma - 1.0
            if len(a) >= 2 and len(b) >= 2:
                p: float | None = rank_test(b, a, "two-sided")
                test = "U"
            elif len(base) == 1 and len(head) == 1:
                p, test = _single_run_test(base[0], head[0], step, metric, stat, seed=k)
            else:
                p, test = None, ""
            if p is not None and not math.isfinite(p):
                p = None
            rows.append(Row(step, metric, stat, a, b, change, p, test))
    return rows
