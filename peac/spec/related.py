"""The files a changed file belongs with, so that checking one file checks the whole budget.

A pre-commit hook passes only the changed files. Renaming a step in a scenario breaks the budget
that names the step, though the budget did not change; editing a feeder's CSV can break the
scenario that reads its columns. So each named file brings in its relations:

- a scenario: the budgets that refer to it (and, as always, the data files it reads);
- a budget: its scenario (the compiler loads it anyway);
- a data file (any file that is not YAML): the scenarios whose feeders read it, and their budgets.

Budgets and scenarios that may refer to a file are looked for in its *folder of peac files*: the
top-level folder of the repository that holds it (``budgets/`` for ``budgets/a/b.yaml``), or the
file's own folder when it is not in a sub-folder of the repository. Candidates are parsed with
the same safe loader as everything else; their problems are only reported when they are related.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from peac.spec.paths import resolve_reference
from peac.spec.source import MAX_FILE_BYTES, load_file

YAML_SUFFIXES = (".yaml", ".yml")
MAX_CANDIDATES = 10_000  # YAML files looked at in one folder of peac files


def is_yaml(path: Path) -> bool:
    return path.suffix in YAML_SUFFIXES


def yaml_files(folder: Path, *, recursive: bool = True) -> list[Path]:
    """YAML files under ``folder`` (sorted; hidden folders and files skipped)."""
    found = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(
        p
        for p in found
        if is_yaml(p)
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _real(path: Path) -> Path:
    """``path`` with every link followed; a link loop stays as it is (no exception)."""
    return Path(os.path.realpath(path))


def _scope(file: Path, root: Path) -> tuple[Path, bool]:
    """The folder of peac files of ``file``, and whether to look into its sub-folders."""
    try:
        parts = _real(file).relative_to(_real(root)).parts
    except ValueError:  # outside the repository: only its own folder
        return _real(file).parent, False
    if len(parts) > 1:
        return _real(root) / parts[0], True
    return _real(root), False


def _get(node: object, *keys: str) -> object:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _references(candidate: Path, root: Path) -> Iterable[tuple[str, Path]]:
    """(kind, referenced file) for each reference a budget or scenario file makes."""
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(candidate)]) != real_root:
        return  # a link leading outside the repository: never read
    try:
        if candidate.stat().st_size > MAX_FILE_BYTES:
            return
        text = candidate.read_bytes()
    except OSError:
        return
    if b"Budget" not in text and b"Scenario" not in text:
        return  # not a peac file: no need to parse it
    documents, _ = load_file(candidate, str(candidate))
    for document in documents:
        kind = _get(document.data, "kind")
        if kind == "Budget":
            reference = _get(document.data, "spec", "scenario")
            if isinstance(reference, str):
                target, _ = resolve_reference(reference.partition("#")[0], candidate, root)
                if target is not None:
                    yield "Budget", target
        elif kind == "Scenario":
            feeders = _get(document.data, "spec", "data", "feeders")
            for feeder in feeders.values() if isinstance(feeders, dict) else ():
                reference = _get(feeder, "file")
                if isinstance(reference, str):
                    target, _ = resolve_reference(reference, candidate, root)
                    if target is not None:
                        yield "Scenario", target


def related_files(named: Sequence[Path], root: Path) -> list[Path]:
    """The YAML files to check beside ``named`` (none of ``named`` itself), in a stable order."""
    scopes = dict.fromkeys(_scope(f, root) for f in named if f.is_file())
    budgets_of: dict[Path, list[Path]] = {}  # scenario file -> budget files that refer to it
    readers_of: dict[Path, list[Path]] = {}  # data file -> scenario files that read it
    seen: set[Path] = set()
    for folder, recursive in scopes:
        for candidate in yaml_files(folder, recursive=recursive)[:MAX_CANDIDATES]:
            if candidate in seen:
                continue
            seen.add(candidate)
            for kind, target in _references(candidate, root):
                table = budgets_of if kind == "Budget" else readers_of
                table.setdefault(target, []).append(candidate)
    wanted: list[Path] = []
    for file in named:
        real = _real(file)
        scenarios = [real] if is_yaml(file) else readers_of.get(real, [])
        if not is_yaml(file):
            wanted += scenarios
        for scenario in scenarios:
            wanted += budgets_of.get(_real(scenario), [])
    own = {_real(f) for f in named}
    return [f for f in dict.fromkeys(wanted) if _real(f) not in own]
