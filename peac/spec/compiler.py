"""The schema compiler: files in, a Plan and every problem out, in file order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from peac.errors import Problem
from peac.spec.budget import Budget
from peac.spec.check_budget import check_budget, check_budget_steps
from peac.spec.check_scenario import check_scenario
from peac.spec.check_waiver import check_waiver
from peac.spec.paths import display_path, find_root
from peac.spec.plan import BudgetPlan, Plan, ScenarioPlan
from peac.spec.related import is_yaml, related_files, yaml_files
from peac.spec.scenario import Scenario
from peac.spec.waiver import Waiver
from peac.spec.workspace import Loaded, Workspace


@dataclass(frozen=True)
class Compilation:
    plan: Plan
    problems: tuple[Problem, ...]
    files: tuple[str, ...]  # every file checked, the related ones included
    related: tuple[str, ...] = ()  # files checked because a named file belongs with them

    @property
    def ok(self) -> bool:
        return not self.problems


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Files named, plus YAML files under directories named (sorted, hidden folders skipped)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = yaml_files(path)
            if not found:
                problems.append(
                    Problem(display_path(path), 0, 0, "no .yaml or .yml files in this directory")
                )
            files.extend(found)
        else:
            files.append(path)
    return list(dict.fromkeys(files)), problems


MAX_PROBLEMS_PER_FILE = 100  # a 1 MiB file of unknown keys must not print 30,000 lines


def _order(problem: Problem) -> tuple[int, int, str]:
    return problem.line, problem.col, problem.message


def today_utc() -> date:
    """Today's date in UTC: the day waivers expire on, the same on every CI runner."""
    return datetime.now(UTC).date()


def compile_paths(
    paths: Sequence[Path],
    root: Path | None = None,
    *,
    related: bool = False,
    today: date | None = None,
) -> Compilation:
    """Load, validate and compile every budget and scenario under ``paths``, and (``related``)
    the files that the files named in ``paths`` belong with (see ``peac.spec.related``).
    Waivers are checked against ``today`` (default: today in UTC).

    A named file that is not YAML is a data file: it is checked through the scenarios that read
    it, not parsed itself.
    """
    named, problems = discover(paths)
    workspace = Workspace(root=root or find_root(Path.cwd()))
    data = [f for f in named if not is_yaml(f) and f.is_file()]
    explicit = [p for p in paths if not p.is_dir()]
    extra = related_files(explicit, workspace.root) if related and explicit else []
    files = [f for f in named if f not in data] + extra
    memo: dict[int, ScenarioPlan | None] = {}
    origin: dict[int, Loaded] = {}

    def plan_for(loaded: Loaded) -> ScenarioPlan | None:
        if id(loaded) not in memo:
            plan = memo[id(loaded)] = check_scenario(loaded, workspace)
            if plan is not None:
                origin[id(plan)] = loaded
        return memo[id(loaded)]

    scenarios: list[ScenarioPlan] = []
    budgets: list[BudgetPlan] = []
    for file in files:
        for loaded in workspace.load(file):
            if isinstance(loaded.model, Scenario):
                plan = plan_for(loaded)
                if plan is not None:
                    scenarios.append(plan)
            elif isinstance(loaded.model, Budget):
                budget = check_budget(loaded, workspace, plan_for)
                if budget is not None:
                    budgets.append(budget)
            elif isinstance(loaded.model, Waiver):
                check_waiver(loaded, workspace, today or today_utc())
            elif loaded.model is None and _kind(loaded) == "Budget":
                check_budget_steps(loaded, workspace, plan_for)
    _check_unique_names(workspace, scenarios, origin)
    for key in workspace.files:
        found = sorted(
            set(workspace.problems.get(key, [])), key=lambda p: (p.line, p.col, p.message)
        )
        problems.extend(found[:MAX_PROBLEMS_PER_FILE])
        if len(found) > MAX_PROBLEMS_PER_FILE:
            first = found[0]
            more = len(found) - MAX_PROBLEMS_PER_FILE
            problems.append(Problem(first.path, 0, 0, f"… and {more:,} more problems in this file"))
    shown = tuple(display_path(f, workspace.cwd) for f in [*files, *data])
    also = tuple(display_path(f, workspace.cwd) for f in extra)
    return Compilation(Plan(tuple(scenarios), tuple(budgets)), tuple(problems), shown, also)


def _kind(loaded: Loaded) -> object:
    data = loaded.document.data
    return data.get("kind") if isinstance(data, dict) else None


def _check_unique_names(
    workspace: Workspace, scenarios: list[ScenarioPlan], origin: dict[int, Loaded]
) -> None:
    """Results and budgets refer to scenarios by name, so two with one name are ambiguous."""
    seen: dict[str, ScenarioPlan] = {}
    for plan in scenarios:
        first = seen.setdefault(plan.name, plan)
        if first is not plan:
            workspace.reporter(origin[id(plan)])(
                ("metadata", "name"),
                f'duplicate scenario name "{plan.name}" '
                f"(also in {first.source.path}:{first.source.line})",
            )
