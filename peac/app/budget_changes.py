"""Budgets and waivers as two revisions have them, for ``peac budget-diff`` and ``peac gate``:
read with git (or from the working tree), parsed with the safe loader, handed to the pure core
(``peac.core.budget_changes``). Every string here came from a file: reporters escape it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from peac.app.rules import blob_at
from peac.core.budget_changes import compare_budgets, linked, pair
from peac.errors import InputError, Problem, did_you_mean
from peac.history.git import Repository
from peac.model.budget_changes import Approval, BudgetAt, Change, ChangePolicy, Waiver
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


def _scenario_of(repo: Repository, revision: str | None, relative: str, document: Document) -> str:
    """What a budget judges, as the history knows it: its scenario's name, read at the same
    revision (or the scenario file's path when that cannot be read)."""
    spec = document.data.get("spec") if isinstance(document.data, dict) else None
    reference = spec.get("scenario") if isinstance(spec, dict) else None
    if not isinstance(reference, str):
        return ""
    file, _, wanted = reference.partition("#")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(relative), file))
    text = None if path.startswith("../") else text_at(repo, revision, path)
    if text is None:
        return path
    documents, problems = parse_documents(text, path)
    names = [
        d.data["metadata"].get("name")
        for d in documents
        if isinstance(d.data, dict)
        and d.data.get("kind") == "Scenario"
        and isinstance(d.data.get("metadata"), dict)
    ]
    names = [n for n in names if isinstance(n, str)]
    if wanted:
        return wanted if wanted in names else path
    return names[0] if len(names) == 1 and not problems else path


def budgets_at(
    repo: Repository, revision: str | None, relative: str
) -> tuple[list[BudgetAt], list[str]]:
    """The valid budgets of one file at ``revision`` (None: the working tree), and why others
    were left out."""
    text = text_at(repo, revision, relative)
    if text is None:
        return [], []
    documents, problems = parse_documents(text, relative)
    if problems:
        return [], [f"{relative}: not valid YAML ({problems[0].message}); not compared"]
    found: list[BudgetAt] = []
    notes = []
    for document in documents:
        data = document.data
        if not isinstance(data, dict) or data.get("kind") != "Budget":
            continue
        rules, invalid = budget_rules(document)
        if rules is None:
            first = invalid[0] if invalid else None
            notes.append(
                f"{relative}:{document.line}: not a valid Budget"
                + (f" ({first.location()}: {first.message})" if first else "")
                + "; not compared (peac validate says why)"
            )
        else:
            found.append(
                BudgetAt(relative, rules, _scenario_of(repo, revision, relative, document))
            )
    return found, notes


def _changed_paths(repo: Repository, base: str, head: str | None) -> list[str]:
    args = ["diff", "--name-only", "-z", "--no-renames", base]
    if head is not None:
        args.append(head)
    names = repo.git(*args, "--").split("\0")
    if head is None:
        names += repo.git("ls-files", "-z", "-o", "--exclude-standard").split("\0")
    return sorted({n for n in names if n and is_yaml(Path(n))})


def _is_link(repo: Repository, revision: str | None, relative: str) -> bool:
    if revision is None:
        return (repo.root / relative).is_symlink()
    listed = repo.git("ls-tree", revision, "--", relative, check=False).split()
    return len(listed) >= 3 and listed[0] == "120000"


@dataclass(frozen=True)
class Paired:
    """The budgets of the files a change touched, matched base to head (``core.pair``)."""

    pairs: list[tuple[BudgetAt | None, BudgetAt | None]]
    links: list[str]  # changed paths that are links on the head side (never read)
    notes: list[str]


def budget_pairs(repo: Repository, base: str, head: str | None) -> Paired:
    """Every budget in a file that differs between the commits ``base`` and ``head`` (None:
    the working tree), paired across moves, renames and links by what it judges. A file whose
    budgets cannot all be read on one side is left out of both (half a file compared would
    list false removals), with a note."""
    before: list[BudgetAt] = []
    after: list[BudgetAt] = []
    notes: list[str] = []
    links = []
    for relative in _changed_paths(repo, base, head):
        if _is_link(repo, head, relative):
            links.append(relative)
        old, old_notes = budgets_at(repo, base, relative)
        new, new_notes = budgets_at(repo, head, relative)
        if old_notes or new_notes:
            notes += new_notes or old_notes
            continue
        before += old
        after += new
    return Paired(pair(before, after), links, notes)


def budget_diffs(
    repo: Repository, base: str, head: str | None
) -> tuple[list[tuple[str, str, list[Change]]], list[str]]:
    """Every budget whose settings differ between ``base`` and ``head`` (None: the working
    tree) as (file, budget name, changes), with notes on the files that were not compared."""
    base_sha = repo.commit(base)
    head_sha = None if head is None else repo.commit(head)
    paired = budget_pairs(repo, base_sha, head_sha)
    diffs: list[tuple[str, str, list[Change]]] = []
    for old, new in paired.pairs:
        changes = compare_budgets(old, new)
        either = new or old
        if changes and either is not None:
            diffs.append((either.path, either.name, changes))
    linked_budgets = [
        (path, old.name)
        for path in paired.links
        for old, _ in paired.pairs
        if old is not None and old.path == path
    ]
    for path, name in linked_budgets:
        diffs.append((path, name, [linked(path, _link_target(repo, head_sha, path))]))
    return diffs, paired.notes


