"""The set of files one compilation reads, each loaded and validated once.

Budgets refer to scenario files that may not be among the files a pre-commit hook passes, so the
compiler loads referenced files on demand through the same safe path and reports their problems
too, once, under their own names.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peac.errors import Problem
from peac.spec.documents import check_document
from peac.spec.fields import StrictModel
from peac.spec.paths import display_path
from peac.spec.source import Document, Loc, load_file


@dataclass
class Loaded:
    """One document of one file, with its model when it validated."""

    file: Path
    document: Document
    model: StrictModel | None


@dataclass
class Workspace:
    root: Path
    cwd: Path = field(default_factory=Path.cwd)
    files: dict[Path, list[Loaded]] = field(default_factory=dict)
    problems: dict[Path, list[Problem]] = field(default_factory=dict)

    def load(self, file: Path) -> list[Loaded]:
        """Documents of ``file`` (loaded on first use); its problems are kept for the report."""
        key = file.resolve() if file.exists() else file.absolute()
        if key not in self.files:
            display = display_path(file, self.cwd)
            escape = self._escape(file)
            documents, problems = (
                ([], [Problem(display, 0, 0, escape)]) if escape else load_file(file, display)
            )
            loaded = []
            for document in documents:
                model, invalid = check_document(document)
                problems.extend(invalid)
                loaded.append(Loaded(key, document, model))
            self.files[key] = loaded
            self.problems[key] = problems
        return self.files[key]

    def _escape(self, file: Path) -> str:
        """Why ``file`` may not be read: a path inside the repository whose real location is
        outside it (a symlink in a pull request pointing at ~/.git-credentials), or '' ."""
        root = os.path.realpath(self.root)
        named = str(file.absolute())
        real = os.path.realpath(file)
        inside = os.path.commonpath([root, named]) == root
        if inside and os.path.commonpath([root, real]) != root:
            return "is a link that leads outside the repository: not read"
        return ""

    def reporter(self, loaded: Loaded) -> Callable[..., None]:
        """A function that records a problem at a loc of ``loaded``'s document."""
        sink = self.problems.setdefault(loaded.file, [])
        document = loaded.document

        def report(loc: Loc, message: str, *, key: bool = False) -> None:
            from peac.spec.locate import dotted

            line, col = document.position(loc, key=key)
            where = dotted(loc)
            sink.append(
                Problem(document.path, line, col, f"{where}: {message}" if where else message)
            )

        return report


def digest(model: StrictModel) -> str:
    """A stable fingerprint of a document's meaning (not its formatting)."""
    canonical = json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
