"""`peac waive`: write a waiver of one objective, a reviewable YAML document appended to
``waivers.yaml`` beside the budget: who, why, until when (an absolute date computed from
``--expires``), which budget and objective, and the commit it was written on."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from peac.app.budgets import load_budget
from peac.errors import ExitCode, InputError, did_you_mean
from peac.history.git import Repository
from peac.report import escape
from peac.spec.compiler import today_utc
from peac.spec.documents import check_document
from peac.spec.paths import display_path, find_root
from peac.spec.source import parse_documents
from peac.spec.waiver import MAX_DAYS, MAX_TEXT, WAIVERS_FILE

_RELATIVE = re.compile(r"^\s*([0-9]{1,4})\s*([dw])\s*$")


@dataclass(frozen=True, kw_only=True)
class WaiveRequest:
    root: Path  # inside the repository
    budget: Path
    objective: str
    reason: str
    expires: str  # "14d", "2w" or a date like 2025-07-01
    by: str | None = None  # [default: git config user.name]
    file: Path | None = None  # [default: waivers.yaml beside the budget]
    today: date | None = None  # [default: today, UTC]


def expiry(text: str, today: date) -> date:
    """The last day a waiver applies, from ``14d``, ``2w`` or an ISO date."""
    found = _RELATIVE.match(text)
    if found:
        days = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
        until = today + timedelta(days=days)
    else:
        try:
            until = date.fromisoformat(text.strip())
        except ValueError:
            raise InputError(
                f"--expires: expected a number of days or weeks like 14d or 2w, or a date like "
                f'2025-07-01, got "{text}"'
            ) from None
    if until < today:
        raise InputError(f"--expires: expected today ({today}) or later, got {until}")
    if until - today > timedelta(days=MAX_DAYS):
        raise InputError(f"--expires: expected at most {MAX_DAYS} days from today, got {until}")
    return until


def _text(option: str, value: str) -> str:
    text = value.strip()
    if not text or not text.isprintable():
        raise InputError(f"{option}: expected one line of text, got {json.dumps(value)}")
    if len(text) > MAX_TEXT:
        raise InputError(f"{option}: expected at most {MAX_TEXT} characters, got {len(text)}")
    return text


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one)."""
    return json.dumps(value, ensure_ascii=False)


def waive(request: WaiveRequest, out: TextIO) -> int:
    root = find_root(request.root)
    budget = load_budget(request.budget, root)
    names = [o.name for o in budget.rules.objectives]
    if request.objective not in names:
        listed = ", ".join(f'"{n}"' for n in names)
        raise InputError(
            f'--objective: expected an objective of budget "{budget.name}" ({listed}), got '
            f'"{request.objective}"{did_you_mean(request.objective, names)}'
        )
    today = request.today or today_utc()
    until = expiry(request.expires, today)
    reason = _text("--reason", request.reason)
    repo = Repository(request.root)
    by = request.by if request.by is not None else repo.git("config", "user.name", check=False)
    if not by.strip():
        raise InputError("--by: expected who waives it (git config user.name is not set)")
    by = _text("--by", by)
    file = request.file or request.budget.parent / WAIVERS_FILE
    if file.is_symlink() or (file.exists() and not file.is_file()):
        raise InputError(f"{file}: expected a regular file for the waivers")
    if not file.resolve().is_relative_to(repo.root.resolve()):
        raise InputError(f"--file {file}: expected a file inside the repository")
    reference = Path(os.path.relpath(request.budget.resolve(), file.resolve().parent)).as_posix()
    label = f"{request.objective[:60]} until {until.isoformat()}"
    document = "\n".join(
        [
            "apiVersion: peac/v1",
            "kind: Waiver",
            f"metadata: {{name: {_quoted(label)}}}",
            "spec:",
            f"  budget: {_quoted(reference)}",
            f"  objective: {_quoted(request.objective)}",
            f"  reason: {_quoted(reason)}",
            f"  by: {_quoted(by)}",
            f"  created: {_quoted(today.isoformat())}",
            f"  expires: {_quoted(until.isoformat())}",
            f"  commit: {_quoted(repo.resolve('HEAD') or '')}",
            "",
        ]
    )
    documents, problems = parse_documents(document, str(file))
    for parsed in documents:
        problems += check_document(parsed)[1]
    if problems:  # a bug if it happens: what we write must be what validate reads
        raise InputError(f"{file}: the waiver would not be valid", problems)
    existing = file.read_text(encoding="utf-8") if file.is_file() else ""
    prefix = ""
    if existing.strip():
        prefix = ("" if existing.endswith("\n") else "\n") + "---\n"
    line = (existing + prefix).count("\n") + 1  # where the new document starts
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a", encoding="utf-8") as handle:
        handle.write(prefix + document)
    shown = display_path(file)
    out.write(
        escape.text_lines(
            [
                f'waived "{request.objective}" of budget {budget.name} until '
                f"{until.isoformat()} (by {by}): {shown}:{line}",
                "commit it for review: the gate applies a waiver from the base branch, or one "
                "added by a pull request once the pull request is approved",
            ]
        )
    )
    return ExitCode.OK
