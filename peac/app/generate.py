"""``peac generate from-log``: a Scenario (and optionally a starting Budget) from access logs,
in one streaming pass, then optionally checked for fidelity against a loopback mock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.app.generate_check import check_scenario
from peac.app.generate_output import (
    data_dir,
    finish,
    relative,
    resolve_target,
    scenario_name,
    write_files,
)
from peac.core.traffic.analysis import Analyzer, Options, Traffic, log_mix
from peac.core.traffic.design import DesignOptions, design_budget, design_scenario
from peac.errors import InputError
from peac.model.traffic import Malformed
from peac.report.generate_formats import GenerateReport
from peac.traffic.bots import is_bot
from peac.traffic.logs import LineParser, parse_json_fields, read_requests


@dataclass(frozen=True, kw_only=True)
class FromLogRequest:
    root: Path  # where relative paths start
    logs: tuple[Path, ...]
    fmt: str = "combined"
    json_fields: str = ""
    out: Path = Path("generated.scenario.yaml")
    target: str | None = None
    budget: Path | None = None
    check: bool = False
    gap: float = 1800.0
    top: int = 20
    resolution: float = 60.0
    scale: float = 1.0
    peak_hour: bool = False
    include_static: bool = False
    include_bots: bool = False
    report: str = "text"
    progress: bool = False  # a progress line on stderr (a terminal)
    check_seconds: float = 8.0
    seed: int = 1


class _Progress:
    """``reading 312 of 2,048 MB, 1,200,000 lines`` rewritten in place at most twice a second."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, lines: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        mb = 1024 * 1024
        self.err.write(f"\rreading {done / mb:,.0f} of {total / mb:,.0f} MB, {lines:,} lines")
        self.err.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.err.write("\n")


def _check_options(request: FromLogRequest) -> None:
    if not request.logs:
        raise InputError("expected at least one log file")
    for name, value in (("--gap", request.gap), ("--resolution", request.resolution)):
        if value <= 0:
            raise InputError(f"{name}: expected a duration greater than zero")
    if request.scale <= 0:
        raise InputError("--scale: expected a number greater than zero")


def analyse(request: FromLogRequest, err: TextIO) -> Traffic:
    """One pass over the logs."""
    fields = parse_json_fields(request.json_fields) if request.json_fields else None
    parser = LineParser(request.fmt, fields)
    options = Options(
        gap=request.gap,
        resolution=request.resolution,
        top=request.top,
        include_static=request.include_static,
        include_bots=request.include_bots,
        seed=request.seed,
    )
    analyzer = Analyzer(options, is_bot)
    progress = _Progress(err) if request.progress else None
    paths = [p if p.is_absolute() else request.root / p for p in request.logs]
    try:
        for item in read_requests(paths, parser, progress):
            if isinstance(item, Malformed):
                analyzer.bad_line(item)
            else:
                analyzer.add(item)
    finally:
        if progress is not None:
            progress.close()
    traffic = analyzer.finish()
    names = ", ".join(str(p) for p in request.logs)
    if not traffic.requests:
        first = traffic.malformed_lines[0] if traffic.malformed_lines else None
        why = f": line {first.line}: {first.reason}" if first else ""
        raise InputError(
            f"{names}: no requests in the {request.fmt} format "
            f"({traffic.lines:,} lines, {traffic.malformed:,} malformed{why})"
        )
    if not traffic.kept:
        raise InputError(
            f"{names}: no request left to generate from ({traffic.requests:,} read, dropped: "
            + ", ".join(f"{r} {n:,}" for r, n in traffic.dropped.items())
            + "); --include-bots or --include-static keep those"
        )
    return traffic


def from_log(request: FromLogRequest, out: TextIO, err: TextIO) -> int:
    _check_options(request)
    resolve_target(request.target)  # a wrong --target fails before a long read
    traffic = analyse(request, err)
    target = resolve_target(request.target, (h for h, _ in traffic.hosts))
    scenario_out = request.out if request.out.is_absolute() else request.root / request.out
    budget_out = None
    if request.budget is not None:
        budget_out = (
            request.budget if request.budget.is_absolute() else request.root / request.budget
        )
    name = scenario_name(scenario_out)
    draft = design_scenario(
        traffic,
        DesignOptions(
            name=name,
            base_url=target.base_url,
            allowed_hosts=(target.host,),
            data_dir=data_dir(scenario_out),
            sources=tuple(p.name for p in request.logs),
            scale=request.scale,
            peak_hour=request.peak_hour,
            seed=request.seed,
        ),
    )
    budget = None
    if budget_out is not None:
        budget = design_budget(traffic, name, relative(scenario_out, budget_out.parent))
    written = write_files(scenario_out, draft, budget, budget_out)
    files = [str(request.out), *(relative(p, request.root) for p in written.data)]
    if request.budget is not None:
        files.append(str(request.budget))
    report = GenerateReport(traffic, tuple(files))
    if request.check:
        outcome = check_scenario(
            scenario_out,
            scenario_out.parent,
            log_mix(traffic),
            seconds=request.check_seconds,
            seed=request.seed,
            known=traffic.known,
        )
        report = GenerateReport(
            traffic,
            tuple(files),
            outcome.comparison,
            outcome.compression,
            outcome.seconds,
            outcome.status,
        )
    return finish(report, request.report, "log's", out, err)
