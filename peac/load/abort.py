"""``abort_on_fail`` objectives checked while the run goes on, on a rolling window.

A run that is already lost (error rate far over its fail limit, latency through the roof) is
stopped early with a clear reason instead of hammering a broken service to the end. Only
absolute fail limits can be checked during a run (baselines come later), and only metrics that a
short window measures meaningfully: latency, service time, error rate and check pass rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from peac.core import quantiles
from peac.core.limits import breaches
from peac.model import histogram as hist
from peac.model.objectives import Objective, Tier
from peac.model.units import show

WINDOW = 10.0  # seconds per bucket; the rule sees the current and the previous bucket
MIN_REQUESTS = 20  # fewer requests than this in the window say nothing yet
WATCHABLE = ("latency", "service_time", "error_rate", "check_pass_rate")


@dataclass
class _Bucket:
    latency: dict[str | None, HdrHistogram] = field(default_factory=dict)
    service: dict[str | None, HdrHistogram] = field(default_factory=dict)
    requests: dict[str | None, int] = field(default_factory=dict)
    errors: dict[str | None, int] = field(default_factory=dict)
    checks: int = 0
    checks_failed: int = 0


def watched(objectives: Sequence[Objective]) -> tuple[list[Objective], list[Objective]]:
    """(objectives checked during the run, abort_on_fail objectives that cannot be)."""
    rules = [o for o in objectives if o.abort_on_fail]
    return [o for o in rules if o.metric in WATCHABLE], [
        o for o in rules if o.metric not in WATCHABLE
    ]


class AbortWatch:
    def __init__(self, rules: list[Objective], start: float) -> None:
        self.rules = rules
        self.steps = {r.step for r in rules} | {None}
        self.started = start
        self.current = _Bucket()
        self.previous = _Bucket()
        self.rotated = start

    def _rotate(self, now: float) -> None:
        if now - self.rotated >= WINDOW:
            self.previous, self.current = self.current, _Bucket()
            self.rotated = now

    def request(self, step: str, latency: float, service: float, failed: bool, now: float) -> None:
        self._rotate(now)
        bucket = self.current
        for key in (None, step) if step in self.steps else (None,):
            hist.record_seconds(bucket.latency.setdefault(key, hist.new()), latency)
            hist.record_seconds(bucket.service.setdefault(key, hist.new()), service)
            bucket.requests[key] = bucket.requests.get(key, 0) + 1
            if failed:
                bucket.errors[key] = bucket.errors.get(key, 0) + 1

    def check(self, passed: bool) -> None:
        self.current.checks += 1
        self.current.checks_failed += 0 if passed else 1

    def verdict(self, now: float) -> str | None:
        """The reason to stop now, or None."""
        span = min(now - self.started, WINDOW + (now - self.rotated))
        buckets = (self.previous, self.current)
        for rule in self.rules:
            requests = sum(b.requests.get(rule.step, 0) for b in buckets)
            if requests < MIN_REQUESTS:
                continue
            value = self._value(rule, buckets, requests)
            if value is None:
                continue
            for fired in breaches(rule, value, only=Tier.FAIL):
                return (
                    f'aborted: objective "{rule.name}" is {show(value, rule.unit)} over the '
                    f"last {span:.0f}s, beyond its {fired.setting} "
                    f"{show(fired.threshold, rule.unit)}"
                )
        return None

    @staticmethod
    def _value(rule: Objective, buckets: tuple[_Bucket, _Bucket], requests: int) -> float | None:
        if rule.metric in ("latency", "service_time"):
            source = [b.latency if rule.metric == "latency" else b.service for b in buckets]
            merged = hist.merged(h[rule.step] for h in source if rule.step in h)
            return quantiles.stat_seconds(merged, rule.stat)
        if rule.metric == "error_rate":
            return sum(b.errors.get(rule.step, 0) for b in buckets) / requests
        checks = sum(b.checks for b in buckets)
        if checks == 0:
            return None
        return 1 - sum(b.checks_failed for b in buckets) / checks
