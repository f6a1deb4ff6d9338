"""``peac generate ... --check``: run a generated scenario for a few seconds against a loopback
mock server and compare what it sent with the recorded traffic it was generated from.

The run is bounded (``CHECK_SECONDS`` of arrivals, at most ``MAX_REQUESTS`` requests) and never
leaves the machine: the plan's target is replaced by the mock's loopback URL. Think times are
compressed by a factor so that whole iterations fit in the run (an iteration cut off would bias
the endpoint mix towards first steps); measured gaps are scaled back by the same factor.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from peac import extras
from peac.app.budgets import select_scenario
from peac.core.traffic.analysis import mix_of
from peac.core.traffic.fidelity import Comparison, Mix, compare
from peac.core.traffic.known import KnownValues, Refused
from peac.errors import InputError
from peac.load import workers
from peac.load.machine import fingerprint
from peac.load.schedule import Shard
from peac.mock.server import ITERATION_HEADER, recording
from peac.spec.plan import ScenarioPlan
from peac.spec.scenario import ConstantArrivalRate, ThinkTime

CHECK_SECONDS = 8.0
MAX_REQUESTS = 6000
MAX_RATE = 400.0  # iterations per second
ITERATION_THINK = 0.5  # seconds of think one iteration may take in the check, at most


@dataclass(frozen=True)
class CheckOutcome:
    comparison: Comparison
    compression: float  # think times were divided by this in the run
    seconds: float
    status: int  # what the mock answered


def _mean(think: ThinkTime | None) -> float:
    if think is None:
        return 0.0
    if think.constant is not None:
        return think.constant
    if think.uniform is not None:
        return sum(think.uniform) / 2
    return think.exponential or 0.0


def _scaled(think: ThinkTime | None, factor: float) -> ThinkTime | None:
    if think is None or factor == 1.0:
        return think
    # model_copy: the values are canonical seconds already (the validators parse "1s" text).
    if think.constant is not None:
        return think.model_copy(update={"constant": think.constant / factor})
    if think.uniform is not None:
        return think.model_copy(update={"uniform": [v / factor for v in think.uniform]})
    return think.model_copy(update={"exponential": (think.exponential or 0.0) / factor})


def check_plan(plan: ScenarioPlan, base_url: str, seconds: float) -> tuple[ScenarioPlan, float]:
    """The plan as the check runs it: to the mock, bounded, think compressed; and the factor."""
    spec = plan.scenario.spec
    worst = max(sum(_mean(s.think) for s in f.steps) for f in spec.flows)
    factor = max(1.0, worst / ITERATION_THINK)
    weights = sum(f.weight for f in spec.flows)
    per_iteration = sum(f.weight * len(f.steps) for f in spec.flows) / weights
    rate = min(MAX_RATE, MAX_REQUESTS / (seconds * per_iteration))
    flows = [
        f.model_copy(
            update={
                "steps": [s.model_copy(update={"think": _scaled(s.think, factor)}) for s in f.steps]
            }
        )
        for f in spec.flows
    ]
    load = ConstantArrivalRate.model_construct(  # canonical values, as a compiled plan has them
        executor="constant-arrival-rate",
        rate=rate,
        duration=seconds,
        max_vus=min(10_000, math.ceil(rate * (ITERATION_THINK + 1.0) * 3) + 20),
        graceful_stop=5.0,
        max_wait=0.0,
    )
    headers = {**spec.defaults.headers, ITERATION_HEADER: "{{ vu }}-{{ iteration }}"}
    new_spec = spec.model_copy(
        update={
            "load": load,
            "flows": flows,
            "monitor": [],
            "target": spec.target.model_copy(update={"base_url": base_url}),
            "defaults": spec.defaults.model_copy(update={"headers": headers}),
        }
    )
    scenario = plan.scenario.model_copy(update={"spec": new_spec})
    return dataclasses.replace(
        plan, scenario=scenario, allowed_hosts=frozenset({"127.0.0.1"})
    ), factor


def check_scenario(
    scenario: Path,
    root: Path,
    log: Mix,
    *,
    seconds: float = CHECK_SECONDS,
    seed: int = 1,
    status: int = 200,
    environ: dict[str, str] | None = None,
    known: KnownValues | None = None,
) -> CheckOutcome:
    """Run ``scenario`` against a recording mock and compare what it sent with ``log``.

    ``environ`` is what the scenario's secrets are read from (None: the process's): a check
    sends nothing real, so generated scenarios get made-up values rather than the user's.
    ``known`` (from a log) makes the mock refuse values the log never held, as the real service
    might; without it (a HAR, an OpenAPI document) the mock accepts any value and the report
    says that it could not tell."""
    missing = extras.missing("run")
    if missing:
        raise InputError(f"--check {missing.removeprefix('peac run ')}")
    plan, _ = select_scenario(str(scenario), None, root)
    refuse = known.refusal if known is not None else None
    with recording(status, refuse=refuse) as (app, url):
        checked, factor = check_plan(plan, url, seconds)
        work = workers.RunRequest(
            plan=checked,
            load=checked.scenario.spec.load,
            shard=Shard(),
            workers=1,
            start_at=None,
            seed=seed,
            testbed=fingerprint(None),
            git=None,
            environ=environ,
        )
        workers.run(work)
        records = list(app.records)
    # A gap is from one answer to the next request of the same iteration: the think time and
    # the client's own turn-around, not the mock's time to answer (scaled up by the factor, a
    # busy machine's millisecond at the mock would be a second of think).
    by_iteration: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        if record.iteration:
            by_iteration[record.iteration].append((record.time, record.answered))
    gaps = [
        max(0.0, b[0] - a[1]) * factor
        for pairs in by_iteration.values()
        for a, b in itertools.pairwise(sorted(pairs))
    ]
    sent = [(r.method, r.target, r.status) for r in records]
    refused = Refused()
    for record in records:
        if record.refusal is not None:
            refused.add(record.refusal)
    comparison = dataclasses.replace(
        compare(log, mix_of(sent, gaps)),
        values_checked=known is not None,
        refused=refused.count,
        unverified=refused.unverified,
        refusals=refused.reasons.most_common(),
        open_names=known.open_names()[:20] if known is not None else [],
    )
    return CheckOutcome(comparison, factor, seconds, status)
