"""Semantic checks of a Budget: its scenario exists, objectives name real metrics, statistics
and steps, limits carry the unit their metric needs and warn tiers fire before fail tiers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peac.errors import Problem, describe, did_you_mean
from peac.model import units
from peac.model.metrics import METRICS, Metric, Unit
from peac.model.objectives import Limits, Policy, Rules, Source
from peac.model.objectives import Objective as ObjectivePlan
from peac.model.objectives import Tier as Outcome
from peac.spec.budget import Budget, Objective, Tier
from peac.spec.documents import check_document
from peac.spec.paths import resolve_reference
from peac.spec.plan import BudgetPlan, ScenarioPlan
from peac.spec.scenario import Scenario
from peac.spec.source import Document, Loc
from peac.spec.workspace import Loaded, Workspace, digest

Report = Callable[..., None]
PlanFor = Callable[[Loaded], ScenarioPlan | None]

_PARSERS: dict[Unit, tuple[Callable[[object], float], str]] = {
    "duration": (units.parse_duration, f"a duration like {units.DURATION_EXAMPLE}"),
    "percent": (units.parse_percent, f"a percentage like {units.PERCENT_EXAMPLE}"),
    "rate": (units.parse_rate, f"a rate like {units.RATE_EXAMPLE}"),
    "count": (lambda v: _count(v), "a whole number like 10"),
}


def _count(value: object) -> float:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise units.UnitError("expected a whole number")


def check_budget(loaded: Loaded, workspace: Workspace, plan_for: PlanFor) -> BudgetPlan | None:
    """The plan for a valid budget; problems go to the workspace's report."""
    model = loaded.model
    assert isinstance(model, Budget)
    report = workspace.reporter(loaded)
    scenario = _resolve_scenario(model.spec.scenario, loaded.file, workspace, plan_for, report)
    objectives: list[ObjectivePlan] = []
    seen: dict[tuple[str | None, str, str], int] = {}
    names: set[str] = set()
    ok = scenario is not None
    for index, objective in enumerate(model.spec.objectives):
        loc: Loc = ("spec", "objectives", index)
        check = model.spec.regression.check
        plan = _check_objective(objective, loc, loaded, scenario, report, check)
        if plan is None:
            ok = False
            continue
        identity = (plan.step, plan.metric, plan.stat)
        if identity in seen:
            report(loc, f'duplicate objective "{plan.name}" (also objectives[{seen[identity]}])')
            ok = False
        elif plan.name in names:
            report((*loc, "name"), f'duplicate objective name "{plan.name}"')
            ok = False
        seen.setdefault(identity, index)
        names.add(plan.name)
        objectives.append(plan)
    if not ok or scenario is None:
        return None
    return BudgetPlan(
        name=model.metadata.name,
        source=Source(loaded.document.path, loaded.document.line, 1),
        digest=digest(model),
        scenario=scenario,
        rules=Rules(
            name=model.metadata.name,
            objectives=tuple(objectives),
            policy=Policy(**model.spec.regression.model_dump()),
            invalid_run=Outcome(model.spec.invalid_run),
            missing_baseline=Outcome(model.spec.missing_baseline),
            line=loaded.document.line,
            setting_lines=_setting_lines(loaded.document),
        ),
    )


_SETTINGS = (
    ("regression", "confidence"),
    ("regression", "min_effect"),
    ("regression", "window"),
    ("regression", "correction"),
    ("regression", "check"),
    ("invalid_run",),
    ("missing_baseline",),
)


def _setting_lines(document: Document) -> tuple[tuple[str, int], ...]:
    """Where each budget-wide setting is written (its section's line when left out)."""
    return tuple((".".join(loc), document.position(("spec", *loc))[0]) for loc in _SETTINGS)


def objective_names(model: Budget) -> list[str]:
    """The names of a budget's objectives as reports show them (given, or the default)."""
    names = []
    for objective in model.spec.objectives:
        metric = METRICS.get(objective.metric)
        stat = objective.stat or (metric.default_stat if metric else None) or ""
        label = f"{objective.step} " if objective.step else ""
        names.append(objective.name or f"{label}{objective.metric} {stat}".rstrip())
    return names


