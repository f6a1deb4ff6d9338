"""Change points against a generated, annotated set: F1 (margin 5) and Cover, the two scores of
the usual annotated change-point benchmarks, computed the way they compute them (the start of
the series counts as a change point in both sets; Cover is the length-weighted best Jaccard
overlap of each true segment with a found one).

The set is peac's own (``cases``): level shifts in Gaussian, AR(1) Student-t(4) and random-walk
noise, a step on a trend, and series with no change at all (AR(1) phi 0.3 and 0.9, random
walks, trends, a seasonal wave), 100 to 600 values each, so the scores weigh both finding the
shifts and leaving smooth wandering alone. The anchors: reporting nothing, and a plain binary
segmentation (Gaussian mean-change cost, BIC penalty, noise from the differences' MAD, at most
five change points), the usual default of change-point packages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise

import numpy as np

Detector = Callable[[np.ndarray], list[int]]
MARGIN = 5


def f1(truth: Sequence[int], found: Sequence[int], n: int, margin: int = MARGIN) -> float:
    """F1 with a margin: each true point matches at most one found point within ``margin``."""
    t = sorted({0, *truth})
    f = sorted({0, *[i for i in found if 0 < i < n]})
    used: set[int] = set()
    hits = 0
    for p in f:
        match = [q for q in t if abs(q - p) <= margin and q not in used]
        if match:
            used.add(min(match, key=lambda q: abs(q - p)))
            hits += 1
    precision, recall = hits / len(f), hits / len(t)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def cover(truth: Sequence[int], found: Sequence[int], n: int) -> float:
    """Length-weighted best Jaccard overlap of each true segment with a found segment."""

    def segments(points: Sequence[int]) -> list[tuple[int, int]]:
        bounds = sorted({0, *[i for i in points if 0 < i < n], n})
        return list(pairwise(bounds))

    found_segments = segments(found)
    total = 0.0
    for a, b in segments(truth):
        best = 0.0
        for c, d in found_segments:
            inter = max(0, min(b, d) - max(a, c))
            if inter:
                best = max(best, inter / (max(b, d) - min(a, c)))
        total += (b - a) * best
    return total / n


def ar1(rng: np.random.Generator, n: int, phi: float, heavy: bool) -> np.ndarray:
    """AR(1) noise of unit variance with Gaussian or Student-t(4) innovations (50 values of
    burn-in): the noise of the generated histories here and in ``judgement.py``."""
    e = rng.standard_t(4, n + 50) / math.sqrt(2.0) if heavy else rng.normal(0, 1, n + 50)
    y = np.zeros(n + 50)
    for i in range(1, n + 50):
        y[i] = phi * y[i - 1] + e[i] * math.sqrt(1 - phi * phi)
    return y[50:]


def _steps(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[int]]:
    k = int(rng.integers(1, 5))
    at = sorted(int(a) for a in rng.choice(np.arange(20, n - 20), k, replace=False))
    at = [a for i, a in enumerate(at) if i == 0 or a - at[i - 1] >= 15]
    level = np.zeros(n)
    for a in at:
        level[a:] += rng.choice([-1, 1]) * rng.uniform(2.0, 6.0)
    return level, at


def cases(seed: int, per_family: int) -> Iterator[tuple[str, np.ndarray, list[int]]]:
    """(family, values, true change points) of the generated annotated set."""
    rng = np.random.default_rng(seed)
    for _ in range(per_family):
        n = int(rng.integers(100, 601))
        level, at = _steps(rng, n)
        yield "steps, Gaussian", 50 + level + rng.normal(0, 1, n), at
        level, at = _steps(rng, n)
        yield "steps, AR(1) t(4)", 50 + level + ar1(rng, n, 0.3, True), at
        level, at = _steps(rng, n)
        yield "jumps, random walk", 50 + 4 * level + np.cumsum(rng.normal(0, 0.5, n)), at
        a = int(rng.integers(30, n - 30))
        ramp = np.arange(n) * rng.uniform(-0.02, 0.02)
        yield "step on a trend", 50 + ramp + 4.0 * (np.arange(n) >= a) + rng.normal(0, 1, n), [a]
        yield "no change, AR(1) 0.3", 50 + ar1(rng, n, 0.3, True), []
        yield "no change, AR(1) 0.9", 50 + 2 * ar1(rng, n, 0.9, False), []
        yield "no change, random walk", 50 + np.cumsum(rng.normal(0, 0.5, n)), []
        yield (
            "no change, trend",
            50 + np.arange(n) * rng.uniform(0.005, 0.05) + rng.normal(0, 1, n),
            [],
        )
        season = 1.5 * np.sin(2 * np.pi * np.arange(n) / rng.integers(7, 40))
        yield "no change, seasonal", 50 + season + rng.normal(0, 1, n), []


def nothing(_: np.ndarray) -> list[int]:
    return []


def plain_binseg(y: np.ndarray, most: int = 5) -> list[int]:
    """Binary segmentation with a Gaussian mean-change cost and a BIC penalty, the noise read
    from the differences' MAD (what change-point packages do by default)."""
    n = len(y)
    sigma = 1.4826 * float(np.median(np.abs(np.diff(y) - np.median(np.diff(y))))) / math.sqrt(2)
    if sigma <= 0:
        return []
    penalty = 2 * math.log(n) * sigma**2
    found: list[int] = []
    stack = [(0, n)]
    while stack and len(found) < most:
        best = None
        for a, b in stack:
            seg = y[a:b]
            if len(seg) < 4:
                continue
            c = np.cumsum(seg)
            k = np.arange(2, len(seg) - 1)
            gain = (
                (c[k - 1] / k - (c[-1] - c[k - 1]) / (len(seg) - k)) ** 2
                * k
                * (len(seg) - k)
                / len(seg)
            )
            i = int(np.argmax(gain))
            if gain[i] > penalty and (best is None or gain[i] > best[0]):
                best = (float(gain[i]), a, b, a + int(k[i]))
        if best is None:
            break
        _, a, b, at = best
        found.append(at)
        stack.remove((a, b))
        stack += [(a, at), (at, b)]
    return sorted(found)


def score(detect: Detector, seed: int, per_family: int) -> dict[str, tuple[float, float]]:
    """Mean F1 and Cover per family, and over all ('all')."""
    by: dict[str, list[tuple[float, float]]] = {}
    for name, y, truth in cases(seed, per_family):
        found = detect(y)
        by.setdefault(name, []).append((f1(truth, found, len(y)), cover(truth, found, len(y))))
    everything = [s for scores in by.values() for s in scores]
    by["all"] = everything
    return {
        k: (float(np.mean([s[0] for s in v])), float(np.mean([s[1] for s in v])))
        for k, v in by.items()
    }