def _link_target(repo: Repository, revision: str | None, relative: str) -> str:
    """Where a link points, as text for the report (it is never followed to read a budget)."""
    if revision is None:
        try:
            return str((repo.root / relative).readlink())[:200]
        except OSError:
            return "?"
    listed = repo.git("ls-tree", revision, "--", relative, check=False).split()
    return repo.git("cat-file", "blob", listed[2])[:200] if len(listed) >= 3 else "?"


def gate_changes(repo: Repository, merge_base: str, budget: Path, head: BudgetAt) -> list[Change]:
    """What a pull request did to the budget the gate judges (``head``, in the working tree):
    compared with the base budget it pairs with wherever it was written; a removed budget of
    the same scenario; the budget file given as a link."""
    paired = budget_pairs(repo, merge_base, None)
    changes: list[Change] = []
    matched = False
    for old, new in paired.pairs:
        if new is not None and (new.path, new.name) == (head.path, head.name):
            changes += compare_budgets(old, new)
            matched = True
        elif new is None and old is not None and old.scenario == head.scenario:
            changes += compare_budgets(old, None)
    if not matched:  # the file did not change: compare it with itself at the merge-base
        same = [b for b in budgets_at(repo, merge_base, head.path)[0] if b.name == head.name]
        changes += compare_budgets(same[0] if same else None, head)
    given = relative_to_repo(budget.parent, repo)
    if given is not None and (budget.is_symlink() or _linked_folder(repo, budget)):
        shown = posixpath.join(given, budget.name)
        changes.insert(0, linked(shown, head.path))
    return changes


def _linked_folder(repo: Repository, path: Path) -> bool:
    """Whether a folder between the repository root and ``path`` is a link."""
    root = repo.root.resolve()
    folder = path.absolute().parent
    while folder != folder.parent and folder.resolve() != root:
        if folder.is_symlink():
            return True
        folder = folder.parent
    return False


def _waivers(
    text: str | None, relative: str, budget: str, added: bool, today: date
) -> list[Waiver]:
    """The waivers of ``budget`` (a repository path) in the waivers file ``relative``."""
    if text is None:
        return []
    documents, problems = parse_documents(text, relative)
    found: list[Waiver] = []
    for document in documents:
        model, invalid = check_document(document)
        problems += invalid
        if isinstance(model, WaiverDocument):
            problems += _dates(document, model, today)
            waiver = _waiver(model, document, relative, added)
            if waiver is not None and waiver.budget == budget:
                found.append(waiver)
    if problems:
        raise InputError(f"{relative}: the waivers have problems", problems)
    return found


def _dates(document: Document, model: WaiverDocument, today: date) -> list[Problem]:
    out = []
    for loc, message in date_problems(model.spec, today, expiry=False):
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


def _keyed(waivers: list[Waiver], budgets: list[BudgetAt]) -> list[Waiver]:
    """Each waiver with what its objective measures, by its name in the budget file of the
    same revision: renaming objectives on the other side cannot move a waiver."""
    keys: dict[str, str] = {}
    for budget in budgets:
        for objective in budget.rules.objectives:
            keys.setdefault(objective.name, objective.series_key)
    return [replace(w, key=keys.get(w.objective, "")) for w in waivers]


def waivers_of(
    repo: Repository, budget: str, base: str | None, today: date
) -> tuple[list[Waiver], list[Waiver]]:
    """The waivers of ``budget`` (a repository path) in ``waivers.yaml`` beside it: as the base
    branch has them (none without ``base``), and as the working tree has them, each keyed by
    what it waives in the budget of its own revision."""
    relative = posixpath.join(posixpath.dirname(budget), WAIVERS_FILE)
    on_base: list[Waiver] = []
    if base is not None:
        on_base = _keyed(
            _waivers(blob_at(repo, base, relative), relative, budget, False, today),
            budgets_at(repo, base, budget)[0],
        )
    in_tree = _keyed(
        _waivers(work_tree_text(repo, relative), relative, budget, False, today),
        budgets_at(repo, None, budget)[0],
    )
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


def how_to_approve(policy: ChangePolicy) -> str:
    """The sentence a blocked pull request needs: who or what can approve it, under the base
    branch's policy (and what to set when nobody can yet)."""
    ways = []
    if policy.approvers:
        ways.append(
            f"one of the approvers ({', '.join(policy.approvers)}) approves it (--approved-by)"
        )
    if policy.approval_labels:
        ways.append(f"the pull request gets the label {' or '.join(policy.approval_labels)}")
    if not ways:
        return (
            "to approve a budget change, set budget_changes.approvers or approval_labels in "
            f"peac.yaml on the base branch (now {policy.origin})"
        )
    return "to approve the budget changes: " + ", or ".join(ways)
