"""Results as files, ``PATH/<commit>/<run id>.peac``: for teams that keep results as CI
artifacts or on a shared volume instead of in git notes. Same lines as the notes store, so the
two can be converted either way."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from peac.history.records import RunRecord, make_line, parse_note
from peac.results import RunResult


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"directory {self.root}"

    def record(self, commit: str, result: RunResult) -> tuple[str, bool]:
        run_id, line = make_line(result)
        path = self.root / commit / f"{run_id}.peac"
        if path.exists():
            return run_id, False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{run_id}.{os.getpid()}.tmp")
        tmp.write_text(line + "\n", encoding="utf-8")
        tmp.replace(path)
        return run_id, True

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
                    path.read_text(encoding="utf-8", errors="replace"), commit, bad
                )
            if records:
                found[commit] = records
        return found
