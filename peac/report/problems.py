"""Reporters for a list of problems: text for people, JSON for tools, GitHub annotations for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence

from peac.errors import Problem
from peac.report import escape


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def as_text(problems: Sequence[Problem], files: Sequence[str], summary: str) -> str:
    lines = [escape.terminal(str(p)) for p in problems]
    if problems:
        bad = {p.path for p in problems}
        total = len(bad | set(files))  # a referenced file counts too
        lines.append(
            f"{_plural(len(problems), 'problem')} in {len(bad)} of {_plural(total, 'file')}"
        )
    else:
        lines.append(summary)
    return "\n".join(lines) + "\n"


def as_json(problems: Sequence[Problem], files: Sequence[str], summary: str) -> str:
    return (
        json.dumps(
            {
                "valid": not problems,
                "files": list(files),
                "problems": [
                    {"path": p.path, "line": p.line, "col": p.col, "message": p.message}
                    for p in problems
                ],
            },
            indent=2,
        )
        + "\n"
    )


def as_github(problems: Sequence[Problem], files: Sequence[str], summary: str) -> str:
    """GitHub Actions workflow commands, which show up as annotations on the pull request."""
    lines = []
    for p in problems:
        where = f"file={escape.workflow_property(p.path)}"
        if p.line > 0:
            where += f",line={p.line},col={p.col}"
        lines.append(f"::error {where}::{escape.workflow_data(p.message)}")
    lines.append(as_text(problems, files, summary).splitlines()[-1])
    return "\n".join(lines) + "\n"
