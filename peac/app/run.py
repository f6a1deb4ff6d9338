"""`peac run`: compile a scenario, run it against its target, write the RunResult."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from peac.app.budgets import select_scenario
from peac.app.rules import ci_settings, confine, load_rules
from peac.core.limits import check_limits
from peac.core.measures import invalid_reason, measure
from peac.errors import ExitCode, InputError
from peac.history.git import Repository, work_tree_state
from peac.load import workers
from peac.load.abort import watched
from peac.load.executors import Overrides
from peac.load.machine import fingerprint
from peac.load.overrides import override_load, override_target
from peac.load.schedule import Shard
from peac.model.objectives import Tier
from peac.model.results import RunResult
from peac.model.urls import host_of, is_loopback
from peac.report import escape
from peac.report.limit_lines import limit_lines
from peac.report.progress import LiveProgress, PlainProgress
from peac.report.registry import RUN, RunReport
from peac.results.format import check_writable, write_or_keep
from peac.spec.paths import find_root
from peac.spec.plan import BudgetPlan


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    root: Path  # where the run starts; file references stay inside its git work tree
    scenario: str  # path, optionally with #name
    out: Path
    budget: Path | None = None
    changes: Overrides = field(default_factory=Overrides)
    workers: int = 1
    shard: Shard = field(default_factory=Shard)
    start_at: float | None = None
    testbed: str | None = None
    seed: int | None = None
    target: str | None = None
    progress: str = "off"  # live (a terminal), plain (lines every progress_interval) or off
    progress_interval: float = 10.0
    server_pid: int | None = None
    transport: str = "lean"
    environ: Mapping[str, str] | None = None  # where secrets come from [default: os.environ]
    base: str | None = None  # the base branch whose peac.yaml sets the rules (None: local)


def _display(kind: str, err: TextIO, interval: float = 10.0) -> LiveProgress | PlainProgress | None:
    if kind == "live":
        return LiveProgress(err)
    if kind == "plain":
        return PlainProgress(err, interval)
    return None


def run(request: RunRequest, out: TextIO, err: TextIO) -> int:
    root = find_root(request.root)
    scenario, budget = select_scenario(request.scenario, request.budget, root)
    check_writable(request.out)
    base = None
    if request.base is not None:  # a branch name: main may be only origin/main in a CI clone
        base, fetched = Repository(root).fetch_branch(request.base)
        if fetched:
            err.write(escape.terminal(fetched) + "\n")
    repo_rules = load_rules(request.root, base)
    err.write(escape.terminal(f"rules: {repo_rules.origin}") + "\n")
    plan = override_target(confine(scenario, repo_rules, request.target), request.target)
    rules, unwatchable = watched(budget.objectives) if budget else ([], [])
    for objective in unwatchable:
        err.write(
            f'note: abort_on_fail of "{objective.name}" is not checked during the run '
            "(only latency, service_time, error_rate and check_pass_rate are)\n"
        )
    work = workers.RunRequest(
        plan=plan,
        load=override_load(plan.scenario.spec.load, request.changes),
        shard=request.shard,
        workers=request.workers,
        start_at=request.start_at,
        seed=request.seed,
        # The same label as `peac ci` (ci.testbed), so runs made by hand and by the pipeline
        # are one history, not two that never meet.
        testbed=fingerprint(request.testbed or ci_settings(root, base).testbed),
        git=work_tree_state(Path(plan.source.path).resolve().parent),
        abort_rules=tuple(rules),
        server_pid=request.server_pid,
        transport_kind=request.transport,
        environ=None if request.environ is None else dict(request.environ),
    )
    display = _display(request.progress, err, request.progress_interval)
    started = time.monotonic()
    try:
        result = workers.run(work, display)
    finally:
        if display is not None:
            display.close()
    kept = write_or_keep(result, request.out)
    base_url = plan.scenario.spec.target.base_url
    local = is_loopback(host_of(base_url) or "")
    out.write(RUN.render("text", RunReport(result, local, request.workers)))
    if kept is not None:
        raise InputError(
            f"--out {request.out}: cannot be written; the result was kept in {kept} instead"
        )
    out.write(f"result written to {request.out} ({time.monotonic() - started:.1f}s)\n")
    failed = _nothing_answered(result, base_url, err)
    if budget is not None:
        failed = _judge_limits(result, budget, root, out) or failed
    if result.stop_reason.startswith("aborted") or failed:
        return ExitCode.FAILED
    if result.partial and result.stop_reason.startswith("interrupted"):
        return ExitCode.INTERRUPTED
    if result.partial and result.stop_reason.startswith("terminated"):
        return ExitCode.TERMINATED
    return ExitCode.OK


def _nothing_answered(result: RunResult, base_url: str, err: TextIO) -> bool:
    """Whether no request got a response (or none was made): such a run measures nothing, so
    it fails even without a budget, with the likely cause."""
    requests, failed = result.counters.requests, result.counters.failed_requests
    if requests and failed < requests:
        return False
    failures = result.counters.failures
    if not requests:
        reason = "the run made no requests"
    elif failures.get("tls", 0) >= requests / 2:
        first = result.counters.first_errors.get("tls", "the TLS handshake failed")
        reason = f"no request to {base_url} got past TLS: {first}"
    elif failures.get("refused", 0) >= requests / 2:
        reason = f"nothing answered at {base_url}: is the service running?"
    else:
        kinds = ", ".join(f"{k} {v}" for k, v in failures.items() if v)
        reason = f"every request to {base_url} failed ({kinds})"
    err.write(escape.terminal(f"error: {reason}") + "\n")
    return True


def _judge_limits(result: RunResult, budget: BudgetPlan, root: Path, out: TextIO) -> bool:
    """The run against the budget's absolute limits, printed; True when a fail limit broke
    or the run cannot be judged and ``invalid_run`` says that fails."""
    values = {}
    for objective in budget.objectives:
        value = measure(result, objective.metric, objective.stat, objective.step)
        if value is not None:
            values[objective.series_key] = value
    checks = check_limits(budget.rules, values)
    invalid = invalid_reason(result)
    path = Path(budget.source.path)
    try:
        shown = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    out.write(limit_lines(budget.name, shown, checks, invalid))
    failed = any(c.outcome is Tier.FAIL for c in checks)
    return failed or bool(invalid and budget.rules.invalid_run is Tier.FAIL)
