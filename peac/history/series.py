"""Building a series (``peac.model.series``) from commits and the runs recorded on them.

Commits come newest first, as git lists them; only runs of the same scenario and testbed are
compared, and runs that cannot be judged (saturated, partial, empty) or were measured on a dirty
work tree are left out with the reason counted. Pure: values a run's summary lacks come in
``computed``, read beforehand by ``peac.history.reader.computed_values``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from peac.history.git import Commit
from peac.history.records import RunRecord
from peac.model.series import Point, Series


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
    computed: Mapping[str, float] | None = None,
) -> Series:
    """The series of ``key`` (``step|metric|stat``) along ``commits`` (given newest first);
    ``computed`` holds values the summaries lack, by run id."""
    series = Series(key, [])
    for commit in reversed(commits):
        kept, skipped = matching(runs.get(commit.sha, ()), scenario, testbed)
        for reason, count in skipped.items():
            series.skipped[reason] = series.skipped.get(reason, 0) + count
        extra = computed or {}
        found = (r.value(key) for r in kept)
        values = tuple(
            v if v is not None else extra[r.run_id]
            for r, v in zip(kept, found, strict=True)
            if v is not None or r.run_id in extra
        )
        if values:
            series.points.append(Point(commit.sha, commit.date, commit.subject, values))
    return series
