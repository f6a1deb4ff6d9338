"""When load happens: arrival times of the open model and VU targets of the closed model.

Pure functions of a load profile (``Segment``s, from ``peac.load.executors``), so exactness is
tested without clocks: arrival ``j`` happens when the integral of the rate reaches ``j``, shard
``K/N`` takes the arrivals (or VU indices, or iterations) congruent to ``K`` modulo ``N``, and the
shards of a plan partition its whole load exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (0-based) of ``count`` equal parts of the load."""

    index: int = 0
    count: int = 1

    def owns(self, number: int) -> bool:
        return number % self.count == self.index

    def split(self, total: int) -> int:
        """How many of ``total`` numbered things (0..total-1) this shard owns."""
        return len(range(self.index, total, self.count))

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


@dataclass(frozen=True)
class Segment:
    """A linear piece of a profile: value goes from ``start`` to ``end`` over ``duration``."""

    duration: float
    start: float
    end: float

    def area(self) -> float:
        return (self.start + self.end) * self.duration / 2


def total_duration(segments: list[Segment]) -> float:
    return sum(s.duration for s in segments)


def total_arrivals(segments: list[Segment]) -> int:
    """Arrivals of the whole (unsharded) profile: every j with rate integral reaching j, j >= 0."""
    area = sum(s.area() for s in segments)
    return max(0, math.ceil(area - 1e-9))


def arrival_times(segments: list[Segment], shard: Shard = Shard()) -> Iterator[float]:
    """Offsets (seconds from the start) of this shard's arrivals, in order."""
    total = total_arrivals(segments)
    j = shard.index
    before, t0 = 0.0, 0.0
    for segment in segments:
        area = segment.area()
        while j < total and j < before + area - 1e-9:
            yield t0 + _offset(segment, j - before)
            j += shard.count
        before += area
        t0 += segment.duration


def _offset(segment: Segment, count: float) -> float:
    """Time into the segment at which the rate's integral reaches ``count``."""
    a, b, d = segment.start, segment.end, segment.duration
    if count <= 0:
        return 0.0
    if abs(b - a) < 1e-12:
        return count / a
    slope = (b - a) / (2 * d)
    disc = max(a * a + 4 * slope * count, 0.0)
    return min((-a + math.sqrt(disc)) / (2 * slope), d)


def vus_at(segments: list[Segment], t: float) -> float:
    """The VU target at offset ``t`` (0 after the end)."""
    t0 = 0.0
    for segment in segments:
        if t < t0 + segment.duration:
            x = (t - t0) / segment.duration
            return segment.start + (segment.end - segment.start) * x
        t0 += segment.duration
    return 0.0
