"""Where a verdict came from (commits, testbed), for the reports to say so."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateContext:
    head: str  # commit measured ('' when unknown)
    base: str  # the base branch as given
    merge_base: str  # commit the history was read from
    testbed: str  # '' when any testbed was compared
    budget_path: str
    history_commits: int  # commits read from the base branch
    notes: tuple[str, ...] = ()  # how the history was read (shallow clone deepened, ...)
    commits_with_runs: int | None = None  # commits read that have runs that were compared
