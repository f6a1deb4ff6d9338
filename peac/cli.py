"""The ``peac`` command line: options in, one function call, an exit code out.

Heavy modules (pydantic models, numpy, statsmodels, httpx) are imported inside each command so
that ``peac validate`` in a pre-commit hook starts fast, and so that it runs in the light core
install: a command whose extra is not installed says which one in one line (``peac.extras``).
``main`` is the one error boundary: 0 pass, 1 gate failed, 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

import click

from peac import __version__, extras
from peac.errors import ExitCode, PeacError, crash_site

P = ParamSpec("P")


def needs(command: str) -> Callable[[Callable[P, int]], Callable[P, int]]:
    """Stop ``peac COMMAND`` with one line when the extra it needs is not installed."""

    def wrap(function: Callable[P, int]) -> Callable[P, int]:
        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> int:
            message = extras.missing(command)
            if message:
                click.echo(message, err=True)
                return ExitCode.BAD_INPUT
            return function(*args, **kwargs)

        return checked

    return wrap


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="peac")
def cli() -> None:
    """Performance as code: budgets and load scenarios in git, checked, run and gated in CI."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root that file references must stay inside [default: the git work tree].",
)
def validate(paths: tuple[Path, ...], fmt: str, root: Path | None) -> int:
    """Check budget and scenario files (default: budgets/).

    A named file is checked with the files it belongs with: a scenario with the budgets that
    refer to it, a budget with its scenario, a data file (CSV, JSON) with the scenarios that
    read it and their budgets; they are looked for in the file's top-level folder. Every
    problem in every file is printed as path:line:col: message. Exit code 0 when all files are
    valid, 2 when any is not.
    """
    from peac.app.validate import ValidateRequest
    from peac.app.validate import validate as run

    return run(ValidateRequest(paths=paths or (Path("budgets"),), root=root, fmt=fmt), sys.stdout)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write peac.schema.json, budget.schema.json and scenario.schema.json here.",
)
@click.option(
    "--kind",
    type=click.Choice(["all", "Budget", "Scenario", "Config", "Waiver"]),
    default="all",
    show_default=True,
    help="Which schema to print when --out is not given.",
)
def schema(out: Path | None, kind: str) -> int:
    """Print or write the JSON Schema of peac files, for editors and other validators.

    Add `# yaml-language-server: $schema=<url or path of peac.schema.json>` at the top of a
    file to get completion and checks while typing.
    """
    from peac.app.schema import SchemaRequest
    from peac.app.schema import schema as run

    return run(SchemaRequest(out=out, kind=kind), sys.stdout)


class _Unit(click.ParamType[float]):
    """A click option in peac's units (``30s``, ``100/s``)."""

    def __init__(self, name: str, parse_name: str) -> None:
        self.name = name
        self.parse_name = parse_name

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        from peac.model import units

        try:
            return float(getattr(units, self.parse_name)(value))
        except units.UnitError as exc:
            self.fail(f"{exc}, got {value!r}", param, ctx)


class _ShardType(click.ParamType[object]):
    name = "K/N"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> object:
        from peac.load.schedule import Shard

        if isinstance(value, Shard):
            return value
        try:
            k, n = (int(x) for x in str(value).split("/"))
        except ValueError:
            self.fail(f"expected K/N like 1/4, got {value!r}", param, ctx)
        if not 1 <= k <= n:
            self.fail(f"expected 1 <= K <= N, got {value!r}", param, ctx)
        return Shard(k - 1, n)


def _start_at(value: str | None) -> float | None:
    if value is None:
        return None
    from datetime import datetime

    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise click.BadParameter(f"expected an ISO time or epoch seconds, got {value!r}") from None


def _default_workers() -> int:
    """One core is left free: on a small machine the service under test (or the CI runner's
    own work) needs it, and a generator that takes every core saturates the run it measures."""
    return max(1, (os.cpu_count() or 1) - 1)


