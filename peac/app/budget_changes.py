"""Budgets and waivers as two revisions have them, for ``peac budget-diff`` and ``peac gate``:
read with git (or from the working tree), parsed with the safe loader, handed to the pure core
(``peac.core.budget_changes``). Every string here came from a file: reporters escape it.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from peac.app.rules import blob_at
from peac.core.budget_changes import compare
from peac.errors import InputError, Problem, did_you_mean
from peac.history.git import Repository
from peac.model.budget_changes import Approval, Change, ChangePolicy, Waiver
from peac.model.objectives import Rules
from peac.spec.check_budget import budget_rules
from peac.spec.documents import check_document
from peac.spec.related import is_yaml
from peac.spec.source import MAX_FILE_BYTES, Document, parse_documents
from peac.spec.waiver import WAIVERS_FILE, date_problems
from peac.spec.waiver import Waiver as WaiverDocument


def relative_to_repo(path: Path, repo: Repository) -> str | None:
    """``path`` relative to the repository root (posix), None when outside it."""
    try:
        return path.resolve().relative_to(repo.root.resolve()).as_posix()
    except ValueError:
        return None


def work_tree_text(repo: Repository, relative: str) -> str | None:
    """A regular file of the working tree inside the repository, or None."""
    path = repo.root / relative
    if path.is_symlink() or not path.is_file():
        return None
    if relative_to_repo(path, repo) is None or path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def text_at(repo: Repository, revision: str | None, relative: str) -> str | None:
    """The file at ``revision``, or in the working tree when ``revision`` is None."""
    if revision is None:
        return work_tree_text(repo, relative)
    return blob_at(repo, revision, relative)


def _budgets(text: str | None, display: str) -> tuple[dict[str, Rules], list[str]]:
    """The valid budgets of a file by name, and why others were left out."""
    if text is None:
        return {}, []
    documents, problems = parse_documents(text, display)
    if problems:
        return {}, [f"{display}: not valid YAML ({problems[0].message}); not compared"]
    found: dict[str, Rules] = {}
    notes = []
    for document in documents:
        data = document.data
        if not isinstance(data, dict) or data.get("kind") != "Budget":
            continue
        rules, invalid = budget_rules(document)
        if rules is None:
            first = invalid[0] if invalid else None
            notes.append(
                f"{display}:{document.line}: not a valid Budget"
                + (f" ({first.location()}: {first.message})" if first else "")
                + "; not compared (peac validate says why)"
            )
        else:
            found[rules.name] = rules
    return found, notes


def _changed_paths(repo: Repository, base: str, head: str | None) -> list[str]:
    args = ["diff", "--name-only", "-z", "--no-renames", base]
    if head is not None:
        args.append(head)
    names = repo.git(*args).split("\0")
    if head is None:
        names += repo.git("ls-files", "-z", "-o", "--exclude-standard").split("\0")
    return sorted({n for n in names if n and is_yaml(Path(n))})


def budget_diffs(
    repo: Repository, base: str, head: str | None
) -> tuple[list[tuple[str, str, list[Change]]], list[str]]:
    """Every budget whose settings differ between ``base`` and ``head`` (None: the working
    tree) as (file, budget name, changes), with notes on the files that were not compared."""
    base_sha = repo.commit(base)
    head_sha = None if head is None else repo.commit(head)
    diffs: list[tuple[str, str, list[Change]]] = []
    notes: list[str] = []
    for relative in _changed_paths(repo, base_sha, head_sha):
        before, before_notes = _budgets(blob_at(repo, base_sha, relative), relative)
        after, after_notes = _budgets(text_at(repo, head_sha, relative), relative)
        if after_notes or before_notes:  # half a budget compared would list false removals
            notes += after_notes or before_notes
            continue
        pairs: list[tuple[Rules | None, Rules | None]]
        if len(before) == 1 and len(after) == 1:
            pairs = [(next(iter(before.values())), next(iter(after.values())))]
        else:
            names = [*after, *(n for n in before if n not in after)]
            pairs = [(before.get(n), after.get(n)) for n in names]
        for old, new in pairs:
            changes = compare(old, new, relative)
            either = new or old
            if changes and either is not None:
                diffs.append((relative, either.name, changes))
    return diffs, notes


def _waivers(text: str | None, relative: str, budget: str, added: bool) -> list[Waiver]:
    """The waivers of ``budget`` (a repository path) in the waivers file ``relative``."""
    if text is None:
        return []
    documents, problems = parse_documents(text, relative)
    found: list[Waiver] = []
    for document in documents:
        model, invalid = check_document(document)
        problems += invalid
        if isinstance(model, WaiverDocument):
            problems += _dates(document, model)
            waiver = _waiver(model, document, relative, added)
            if waiver is not None and waiver.budget == budget:
                found.append(waiver)
    if problems:
        raise InputError(f"{relative}: the waivers have problems", problems)
    return found


def _dates(document: Document, model: WaiverDocument) -> list[Problem]:
    out = []
    for loc, message in date_problems(model.spec, None):
        line, col = document.position(loc)
        out.append(Problem(document.path, line, col, message))
    return out


def _waiver(model: WaiverDocument, document: Document, relative: str, added: bool) -> Waiver | None:
    spec = model.spec
    budget = posixpath.normpath(posixpath.join(posixpath.dirname(relative), spec.budget))
    if budget.startswith("../") or posixpath.isabs(budget):
        return None
    return Waiver(
        budget=budget,
        objective=spec.objective,
        reason=spec.reason,
        by=spec.by,
        created=spec.created,
        expires=spec.expires,
        commit=spec.commit,
        path=relative,
        line=document.position(("spec", "objective"))[0],
        added=added,
    )


def waivers_of(
    repo: Repository, budget: str, base: str | None
) -> tuple[list[Waiver], list[Waiver]]:
    """The waivers of ``budget`` (a repository path) in ``waivers.yaml`` beside it: as the base
    branch has them (none without ``base``), and as the working tree has them."""
    relative = posixpath.join(posixpath.dirname(budget), WAIVERS_FILE)
    on_base = (
        [] if base is None else _waivers(blob_at(repo, base, relative), relative, budget, False)
    )
    in_tree = _waivers(work_tree_text(repo, relative), relative, budget, False)
    return on_base, in_tree


def approval(users: tuple[str, ...], labels: tuple[str, ...], policy: ChangePolicy) -> Approval:
    """What CI says, checked against the base branch's policy: an approver it does not name is
    bad input (exit 2); labels it does not name are other labels of the pull request, left
    out."""
    approvers = {a.casefold(): a for a in policy.approvers}
    chosen = []
    for user in users:
        if not approvers:
            raise InputError(
                f'--approved-by "{user}": expected an approver, but none are set '
                "(budget_changes.approvers in peac.yaml on the base branch)"
            )
        if user.casefold() not in approvers:
            raise InputError(
                f"--approved-by: expected one of the approvers in {policy.origin} "
                f'({", ".join(policy.approvers)}), got "{user}"'
                + did_you_mean(user, policy.approvers)
            )
        chosen.append(approvers[user.casefold()])
    wanted = set(policy.approval_labels)
    return Approval(
        users=tuple(dict.fromkeys(chosen)),
        labels=tuple(dict.fromkeys(label for label in labels if label in wanted)),
    )
