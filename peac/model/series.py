"""A series: one metric's values along the base branch's first-parent history (pure data)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Point:
    """One commit of a series, with the value of each run recorded on it."""

    commit: str
    date: int  # committer time, epoch seconds
    subject: str
    values: tuple[float, ...]  # one per run recorded on this commit
    runs: tuple[str, ...] = ()  # the run id of each value, when the series came from a store

    @property
    def value(self) -> float:
        """The commit's value: the median of its runs."""
        return float(statistics.median(self.values))

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass
class Series:
    """A metric's points, oldest first, and the runs left out of it (reason -> count)."""

    key: str
    points: list[Point]
    skipped: dict[str, int] = field(default_factory=dict)

    def values(self) -> list[float]:
        return [p.value for p in self.points]

    def skipped_text(self) -> str:
        return ", ".join(f"{n} {why}" for why, n in self.skipped.items())