@cli.command()
@click.argument("scenario")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="results/run.json",
    show_default=True,
    help="Where to write the RunResult.",
)
@click.option(
    "--budget",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Budget file whose scenario to run (SCENARIO may then be the budget itself).",
)
@click.option(
    "--duration", type=_Unit("duration", "parse_duration"), help="Override the duration, e.g. 30s."
)
@click.option(
    "--rate", type=_Unit("rate", "parse_rate"), help="Override a constant arrival rate, e.g. 100/s."
)
@click.option("--vus", type=click.IntRange(1), help="Override the number of VUs.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=_default_workers,
    help="Worker processes, each with its own event loop [default: one less than the "
    "number of cores, at least 1].",
)
@click.option("--shard", type=_ShardType(), help="Run only part K of N of the load (K from 1).")
@click.option("--start-at", help="Start at this time (ISO 8601 or epoch seconds), to align shards.")
@click.option("--testbed", help="Label of the machine or environment, stored with the result.")
@click.option("--seed", type=int, help="Seed for flow choice, think times and random values.")
@click.option("--target", help="Base URL to use instead of the scenario's (host must be allowed).")
@click.option("--server-pid", type=int, help="Sample this local server process's CPU and memory.")
@click.option(
    "--transport",
    type=click.Choice(["lean", "httpx"]),
    default="lean",
    show_default=True,
    help="HTTP/1.1 transport: peac's lean one (fast) or httpx's own (always used for HTTPS, HEAD).",
)
@click.option(
    "--base",
    help="Base branch of the change under test: its peac.yaml sets the hosts and secrets "
    "allowed [default: the working tree's peac.yaml, if any].",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "live", "plain", "off"]),
    default="auto",
    show_default=True,
    help="Progress while the run runs: a live line (a terminal), a plain line every "
    "--progress-interval (logs), or off; auto is live on a terminal outside CI, else plain.",
)
@click.option(
    "--progress-interval",
    type=_Unit("duration", "parse_duration"),
    default="10s",
    show_default=True,
    help="How often plain progress lines are written.",
)
@needs("run")
def run(
    scenario: str,
    out: Path,
    budget: Path | None,
    duration: float | None,
    rate: float | None,
    vus: int | None,
    workers: int,
    shard: object,
    start_at: str | None,
    testbed: str | None,
    seed: int | None,
    target: str | None,
    server_pid: int | None,
    transport: str,
    base: str | None,
    progress: str,
    progress_interval: float,
) -> int:
    """Run SCENARIO (a file, or FILE#name) against its target and write a RunResult.

    Prints a summary per step at the end, and says plainly when the load generator rather than
    the server limited the numbers. SIGINT/SIGTERM stop new requests, let in-flight ones finish
    (graceful_stop) and write a partial result (exit 130/143).
    """
    from peac.app.run import RunRequest
    from peac.app.run import run as execute
    from peac.load.executors import Overrides
    from peac.load.schedule import Shard

    if progress == "auto":
        progress = "live" if sys.stderr.isatty() and not os.environ.get("CI") else "plain"
    request = RunRequest(
        root=Path.cwd(),
        scenario=scenario,
        out=out,
        budget=budget,
        changes=Overrides(duration=duration, rate=rate, vus=vus),
        workers=workers,
        shard=shard if isinstance(shard, Shard) else Shard(),
        start_at=_start_at(start_at),
        testbed=testbed,
        seed=seed,
        target=target,
        progress=progress,
        progress_interval=progress_interval,
        server_pid=server_pid,
        transport=transport,
        base=base,
    )
    return execute(request, sys.stdout, sys.stderr)


@cli.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the merged RunResult.",
)
@needs("merge")
def merge(shards: tuple[Path, ...], out: Path) -> int:
    """Merge shard results of one scenario: counts and histograms add exactly."""
    from peac.app.merge import MergeRequest
    from peac.app.merge import merge as run

    return run(MergeRequest(shards=shards, out=out), sys.stdout)


_APPROVED_BY = click.option(
    "--approved-by",
    multiple=True,
    help="An approver of the pull request (repeatable; each must be in budget_changes.approvers "
    "of peac.yaml on the base branch): approves loosened budgets and new waivers.",
)
_LABEL = click.option(
    "--label",
    "labels",
    multiple=True,
    help="A label of the pull request (repeatable); one in budget_changes.approval_labels "
    "approves loosened budgets and new waivers, others are ignored.",
)
_STORE = click.option(
    "--store",
    default="git",
    show_default=True,
    help='Where results live: "git" (notes refs/notes/peac), "git:REF" or "dir:PATH".',
)


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commit", help="Commit the results measured [default: the one in the result].")
@click.option(
    "--force",
    is_flag=True,
    help="Record runs that cannot be judged (partial, saturated, every request failed) too; "
    "baselines leave them out all the same.",
)
@_STORE
@needs("record")
def record(results: tuple[Path, ...], commit: str | None, force: bool, store: str) -> int:
    """Attach RESULTS to the commit they measured, in the repository's history.

    Several runs per commit coexist (keyed by scenario, testbed and run id); recording the same
    result twice changes nothing. Share them with `peac history push`. A run that cannot be
    judged (interrupted, load generator saturated, every request failed) is refused (exit 2)
    unless --force; undo a recording with `peac history rm`.
    """
    from peac.app.record import RecordRequest
    from peac.app.record import record as run

    request = RecordRequest(
        root=Path.cwd(), results=results, commit=commit, store=store, force=force
    )
    return run(request, sys.stdout, sys.stderr)


@cli.group()
def history() -> None:
    """Results recorded on commits: show or export a series, push, fetch and remove them."""


