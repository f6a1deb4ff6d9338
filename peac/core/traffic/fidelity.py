"""How close generated traffic is to the recorded traffic it was generated from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from peac.core.traffic.known import Refusal

TVD_TARGET = 0.05  # the endpoint mix of a generated scenario is this close to the log's
# At most this share of generated requests may carry a value the log never held: above it, the
# scenario would fail against the real service in a way the mock alone would not show.
REFUSED_TARGET = 0.05
OTHER = "(other)"


def shares(counts: Mapping[str, float], keys: Iterable[str] | None = None) -> dict[str, float]:
    """``counts`` as fractions of their total, over ``keys`` only when given."""
    chosen = list(counts) if keys is None else list(keys)
    total = sum(counts.get(k, 0.0) for k in chosen)
    return {k: (counts.get(k, 0.0) / total if total else 0.0) for k in chosen}


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total-variation distance of two distributions (each summing to 1, or to 0 when empty):
    half the sum of absolute differences, from 0 (the same) to 1 (disjoint)."""
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def top_keys(counts: Mapping[str, float], n: int) -> list[str]:
    """The ``n`` most frequent keys, ties broken by name so the choice is reproducible."""
    return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


@dataclass(frozen=True)
class Mix:
    """What a stream of requests looked like, for comparing two of them."""

    endpoints: dict[str, int]  # "METHOD /template" -> requests
    methods: dict[str, int]
    statuses: dict[str, int]  # status class -> requests
    think: dict[str, float]  # quantile name (p25, p50...) -> seconds


@dataclass(frozen=True)
class Comparison:
    endpoint_tvd: float
    method_tvd: float
    status_tvd: float
    rows: list[tuple[str, float, float]]  # endpoint, share in the log, share generated
    methods: list[tuple[str, float, float]]
    statuses: list[tuple[str, float, float]]
    think: list[tuple[str, float, float]]  # quantile, log seconds, generated seconds
    requests: int  # generated requests compared
    values_checked: bool = False  # whether the mock knew the log's values (from-log only)
    refused: int = 0  # requests the mock refused: a value the log never held
    unverified: int = 0  # requests with values made up for privacy: the check cannot tell
    refusals: list[tuple[Refusal, int]] = field(default_factory=list)  # most common first
    open_names: list[str] = field(default_factory=list)  # parameters with any value accepted

    @property
    def refused_share(self) -> float:
        return self.refused / self.requests if self.requests else 0.0

    def passed(self, limit: float = TVD_TARGET) -> bool:
        return self.endpoint_tvd <= limit and self.refused_share <= REFUSED_TARGET


def _rows(p: dict[str, float], q: dict[str, float]) -> list[tuple[str, float, float]]:
    return [(k, p.get(k, 0.0), q.get(k, 0.0)) for k in dict.fromkeys([*p, *q])]


def compare(log: Mix, generated: Mix, top: int = 20) -> Comparison:
    """The generated mix against the log's over the log's ``top`` endpoints (the rest of both
    pooled as one "(other)" row), the methods and the status classes."""
    keys = top_keys(log.endpoints, top)

    def pooled(counts: dict[str, int]) -> dict[str, float]:
        out: dict[str, float] = {k: float(counts.get(k, 0)) for k in keys}
        rest = sum(v for k, v in counts.items() if k not in out)
        if rest:
            out[OTHER] = float(rest)
        return shares(out)

    p, q = pooled(log.endpoints), pooled(generated.endpoints)
    pm, qm = shares(dict(log.methods)), shares(dict(generated.methods))
    ps, qs = shares(dict(log.statuses)), shares(dict(generated.statuses))
    think = [(k, v, generated.think.get(k, float("nan"))) for k, v in log.think.items()]
    return Comparison(
        endpoint_tvd=total_variation(p, q),
        method_tvd=total_variation(pm, qm),
        status_tvd=total_variation(ps, qs),
        rows=_rows(p, q),
        methods=_rows(pm, qm),
        statuses=_rows(ps, qs),
        think=think,
        requests=sum(generated.endpoints.values()),
    )
