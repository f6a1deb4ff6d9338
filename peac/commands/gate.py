"""`peac gate`: judge the head commit's results against the budget and the base branch's
history, print the verdict in the asked format, exit 0 (pass or warn) or 1 (fail)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.problems import PeacError


@dataclass(frozen=True)
class GateRequest:
    budget: Path
    results: tuple[Path, ...]
    base: str
    fmt: str
    store: str
    commit: str | None
    testbed: str | None
    any_testbed: bool
    remote: str | None
    markdown_out: Path | None


def _compile_budget(path: Path) -> object:
    from peac.spec.compiler import compile_paths

    compilation = compile_paths([path], None)
    if compilation.problems:
        raise PeacError(f"{path}: the budget has problems", compilation.problems)
    budgets = compilation.plan.budgets
    if len(budgets) != 1:
        raise PeacError(f"{path}: expected one Budget document, found {len(budgets)}")
    return budgets[0]


def gate(request: GateRequest, out: TextIO) -> int:
    from peac.baseline import Missing, baseline
    from peac.gate import HeadRun, Reference, evaluate
    from peac.history.gitrepo import Repository
    from peac.history.reader import read_history
    from peac.history.records import testbed_key
    from peac.history.series import build
    from peac.history.store import open_store
    from peac.measures import invalid_reason, measure, series_key, summarize
    from peac.report.context import GateContext
    from peac.report.gate_formats import verdict_github, verdict_json, verdict_junit, verdict_text
    from peac.report.markdown import verdict_markdown
    from peac.results import RunResult, merge, read
    from peac.spec.plan import BudgetPlan

    budget = _compile_budget(request.budget)
    assert isinstance(budget, BudgetPlan)
    results: list[RunResult] = [read(path) for path in request.results]
    for path, result in zip(request.results, results, strict=True):
        if result.scenario != budget.scenario.name:
            raise PeacError(
                f"{path}: a run of scenario {result.scenario!r}, but budget {budget.name!r} "
                f"judges scenario {budget.scenario.name!r}"
            )
    commits = {(r.git or {}).get("commit") for r in results} - {None, ""}
    if len(commits) > 1 and not request.commit:
        raise PeacError(
            "the results measured different commits ("
            + ", ".join(sorted(c[:7] for c in commits if c))
            + "); give --commit or gate them separately"
        )
    repo = Repository(Path.cwd())
    head: str = request.commit or (str(commits.pop()) if commits else "HEAD")
    store = open_store(request.store, Path.cwd())
    window = budget.policy.window
    history = read_history(repo, store, request.base, head, window, request.remote)
    testbeds = {testbed_key(r.testbed) for r in results}
    testbed = None if request.any_testbed else request.testbed or sorted(testbeds)[0]
    if testbed is not None and len(testbeds) > 1:
        raise PeacError(f"the results come from several testbeds ({', '.join(sorted(testbeds))})")

    head_runs = []
    for path, result in zip(request.results, results, strict=True):
        values = summarize(result)
        for o in budget.objectives:
            key = series_key(o.step, o.metric, o.stat)
            if (
                key not in values
                and (value := measure(result, o.metric, o.stat, o.step)) is not None
            ):
                values[key] = value
        head_runs.append(HeadRun(path.name, values, invalid_reason(result)))
    digests = {r.scenario_digest for r in results}
    combined = merge(results) if len(digests) == 1 else results[0]
    merged = {}
    for o in budget.objectives:
        value = measure(combined, o.metric, o.stat, o.step)
        if value is not None:
            merged[series_key(o.step, o.metric, o.stat)] = value

    references = {}
    for o in budget.objectives:
        series = build(
            history.commits,
            history.runs,
            budget.scenario.name,
            testbed,
            series_key(o.step, o.metric, o.stat),
        )
        base = baseline(
            series.points,
            higher_is_worse=o.higher_is_worse,
            log_scale=o.unit in ("duration", "rate"),
            confidence=budget.policy.confidence,
        )
        if isinstance(base, Missing) and series.skipped:
            skipped = ", ".join(f"{n} {why}" for why, n in series.skipped.items())
            base = Missing(f"{base.reason} (runs left out: {skipped})", base.n)
        references[o.name] = Reference(base, tuple(series.values()[-20:]))

    verdict = evaluate(budget, head_runs, merged, references)
    notes = history.notes + history.bad
    if len(digests) > 1:
        notes.append("the head results ran different versions of the scenario; not merged")
    context = GateContext(
        head=history.head,
        base=request.base,
        merge_base=history.merge_base,
        testbed=testbed or "",
        budget_path=str(request.budget),
        history_commits=len(history.commits),
        notes=tuple(notes),
    )
    render = {
        "text": verdict_text,
        "json": verdict_json,
        "junit": verdict_junit,
        "github": verdict_github,
        "markdown": verdict_markdown,
    }[request.fmt]
    out.write(render(verdict, context))
    markdown = None
    if request.markdown_out is not None:
        markdown = verdict_markdown(verdict, context)
        request.markdown_out.parent.mkdir(parents=True, exist_ok=True)
        request.markdown_out.write_text(markdown, encoding="utf-8")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if request.fmt == "github" and summary_file:
        with Path(summary_file).open("a", encoding="utf-8") as handle:
            handle.write(markdown or verdict_markdown(verdict, context))
    return verdict.exit_code