@history.command("show")
@click.option("--scenario", help="Scenario name [default: the only one recorded].")
@click.option("--step", help="Step name [default: the whole run].")
@click.option(
    "--metric",
    default="latency",
    show_default=True,
    help="Metric of the series (see the file format).",
)
@click.option("--stat", help="Statistic [default: p95 for durations, rate otherwise].")
@click.option("--branch", default="main", show_default=True, help="Branch whose history to read.")
@click.option("--last", type=click.IntRange(1), default=30, show_default=True, help="Commits.")
@click.option("--testbed", help="Testbed to show [default: that of the newest run].")
@click.option("--any-testbed", is_flag=True, help="Compare runs from every testbed.")
@click.option("--diagnostics", is_flag=True, help="Backtest the forecast: MAPE, RMSE, alarms.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
@_STORE
@needs("history")
def history_show(
    scenario: str | None,
    step: str | None,
    metric: str,
    stat: str | None,
    branch: str,
    last: int,
    testbed: str | None,
    any_testbed: bool,
    diagnostics: bool,
    fmt: str,
    store: str,
) -> int:
    """Print one series along the first-parent history of a branch: short sha, date, subject,
    value and number of runs, then the baseline the next commit will be judged against."""
    from peac.app.history import ShowRequest, show

    request = ShowRequest(
        root=Path.cwd(),
        scenario=scenario,
        step=step,
        metric=metric,
        stat=stat,
        branch=branch,
        last=last,
        testbed=testbed,
        any_testbed=any_testbed,
        diagnostics=diagnostics,
        fmt=fmt,
        store=store,
    )
    return show(request, sys.stdout)


@history.command("export")
@click.option("--scenario", help="Scenario name [default: the only one recorded].")
@click.option("--step", help="Step name [default: the whole run].")
@click.option("--metric", default="latency", show_default=True, help="Metric of the series.")
@click.option("--stat", help="Statistic [default: p95 for durations, rate otherwise].")
@click.option("--branch", default="main", show_default=True, help="Branch whose history to read.")
@click.option("--last", type=click.IntRange(1), default=30, show_default=True, help="Commits.")
@click.option("--testbed", help="Testbed whose runs are used [default: that of the newest run].")
@click.option("--any-testbed", is_flag=True, help="Use runs from every testbed.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="csv for spreadsheets (cells that look like formulas are quoted), json for tools.",
)
@_STORE
@needs("history")
def history_export(
    scenario: str | None,
    step: str | None,
    metric: str,
    stat: str | None,
    branch: str,
    last: int,
    testbed: str | None,
    any_testbed: bool,
    fmt: str,
    store: str,
) -> int:
    """Write one series as a table, one row per recorded run: commit, date, subject, run id,
    testbed, value, and whether the series used the run (and why not). Selects the series like
    `peac history show`."""
    from peac.app.history import ExportRequest, export

    request = ExportRequest(
        root=Path.cwd(),
        scenario=scenario,
        step=step,
        metric=metric,
        stat=stat,
        branch=branch,
        last=last,
        testbed=testbed,
        any_testbed=any_testbed,
        fmt=fmt,
        store=store,
    )
    return export(request, sys.stdout)


@history.command("push")
@click.option("--remote", default="origin", show_default=True, help="Git remote to sync with.")
@_STORE
@needs("history")
def history_push(remote: str, store: str) -> int:
    """Push recorded results, merging other writers' results first (nothing is overwritten);
    retried while concurrent pipelines race."""
    from peac.app.history import SyncRequest, sync

    return sync(
        SyncRequest(root=Path.cwd(), direction="push", remote=remote, store=store), sys.stdout
    )


@history.command("fetch")
@click.option("--remote", default="origin", show_default=True, help="Git remote to sync with.")
@_STORE
@needs("history")
def history_fetch(remote: str, store: str) -> int:
    """Fetch recorded results and merge them with the local ones (a union)."""
    from peac.app.history import SyncRequest, sync

    request = SyncRequest(root=Path.cwd(), direction="fetch", remote=remote, store=store)
    return sync(request, sys.stdout)


@history.command("rm")
@click.argument("commit")
@click.option(
    "--run",
    "run_id",
    help="Remove only this run (its id, or a prefix as history show lists) "
    "[default: every run of COMMIT].",
)
@click.option(
    "--push", is_flag=True, help="Fetch the remote's results first, then push the removal."
)
@click.option("--remote", default="origin", show_default=True, help="Remote for --push.")
@_STORE
@needs("history")
def history_rm(commit: str, run_id: str | None, push: bool, remote: str, store: str) -> int:
    """Remove the results recorded on COMMIT (all of them, or one run) from the store.

    A removed run stays removed when notes are merged with another clone's copy (a tombstone
    line keeps it out); with --push the remote loses it too.
    """
    from peac.app.history import RemoveRequest, remove

    request = RemoveRequest(
        root=Path.cwd(), commit=commit, run=run_id, push=push, remote=remote, store=store
    )
    return remove(request, sys.stdout)


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--budget",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Budget file to judge the results by.",
)
@click.option("--base", default="main", show_default=True, help="Base branch of the change.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="github: annotations at the budget lines, Markdown appended to $GITHUB_STEP_SUMMARY.",
)
@click.option("--commit", help="Commit the results measured [default: the one in the results].")
@click.option("--testbed", help="Compare with runs of this testbed [default: the results' own].")
@click.option("--any-testbed", is_flag=True, help="Compare with runs from every testbed.")
@click.option(
    "--remote",
    help="Remote to fetch missing results and base history from [default: origin].",
)
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the Markdown pull-request comment here.",
)
@click.option(
    "--junit-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the verdict as JUnit XML here (one test case per objective).",
)
@_APPROVED_BY
@_LABEL
@_STORE
@needs("gate")
def gate(
    results: tuple[Path, ...],
    budget: Path,
    base: str,
    fmt: str,
    commit: str | None,
    testbed: str | None,
    any_testbed: bool,
    remote: str | None,
    markdown_out: Path | None,
    junit_out: Path | None,
    approved_by: tuple[str, ...],
    labels: tuple[str, ...],
    store: str,
) -> int:
    """Judge RESULTS of the head commit against a budget and the base branch's history.

    Every objective: absolute limits, and regression against a forecast of the base branch
    (significant after correction and larger than the minimum effect). The budget is compared
    with the merge-base's: a loosening beyond budget_changes in peac.yaml on the base branch,
    a removed objective or a waiver added by the pull request fails the gate until approved
    (--approved-by, --label) or covered by a waiver on the base branch; waived objectives show
    as waived. Exit 0 pass (warnings allowed), 1 fail, 2 bad input, 3 internal error.
    """
    from peac.app.gate import GateRequest
    from peac.app.gate import gate as run

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    request = GateRequest(
        root=Path.cwd(),
        budget=budget,
        results=results,
        base=base,
        fmt=fmt,
        store=store,
        commit=commit,
        testbed=testbed,
        any_testbed=any_testbed,
        remote=remote,
        markdown_out=markdown_out,
        junit_out=junit_out,
        step_summary=Path(summary) if summary else None,
        approved_by=approved_by,
        labels=labels,
    )
    return run(request, sys.stdout, sys.stderr)


