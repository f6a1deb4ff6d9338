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
from peac.spec.plan import ScenarioPlan


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


def select_scenario(reference: str, budget: Path | None) -> ScenarioPlan:
    """The valid scenario named by ``path[#name]``, or a PeacError listing why there is none."""
    from peac.spec.compiler import compile_paths

    path, _, name = reference.partition("#")
    paths = [Path(path)] + ([budget] if budget else [])
    compilation = compile_paths(paths)
    if compilation.problems:
        raise PeacError("the scenario is not valid", compilation.problems)
    candidates = [
        s
        for s in compilation.plan.scenarios
        if Path(s.source.path).resolve() == Path(path).resolve() and (not name or s.name == name)
    ]
    if budget is not None:
        budgets = [
            b for b in compilation.plan.budgets if Path(b.source.path).resolve() == budget.resolve()
        ]
        if not candidates and budgets:
            candidates = [budgets[0].scenario]
    if len(candidates) != 1:
        found = ", ".join(s.name for s in compilation.plan.scenarios) or "none"
        raise PeacError(f"expected one scenario in {reference}, found {found}; use FILE#name")
    return candidates[0]


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
    from peac.load.overrides import override_load, override_target
    from peac.load.summary import summary
    from peac.results import write
    from peac.testbed import fingerprint, git_state

    plan = override_target(select_scenario(command.scenario, command.budget), command.target)
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
    )
    progress = _progress_line(sys.stderr) if command.progress else None
    started = time.time()
    result = workers.run(request, progress)
    if progress is not None:
        sys.stderr.write("\n")
    write(result, command.out)
    stdout.write(summary(result))
    stdout.write(f"result written to {command.out} ({time.time() - started:.1f}s)\n")
    if result.partial and result.stop_reason.startswith("interrupted"):
        return 130
    if result.partial and result.stop_reason.startswith("terminated"):
        return 143
    return ExitCode.OK
