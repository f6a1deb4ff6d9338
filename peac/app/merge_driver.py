"""`peac merge-driver` and `peac install-merge-driver`: git merges budget and scenario files by
meaning (``peac.spec.merge3``), and falls back to its usual conflict markers when a change cannot
be settled by rule or the merged file would not be valid.

git runs the driver as ``peac merge-driver %O %A %B %P``: the merge base, ours (where the result
goes), theirs, and the file's path. Exit 0 means merged, anything else means conflicted (git then
keeps %A, with markers, for a human).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from peac import files
from peac.errors import ExitCode, GitError, InputError
from peac.report import escape
from peac.spec import roundtrip
from peac.spec.compiler import compile_paths
from peac.spec.documents import check_document
from peac.spec.merge3 import Conflict, merge_documents
from peac.spec.source import parse_documents, read_text

GIT_TIMEOUT = 30.0
DRIVER = "peac"  # the name in .gitattributes (merge=peac) and git config (merge.peac.*)
DEFAULT_PATTERNS = ("budgets/**/*.yaml", "budgets/**/*.yml")


@dataclass(frozen=True, kw_only=True)
class DriverRequest:
    base: Path  # %O
    ours: Path  # %A: the result is written here
    theirs: Path  # %B
    path: str  # %P: the file's path in the repository, for messages
    stricter_wins: bool = True


def _read(path: Path, display: str) -> str:
    text, problems = read_text(path, display)
    if text is None:
        raise InputError(str(problems[0]) if problems else f"{display}: cannot be read")
    return text


def merge_driver(request: DriverRequest, err: TextIO) -> int:
    """Merge by meaning when every change can be settled and the result is valid, else leave
    git's conflict markers; the one line on stderr says which and why."""
    shown = escape.terminal(request.path)
    try:
        base, ours, theirs = (
            _read(p, f"{request.path} ({side}: {p})")
            for side, p in (
                ("base", request.base),
                ("ours", request.ours),
                ("theirs", request.theirs),
            )
        )
        merged, resolved = _merge(base, ours, theirs, request.stricter_wins)
        problem = _check_in_place(merged, request.path)
        if problem:
            raise _CannotMerge(f"the merged file would not be valid ({problem})")
    except Conflict as conflict:
        why = f"both sides changed {escape.terminal(conflict.where)} differently"
        return _fall_back(request, shown, why, err)
    except _CannotMerge as reason:
        return _fall_back(request, shown, escape.terminal(str(reason)), err)
    request.ours.write_text(merged, encoding="utf-8")
    detail = f" ({'; '.join(resolved)})" if resolved else ""
    err.write(escape.terminal(f"peac merge-driver: {request.path}: merged{detail}") + "\n")
    return ExitCode.OK


class _CannotMerge(Exception):
    """The files cannot be merged by meaning (not YAML, different document counts, invalid)."""


def _merge(base: str, ours: str, theirs: str, stricter_wins: bool) -> tuple[str, list[str]]:
    for label, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        _, problems = parse_documents(text, label)  # the safe, bounded parser first
        if problems:
            raise _CannotMerge(f"{label} is not valid YAML ({problems[0].message})")
    base_docs, _ = roundtrip.load(base) if base.strip() else ([], None)
    ours_docs, yaml = roundtrip.load(ours)
    theirs_docs, _ = roundtrip.load(theirs)
    if len(ours_docs) != len(theirs_docs):
        raise _CannotMerge("the two sides hold different numbers of documents")
    merged_docs: list[Any] = []
    resolved: list[str] = []
    for index, (a, b) in enumerate(zip(ours_docs, theirs_docs, strict=True)):
        o = base_docs[index] if index < len(base_docs) else None
        doc, outcome = merge_documents(o, a, b, stricter_wins=stricter_wins)
        merged_docs.append(doc)
        resolved += outcome.resolved
    text = roundtrip.dump(merged_docs, yaml)
    documents, problems = parse_documents(text, "merged")
    for document in documents:
        _, found = check_document(document)
        problems += found
    if problems:
        raise _CannotMerge(f"the merged file would not be valid ({problems[0].message})")
    return text, resolved


def _check_in_place(text: str, path: str) -> str:
    """The first problem the full compiler finds in ``text`` as the file at ``path`` (its
    scenario, its steps, warn before fail), '' when none: checked as a sibling file, so that
    references resolve as they will after the merge."""
    real = Path(path)
    if not real.parent.is_dir() or real.is_absolute() or ".." in real.parts:
        return ""
    # A fresh name, created exclusively: a link committed at a predictable name is never
    # written through (peac.files).
    try:
        sibling = files.create_new(
            real.parent,
            f".{real.name}",
            f".peac-merge{real.suffix or '.yaml'}",
            text.encode("utf-8"),
            "the merge check",
        )
    except InputError as exc:
        raise _CannotMerge(str(exc)) from None
    try:
        problems = compile_paths([sibling], Path.cwd()).problems
    finally:
        sibling.unlink(missing_ok=True)
    mine = [p for p in problems if Path(p.path).name == sibling.name]
    return mine[0].message if mine else ""


def _fall_back(request: DriverRequest, shown: str, why: str, err: TextIO) -> int:
    """git's line merge, and one line that says what it came to (markers, or a clean merge of
    lines that did not touch)."""
    code = _text_merge(request)
    outcome = "left conflict markers" if code != ExitCode.OK else "merged line by line instead"
    err.write(f"peac merge-driver: {shown}: {why}; {outcome}\n")
    return code


def _text_merge(request: DriverRequest) -> int:
    """git's own line merge, with conflict markers, written to ours (exit 1 on conflicts)."""
    command = [
        "git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
        str(request.ours), str(request.base), str(request.theirs),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git merge-file did not finish in {GIT_TIMEOUT:.0f}s") from None
    return ExitCode.FAILED if done.returncode != 0 else ExitCode.OK


@dataclass(frozen=True, kw_only=True)
class InstallRequest:
    root: Path
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    stricter_wins: bool = True


def _git_config(root: Path, *args: str) -> None:
    try:
        done = subprocess.run(
            ["git", "config", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git config did not finish in {GIT_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        raise GitError(f"git config {args[0]}: {done.stderr.strip() or 'failed'}")


def install(request: InstallRequest, out: TextIO) -> int:
    """Register the driver in this clone's git config and route the patterns to it in
    ``.gitattributes`` (committed, so every clone that installs the driver uses it)."""
    root = request.root
    if not (root / ".git").exists():
        raise InputError(f"{root}: expected the root of a git work tree (no .git here)")
    command = [sys.executable, "-m", "peac", "merge-driver"]
    if not request.stricter_wins:
        command.append("--on-conflict=markers")
    driver = " ".join(shlex.quote(part) for part in command) + " %O %A %B %P"
    _git_config(root, f"merge.{DRIVER}.name", "peac: merge budget and scenario files by meaning")
    _git_config(root, f"merge.{DRIVER}.driver", driver)
    attributes = root / ".gitattributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    lines = existing.splitlines()
    added = [f"{p} merge={DRIVER}" for p in request.patterns if f"{p} merge={DRIVER}" not in lines]
    if added:
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        attributes.write_text(existing + prefix + "\n".join(added) + "\n", encoding="utf-8")
    out.write(f"git config merge.{DRIVER}.driver = {driver}\n")
    for line in added:
        out.write(f".gitattributes: added {line}\n")
    if not added:
        out.write(".gitattributes: already routes the patterns to the driver\n")
    out.write("commit .gitattributes so that every clone merges these files by meaning\n")
    return ExitCode.OK
