"""A series: one metric's values along the base branch's first-parent history (pure data).

Built from commits (newest first, as git lists them) and the runs recorded on them; only runs of
the same scenario and testbed are compared, and runs that cannot be judged (saturated, partial,
empty) or were measured on a dirty work tree are left out with the reason counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from peac.history.gitrepo import Commit
from peac.history.records import RunRecord


@dataclass(frozen=True)
class Point:
    commit: str
    date: int
    subject: str
    values: tuple[float, ...]  # one per run recorded on this commit

    @property
    def value(self) -> float:
        """The commit's value: the median of its runs."""
        return float(statistics.median(self.values))

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass
class Series:
    key: str
    points: list[Point]  # oldest first
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> runs left out

    def values(self) -> list[float]:
        return [p.value for p in self.points]


def matching(
    records: Sequence[RunRecord], scenario: str, testbed: str | None
) -> tuple[list[RunRecord], dict[str, int]]:
    """Runs of ``scenario`` on ``testbed`` (any testbed when None) that can be compared."""
    kept: list[RunRecord] = []
    skipped: dict[str, int] = {}
    for record in records:
        if record.scenario != scenario:
            continue
        reason = (
            "other testbed"
            if testbed is not None and record.testbed != testbed
            else "invalid run"
            if record.invalid
            else "dirty work tree"
            if record.dirty
            else ""
        )
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            kept.append(record)
    return kept, skipped


def build(
    commits: Sequence[Commit],
    runs: Mapping[str, Sequence[RunRecord]],
    scenario: str,
    testbed: str | None,
    key: str,
) -> Series:
    """The series of ``key`` (``step|metric|stat``) along ``commits`` (given newest first)."""
    series = Series(key, [])
    for commit in reversed(commits):
        kept, skipped = matching(runs.get(commit.sha, ()), scenario, testbed)
        for reason, count in skipped.items():
            series.skipped[reason] = series.skipped.get(reason, 0) + count
        values = tuple(v for v in (r.value(key) for r in kept) if v is not None)
        if values:
            series.points.append(Point(commit.sha, commit.date, commit.subject, values))
    return series