@cli.command()
@click.argument("base")
@click.argument("head")
@click.option("--scenario", help="Scenario of the recorded runs to compare.")
@click.option("--testbed", help="Only runs of this testbed.")
@click.option("--step", help='One step (or "all" for the whole run) [default: all and each step].')
@click.option("--metric", help="One metric [default: latency p50/p95/p99, error_rate, throughput].")
@click.option("--stat", help="Statistic of --metric.")
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.05,
    show_default=True,
    help="Significance level: a change with a larger p-value is shown as ~ (no change).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a pull-request comment.",
)
@_STORE
@needs("diff")
def diff(
    base: str,
    head: str,
    scenario: str | None,
    testbed: str | None,
    step: str | None,
    metric: str | None,
    stat: str | None,
    alpha: float,
    fmt: str,
    store: str,
) -> int:
    """Compare BASE and HEAD, benchstat-style: each a result file or a commit with recorded
    runs. Per step and metric: base, head, delta, p-value and n; ~ when not significant."""
    from peac.app.diff import DiffRequest
    from peac.app.diff import diff as run

    request = DiffRequest(
        root=Path.cwd(),
        base=base,
        head=head,
        scenario=scenario,
        testbed=testbed,
        step=step,
        metric=metric,
        stat=stat,
        fmt=fmt,
        store=store,
        alpha=alpha,
    )
    return run(request, sys.stdout)


class _Rate(click.ParamType[float]):
    """A false-alarm rate: ``1%`` or ``0.01``."""

    name = "rate"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        from peac.model import units

        try:
            return units.parse_fraction(value if str(value).endswith("%") else float(str(value)))
        except (units.UnitError, ValueError):
            self.fail(f'expected a rate like "1%" or 0.01, got {value!r}', param, ctx)


@cli.command()
@click.argument("budget", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--write",
    is_flag=True,
    help="Rewrite the budget's max/min limits in place (only those lines change, each with a "
    "comment naming the history it came from).",
)
@click.option(
    "--false-alarm-rate",
    type=_Rate(),
    default="1%",
    show_default=True,
    help="Share of commits of an unchanged service the fail limit may cross (warn: 5x it).",
)
@click.option(
    "--window",
    type=click.IntRange(5, 1000),
    default=30,
    show_default=True,
    help="Commits of the backtest: how often each limit would have fired over them.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, markdown for a pull-request comment.",
)
@click.option("--base", default="main", show_default=True, help="Branch whose history to read.")
@click.option("--testbed", help="Runs of this testbed [default: that of the newest run].")
@_STORE
@needs("recommend")
def recommend(
    budget: Path,
    write: bool,
    false_alarm_rate: float,
    window: int,
    fmt: str,
    base: str,
    testbed: str | None,
    store: str,
) -> int:
    """Propose warn and fail limits for BUDGET's objectives from the recorded history.

    For every objective with a max or min limit: its current limits, the proposed ones (from
    the calibrated forecast of the current level, rounded outward to two digits) and a backtest
    of both; steps with results but no objective are listed. max_regression limits are out of
    scope. See docs/budgets-from-history.md.
    """
    from peac.app.recommend import RecommendRequest
    from peac.app.recommend import recommend as run

    request = RecommendRequest(
        root=Path.cwd(),
        budget=budget,
        base=base,
        false_alarm_rate=false_alarm_rate,
        window=window,
        fmt=fmt,
        write=write,
        store=store,
        testbed=testbed,
    )
    return run(request, sys.stdout)