def budget_rules(document: Document) -> tuple[Rules | None, list[Problem]]:
    """The rules of one budget document on its own, its scenario not read (steps unchecked):
    enough to compare two versions of a budget from git. None when it is not a valid Budget."""
    model, problems = check_document(document)
    if not isinstance(model, Budget) or problems:
        return None, problems
    loaded = Loaded(Path(document.path), document, model)
    found: list[Problem] = []

    def report(loc: Loc, message: str, *, key: bool = False) -> None:
        line, col = document.position(loc, key=key)
        found.append(Problem(document.path, line, col, message))

    objectives = []
    for index, objective in enumerate(model.spec.objectives):
        check = model.spec.regression.check
        plan = _check_objective(
            objective, ("spec", "objectives", index), loaded, None, report, check
        )
        if plan is not None:
            objectives.append(plan)
    if found:
        return None, found
    spec = model.spec
    return Rules(
        name=model.metadata.name,
        objectives=tuple(objectives),
        policy=Policy(**spec.regression.model_dump()),
        invalid_run=Outcome(spec.invalid_run),
        missing_baseline=Outcome(spec.missing_baseline),
        line=document.line,
        setting_lines=_setting_lines(document),
    ), []


def _resolve_scenario(
    reference: str, file: Path, workspace: Workspace, plan_for: PlanFor, report: Report
) -> ScenarioPlan | None:
    loc: Loc = ("spec", "scenario")
    relative, _, wanted = reference.partition("#")
    path, why = resolve_reference(relative, file, workspace.root)
    if path is None:
        report(loc, why)
        return None
    if not path.is_file():
        report(loc, f'expected a scenario file, but "{relative}" does not exist')
        return None
    candidates = [d for d in workspace.load(path) if _field(d, "kind") == "Scenario"]
    names = [str(_field(c, "metadata", "name")) for c in candidates]
    if wanted:
        chosen = [c for c, n in zip(candidates, names, strict=True) if n == wanted]
        if not chosen:
            report(
                loc, f'"{relative}" has no scenario named "{wanted}"{did_you_mean(wanted, names)}'
            )
            return None
    elif len(candidates) != 1:
        found = (
            "no Scenario" if not candidates else f"{len(candidates)} scenarios ({', '.join(names)})"
        )
        report(
            loc, f'expected "{relative}" to hold one Scenario, found {found}; add #name to choose'
        )
        return None
    else:
        chosen = candidates
    if not isinstance(chosen[0].model, Scenario):
        report(loc, f'the scenario in "{relative}" is invalid (see its own errors)')
        return None
    plan = plan_for(chosen[0])
    if plan is None:
        report(loc, f'the scenario in "{relative}" is invalid (see its own errors)')
    return plan


def check_budget_steps(loaded: Loaded, workspace: Workspace, plan_for: PlanFor) -> None:
    """The step names of a budget that failed its schema, checked all the same against its
    scenario: one run of ``peac validate`` reports every problem it can, not the schema's
    first and the step names only once those are fixed."""
    reference = _field(loaded, "spec", "scenario")
    objectives = _field(loaded, "spec", "objectives")
    if not isinstance(reference, str) or not isinstance(objectives, list):
        return
    scenario = _resolve_scenario(reference, loaded.file, workspace, plan_for, lambda *_: None)
    if scenario is None:
        return
    report = workspace.reporter(loaded)
    for index, objective in enumerate(objectives):
        step = objective.get("step") if isinstance(objective, dict) else None
        if isinstance(step, str) and step not in scenario.steps:
            hint = did_you_mean(step, scenario.steps)
            listed = ", ".join(f'"{s}"' for s in scenario.steps[:12])
            report(
                ("spec", "objectives", index, "step"),
                f'scenario "{scenario.name}" has no step "{step}"{hint}: its steps are {listed}',
            )


