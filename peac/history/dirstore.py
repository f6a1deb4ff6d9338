"""Results as files: ``PATH/<commit>/<run id>.peac`` (summary) and ``.result`` (full result).

For teams that keep results as CI artifacts or on a shared volume instead of in git notes. The
lines are those of the notes store, so the two can be converted either way."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path

from peac.history.records import RunRecord, find_payload, make_lines, parse_note
from peac.model.results import RunResult


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"directory {self.root}"

    def record(self, commit: str, result: RunResult) -> tuple[str, bool]:
        run_id, summary, full = make_lines(result)
        path = self.root / commit / f"{run_id}.peac"
        if path.exists():
            return run_id, False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{run_id}.{os.getpid()}.tmp")
        (path.parent / f"{run_id}.result").write_text(full + "\n", encoding="utf-8")
        tmp.write_text(summary + "\n", encoding="utf-8")  # the summary last: it implies the rest
        tmp.replace(path)
        return run_id, True

    def remove(self, commit: str, run_ids: Collection[str]) -> None:
        """Delete the runs' files (the directory is synced by copying: no tombstone needed)."""
        folder = self.root / commit
        for run_id in run_ids:
            for suffix in (".peac", ".result"):  # the summary first: it implies the rest
                (folder / f"{run_id}{suffix}").unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    def _payload(self, commit: str, run_id: str) -> str:
        path = self.root / commit / f"{run_id}.result"
        return find_payload(path.read_text(encoding="utf-8"), run_id) if path.exists() else ""

    def commits(self) -> set[str]:
        if not self.root.is_dir():
            return set()
        return {p.name for p in self.root.iterdir() if p.is_dir() and any(p.glob("*.peac"))}

    def runs(self, commits: Sequence[str], bad: list[str]) -> dict[str, list[RunRecord]]:
        found: dict[str, list[RunRecord]] = {}
        for commit in commits:
            folder = self.root / commit
            if not folder.is_dir():
                continue
            records = []
            for path in sorted(folder.glob("*.peac")):
                records += parse_note(
                    path.read_text(encoding="utf-8", errors="replace"), commit, bad, self._payload
                )
            if records:
                found[commit] = records
        return found
