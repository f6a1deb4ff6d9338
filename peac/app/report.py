"""`peac report --html DIR`: a static site of the recorded history (and of result files given on
the command line) that works offline: an index of budgets and objectives with their status, a
trend page per objective, a page per run. This module loads; ``peac.core.site`` decides what each
page shows; ``peac.report.site`` draws it."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.app.rules import ci_settings, judged_by, load_rules
from peac.core.measures import invalid_reason, measure, values_of
from peac.core.site import budget_status, commit_url, head_status, run_page, trend
from peac.errors import DataError, ExitCode, InputError
from peac.history.git import Repository
from peac.history.reader import History, computed_values, read_history
from peac.history.records import RunRecord
from peac.history.series import build, exclusion
from peac.history.store import open_store
from peac.model.objectives import Rules
from peac.model.results import RunResult
from peac.model.series import Series
from peac.model.site import BudgetSummary, RunPage, Site, Trend
from peac.model.verdict import HeadRun
from peac.report import escape
from peac.report.site import render
from peac.results.format import read
from peac.results.merge import merge
from peac.spec.compiler import compile_paths
from peac.spec.paths import find_root
from peac.spec.plan import BudgetPlan

MARKER = ".peac-report"  # in a folder this command made, so that it may clear it next time
MAX_TRENDS = 300  # trend pages per site
MAX_RESULTS = 50  # result files per site
MAX_RUN_PAGES = 50  # run pages from the store per site


@dataclass(frozen=True, kw_only=True)
class ReportRequest:
    root: Path
    out: Path
    results: tuple[Path, ...] = ()
    budgets: tuple[Path, ...] = ()  # [default: ci.budgets of peac.yaml, budgets/]
    base: str = "main"
    last: int = 30
    testbed: str | None = None
    commit_url: str = ""
    run_pages: int = 5  # newest commits whose latest run gets a page (full results permitting)
    store: str = "git"
    now: float | None = None
    # The results are the head under review (a pipeline's own runs): the index shows their
    # verdict, as the gate gave it, rather than that of the branch's newest recorded commit.
    results_are_head: bool = False


def _check_folder(out: Path) -> None:
    """``out`` new, empty, or made by an earlier report: never someone's folder of other files
    (checked before the work, so a wrong folder costs nothing)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--html {out}: is a file; give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(
            f"--html {out}: the folder has files that peac report did not write; give a new "
            "or empty folder"
        )


def _prepare_folder(out: Path) -> None:
    """``out`` ready for the new pages: an earlier report's pages removed (a budget with fewer
    objectives now must not leave stale trend pages behind)."""
    _check_folder(out)
    try:
        for old in out.glob("*.html") if out.is_dir() else ():
            old.unlink()
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text("made by peac report --html; cleared by the next one\n")
    except OSError as exc:
        raise InputError(f"--html {out}: cannot be written ({exc.strerror})") from None


def _budgets(request: ReportRequest, root: Path) -> list[BudgetPlan]:
    paths = request.budgets or tuple(root / p for p in ci_settings(root).budgets)
    present = [p for p in paths if p.exists()]
    if request.budgets and len(present) < len(paths):
        missing = next(p for p in paths if not p.exists())
        raise InputError(f"--budget {missing}: no such file or folder")
    if not present:
        return []
    compilation = compile_paths(present, root)
    if compilation.problems:
        raise InputError("the budgets have problems (peac validate)", compilation.problems)
    return list(compilation.plan.budgets)