def _field(loaded: Loaded, *keys: str) -> object:
    """A value of a document that may not have validated (so may have any shape)."""
    node: object = loaded.document.data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _check_objective(
    objective: Objective,
    loc: Loc,
    loaded: Loaded,
    scenario: ScenarioPlan | None,
    report: Report,
    policy_check: str = "warn",
) -> ObjectivePlan | None:
    metric = METRICS.get(objective.metric)
    if metric is None:
        hint = did_you_mean(objective.metric, METRICS)
        report(
            (*loc, "metric"),
            f'unknown metric "{objective.metric}"{hint}: expected one of {", ".join(METRICS)}',
        )
        return None
    stat = objective.stat or metric.default_stat
    if stat is None:
        report(
            loc,
            f'missing required key "stat" for {metric.name}: '
            f"expected one of {', '.join(metric.stats)}",
        )
        return None
    if not metric.accepts(stat):
        hint = did_you_mean(stat, metric.stats)
        report(
            (*loc, "stat"),
            f'unknown statistic "{stat}" for {metric.name}{hint}: '
            f"expected one of {', '.join(metric.stats)}",
        )
        return None
    ok = True
    if objective.step is not None and scenario is not None and objective.step not in scenario.steps:
        hint = did_you_mean(objective.step, scenario.steps)
        listed = ", ".join(f'"{s}"' for s in scenario.steps[:12])
        report(
            (*loc, "step"),
            f'scenario "{scenario.name}" has no step "{objective.step}"{hint}: '
            f"its steps are {listed}",
        )
        ok = False
    unit: Unit = "count" if stat == "count" else metric.unit
    tiers = {
        name: _limits(getattr(objective, name), (*loc, name), unit, metric, stat, report)
        for name in ("warn", "fail")
    }
    if objective.warn is None and objective.fail is None:
        report(loc, 'expected a "warn" or "fail" tier (or both)')
        ok = False
    if any(t is False for t in tiers.values()):
        return None
    warn, fail = (t if isinstance(t, Limits) else None for t in (tiers["warn"], tiers["fail"]))
    ok = _check_order(warn, fail, loc, unit, report) and ok
    if objective.abort_on_fail and (fail is None or (fail.max is None and fail.min is None)):
        report(
            (*loc, "abort_on_fail"),
            "abort_on_fail needs an absolute fail limit (max or min): "
            "baselines are not known during a run",
        )
        ok = False
    if not ok:
        return None
    higher_is_worse = (
        metric.higher_is_worse
        if objective.direction is None
        else objective.direction == "higher_is_worse"
    )
    label = f"{objective.step} " if objective.step else ""
    document = loaded.document
    line, col = document.position(loc)
    limit_lines = tuple(
        (f"{name}.{key}", document.position((*loc, name, key))[0])
        for name in ("warn", "fail")
        if (tier := getattr(objective, name)) is not None
        for key in ("max", "min", "max_regression")
        if getattr(tier, key) is not None
    )
    check = objective.regression or policy_check
    return ObjectivePlan(
        regression=None if check == "off" else Outcome(check),
        name=objective.name or f"{label}{metric.name} {stat}",
        metric=metric.name,
        stat=stat,
        step=objective.step,
        unit=unit,
        higher_is_worse=higher_is_worse,
        key=objective.key,
        weight=objective.weight,
        abort_on_fail=objective.abort_on_fail,
        warn=warn,
        fail=fail,
        source=Source(document.path, line, col),
        limit_lines=limit_lines,
    )


def _limits(
    tier: Tier | None, loc: Loc, unit: Unit, metric: Metric, stat: str, report: Report
) -> Limits | bool | None:
    """Canonical limits of a tier; False when one of them is invalid (already reported)."""
    if tier is None:
        return None
    parse, expected = _PARSERS[unit]
    values: dict[str, float | None] = {}
    ok = True
    for key in ("max", "min"):
        raw = getattr(tier, key)
        if raw is None:
            values[key] = None
            continue
        try:
            values[key] = parse(raw)
        except units.UnitError:
            report(
                (*loc, key), f"expected {expected} for {metric.name} {stat}, got {describe(raw)}"
            )
            ok = False
    raw = tier.max_regression
    values["max_regression"] = None
    if raw is not None:
        try:
            regression = units.parse_percent(raw)
            if regression <= 0:
                raise units.UnitError("not positive")
            values["max_regression"] = regression
        except units.UnitError:
            report(
                (*loc, "max_regression"),
                f'expected a positive percentage like "10%", got {describe(raw)}',
            )
            ok = False
    if not ok:
        return False
    if all(v is None for v in values.values()):
        report(loc, 'expected at least one of "max", "min", "max_regression"')
        return False
    if values["max"] is not None and values["min"] is not None and values["min"] > values["max"]:
        report((*loc, "min"), "expected min to be at most max")
        return False
    return Limits(values["max"], values["min"], values["max_regression"])


_LOOSER: dict[str, Callable[[float, float], bool]] = {
    "max": lambda warn, fail: warn >= fail,
    "min": lambda warn, fail: warn <= fail,
    "max_regression": lambda warn, fail: warn >= fail,
}


def _check_order(
    warn: Limits | None, fail: Limits | None, loc: Loc, unit: Unit, report: Report
) -> bool:
    """A warning must fire before the failure; otherwise the warn tier can never be seen."""
    if warn is None or fail is None:
        return True
    ok = True
    for key, looser in _LOOSER.items():
        w, f = getattr(warn, key), getattr(fail, key)
        if w is None or f is None or not looser(w, f):
            continue
        shown: Unit = "percent" if key == "max_regression" else unit
        report(
            (*loc, "warn", key),
            f"expected the warn limit to be stricter than the fail limit ({_show(f, shown)}), "
            f"got {_show(w, shown)}: a warning must fire before the failure",
        )
        ok = False
    return ok


def _show(value: float, unit: Unit) -> str:
    if unit == "duration":
        return units.format_duration(value)
    if unit == "percent":
        return f"{value * 100:g}%"
    if unit == "rate":
        return f"{value:g}/s"
    return f"{value:g}"