@cli.command("budget-diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a pull-request comment, json for tools.",
)
@needs("budget-diff")
def budget_diff(base: str, head: str | None, fmt: str) -> int:
    """List what changed in the budgets from BASE to HEAD: per file and line, every objective
    tightened, loosened (with the relative change), added or removed, and every change of the
    regression policy, with the loosening the gate will refuse without approval under BASE's
    peac.yaml."""
    from peac.app.budget_diff import BudgetDiffRequest
    from peac.app.budget_diff import budget_diff as run

    return run(BudgetDiffRequest(root=Path.cwd(), base=base, head=head, fmt=fmt), sys.stdout)


@cli.command()
@click.option(
    "--budget",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The budget file of the objective.",
)
@click.option("--objective", required=True, help="The objective's name, as reports show it.")
@click.option("--reason", required=True, help="Why it is not judged for now (one line).")
@click.option(
    "--expires",
    required=True,
    help="How long it applies: days or weeks (14d, 2w) or the last day (2025-07-01); at most "
    "366 days.",
)
@click.option("--by", help="Who waives it [default: git config user.name].")
@click.option(
    "--file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The waivers file to append to [default: waivers.yaml beside the budget].",
)
@needs("waive")
def waive(
    budget: Path, objective: str, reason: str, expires: str, by: str | None, file: Path | None
) -> int:
    """Waive one objective of a budget until a date: append a Waiver (who, why, until, on which
    commit) to waivers.yaml beside the budget, for review like any change.

    The gate shows the objective as waived (not a failure) until it expires; after that,
    `peac validate` fails on it until it is removed or renewed.
    """
    from peac.app.waive import WaiveRequest
    from peac.app.waive import waive as run

    request = WaiveRequest(
        root=Path.cwd(),
        budget=budget,
        objective=objective,
        reason=reason,
        expires=expires,
        by=by,
        file=file,
    )
    return run(request, sys.stdout)


