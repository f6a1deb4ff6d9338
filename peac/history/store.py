"""The one interface every result store offers, and how a ``--store`` option picks one.

``git`` (default) keeps results in git notes of the repository itself, so history travels with
``git push``/``git fetch`` and needs no server; ``dir:PATH`` keeps them as files, for teams that
archive results as CI artifacts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Protocol

from peac.errors import InputError
from peac.history.records import RunRecord
from peac.model.results import RunResult


class Store(Protocol):
    """Results keyed by the commit they measured."""

    def describe(self) -> str:
        """Where the results are, for messages."""
        ...

    def record(self, commit: str, result: RunResult) -> tuple[str, bool]:
        """Attach a result to a commit: (run id, False when it was already recorded)."""
        ...

    def remove(self, commit: str, run_ids: Collection[str]) -> None:
        """Take these runs off ``commit`` for good (``peac history rm``)."""
        ...

    def runs(self, commits: Sequence[str], bad: list[str]) -> dict[str, list[RunRecord]]:
        """The runs recorded on each of ``commits`` (absent when none); unreadable records are
        named in ``bad``."""
        ...

    def commits(self) -> set[str]:
        """Every commit that has at least one recorded run."""
        ...


def open_store(spec: str, repo: Path) -> Store:
    """``git`` (notes in the repository at ``repo``) or ``dir:PATH``."""
    if spec in ("git", "") or spec.startswith("git:"):
        from peac.history.gitnotes import GitNotesStore

        ref = spec.partition(":")[2] or "peac"
        return GitNotesStore(repo, ref)
    if spec.startswith("dir:") and spec[4:]:
        from peac.history.dirstore import DirectoryStore

        folder = Path(spec[4:])
        if not folder.is_dir():
            # A typo here would otherwise read as "no history" and pass every gate silently.
            found = "a file" if folder.exists() else "nothing"
            raise InputError(
                f"--store {spec}: expected an existing directory, found {found} there "
                f"(create it first: mkdir -p {folder})"
            )
        return DirectoryStore(folder)
    raise InputError(f'--store: expected "git", "git:NOTES_REF" or "dir:PATH", got {spec!r}')
