"""`peac budget-diff`: what changed in the budgets between two revisions, each change at its
file and line, tightened or loosened, and which loosening the gate will refuse without
approval under the base revision's ``peac.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.app.budget_changes import budget_diffs
from peac.app.rules import load_rules
from peac.core.budget_changes import review
from peac.errors import ExitCode
from peac.history.git import Repository
from peac.model.budget_changes import Approval, BudgetDiff
from peac.report.registry import BUDGET_DIFF, BudgetDiffReport


@dataclass(frozen=True, kw_only=True)
class BudgetDiffRequest:
    root: Path  # inside the repository
    base: str  # a revision
    head: str | None = None  # a revision; None: the working tree
    fmt: str = "text"


def budget_diff(request: BudgetDiffRequest, out: TextIO) -> int:
    repo = Repository(request.root)
    found, notes = budget_diffs(repo, request.base, request.head)
    rules = load_rules(request.root, request.base)
    diffs = [
        BudgetDiff(path, name, review(changes, rules.changes, Approval()))
        for path, name, changes in found
    ]
    report = BudgetDiffReport(
        base=request.base,
        head=request.head or "the working tree",
        diffs=tuple(diffs),
        notes=(*notes, f"approval policy: {rules.changes.origin}"),
    )
    out.write(BUDGET_DIFF.render(request.fmt, report))
    return ExitCode.OK
