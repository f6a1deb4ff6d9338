"""`peac recommend`: warn and fail limits for a budget's objectives from the base branch's
recorded history (``peac.core.recommend``), with a backtest of them and of the budget's own
limits; ``--write`` puts them into the budget file through the round-trip writer, changing only
the limit values (each changed line gets a comment naming the history it came from)."""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from peac import files
from peac.app.budgets import load_budget
from peac.core.recommend import recommend_points
from peac.errors import ExitCode, InputError, did_you_mean
from peac.history.git import Repository
from peac.history.reader import computed_values, read_history
from peac.history.series import build
from peac.history.store import open_store
from peac.model.objectives import Limits, Objective
from peac.model.recommendation import Rates
from peac.model.units import limit_text
from peac.report.recommend_formats import RecommendReport, RecommendRow, Written
from peac.report.registry import RECOMMEND
from peac.spec import roundtrip
from peac.spec.compiler import compile_paths
from peac.spec.paths import find_root
from peac.spec.plan import BudgetPlan

FIT_COMMITS = 100  # commits read to fit on (the baseline models at most this many)
KINDS = ("max", "min")
COMMENT = "# peac recommend:"
_OLD_COMMENT = re.compile(r"\s*# peac recommend:.*$")


@dataclass(frozen=True, kw_only=True)
class RecommendRequest:
    root: Path
    budget: Path
    base: str = "main"
    false_alarm_rate: float = 0.01
    window: int = 30  # commits of the backtest
    fmt: str = "text"
    write: bool = False
    store: str = "git"
    testbed: str | None = None


def _day(date: int) -> str:
    return datetime.fromtimestamp(date, UTC).strftime("%Y-%m-%d")


def _limit(limits: Limits | None, kind: str) -> float | None:
    return None if limits is None else getattr(limits, kind)


def _rows(
    budget: BudgetPlan, request: RecommendRequest, history: Any, testbed: str
) -> list[RecommendRow]:
    rows = []
    for objective in budget.objectives:
        kinds = [
            k
            for k in KINDS
            if _limit(objective.warn, k) is not None or _limit(objective.fail, k) is not None
        ]
        if not kinds:
            rows.append(
                RecommendRow(
                    objective.name,
                    objective.unit,
                    "",
                    None,
                    None,
                    None,
                    "only max_regression limits: regression limits are out of scope "
                    "(the gate judges them against the forecast itself)",
                )
            )
            continue
        key = objective.series_key
        series = build(
            history.commits,
            history.runs,
            budget.scenario.name,
            testbed,
            key,
            computed_values(history.runs, key),
        )
        for kind in kinds:
            current = Rates(_limit(objective.warn, kind), _limit(objective.fail, kind))
            proposal = recommend_points(
                series.points,
                higher_is_worse=kind == "max",
                log_scale=objective.log_scale,
                false_alarm_rate=request.false_alarm_rate,
                window=request.window,
                current=current,
                integer=objective.unit == "count",
                bounds=(0.0, 1.0) if objective.unit == "percent" else (0.0, math.inf),
            )
            rows.append(
                RecommendRow(
                    objective.name, objective.unit, kind, current.warn, current.fail, proposal
                )
            )
    return rows


def _uncovered(budget: BudgetPlan, history: Any) -> tuple[str, ...]:
    """Steps the recorded runs of the budget's scenario measured that no objective names."""
    seen = {
        step
        for runs in history.runs.values()
        for record in runs
        if record.scenario == budget.scenario.name
        for step in record.table
        if step
    }
    return tuple(sorted(seen - {o.step for o in budget.objectives if o.step}))


