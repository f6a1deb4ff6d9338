"""How close generated traffic is to the recorded traffic it was generated from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


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
