"""The base branch's history as the gate and ``history show`` need it: the merge-base with the
head, its first-parent ancestors within the window, and the runs recorded on them. Shallow CI
clones are deepened from the remote when they lack the merge-base or the window; when that is
not possible the error says exactly which commits are missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from peac.core.measures import SUMMARIZED, measure, parse_key
from peac.errors import GitError
from peac.history.git import Commit, Repository
from peac.history.gitnotes import GitNotesStore
from peac.history.records import RunRecord
from peac.history.store import Store

DEEPEN_STEPS = (1, 4, 16)  # times the window, tried in turn


@dataclass
class History:
    branch: str  # the base branch as resolved (main or origin/main)
    head: str
    merge_base: str
    commits: list[Commit]  # newest first, the merge-base (or the head's parent) first
    runs: dict[str, list[RunRecord]]
    notes: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)


def _remote(repo: Repository, remote: str | None) -> str | None:
    remotes = repo.remotes()
    if remote:
        return remote if remote in remotes else None
    return "origin" if "origin" in remotes else (remotes[0] if remotes else None)


def read_history(
    repo: Repository,
    store: Store,
    base: str,
    head: str | None,
    window: int,
    remote: str | None = None,
    inclusive: bool = False,
    fetch_notes: bool = False,
    require_runs: bool = False,
) -> History:
    """History of ``base`` as seen from ``head`` (a revision; None: the branch itself, as
    resolved, so ``main`` may be ``origin/main``), ``window`` commits deep; with
    ``inclusive`` a head on the branch is part of it (for showing), otherwise its parent is
    where the history ends (for judging the head). With ``fetch_notes`` a clone without the
    notes ref fetches it from the remote first; with ``require_runs`` a window without any
    recorded run is a GitError that says how to get results, never an empty history.
    """
    notes: list[str] = []
    source = _remote(repo, remote)
    fetch_failed = ""
    if fetch_notes and isinstance(store, GitNotesStore) and not store.present() and source:
        try:
            count = store.fetch(source)
            notes.append(
                f"fetched {' and '.join(store.refs)} from {source}: {count} commits have results"
            )
        except GitError as exc:
            fetch_failed = str(exc)
    branch, fetched = repo.fetch_branch(base, source)
    if fetched:
        notes.append(fetched)
    head_sha = repo.commit(branch if head is None else head)
    merge_base = repo.merge_base(head_sha, branch)
    if merge_base is None and repo.shallow() and source:
        for times in DEEPEN_STEPS:
            if repo.deepen(source, base, window * times):
                notes.append(f"shallow clone: fetched {window * times} more commits from {source}")
            merge_base = repo.merge_base(head_sha, branch)
            if merge_base:
                break
    if merge_base is None:
        if repo.shallow():
            raise GitError(
                f"the merge-base of {head_sha[:7]} and {branch} is not in this shallow clone"
                + ("" if source else " and there is no remote to fetch it from")
                + f"; fetch more history (git fetch --deepen={window * 4} or --unshallow)"
            )
        raise GitError(f"{head_sha[:7]} and {branch} have no common ancestor")
    start = merge_base
    if merge_base == head_sha and not inclusive:
        parents = repo.git("rev-list", "--parents", "-n1", head_sha).split()[1:]
        if not parents and repo.shallow() and source:
            # A shallow clone cuts history at the head itself (a push built with
            # fetch-depth 1): its parent is the history, so fetch it.
            if repo.deepen(source, base, window):
                notes.append(f"shallow clone: fetched {window} more commits from {source}")
            parents = repo.git("rev-list", "--parents", "-n1", head_sha).split()[1:]
        if not parents:
            return History(branch, head_sha, merge_base, [], {}, notes)
        start = parents[0]
        notes.append(f"{head_sha[:7]} is on {branch}: comparing with its first parent")
    commits = repo.first_parent(start, window)
    if len(commits) < window and repo.shallow():
        if source and repo.deepen(source, base, window):
            notes.append(f"shallow clone: fetched {window} more commits from {source}")
            commits = repo.first_parent(start, window)
        if len(commits) < window and repo.shallow():
            notes.append(
                f"shallow clone: only {len(commits)} of the {window} commits of the window are "
                "here (git fetch --deepen to see more)"
            )
    bad: list[str] = []
    runs = store.runs([c.sha for c in commits], bad)
    if require_runs and commits and not runs:
        raise GitError(_no_results(store, base, commits, source, fetch_failed, bad))
    return History(branch, head_sha, merge_base, commits, runs, notes, bad)


def _no_results(
    store: Store,
    base: str,
    commits: list[Commit],
    source: str | None,
    fetch_failed: str,
    bad: list[str],
) -> str:
    """Why there is nothing to compare with, and the command that fixes it."""
    where = (
        f"no peac results in this clone for the {len(commits)} commit(s) of {base} up to "
        f"{commits[0].sha[:7]}"
    )
    push = ", then peac history push" if isinstance(store, GitNotesStore) else ""
    record = f"record runs on {base} first (peac run, then peac record RESULT on its commit{push})"
    if bad:
        return f"{where}: {len(bad)} record(s) there cannot be read ({bad[0]}); {record}"
    if not isinstance(store, GitNotesStore):
        return f"{where} ({store.describe()}): copy the results directory here, or {record}"
    if fetch_failed:
        return (
            f"{where} ({store.ref} is not here: {fetch_failed}); fix the remote and run "
            f"peac history fetch, or {record}"
        )
    if not store.present():
        if source is None:
            return (
                f"{where} ({store.ref} is not here and there is no remote to fetch it from): "
                f"peac history fetch --remote NAME, or {record}"
            )
        return f"{where}, nor on {source}: {record}"
    return (
        f"{where} ({len(store.commits())} other commit(s) have results; peac history fetch "
        f"brings newer ones): {record}"
    )


def computed_values(runs: dict[str, list[RunRecord]], key: str) -> dict[str, float]:
    """Values of ``key`` (``step|metric|stat``) that the runs' summaries do not keep (p99.99),
    computed from their full results, by run id; {} when the summaries have it."""
    step, metric, stat = parse_key(key)
    if (metric, stat) in SUMMARIZED:
        return {}
    found = {}
    for records in runs.values():
        for record in records:
            value = measure(record.result(), metric, stat, step or None)
            if value is not None:
                found[record.run_id] = value
    return found