@cli.command()
@click.argument("results", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--html",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the site: new, empty, or written by an earlier peac report (then cleared).",
)
@click.option(
    "--budget",
    "budgets",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Budget file or folder to report (repeatable) [default: ci.budgets of peac.yaml, "
    "budgets/].",
)
@click.option("--base", default="main", show_default=True, help="Branch whose history to read.")
@click.option(
    "--last",
    type=click.IntRange(1, 500),
    default=30,
    show_default=True,
    help="Commits of the branch's history to show (the newest).",
)
@click.option("--testbed", help="Runs of this testbed [default: that of the newest run].")
@click.option(
    "--commit-url",
    default="",
    help="Link commits to their page: an http(s) URL with {sha}, e.g. "
    "'https://github.com/OWNER/REPO/commit/{sha}'.",
)
@click.option(
    "--run-pages",
    type=click.IntRange(0, 50),
    default=5,
    show_default=True,
    help="Newest commits whose latest run gets a page of its own (from the stored full results).",
)
@_STORE
@needs("report")
def report(
    results: tuple[Path, ...],
    out: Path,
    budgets: tuple[Path, ...],
    base: str,
    last: int,
    testbed: str | None,
    commit_url: str,
    run_pages: int,
    store: str,
) -> int:
    """Write a static HTML site of the recorded history that works offline: an index of each
    budget's objectives with their status, a trend page per objective (values, forecast band,
    limits, change points, regressions) and a page per run. See docs/report-site.md."""
    from peac.app.report import ReportRequest
    from peac.app.report import report as run

    request = ReportRequest(
        root=Path.cwd(),
        out=out,
        results=results,
        budgets=budgets,
        base=base,
        last=last,
        testbed=testbed,
        commit_url=commit_url,
        run_pages=run_pages,
        store=store,
    )
    return run(request, sys.stdout)


def _pairs(values: tuple[str, ...], what: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        route, sep, amount = value.partition("=")
        if not sep:
            raise click.BadParameter(f"expected ROUTE={what}, got {value!r}")
        pairs.append((route, amount))
    return tuple(pairs)


@cli.command("demo-server")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind: loopback only, unless --in-container.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port (0 picks a free one; the URL is printed).",
)
@click.option("--latency", multiple=True, help="Add latency to a route, e.g. checkout=200ms.")
@click.option("--errors", multiple=True, help="Answer a share of a route with 500, e.g. search=5%.")
@click.option("--seed", type=int, help="Seed of the simulated latencies and errors.")
@click.option(
    "--in-container",
    is_flag=True,
    help="Allow a non-loopback --host (0.0.0.0 in a pod of a test cluster, behind a network "
    "policy: the fault-injection route is open to whoever reaches the port).",
)
@needs("demo-server")
def demo_server_command(
    host: str,
    port: int,
    latency: tuple[str, ...],
    errors: tuple[str, ...],
    seed: int | None,
    in_container: bool,
) -> int:
    """Serve the demo web shop that budgets/ describes, on a loopback address.

    Routes: GET /api/products, /api/products/ID, /api/search, /api/account; POST /api/login,
    /api/cart/items, /api/checkout; GET /metrics (Prometheus); POST /_admin/faults to inject
    latency, errors or a stall at run time.
    """
    from peac.app.demo_server import DemoServerRequest, demo_server

    request = DemoServerRequest(
        host=host,
        port=port,
        latency=_pairs(latency, "DURATION"),
        errors=_pairs(errors, "PERCENT"),
        seed=seed,
        in_container=in_container,
    )
    return demo_server(request, sys.stdout)


@cli.command("ci")
@click.option("--base", help="Base branch to judge against [default: ci.base of peac.yaml, main].")
@click.option(
    "--repetitions",
    type=click.IntRange(1, 20),
    help="Runs of each scenario [default: ci.repetitions of peac.yaml, 1].",
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the reports and results [default: ci.reports of peac.yaml, reports].",
)
@click.option("--testbed", help="Label of this machine [default: ci.testbed, else the host's].")
@click.option(
    "--record",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Record the results on this commit: auto does so on the base branch only.",
)
@click.option(
    "--push/--no-push",
    default=None,
    help="Push recorded results to the remote [default: ci.push of peac.yaml, true].",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=_default_workers,
    help="Worker processes per run [default: one less than the number of cores, at least 1].",
)
@click.option(
    "--duration",
    type=_Unit("duration", "parse_duration"),
    help="Override every scenario's duration, e.g. 10s (to try the stage out).",
)
@click.option("--target", help="Base URL to use instead of the scenarios' (host must be allowed).")
@click.option(
    "--progress",
    type=click.Choice(["auto", "live", "plain", "off"]),
    default="auto",
    show_default=True,
    help="Progress of each run: live on a terminal outside CI, else a plain line every 10 s.",
)
@click.option(
    "--comment",
    type=click.Choice(["auto", "off"]),
    default="auto",
    show_default=True,
    help="On a pull request, create or update peac's one comment (GitHub: GITHUB_TOKEN; "
    "GitLab: PEAC_GITLAB_TOKEN); auto does so when CI gives a token.",
)
@click.option(
    "--ready-timeout",
    type=_Unit("duration", "parse_duration"),
    default="30s",
    show_default=True,
    help="Wait this long for each target to accept connections before the first run (0: no wait).",
)
@_APPROVED_BY
@_LABEL
@needs("demo")
def ci_command(
    base: str | None,
    repetitions: int | None,
    reports: Path | None,
    testbed: str | None,
    record: str,
    push: bool | None,
    workers: int,
    duration: float | None,
    target: str | None,
    progress: str,
    comment: str,
    ready_timeout: float,
    approved_by: tuple[str, ...],
    labels: tuple[str, ...],
) -> int:
    """The pipeline stage in one command: validate, run each budget's scenario, gate against
    the base branch, write the reports (Markdown comment, JUnit XML); on the base branch, record
    the results and push them.

    Settings come from the ci section of peac.yaml; where load may go is decided by the base
    branch's peac.yaml. Exit: the worst gate's (0 pass or warn, 1 fail), 2 bad input.
    """
    from peac.app.ci import CiRequest, ci

    if progress == "auto":
        progress = "live" if sys.stderr.isatty() and not os.environ.get("CI") else "plain"
    request = CiRequest(
        root=Path.cwd(),
        base=base,
        repetitions=repetitions,
        reports=reports,
        testbed=testbed,
        record=record,
        push=push,
        workers=workers,
        progress=progress,
        duration=duration,
        target=target,
        comment=comment,
        ready_timeout=ready_timeout,
        approved_by=approved_by,
        labels=labels,
    )
    return ci(request, sys.stdout, sys.stderr)


_ON_CONFLICT = click.option(
    "--on-conflict",
    type=click.Choice(["stricter", "markers"]),
    default="stricter",
    show_default=True,
    help="When both sides changed the same limit: keep the stricter value (with a comment "
    "recording both), or leave git's conflict markers.",
)


@cli.command("merge-driver")
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path")
@_ON_CONFLICT
def merge_driver_command(base: Path, ours: Path, theirs: Path, path: str, on_conflict: str) -> int:
    """git's merge driver for budget and scenario files (run by git as %O %A %B %P).

    Independent edits merge by meaning (different objectives, keys or steps, even on adjacent
    lines); the same limit changed on both sides keeps the stricter value; anything else, or a
    result that would not be valid, leaves git's usual conflict markers (exit 1).
    """
    from peac.app.merge_driver import DriverRequest, merge_driver

    request = DriverRequest(
        base=base, ours=ours, theirs=theirs, path=path, stricter_wins=on_conflict == "stricter"
    )
    return merge_driver(request, sys.stderr)


@cli.command("install-merge-driver")
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    help="Files to merge with the driver, as .gitattributes patterns (repeatable) "
    "[default: budgets/**/*.yaml and budgets/**/*.yml].",
)
@_ON_CONFLICT
def install_merge_driver(patterns: tuple[str, ...], on_conflict: str) -> int:
    """Register peac's merge driver in this clone (git config) and route budget files to it
    (.gitattributes, to commit). Run it once per clone, like pre-commit install."""
    from peac.app.merge_driver import DEFAULT_PATTERNS, InstallRequest, install

    request = InstallRequest(
        root=Path.cwd(),
        patterns=patterns or DEFAULT_PATTERNS,
        stricter_wins=on_conflict == "stricter",
    )
    return install(request, sys.stdout)


