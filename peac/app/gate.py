"""`peac gate`: load the budget, the head commit's results and the base branch's history, let
the core judge them (``peac.core.judge``), render the verdict; exit 0 (pass or warn) or 1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from peac import files
from peac.app.budget_changes import (
    approval,
    gate_changes,
    how_to_approve,
    relative_to_repo,
    waivers_of,
)
from peac.app.budgets import load_budget
from peac.app.rules import base_budget, judged_by, load_rules
from peac.core.budget_changes import settle
from peac.core.judge import judge
from peac.core.measures import invalid_reason, measure, values_of
from peac.errors import InputError
from peac.history.git import Repository
from peac.history.reader import computed_values, read_history
from peac.history.records import RunRecord
from peac.history.series import build, invalid_notes
from peac.history.store import open_store
from peac.model.budget_changes import BudgetAt, Change, Waiver
from peac.model.results import RunResult
from peac.model.series import Series
from peac.model.verdict import HeadRun
from peac.report import escape
from peac.report.context import GateContext
from peac.report.registry import VERDICT, GateReport
from peac.results.format import check_writable, read
from peac.results.merge import merge
from peac.spec.compiler import today_utc
from peac.spec.paths import find_root


@dataclass(frozen=True, kw_only=True)
class GateRequest:
    root: Path  # inside the repository whose base branch holds the history
    budget: Path
    results: tuple[Path, ...]
    base: str = "main"
    fmt: str = "text"
    store: str = "git"
    commit: str | None = None  # the commit the results measured [default: theirs]
    testbed: str | None = None
    any_testbed: bool = False
    remote: str | None = None
    markdown_out: Path | None = None
    junit_out: Path | None = None  # the verdict as JUnit XML too (CI test reports)
    step_summary: Path | None = None  # GitHub's job summary file, appended to (format github)
    approved_by: tuple[str, ...] = ()  # approvers of the pull request, as CI knows them
    labels: tuple[str, ...] = ()  # labels of the pull request
    today: date | None = None  # the day waivers are checked against [default: today, UTC]
    # False on the base branch's own first pushes: no runs in the window is how a history
    # starts (the regression checks have no baseline yet), not an error.
    history_required: bool = True


def _head_commit(request: GateRequest, results: list[RunResult]) -> str:
    commits = {r.git.commit for r in results if r.git is not None and r.git.commit}
    if len(commits) > 1 and not request.commit:
        raise InputError(
            "the results measured different commits ("
            + ", ".join(sorted(c[:7] for c in commits))
            + "); give --commit or gate them separately"
        )
    return request.commit or (commits.pop() if commits else "HEAD")


def _in_repository(path: Path, root: Path) -> str:
    """A path as annotations need it: relative to the repository root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _other_testbeds(runs: dict[str, list[RunRecord]], scenario: str, testbed: str) -> list[str]:
    """When no run of the window is on ``testbed`` but some are on others: name them, since a
    history that silently never meets the head's testbed looks like no history at all."""
    others: dict[str, set[str]] = {}
    for commit, records in runs.items():
        for record in records:
            if record.scenario == scenario and record.testbed != testbed:
                others.setdefault(record.testbed, set()).add(commit)
    if not others:
        return []
    listed = ", ".join(
        f"{name!r} ({len(commits)} commit(s))" for name, commits in sorted(others.items())
    )
    return [
        f"no run of the history is on this run's testbed {testbed!r}, but some are on {listed}: "
        "make both agree (ci.testbed in peac.yaml labels `peac run` and `peac ci` alike, or "
        "give --testbed)"
    ]


