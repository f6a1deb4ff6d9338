"""Loading one compiled budget (or scenario) for a command, with its problems as one error."""

from __future__ import annotations

from pathlib import Path

from peac.errors import InputError
from peac.spec.compiler import compile_paths
from peac.spec.plan import BudgetPlan, ScenarioPlan


def load_budget(path: Path, root: Path | None = None) -> BudgetPlan:
    """The one valid Budget in ``path``; ``root`` confines file references (default: the git
    work tree around the working directory)."""
    compilation = compile_paths([path], root)
    if compilation.problems:
        raise InputError(f"{path}: the budget has problems", compilation.problems)
    budgets = compilation.plan.budgets
    if len(budgets) != 1:
        raise InputError(f"{path}: expected one Budget document, found {len(budgets)}")
    return budgets[0]


def select_scenario(
    reference: str, budget: Path | None, root: Path | None = None
) -> tuple[ScenarioPlan, BudgetPlan | None]:
    """The valid scenario named by ``path[#name]`` (or the budget's), and the budget if given.
    ``path`` may be a budget itself (``peac run shop.budget.yaml``): its scenario is run and
    the run judged against it."""
    path, _, name = reference.partition("#")
    paths = [Path(path)] + ([budget] if budget else [])
    compilation = compile_paths(paths, root)
    if compilation.problems:
        raise InputError("the scenario or budget is not valid", compilation.problems)
    plan = compilation.plan
    chosen_budget = None
    here = Path(path).resolve()
    if (
        budget is None
        and not name
        and not any(Path(s.source.path).resolve() == here for s in plan.scenarios)
    ):
        mine = [b for b in plan.budgets if Path(b.source.path).resolve() == here]
        budget = Path(path) if len(mine) == 1 else None
    if budget is not None:
        budgets = [b for b in plan.budgets if Path(b.source.path).resolve() == budget.resolve()]
        if len(budgets) != 1:
            raise InputError(f"expected one Budget in {budget}, found {len(budgets)}")
        chosen_budget = budgets[0]
    candidates = [
        s
        for s in plan.scenarios
        if Path(s.source.path).resolve() == Path(path).resolve() and (not name or s.name == name)
    ]
    if not candidates and chosen_budget is not None:
        candidates = [chosen_budget.scenario]
    if len(candidates) != 1:
        names = ", ".join(s.name for s in plan.scenarios) or "none"
        raise InputError(f"expected one scenario in {reference}, found {names}; use FILE#name")
    if chosen_budget is not None and chosen_budget.scenario.digest != candidates[0].digest:
        raise InputError(
            f"budget {chosen_budget.name!r} judges scenario {chosen_budget.scenario.name!r}, "
            f"not {candidates[0].name!r}"
        )
    return candidates[0], chosen_budget