@cli.command()
@click.option(
    "--duration",
    type=_Unit("duration", "parse_duration"),
    default="4s",
    show_default=True,
    help="Load per measured commit.",
)
@click.option(
    "--commits",
    type=click.IntRange(3, 30),
    default=6,
    show_default=True,
    help="Commits measured on main before the pull requests.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Worker processes of each load test (the demo's shop shares the machine).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="results/demo",
    show_default=True,
    help="Folder for the demo repository, the results and the PR comments: new, empty, or "
    "made by an earlier demo (then cleared).",
)
@needs("demo")
def demo(duration: float, commits: int, workers: int, out: Path) -> int:
    """The main job end to end on the bundled shop: measure successive commits of a temporary
    repository (real runs, recorded in git notes), then gate two pull requests against that
    history: a harmless one, and one that switches on a slow checkout in the service."""
    from peac.demo.pipeline import DemoRequest
    from peac.demo.pipeline import demo as run_demo

    request = DemoRequest(out=out, duration=duration, commits=commits, workers=workers)
    return run_demo(request, sys.stdout)


@cli.group()
def generate() -> None:
    """Generate a scenario from recorded traffic: its endpoints, flows, think times and arrival
    profile, each number with a comment saying where it came from (see docs/generate.md).

    Load goes to a test target (http://127.0.0.1:8080 or --target), never to the host the
    traffic was recorded on; personal data in paths and queries is replaced by generated values.
    """


@generate.command("from-log")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["combined", "common", "json"]),
    default="combined",
    show_default=True,
    help="Apache/nginx combined or common log format, or JSON lines.",
)
@click.option(
    "--json-fields",
    default="",
    help="JSON field names where they differ from the usual ones, e.g. time=ts,path=uri "
    "(fields: time, method, path, request, status, client, user_agent, host).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="generated.scenario.yaml",
    show_default=True,
    help="The scenario file to write; data files go to NAME-data/ beside it.",
)
@click.option(
    "--target",
    help="Base URL load goes to [default: http://127.0.0.1:8080]; never a host of the log.",
)
@click.option(
    "--budget",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a starting Budget here (p95 latency and error rate, conservative limits).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Run the scenario briefly against a loopback mock and compare what it sends with the "
    "log (total-variation distance of the endpoint mix must be <= 0.05).",
)
@click.option(
    "--gap",
    type=_Unit("duration", "parse_duration"),
    default="30m",
    show_default=True,
    help="Inactivity that ends a client's session.",
)
@click.option(
    "--top",
    type=click.IntRange(1, 200),
    default=20,
    show_default=True,
    help="Endpoints and flows kept; the rest are counted in the report and the comments.",
)
@click.option(
    "--resolution",
    type=_Unit("duration", "parse_duration"),
    default="1m",
    show_default=True,
    help="Width of the buckets of the arrival profile (one stage each).",
)
@click.option(
    "--scale",
    type=click.FloatRange(0, min_open=True),
    default=1.0,
    show_default=True,
    help="Multiply the log's arrival rates by this.",
)
@click.option("--peak-hour", is_flag=True, help="Replay only the busiest hour of the log.")
@click.option("--include-static", is_flag=True, help="Keep static assets (.css, .js, images...).")
@click.option("--include-bots", is_flag=True, help="Keep requests of bots and crawlers.")
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="The report of what was kept and dropped: text for people, json for tools.",
)
@click.option(
    "--check-duration",
    type=_Unit("duration", "parse_duration"),
    default="8s",
    show_default=True,
    help="How long --check sends arrivals (at most 6,000 requests).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the sampling.")
@needs("generate")
def generate_from_log(
    files: tuple[Path, ...],
    fmt: str,
    json_fields: str,
    out: Path,
    target: str | None,
    budget: Path | None,
    check: bool,
    gap: float,
    top: int,
    resolution: float,
    scale: float,
    peak_hour: bool,
    include_static: bool,
    include_bots: bool,
    report: str,
    check_duration: float,
    seed: int,
) -> int:
    """A scenario from access logs (FILES, plain or .gz, oldest first), read in one pass.

    Paths become endpoints with their ids as parameters fed from the values seen; sessions
    (client address and user agent, split at --gap) become weighted flows; in-session gaps
    become a fitted think time; requests per --resolution become a ramping-arrival-rate
    replay, gaps in the log cut out. Bots and static assets are dropped unless asked for.
    Malformed lines are counted and listed, never fatal.
    """
    from peac.app.generate import FromLogRequest, from_log

    request = FromLogRequest(
        root=Path.cwd(),
        logs=files,
        fmt=fmt,
        json_fields=json_fields,
        out=out,
        target=target,
        budget=budget,
        check=check,
        gap=gap,
        top=top,
        resolution=resolution,
        scale=scale,
        peak_hour=peak_hour,
        include_static=include_static,
        include_bots=include_bots,
        report=report,
        progress=sys.stderr.isatty(),
        check_seconds=check_duration,
        seed=seed,
    )
    return from_log(request, sys.stdout, sys.stderr)


_TARGET_HELP = "Base URL load goes to [default: http://127.0.0.1:8080]; never a recorded host."


