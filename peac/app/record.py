"""`peac record`: attach results to the commit they measured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.core.measures import invalid_reason
from peac.errors import ExitCode, InputError
from peac.history.git import Repository
from peac.history.store import open_store
from peac.report.escape import terminal
from peac.results.format import read


@dataclass(frozen=True, kw_only=True)
class RecordRequest:
    root: Path  # inside the repository whose history gets the results
    results: tuple[Path, ...]
    commit: str | None = None  # record on this commit instead of the one each result measured
    store: str = "git"
    force: bool = False  # record runs that cannot be judged (partial, saturated, all failed)


def record(request: RecordRequest, out: TextIO, err: TextIO) -> int:
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    results = [(path, read(path)) for path in request.results]  # all read before any is recorded
    for path, result in results:
        why = invalid_reason(result)
        if why and not request.force:
            raise InputError(
                terminal(
                    f"{path}: not recorded: {why}; a baseline must not learn from such a run "
                    "(fix the run and record it again, or --force to keep it: baselines still "
                    "leave it out)"
                )
            )
    for path, result in results:
        measured = result.git.commit if result.git is not None else ""
        if not (request.commit or measured):
            raise InputError(
                f"{path}: the result does not say which commit it measured (it was run outside "
                "a git work tree); give --commit"
            )
        target = repo.commit(request.commit or measured)
        if request.commit and measured and measured != target:
            err.write(
                f"note: {path} was measured on {measured[:7]}; recording it on {target[:7]} "
                "as asked\n"
            )
        if result.git is not None and result.git.dirty:
            err.write(
                f"note: {path} was measured on a work tree with uncommitted changes; it is kept "
                "but baselines leave it out\n"
            )
        why = invalid_reason(result)
        if why:
            err.write(
                terminal(
                    f"note: {path}: {why}; recorded as asked (--force), baselines leave it out"
                )
                + "\n"
            )
        run_id, added = store.record(target, result)
        what = "recorded" if added else "already recorded"
        out.write(
            terminal(
                f"{what} run {run_id} ({result.scenario} on testbed {result.testbed.key}) "
                f"on {target[:7]} in {store.describe()}"
            )
            + "\n"
        )
    return ExitCode.OK