def recommend(request: RecommendRequest, out: TextIO) -> int:
    if not request.budget.is_file():
        raise InputError(f"{request.budget}: no such budget file")
    if not 0 < request.false_alarm_rate < 0.2:
        raise InputError(
            f"--false-alarm-rate: expected a rate between 0% and 20%, got "
            f"{request.false_alarm_rate:.3%}"
        )
    budget = load_budget(request.budget, find_root(request.root))
    repo = Repository(request.root)
    store = open_store(request.store, request.root)
    history = read_history(
        repo,
        store,
        request.base,
        None,
        max(request.window, FIT_COMMITS),
        inclusive=True,
        require_runs=True,
    )
    mine = [r for runs in history.runs.values() for r in runs if r.scenario == budget.scenario.name]
    if not mine:
        found = sorted({r.scenario for runs in history.runs.values() for r in runs})
        raise InputError(
            f"no recorded runs of scenario {budget.scenario.name!r} on {history.branch}'s "
            f"history (found runs of: {', '.join(found) or 'none'}; peac record RESULT)"
        )
    testbeds = {r.testbed for r in mine}
    testbed = request.testbed or max(mine, key=lambda r: r.started_at).testbed
    if testbed not in testbeds:
        raise InputError(
            f"--testbed: no runs of testbed {testbed!r}{did_you_mean(testbed, testbeds)} "
            f"(found: {', '.join(sorted(testbeds))})"
        )
    rows = _rows(budget, request, history, testbed)
    written: tuple[Written, ...] = ()
    shared: tuple[tuple[str, str, str], ...] = ()
    if request.write:
        written, shared = write_limits(request.budget, budget, rows, request.root)
    report = RecommendReport(
        budget=budget.name,
        path=str(request.budget),
        branch=history.branch,
        testbed=testbed,
        history_commits=len(history.commits),
        false_alarm_rate=request.false_alarm_rate,
        window=request.window,
        rows=tuple(rows),
        uncovered=_uncovered(budget, history),
        notes=tuple(history.notes + history.bad),
        wrote=request.write,
        written=written,
        not_rewritten=shared,
    )
    out.write(RECOMMEND.render(request.fmt, report))
    return ExitCode.OK


def _ordered(warn: float | None, fail: float | None, kind: str) -> bool:
    if warn is None or fail is None:
        return True
    return warn < fail if kind == "max" else warn > fail


def _changes(
    budget: BudgetPlan, rows: list[RecommendRow]
) -> list[tuple[int, Objective, str, str, float, RecommendRow]]:
    """(objective index, objective, tier, kind, new value, row) of every limit the budget sets
    whose proposal differs, keeping each objective's warn stricter than its fail."""
    index = {o.name: i for i, o in enumerate(budget.objectives)}
    found = []
    for row in rows:
        proposal = row.recommendation
        if proposal is None or proposal.fail is None or not row.kind:
            continue
        i = index[row.objective]
        objective = budget.objectives[i]
        new = {"warn": proposal.warn, "fail": proposal.fail}
        final = {
            tier: new[tier] if new[tier] is not None and old is not None else old
            for tier, old in (("warn", row.current_warn), ("fail", row.current_fail))
        }
        if not _ordered(final["warn"], final["fail"], row.kind):
            continue  # the report says the budget was not changed there
        for tier, old in (("warn", row.current_warn), ("fail", row.current_fail)):
            value = new[tier]
            if old is not None and value is not None and not math.isclose(value, old):
                found.append((i, objective, tier, row.kind, value, row))
    return found