@generate.command("from-har")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="generated.scenario.yaml",
    show_default=True,
    help="The scenario file to write.",
)
@click.option("--target", help=_TARGET_HELP)
@click.option(
    "--budget",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a starting Budget here (p95 latency and error rate, conservative limits).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Run the scenario briefly against a loopback mock and compare its endpoint mix with "
    "the recording's (total-variation distance <= 0.05).",
)
@click.option(
    "--keep-third-party",
    is_flag=True,
    help="Keep requests to other sites (analytics, CDNs); they are sent to the target too.",
)
@click.option("--include-static", is_flag=True, help="Keep static assets (.css, .js, images...).")
@click.option(
    "--keep-header",
    "keep_headers",
    multiple=True,
    metavar="NAME",
    help="Copy this non-standard request header too (repeatable); others such as X-Trace or "
    "X-Hub-Access are left out, since they may hold a key.",
)
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="The report of what was kept, dropped and captured: text or json.",
)
@click.option(
    "--check-duration",
    type=_Unit("duration", "parse_duration"),
    default="8s",
    show_default=True,
    help="How long --check sends arrivals.",
)
@needs("generate")
def generate_from_har(
    files: tuple[Path, ...],
    out: Path,
    target: str | None,
    budget: Path | None,
    check: bool,
    keep_third_party: bool,
    include_static: bool,
    keep_headers: tuple[str, ...],
    report: str,
    check_duration: float,
) -> int:
    """A scenario from HAR recordings (FILES, HAR 1.1 or 1.2, from a browser or a proxy).

    One flow per page (or per file without pages) in request order, think times from the gaps
    between pages; Authorization, cookies and other credentials become secrets read from the
    environment; values a response gave that a later request sent back become captures.
    Third-party hosts and static assets are dropped unless asked for.
    """
    from peac.app.generate_har import FromHarRequest, from_har

    request = FromHarRequest(
        root=Path.cwd(),
        files=files,
        out=out,
        target=target,
        budget=budget,
        check=check,
        keep_third_party=keep_third_party,
        include_static=include_static,
        keep_headers=keep_headers,
        report=report,
        check_seconds=check_duration,
    )
    return from_har(request, sys.stdout, sys.stderr)


@generate.command("from-openapi")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="generated.scenario.yaml",
    show_default=True,
    help="The scenario file to write.",
)
@click.option("--target", help=_TARGET_HELP)
@click.option(
    "--budget",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a starting Budget here (p95 latency and error rate, conservative limits).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Run the scenario briefly against a loopback mock (answering 200) and compare what it "
    "sends with the operations.",
)
@click.option(
    "--operations",
    multiple=True,
    help='Only these operations: an operationId, "METHOD /path" or a tag (repeatable).',
)
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="The report of what was made into steps and skipped: text or json.",
)
@click.option(
    "--check-duration",
    type=_Unit("duration", "parse_duration"),
    default="8s",
    show_default=True,
    help="How long --check sends arrivals.",
)
@needs("generate")
def generate_from_openapi(
    spec: Path,
    out: Path,
    target: str | None,
    budget: Path | None,
    check: bool,
    operations: tuple[str, ...],
    report: str,
    check_duration: float,
) -> int:
    """A scenario from an API description (SPEC: Swagger 2.0, OpenAPI 3.0 or 3.1, YAML or
    JSON): one step per operation, grouped in flows by tag.

    Parameters and JSON bodies come from the spec's examples, defaults and enums or are
    generated from the schemas, each checked valid; documented success statuses become checks,
    security schemes secrets read from the environment. Operations that cannot be sent as
    described (file uploads, streaming, remote $refs) are skipped with the reason.
    """
    from peac.app.generate_har import FromOpenApiRequest, from_openapi

    request = FromOpenApiRequest(
        root=Path.cwd(),
        spec=spec,
        out=out,
        target=target,
        budget=budget,
        check=check,
        operations=operations,
        report=report,
        check_seconds=check_duration,
    )
    return from_openapi(request, sys.stdout, sys.stderr)


def _crashed(exc: BaseException) -> int:
    missing = extras.missing_module(exc.name or "") if isinstance(exc, ImportError) else ""
    if missing:  # an extra only partly installed: not a bug
        click.echo(missing, err=True)
        return ExitCode.BAD_INPUT
    if os.environ.get("PEAC_DEBUG"):
        traceback.print_exc()
    click.echo(
        f"peac: internal error: {crash_site(exc)}\n"
        "This is a bug in peac: please report it with the command you ran "
        "(set PEAC_DEBUG=1 to see the traceback).",
        err=True,
    )
    return ExitCode.INTERNAL


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the code that tells CI what happened."""
    try:
        code = cli.main(args=argv, prog_name="peac", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.BAD_INPUT
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = ExitCode.INTERRUPTED
    except PeacError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        prefix = "peac: internal error: " if exc.exit_code == ExitCode.INTERNAL else "peac: "
        click.echo(f"{prefix}{exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except BaseException as exc:  # pydantic-core's PanicException is not an Exception
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        code = _crashed(exc)
    sys.exit(int(code or 0))
