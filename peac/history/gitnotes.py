"""Results in git notes: ``refs/notes/peac`` holds a small summary line per run (what history
reads), ``refs/notes/peac-results`` the full result of each run (read on demand).

Concurrent writers never lose each other's runs: locally a lock file serialises the
read-modify-write of a note; across machines ``push`` fetches, merges with git's
``cat_sort_uniq`` strategy (a union of lines) and retries when another writer got there first.
"""

from __future__ import annotations

import fcntl
import random
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from peac.errors import GitError
from peac.history.git import Repository, complaint
from peac.history.records import (
    REMOVED,
    RunRecord,
    find_payload,
    line_id,
    make_lines,
    parse_note,
)
from peac.model.results import RunResult

PUSH_ATTEMPTS = 12
# What git says when another writer updated the remote ref between our fetch and our push.
RACE_SIGNS = ("rejected", "fetch first", "non-fast-forward", "cannot lock ref", "stale info")


class GitNotesStore:
    def __init__(self, path: Path, ref: str = "peac") -> None:
        self.repo = Repository(path)
        self.name = ref.removeprefix("refs/notes/")
        self.ref = f"refs/notes/{self.name}"
        self.full_ref = f"refs/notes/{self.name}-results"
        self.refs = (self.ref, self.full_ref)

    def present(self) -> bool:
        """Whether this clone has the notes ref at all (``git clone`` does not fetch notes)."""
        return self.repo.resolve(self.ref) is not None

    def describe(self) -> str:
        return f"git notes {self.ref} in {self.repo.repo.working_dir or self.repo.git_dir}"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.repo.git_dir / "peac-notes.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _note(self, commit: str, ref: str) -> str:
        return self.repo.git("notes", f"--ref={ref}", "show", commit, check=False)

    def _add_line(self, commit: str, ref: str, line: str) -> bool:
        lines = set(self._note(commit, ref).splitlines())
        if line in lines:
            return False
        lines.add(line)
        text = "\n".join(sorted(x for x in lines if x.strip())) + "\n"
        self.repo.git("notes", f"--ref={ref}", "add", "-f", "-F", "-", commit, stdin=text)
        return True

    def record(self, commit: str, result: RunResult) -> tuple[str, bool]:
        run_id, summary, full = make_lines(result)
        with self._locked():
            self._add_line(
                commit, self.full_ref, full
            )  # the result first: a summary always has one
            added = self._add_line(commit, self.ref, summary)
        return run_id, added

    def remove(self, commit: str, run_ids: Collection[str]) -> None:
        """Take runs off a commit: their lines go, and a tombstone per run keeps them out
        when a union merge brings a line back from another clone's copy."""
        gone = set(run_ids)
        with self._locked():
            for ref in self.refs:
                lines = [x for x in self._note(commit, ref).splitlines() if x.strip()]
                kept = [x for x in lines if line_id(x) not in gone]
                if ref == self.ref:
                    kept = sorted({*kept, *(f"{REMOVED} {run_id}" for run_id in gone)})
                if kept == lines:
                    continue
                if kept:
                    text = "\n".join(kept) + "\n"
                    self.repo.git(
                        "notes", f"--ref={ref}", "add", "-f", "-F", "-", commit, stdin=text
                    )
                else:
                    self.repo.git("notes", f"--ref={ref}", "remove", "--ignore-missing", commit)

    def _payload(self, commit: str, run_id: str) -> str:
        return find_payload(self._note(commit, self.full_ref), run_id)

    def _notes_map(self) -> dict[str, str]:
        """commit sha -> note blob sha (fan-out directories flattened)."""
        if self.repo.resolve(self.ref) is None:
            return {}
        out = self.repo.git("ls-tree", "-r", self.ref)
        notes = {}
        for line in out.splitlines():
            meta, _, path = line.partition("\t")
            notes[path.replace("/", "")] = meta.split()[2]
        return notes

    def commits(self) -> set[str]:
        return set(self._notes_map())

    def runs(self, commits: Sequence[str], bad: list[str]) -> dict[str, list[RunRecord]]:
        notes = self._notes_map()
        wanted = {notes[c]: c for c in commits if c in notes}
        blobs = self.repo.cat_blobs(list(wanted))
        found: dict[str, list[RunRecord]] = {}
        for blob, text in blobs.items():
            commit = wanted[blob]
            records = parse_note(text, commit, bad, self._payload)
            if records:
                found[commit] = records
        return found

    def _tracking(self, remote: str, ref: str) -> str:
        return f"refs/notes/remotes/{remote}/{ref.removeprefix('refs/notes/')}"

    def fetch(self, remote: str) -> int:
        """Merge the remote's notes into ours (a union); the number of commits with results."""
        specs = [f"+{ref}:{self._tracking(remote, ref)}" for ref in self.refs]
        done = self.repo.run("fetch", "-q", "--", remote, *specs)
        if done.returncode != 0:
            if "couldn't find remote ref" not in done.stderr:
                raise GitError(f"cannot fetch {self.ref} from {remote}: {complaint(done)}")
            for ref in self.refs:  # one of them may exist alone (an older writer): fetch singly
                self.repo.run("fetch", "-q", "--", remote, f"+{ref}:{self._tracking(remote, ref)}")
        with self._locked():
            for ref in self.refs:
                tracking = self._tracking(remote, ref)
                if self.repo.resolve(tracking) is None:
                    continue
                if self.repo.resolve(ref) is None:
                    self.repo.git("update-ref", ref, tracking)
                else:
                    self.repo.git(
                        "notes", f"--ref={ref}", "merge", "-q", "-s", "cat_sort_uniq", tracking
                    )
        return len(self._notes_map())

    def push(self, remote: str) -> int:
        """Push our notes, merging first; retried with back-off while other writers race us."""
        if self.repo.resolve(self.ref) is None:
            raise GitError(f"nothing to push: no results recorded under {self.ref}")
        for attempt in range(PUSH_ATTEMPTS):
            self.fetch(remote)
            specs = [f"{ref}:{ref}" for ref in self.refs if self.repo.resolve(ref)]
            done = self.repo.run("push", "--porcelain", "--atomic", "--", remote, *specs)
            if done.returncode == 0:
                return attempt + 1
            said = done.stdout + done.stderr
            if not any(word in said for word in RACE_SIGNS):
                raise GitError(f"cannot push {self.ref} to {remote}: {complaint(done)}")
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
        raise GitError(
            f"could not push {self.ref} to {remote}: still rejected after {PUSH_ATTEMPTS} attempts"
        )
