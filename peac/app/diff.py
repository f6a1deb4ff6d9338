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


def _one_testbed(
    base: list[RunResult], head: list[RunResult], request: DiffRequest, notes: list[str]
) -> tuple[list[RunResult], list[RunResult]]:
    """Runs of one testbed on both sides: another machine's numbers are not a change. The
    testbed both sides share is used (the most runs when several are shared); none shared is
    an error that names them."""
    if request.testbed is not None:
        return base, head
    mine = {r.testbed.key for r in base}, {r.testbed.key for r in head}
    if len(mine[0] | mine[1]) == 1:
        return base, head
    shared = mine[0] & mine[1]
    if not shared:
        raise InputError(
            f"the sides ran on different testbeds (base: {', '.join(sorted(mine[0]))}; head: "
            f"{', '.join(sorted(mine[1]))}); numbers from other machines are no change: give "
            "--testbed, or make both runs on one"
        )
    every = [*base, *head]
    chosen = max(sorted(shared), key=lambda t: sum(r.testbed.key == t for r in every))
    left = sum(r.testbed.key != chosen for r in every)
    notes.append(
        f"compared on testbed {chosen} (the one both sides have); {left} other run(s) left out"
    )
    return (
        [r for r in base if r.testbed.key == chosen],
        [r for r in head if r.testbed.key == chosen],
    )


def _runs(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def diff(request: DiffRequest, out: TextIO) -> int:
    notes: list[str] = []
    base, base_name = _side(request.base, request, notes)
    head, head_name = _side(request.head, request, notes)
    base, head = _one_testbed(base, head, request, notes)
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
