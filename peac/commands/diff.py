"""`peac diff BASE HEAD`: each side a result file or a commit whose recorded runs to use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.problems import PeacError
from peac.results import RunResult


@dataclass(frozen=True)
class DiffRequest:
    base: str
    head: str
    scenario: str | None
    testbed: str | None
    step: str | None
    metric: str | None
    stat: str | None
    fmt: str
    store: str
    alpha: float


def _side(spec: str, request: DiffRequest) -> tuple[list[RunResult], str]:
    from peac.history.gitrepo import Repository
    from peac.history.store import open_store
    from peac.results import read

    path = Path(spec)
    if path.is_file() or spec.endswith(".json"):
        return [read(path)], path.name
    repo = Repository(Path.cwd())
    sha = repo.commit(spec)
    bad: list[str] = []
    records = open_store(request.store, Path.cwd()).runs([sha], bad).get(sha, [])
    chosen = [
        r
        for r in records
        if (request.scenario is None or r.scenario == request.scenario)
        and (request.testbed is None or r.testbed == request.testbed)
        and not r.invalid
    ]
    if not chosen:
        raise PeacError(
            f"{spec} ({sha[:7]}): no recorded runs"
            + (f" of scenario {request.scenario!r}" if request.scenario else "")
            + (f" on testbed {request.testbed!r}" if request.testbed else "")
            + (f" ({len(records)} other run(s) there)" if records else "")
        )
    return [r.result() for r in chosen], sha[:7]


def diff(request: DiffRequest, out: TextIO) -> int:
    from peac.diff import DEFAULT_METRICS, compare
    from peac.history.records import testbed_key
    from peac.report.diff_formats import diff_markdown, diff_text
    from peac.spec.metrics import METRICS

    base, base_name = _side(request.base, request)
    head, head_name = _side(request.head, request)
    scenarios = {r.scenario for r in [*base, *head]}
    if len(scenarios) > 1:
        raise PeacError(
            f"the two sides ran different scenarios ({', '.join(sorted(scenarios))}); "
            "pick one with --scenario"
        )
    metrics = list(DEFAULT_METRICS)
    if request.metric:
        metric = METRICS.get(request.metric)
        if metric is None:
            raise PeacError(
                f"--metric: expected one of {', '.join(METRICS)}, got {request.metric!r}"
            )
        stat = request.stat or metric.default_stat or "p95"
        metrics = [(request.metric, stat)]
    steps = None if request.step is None else ["" if request.step == "all" else request.step]
    rows = compare(base, head, metrics, steps)
    if not rows:
        raise PeacError("nothing to compare: no metric has values on both sides")
    testbeds = sorted({testbed_key(r.testbed) for r in [*base, *head]})
    title = (
        f"{scenarios.pop()} · base {base_name} ({len(base)} run{'s' if len(base) != 1 else ''}) "
        f"vs head {head_name} ({len(head)} run{'s' if len(head) != 1 else ''}) · "
        f"testbed {', '.join(testbeds)}"
    )
    render = diff_markdown if request.fmt == "markdown" else diff_text
    out.write(render(rows, title, request.alpha))
    return 0
