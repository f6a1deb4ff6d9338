"""`peac run`: compile a scenario, run it against its target, write the RunResult."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from peac.load.engine import Progress
from peac.load.schedule import Shard
from peac.problems import ExitCode, PeacError
from peac.spec.plan import BudgetPlan, ScenarioPlan


@dataclass(frozen=True)
class RunCommand:
    scenario: str  # path, optionally with #name
    out: Path
    budget: Path | None = None
    duration: float | None = None
    rate: float | None = None
    vus: int | None = None
    workers: int = 1
    shard: Shard = field(default_factory=Shard)
    start_at: float | None = None
    testbed: str | None = None
    seed: int | None = None
    target: str | None = None
    progress: bool = False
    server_pid: int | None = None
    transport: str = "lean"


def select_scenario(reference: str, budget: Path | None) -> tuple[ScenarioPlan, BudgetPlan | None]:
    """The valid scenario named by ``path[#name]`` (or the budget's), and the budget if given."""
    from peac.spec.compiler import compile_paths

    path, _, name = reference.partition("#")
    paths = [Path(path)] + ([budget] if budget else [])
    compilation = compile_paths(paths)
    if compilation.problems:
        raise PeacError("the scenario or budget is not valid", compilation.problems)
    plan = compilation.plan
    chosen_budget = None
    if budget is not None:
        budgets = [b for b in plan.budgets if Path(b.source.path).resolve() == budget.resolve()]
        if len(budgets) != 1:
            raise PeacError(f"expected one Budget in {budget}, found {len(budgets)}")
        chosen_budget = budgets[0]
    candidates = [
        s
        for s in plan.scenarios
        if Path(s.source.path).resolve() == Path(path).resolve() and (not name or s.name == name)
    ]
    if not candidates and chosen_budget is not None:
        candidates = [chosen_budget.scenario]
    if len(candidates) != 1:
        found = ", ".join(s.name for s in plan.scenarios) or "none"
        raise PeacError(f"expected one scenario in {reference}, found {found}; use FILE#name")
    if chosen_budget is not None and chosen_budget.scenario.digest != candidates[0].digest:
        raise PeacError(
            f"budget {chosen_budget.name!r} judges scenario {chosen_budget.scenario.name!r}, "
            f"not {candidates[0].name!r}"
        )
    return candidates[0], chosen_budget


def _progress_line(out: TextIO) -> Callable[[Progress], None]:
    def show(p: Progress) -> None:
        p95 = "-" if p.p95 is None else f"{p.p95 * 1e3:.0f}ms"
        out.write(
            f"\r{p.elapsed:5.0f}s / {p.planned:.0f}s  {p.requests} reqs "
            f"({p.requests / max(p.elapsed, 1e-9):.0f}/s)  p95 {p95}  errors {p.errors}  "
            f"VUs {p.active_vus}   "
        )
        out.flush()

    return show


def run(command: RunCommand, stdout: TextIO) -> int:
    from peac.load import workers
    from peac.load.abort import watched
    from peac.load.overrides import override_load, override_target
    from peac.load.summary import summary
    from peac.results import write
    from peac.testbed import fingerprint, git_state

    scenario, budget = select_scenario(command.scenario, command.budget)
    plan = override_target(scenario, command.target)
    rules, unwatchable = watched(budget) if budget else ([], [])
    for objective in unwatchable:
        sys.stderr.write(
            f'note: abort_on_fail of "{objective.name}" is not checked during the run '
            "(only latency, service_time, error_rate and check_pass_rate are)\n"
        )
    load = override_load(plan.scenario.spec.load, command.duration, command.rate, command.vus)
    request = workers.RunRequest(
        plan=plan,
        load=load,
        shard=command.shard,
        workers=command.workers,
        start_at=command.start_at,
        seed=command.seed,
        testbed=fingerprint(command.testbed),
        git=git_state(Path(plan.source.path).resolve().parent),
        abort_rules=tuple(rules),
        server_pid=command.server_pid,
        transport_kind=command.transport,
    )
    progress = _progress_line(sys.stderr) if command.progress else None
    started = time.time()
    result = workers.run(request, progress)
    if progress is not None:
        sys.stderr.write("\n")
    write(result, command.out)
    stdout.write(summary(result))
    stdout.write(f"result written to {command.out} ({time.time() - started:.1f}s)\n")
    if result.stop_reason.startswith("aborted"):
        return ExitCode.FAILED
    if result.partial and result.stop_reason.startswith("interrupted"):
        return 130
    if result.partial and result.stop_reason.startswith("terminated"):
        return 143
    return ExitCode.OK
