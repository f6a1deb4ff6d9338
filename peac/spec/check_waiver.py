"""Semantic checks of a Waiver: its budget exists and has the objective it names, its dates are
in order, and it has not expired."""

from __future__ import annotations

from datetime import date

from peac.errors import did_you_mean
from peac.spec.budget import Budget
from peac.spec.check_budget import objective_names
from peac.spec.paths import resolve_reference
from peac.spec.waiver import Waiver, date_problems
from peac.spec.workspace import Loaded, Workspace


def check_waiver(loaded: Loaded, workspace: Workspace, today: date | None) -> None:
    """Problems of a valid Waiver document go to the workspace's report."""
    model = loaded.model
    assert isinstance(model, Waiver)
    report = workspace.reporter(loaded)
    spec = model.spec
    for loc, message in date_problems(spec, today):
        report(loc, message)
    path, why = resolve_reference(spec.budget, loaded.file, workspace.root)
    if path is None:
        report(("spec", "budget"), why)
        return
    if not path.is_file():
        report(("spec", "budget"), f'expected a budget file, but "{spec.budget}" does not exist')
        return
    budgets = [d.model for d in workspace.load(path) if isinstance(d.model, Budget)]
    if not budgets:
        report(
            ("spec", "budget"),
            f'expected "{spec.budget}" to hold a valid Budget (see its own errors)',
        )
        return
    names = [name for budget in budgets for name in objective_names(budget)]
    if spec.objective not in names:
        listed = ", ".join(f'"{n}"' for n in names[:12])
        report(
            ("spec", "objective"),
            f'"{spec.budget}" has no objective "{spec.objective}"'
            f"{did_you_mean(spec.objective, names)}: its objectives are {listed}",
        )