def _shared(document: Any) -> set[int]:
    """Ids of the mappings and lists a document reaches more than once: through an alias
    (``*limit``) or a merge key (``<<: *base``), one node stands for several places, and
    rewriting it for one objective would rewrite it for all of them."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        stack.extend(node.values() if isinstance(node, dict) else node)
    return shared


def _anchored(node: Any) -> bool:
    anchor = getattr(node, "anchor", None)
    return getattr(anchor, "value", None) is not None


def _why_not(objectives: Any, i: int, tier: str, kind: str, shared: set[int]) -> str:
    """Why a limit cannot be rewritten in place ('' when it can)."""
    objective = objectives[i]
    limits = objective.get(tier)
    nodes = (objectives, objective, limits)
    if (
        any(id(n) in shared or _anchored(n) for n in nodes)
        or _anchored(limits.get(kind))
        or tier not in getattr(objective, "_ok", {tier})  # inherited through a merge key
    ):
        return "it is shared with another place through a YAML anchor or merge key"
    return ""


def write_limits(
    path: Path, budget: BudgetPlan, rows: list[RecommendRow], root: Path
) -> tuple[tuple[Written, ...], tuple[tuple[str, str, str], ...]]:
    """Rewrite the proposed limits into ``path`` in place: only the changed values' lines
    change, each with a comment naming the history range; the result is checked by the
    compiler, and re-read to confirm each limit says what is reported, before it replaces the
    file. Limits shared through a YAML anchor are left as they are (objective, setting, why):
    one value cannot be two objectives' proposals."""
    raw = path.read_bytes().decode("utf-8")  # bytes: line ends stay as they are
    text = raw.replace("\r\n", "\n")  # ruamel writes "\n": compared and written back per line
    documents, yaml = roundtrip.load(text)
    found = [
        i
        for i, d in enumerate(documents)
        if isinstance(d, dict)
        and d.get("kind") == "Budget"
        and isinstance(d.get("metadata"), dict)
        and d["metadata"].get("name") == budget.name
    ]
    if len(found) != 1:
        raise InputError(f"{path}: cannot find Budget {budget.name!r} to rewrite")
    objectives = documents[found[0]]["spec"]["objectives"]
    shared = _shared(documents[found[0]])
    comments: dict[int, str] = {}
    written = []
    skipped = []
    for i, objective, tier, kind, value, row in _changes(budget, rows):
        proposal = row.recommendation
        assert proposal is not None
        why = _why_not(objectives, i, tier, kind, shared)
        if why:
            skipped.append((row.objective, f"{tier}.{kind}", why))
            continue
        roundtrip.set_scalar(objectives[i][tier], kind, limit_text(value, objective.unit))
        line = objective.line_of(f"{tier}.{kind}")
        first, last = proposal.commits[0][:7], proposal.commits[-1][:7]
        comments[line] = (
            f"{COMMENT} {first}..{last} ({len(proposal.commits)} commits, "
            f"{_day(proposal.first_date)} to {_day(proposal.last_date)})"
        )
        old = row.current_warn if tier == "warn" else row.current_fail
        written.append(Written(row.objective, f"{tier}.{kind}", old, value, line))
    if not written:
        return (), tuple(skipped)
    dumped = roundtrip.dump(documents, yaml).splitlines()
    original = raw.splitlines(keepends=True)
    if len(dumped) != len(original):
        raise RuntimeError(f"rewriting {path} changed its number of lines")
    lines = []
    for number, (before, after) in enumerate(zip(original, dumped, strict=True), start=1):
        body = before.rstrip("\r\n")
        ending = before[len(body) :]  # the file's own line end, "\r\n" or "\n"
        if number in comments:
            after = _OLD_COMMENT.sub("", after) + "  " + comments[number]
        elif body != after:
            raise RuntimeError(f"rewriting {path} changed line {number}, not a limit's")
        lines.append(after + ending)
    new_text = "".join(lines)
    temporary = files.create_new(
        path.parent, f".{path.name}", ".peac-recommend.yaml", new_text.encode("utf-8"), "--write"
    )
    try:
        shutil.copymode(path, temporary)
        compilation = compile_paths([temporary], find_root(root))
        if not compilation.ok:
            raise RuntimeError(
                f"the rewritten budget would not validate: {compilation.problems[0].message}"
            )
        _confirm(compilation.plan.budgets, budget, written, path)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return tuple(written), tuple(skipped)


def _confirm(
    budgets: Sequence[BudgetPlan], budget: BudgetPlan, written: list[Written], path: Path
) -> None:
    """The rewritten file, read back, sets each limit to what the report will say it wrote
    (anything else, such as an edit through a node shared with another objective, is a bug
    here: the file is left as it was)."""
    again = next((b for b in budgets if b.name == budget.name), None)
    objectives = {o.name: o for o in again.objectives} if again else {}
    for w in written:
        tier, kind = w.setting.split(".")
        objective = objectives.get(w.objective)
        found = _limit(getattr(objective, tier, None), kind) if objective else None
        if found is None or not math.isclose(found, w.new, rel_tol=1e-9):
            raise RuntimeError(
                f"rewriting {path} would set {w.objective} {w.setting} to {found}, not the "
                f"{w.new} reported: the budget was left as it was"
            )
