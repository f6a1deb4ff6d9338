"""What `peac ci` decides about the pull request as a whole, beside each budget's gate: which
labels CI says it has, and which budgets it stopped gating. A budget deleted, moved out of
``ci.budgets`` or emptied is a change no single gate sees (there is no run of it to judge), so
ci pairs the base branch's gated budgets with the ones it ran, by what they judge, and refuses
the rest without approval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from peac.app.budget_changes import budgets_at, how_to_approve
from peac.core.budget_changes import compare_budgets, pair, review
from peac.history.git import Repository
from peac.model.budget_changes import Approval, BudgetAt, ChangePolicy, Reviewed
from peac.spec.related import is_yaml
from peac.spec.source import MAX_FILE_BYTES

MAX_LABELS = 100
MAX_LABEL = 200


def pr_labels(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The pull request's labels as the CI platform gives them: GitHub's event file
    (``pull_request.labels``), GitLab's ``CI_MERGE_REQUEST_LABELS``. Bounded; anything
    unreadable is no label (approval is only ever granted, never assumed)."""
    found: list[str] = []
    event = environ.get("GITHUB_EVENT_PATH")
    if event:
        try:
            path = Path(event)
            if path.stat().st_size <= MAX_FILE_BYTES:
                data = json.loads(path.read_text(encoding="utf-8"))
                labels = (data.get("pull_request") or {}).get("labels") or []
                found += [
                    label["name"]
                    for label in labels[:MAX_LABELS]
                    if isinstance(label, dict) and isinstance(label.get("name"), str)
                ]
        except (OSError, ValueError, AttributeError, TypeError):
            pass
    gitlab = environ.get("CI_MERGE_REQUEST_LABELS", "")
    found += [label.strip() for label in gitlab.split(",")[:MAX_LABELS] if label.strip()]
    # An overlong label is dropped, not cut: a cut one could equal an approval label.
    return tuple(dict.fromkeys(label for label in found if len(label) <= MAX_LABEL))


def gated_at(repo: Repository, revision: str, folders: tuple[str, ...]) -> list[BudgetAt]:
    """The budgets ``ci.budgets`` names at ``revision``: every YAML file under each entry."""
    names: set[str] = set()
    for folder in folders:
        listed = repo.git("ls-tree", "-r", "--name-only", "-z", revision, "--", folder)
        names.update(n for n in listed.split("\0") if n and is_yaml(Path(n)))
    found: list[BudgetAt] = []
    for name in sorted(names):
        found += budgets_at(repo, revision, name)[0]
    return found


def dropped(
    base: list[BudgetAt], ran: list[BudgetAt], policy: ChangePolicy, approval: Approval
) -> tuple[Reviewed, ...]:
    """The objectives of base budgets that no budget ci ran pairs with, reviewed: each is a
    removal, which needs approval."""
    changes = []
    for old, new in pair(base, ran):
        if old is not None and new is None:
            changes += compare_budgets(old, None)
    return review(changes, policy, approval)


def dropped_lines(reviewed: tuple[Reviewed, ...], policy: ChangePolicy) -> tuple[list[str], str]:
    """The sentences ci prints and puts in the comment, and how to approve ('' when nothing
    is blocked); plain text: callers escape."""
    lines = []
    for r in reviewed:
        c = r.change
        state = "removed without approval" if r.blocked else f"removed, approved by {r.approved_by}"
        lines.append(f"{c.objective}: no longer gated ({c.location}): {state}")
    return lines, how_to_approve(policy) if any(r.blocked for r in reviewed) else ""
