"""The arrival profile of recorded traffic: requests per time bucket, the gaps where the log
has no data (not zero load), the peak hour, and the stages of a ramping-arrival-rate executor
that replays the shape."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# A run of empty buckets is a gap in the log (an outage of logging, rotated-away time) rather
# than a quiet spell when the rate around it would have made so many requests that seeing none
# by chance is out of the question: under Poisson arrivals P(0 | mean 20) = e^-20.
GAP_EXPECTED = 20.0
NEIGHBOURS = 5  # buckets on each side whose mean rate says what was expected
MAX_STAGES = 720  # stages of the replay; finer profiles are coarsened


@dataclass(frozen=True)
class Gap:
    start: float  # epoch seconds
    end: float
    expected: float  # requests the rate around it would have made


@dataclass(frozen=True)
class Profile:
    """Requests per bucket over the log's time, gaps cut out."""

    resolution: float  # seconds per bucket (after coarsening)
    start: float  # epoch seconds of the first bucket
    counts: tuple[int, ...]  # per bucket, gaps excluded
    times: tuple[float, ...]  # start of each bucket (epoch seconds)
    gaps: tuple[Gap, ...]
    coarsened: int = 1  # buckets of the requested resolution merged into one

    @property
    def duration(self) -> float:
        return self.resolution * len(self.counts)

    @property
    def mean(self) -> float:
        """Requests per second over the time the log covers, gaps excluded."""
        return sum(self.counts) / self.duration if self.counts else 0.0

    @property
    def peak(self) -> float:
        return max(self.counts) / self.resolution if self.counts else 0.0

    @property
    def peak_time(self) -> float:
        if not self.counts:
            return self.start
        return self.times[self.counts.index(max(self.counts))]

    @property
    def peak_to_mean(self) -> float:
        return self.peak / self.mean if self.mean else 0.0


def find_gaps(counts: list[int], resolution: float, start: float) -> list[tuple[int, int, float]]:
    """Runs of empty buckets ``[first, last)`` that are gaps, with the requests expected there."""
    gaps: list[tuple[int, int, float]] = []
    i = 0
    while i < len(counts):
        if counts[i]:
            i += 1
            continue
        j = i
        while j < len(counts) and not counts[j]:
            j += 1
        around = counts[max(0, i - NEIGHBOURS) : i] + counts[j : j + NEIGHBOURS]
        rate = sum(around) / len(around) if around else 0.0  # per bucket
        expected = rate * (j - i)
        if i > 0 and j < len(counts) and expected >= GAP_EXPECTED:
            gaps.append((i, j, expected))
        i = j
    return gaps


def build_profile(
    buckets: Mapping[int, int], resolution: float, *, max_stages: int = MAX_STAGES
) -> Profile:
    """The profile from request counts keyed by bucket index (epoch seconds // resolution)."""
    if not buckets:
        return Profile(resolution, 0.0, (), (), ())
    first, last = min(buckets), max(buckets)
    counts = [buckets.get(b, 0) for b in range(first, last + 1)]
    found = find_gaps(counts, resolution, first * resolution)
    gaps = tuple(
        Gap((first + i) * resolution, (first + j) * resolution, expected)
        for i, j, expected in found
    )
    skip = {k for i, j, _ in found for k in range(i, j)}
    kept = [(first + k, c) for k, c in enumerate(counts) if k not in skip]
    factor = max(1, math.ceil(len(kept) / max_stages))
    merged: list[tuple[float, int]] = []
    for index in range(0, len(kept), factor):
        chunk = kept[index : index + factor]
        merged.append((chunk[0][0] * resolution, sum(c for _, c in chunk)))
    return Profile(
        resolution * factor,
        first * resolution,
        tuple(c for _, c in merged),
        tuple(t for t, _ in merged),
        gaps,
        factor,
    )


def peak_window(profile: Profile, seconds: float = 3600.0) -> Profile:
    """The busiest window of ``seconds`` (the peak hour), as a profile of its own."""
    width = max(1, round(seconds / profile.resolution))
    if len(profile.counts) <= width:
        return profile
    best, best_sum = 0, -1
    running = sum(profile.counts[:width])
    for start in range(len(profile.counts) - width + 1):
        if start:
            running += profile.counts[start + width - 1] - profile.counts[start - 1]
        if running > best_sum:
            best, best_sum = start, running
    return Profile(
        profile.resolution,
        profile.times[best],
        profile.counts[best : best + width],
        profile.times[best : best + width],
        (),
        profile.coarsened,
    )


def stage_rates(profile: Profile, per_iteration: float, scale: float = 1.0) -> list[float]:
    """Iterations per second of each bucket: requests per second over the requests one
    iteration makes, times ``scale``."""
    if per_iteration <= 0:
        return [0.0 for _ in profile.counts]
    return [c / profile.resolution / per_iteration * scale for c in profile.counts]
