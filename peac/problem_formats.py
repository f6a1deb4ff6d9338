"""Reporters for a list of problems: text for people, JSON for tools, GitHub annotations for CI."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from peac.problems import Problem


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def as_text(problems: Sequence[Problem], files: Sequence[str], summary: str) -> str:
    lines = [str(p) for p in problems]
    if problems:
        bad = len({p.path for p in problems})
        lines.append(
            f"{_plural(len(problems), 'problem')} in {bad} of {_plural(len(files), 'file')}"
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


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(problems: Sequence[Problem], files: Sequence[str], summary: str) -> str:
    """GitHub Actions workflow commands, which show up as annotations on the pull request."""
    lines = []
    for p in problems:
        where = f"file={escape_property(p.path)}"
        if p.line > 0:
            where += f",line={p.line},col={p.col}"
        lines.append(f"::error {where}::{escape_data(p.message)}")
    lines.append(as_text(problems, files, summary).splitlines()[-1])
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Sequence[Problem], Sequence[str], str], str]] = {
    "text": as_text,
    "json": as_json,
    "github": as_github,
}
