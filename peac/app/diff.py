"""`peac diff BASE HEAD`: each side a result file or a commit whose recorded runs to use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.core.diff import DEFAULT_METRICS, compare
from peac.errors import ExitCode, InputError, did_you_mean
from peac.history.git import Repository
from peac.history.store import open_store
from peac.model.metrics import metric_and_stat
from peac.model.results import RunResult
from peac.report.registry import DIFF, DiffReport
from peac.results.format import read


@dataclass(frozen=True, kw_only=True)
class DiffRequest:
    root: Path  # inside the repository whose recorded runs a commit side reads
    base: str
    head: str
    scenario: str | None = None
    testbed: str | None = None
    step: str | None = None
    metric: str | None = None
    stat: str | None = None
    fmt: str = "text"
    store: str = "git"
    alpha: float = 0.05


def _side(spec: str, request: DiffRequest, notes: list[str]) -> tuple[list[RunResult], str]:
    path = Path(spec)
    if path.is_file() or spec.endswith(".json"):
        return [read(path)], path.name
    repo = Repository(request.root)
    sha = repo.commit(repo.tracking(spec) or spec)  # main may be origin/main in a CI clone
    bad: list[str] = []
    records = open_store(request.store, request.root).runs([sha], bad).get(sha, [])
    wanted = [
        r
        for r in records
        if (request.scenario is None or r.scenario == request.scenario)
        and (request.testbed is None or r.testbed == request.testbed)
    ]
    chosen = [r for r in wanted if not r.invalid]
    notes += [f"left out run {r.run_id} on {sha[:7]}: {r.invalid}" for r in wanted if r.invalid]
    notes += bad
    if not chosen:
        raise InputError(
            f"{spec} ({sha[:7]}): no recorded runs"
            + (f" of scenario {request.scenario!r}" if request.scenario else "")
            + (f" on testbed {request.testbed!r}" if request.testbed else "")
            + (f" ({len(records)} other run(s) there)" if records and not wanted else "")
            + "".join(f"; run {r.run_id} cannot be judged: {r.invalid}" for r in wanted[:3])
        )
    return [r.result() for r in chosen], sha[:7]


def _runs(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def diff(request: DiffRequest, out: TextIO) -> int:
    notes: list[str] = []
    base, base_name = _side(request.base, request, notes)
    head, head_name = _side(request.head, request, notes)
    scenarios = {r.scenario for r in [*base, *head]}
    if len(scenarios) > 1:
        raise InputError(
            f"the two sides ran different scenarios ({', '.join(sorted(scenarios))}); "
            "pick one with --scenario"
        )
    metrics = list(DEFAULT_METRICS)
    if request.metric:
        metrics = [(request.metric, metric_and_stat(request.metric, request.stat)[1])]
    steps = None if request.step is None else ["" if request.step == "all" else request.step]
    known = {step for r in [*base, *head] for step in r.steps()}
    if request.step not in (None, "all") and request.step not in known:
        raise InputError(
            f"--step: no step {request.step!r} in the compared runs"
            f"{did_you_mean(request.step, known)}; expected one of: "
            + ", ".join(repr(s) for s in sorted(known))
            + ' or "all"'
        )
    rows = compare(base, head, metrics, steps)
    if not rows:
        raise InputError("nothing to compare: no metric has values on both sides")
    testbeds = sorted({r.testbed.key for r in [*base, *head]})
    title = (
        f"{scenarios.pop()} · base {base_name} ({_runs(len(base))}) vs head {head_name} "
        f"({_runs(len(head))}) · testbed {', '.join(testbeds)}"
    )
    out.write(DIFF.render(request.fmt, DiffReport(rows, title, request.alpha, tuple(notes))))
    return ExitCode.OK
