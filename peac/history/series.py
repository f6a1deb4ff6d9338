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


def exclusion(record: RunRecord, scenario: str, testbed: str | None) -> str:
    """Why ``record`` is left out of a series of ``scenario`` on ``testbed`` (any when None),
    or '' when it is used."""
    if record.scenario != scenario:
        return "other scenario"
    if testbed is not None and record.testbed != testbed:
        return "other testbed"
    if record.invalid:
        return f"invalid run: {record.invalid}"
    if record.dirty:
        return "dirty work tree"
    return ""


def matching(
    records: Sequence[RunRecord], scenario: str, testbed: str | None
) -> tuple[list[RunRecord], dict[str, int]]:
    """Runs of ``scenario`` on ``testbed`` (any testbed when None) that can be compared, and
    how many of the others were left out for what (invalid runs counted together)."""
    kept: list[RunRecord] = []
    skipped: dict[str, int] = {}
    for record in records:
        reason = exclusion(record, scenario, testbed)
        if reason == "other scenario":
            continue
        if reason:
            reason = "invalid run" if reason.startswith("invalid run") else reason
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            kept.append(record)
    return kept, skipped


NAMED = 5  # invalid runs named one by one in a report's notes; the rest are counted


def invalid_notes(
    commits: Sequence[Commit], runs: Mapping[str, Sequence[RunRecord]], scenario: str
) -> list[str]:
    """Notes naming the runs of ``scenario`` left out because they cannot be judged (recorded
    with --force, or by a peac that did not refuse them), newest first."""
    bad = [
        record
        for commit in commits
        for record in runs.get(commit.sha, ())
        if record.scenario == scenario and record.invalid
    ]
    notes = [f"left out run {r.run_id} on {r.commit[:7]}: {r.invalid}" for r in bad[:NAMED]]
    if len(bad) > NAMED:
        notes.append(f"left out {len(bad) - NAMED} more run(s) that cannot be judged")
    return notes


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
        used = [
            (r.run_id, v if v is not None else extra[r.run_id])
            for r, v in zip(kept, found, strict=True)
            if v is not None or r.run_id in extra
        ]
        if used:
            ids, values = zip(*used, strict=True)
            series.points.append(Point(commit.sha, commit.date, commit.subject, values, ids))
    return series