def gate(request: GateRequest, out: TextIO, err: TextIO | None = None) -> int:
    for path in (request.markdown_out, request.junit_out):
        if path is not None:
            check_writable(path)
    budget = load_budget(request.budget, find_root(request.root))
    results = [read(path) for path in request.results]
    for path, result in zip(request.results, results, strict=True):
        if result.scenario != budget.scenario.name:
            raise InputError(
                f"{path}: a run of scenario {result.scenario!r}, but budget {budget.name!r} "
                f"judges scenario {budget.scenario.name!r}"
            )
    testbeds = {r.testbed.key for r in results}
    testbed = None if request.any_testbed else request.testbed or sorted(testbeds)[0]
    if testbed is not None and len(testbeds) > 1:
        raise InputError(f"the results come from several testbeds ({', '.join(sorted(testbeds))})")
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    if err is not None and err.isatty():  # on a long history the slow part: say so (terminal
        # only: in a log, an error must stay the one line that says what went wrong)
        err.write(
            escape.terminal(
                f"gate: reading up to {budget.rules.policy.window} commits of {request.base}'s "
                f"history from {store.describe()}"
            )
            + "\n"
        )
        err.flush()
    history = read_history(
        repo,
        store,
        request.base,
        _head_commit(request, results),
        budget.rules.policy.window,
        request.remote,
        fetch_notes=True,
        require_runs=request.history_required,
    )

    keys = [o.series_key for o in budget.objectives]
    head = [
        HeadRun(
            path.name,
            values_of(result, keys),
            invalid_reason(result),
            {o.step or "": result.requests(o.step or None) for o in budget.objectives},
        )
        for path, result in zip(request.results, results, strict=True)
    ]
    notes = history.notes + history.bad
    notes += invalid_notes(history.commits, history.runs, budget.scenario.name)
    if len({r.scenario_digest for r in results}) == 1:
        combined = merge(results)
    else:
        combined = results[0]
        notes.append("the head results ran different versions of the scenario; not merged")
    merged = {}
    for o in budget.objectives:
        value = measure(combined, o.metric, o.stat, o.step)
        if value is not None:
            merged[o.series_key] = value
    series: dict[str, Series] = {
        key: build(
            history.commits,
            history.runs,
            budget.scenario.name,
            testbed,
            key,
            computed_values(history.runs, key),
        )
        for key in keys
    }

    used = {p.commit for s in series.values() for p in s.points}
    if testbed is not None and not used:
        notes += _other_testbeds(history.runs, budget.scenario.name, testbed)
    repo_rules = load_rules(request.root, history.branch)
    rules, overridden = judged_by(
        budget.rules, repo_rules, base_budget(repo, history.branch, request.budget)
    )
    notes += [f"rules: {repo_rules.origin}", *overridden]
    ok = approval(request.approved_by, request.labels, repo_rules.changes)
    today = request.today or today_utc()
    relative = relative_to_repo(request.budget, repo)
    changes: list[Change] = []
    on_base: list[Waiver] = []
    in_tree: list[Waiver] = []
    if relative is not None:
        # What the pull request changed: against the merge-base, not the base's tip (a budget
        # tightened on main since is not a loosening by this change), wherever the budget
        # was written there (a moved budget is compared with itself, its move a change).
        if history.merge_base:
            scenario = budget.scenario.name
            head_budget = BudgetAt(relative, budget.rules, scenario)
            changes = gate_changes(repo, history.merge_base, request.budget, head_budget)
        on_base, in_tree = waivers_of(repo, relative, history.branch, today)
    settled = settle(changes, repo_rules.changes, ok, on_base, in_tree, today)
    notes += settled.notes
    if any(r.blocked for r in settled.reviewed):
        notes.append(how_to_approve(repo_rules.changes))
    verdict = judge(rules, head, merged, series, waivers=settled.waivers, changes=settled.reviewed)

    report = GateReport(
        verdict,
        GateContext(
            head=history.head,
            base=request.base,
            merge_base=history.merge_base,
            testbed=testbed or "",
            budget_path=_in_repository(request.budget, repo.root),
            history_commits=len(history.commits),
            commits_with_runs=len(used),
            notes=tuple(notes),
        ),
    )
    out.write(VERDICT.render(request.fmt, report))
    for option, path, fmt in (
        ("--markdown-out", request.markdown_out, "markdown"),
        ("--junit-out", request.junit_out, "junit"),
    ):
        if path is None:
            continue
        files.write_text(path, VERDICT.render(fmt, report), option, repo.root)
    if request.fmt == "github" and request.step_summary is not None:
        files.append_text(
            request.step_summary, VERDICT.render("markdown", report), "GITHUB_STEP_SUMMARY"
        )
    return verdict.exit_code