def _testbed(records: list[RunRecord], chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    return max(records, key=lambda r: r.started_at).testbed if records else ""


def _history_runs(
    history: History, budgets: list[BudgetPlan], testbeds: dict[str, str], count: int
) -> tuple[list[RunPage], dict[str, str], list[str]]:
    """Pages for the latest usable run of each of the newest ``count`` commits with runs of a
    budget's scenario; the run page of each commit; notes on full results that are missing."""
    scenarios = {b.scenario.name for b in budgets}
    pages: list[RunPage] = []
    by_commit: dict[str, str] = {}
    notes: list[str] = []
    for commit in history.commits:
        if len(pages) >= min(count, MAX_RUN_PAGES):
            break
        usable = [
            r
            for r in history.runs.get(commit.sha, ())
            if r.scenario in scenarios and not exclusion(r, r.scenario, testbeds.get(r.scenario))
        ]
        if not usable:
            continue
        latest = max(usable, key=lambda r: r.started_at)
        try:
            result = latest.result()
        except DataError as exc:
            notes.append(f"no run page for {commit.sha[:7]}: {exc}")
            continue
        page = f"run-{len(pages) + 1}.html"
        pages.append(run_page(page, f"{commit.sha[:7]} ({latest.scenario})", result))
        by_commit[commit.sha] = page
    return pages, by_commit, notes


def _head_summary(
    rules: Rules,
    where: str,
    scenario: str,
    testbed: str,
    series: dict[str, Series],
    pages: dict[str, str],
    head: list[tuple[Path, RunResult]],
) -> BudgetSummary:
    keys = [o.series_key for o in rules.objectives]
    runs = [
        HeadRun(
            path.name,
            values_of(result, keys),
            invalid_reason(result),
            {o.step or "": result.requests(o.step or None) for o in rules.objectives},
        )
        for path, result in head
    ]
    results = [r for _, r in head]
    combined = merge(results) if len({r.scenario_digest for r in results}) == 1 else results[0]
    merged = {
        o.series_key: value
        for o in rules.objectives
        if (value := measure(combined, o.metric, o.stat, o.step)) is not None
    }
    commits = {r.git.commit for r in results if r.git is not None}
    commit = commits.pop() if len(commits) == 1 else ""
    return head_status(rules, where, scenario, testbed, series, pages, runs, merged, commit)


def report(request: ReportRequest, out: TextIO) -> int:
    link = commit_url(request.commit_url)
    _check_folder(request.out)
    if len(request.results) > MAX_RESULTS:
        raise InputError(f"at most {MAX_RESULTS} result files per site, got {len(request.results)}")
    root = find_root(request.root)
    results = [(path, read(path)) for path in request.results]
    budgets = _budgets(request, root)
    if not budgets and not results:
        raise InputError(
            "nothing to report: no budget found (give --budget FILE, or list them in "
            "peac.yaml's ci.budgets) and no result files"
        )
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    history = read_history(
        repo, store, request.base, None, request.last, inclusive=True, require_runs=not results
    )
    records = [r for runs in history.runs.values() for r in runs]
    testbeds = {
        name: _testbed([r for r in records if r.scenario == name], request.testbed)
        for name in (b.scenario.name for b in budgets)
    }
    runs, by_commit, notes = _history_runs(history, budgets, testbeds, request.run_pages)
    for n, (path, result) in enumerate(results, start=1):
        runs.append(run_page(f"file-{n}.html", path.name, result))
    notes += history.notes + history.bad
    repo_rules = load_rules(request.root, history.branch)

    summaries: list[BudgetSummary] = []
    trends: list[Trend] = []
    for b, budget in enumerate(budgets, start=1):
        rules, _ = judged_by(budget.rules, repo_rules, None)
        scenario = budget.scenario.name
        testbed = testbeds[scenario]
        series: dict[str, Series] = {}
        pages: dict[str, str] = {}
        for o, objective in enumerate(budget.objectives, start=1):
            key = objective.series_key
            series[key] = build(
                history.commits,
                history.runs,
                scenario,
                testbed or None,
                key,
                computed_values(history.runs, key),
            )
            if len(trends) >= MAX_TRENDS:
                continue
            page = f"trend-{b}-{o}.html"
            pages[key] = page
            trends.append(trend(page, budget.name, objective, series[key], rules, by_commit))
        where = str(budget.source.path)
        with contextlib.suppress(ValueError):  # outside the repository: as given
            where = Path(where).resolve().relative_to(root.resolve()).as_posix()
        head = [(path, r) for path, r in results if r.scenario == scenario]
        # The runs of this pipeline: the site shows their verdict, not that of main's latest.
        if head and request.results_are_head:
            summaries.append(_head_summary(rules, where, scenario, testbed, series, pages, head))
        else:
            summaries.append(budget_status(rules, where, scenario, testbed, series, pages))
    if len(trends) >= MAX_TRENDS:
        notes.append(f"trend pages stop at {MAX_TRENDS}; report fewer budgets at a time")

    site = Site(
        branch=history.branch,
        generated_at=time.time() if request.now is None else request.now,
        budgets=tuple(summaries),
        trends=tuple(trends),
        runs=tuple(runs),
        commit_url=link,
        notes=tuple(notes),
    )
    pages_text = render(site)
    _prepare_folder(request.out)
    try:
        for name, text in pages_text.items():
            (request.out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--html {request.out}: cannot be written ({exc.strerror})") from None
    out.write(
        escape.terminal(
            f"wrote {len(pages_text)} pages to {request.out}: index.html, {len(trends)} trend "
            f"page(s), {len(runs)} run page(s)"
        )
        + "\n"
    )
    return ExitCode.OK
