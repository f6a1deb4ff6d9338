"""``peac generate from-har`` and ``from-openapi``: a Scenario (and optionally a starting
Budget) from HAR recordings or from an API description, written, validated, reported and
optionally checked against the loopback mock. The readers and the designers do the work; this
module only puts them in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.app.generate_check import check_scenario
from peac.app.generate_output import finish, relative, resolve_target, scenario_name, write_files
from peac.core.traffic.design import starting_budget
from peac.core.traffic.draft import ScenarioDraft
from peac.core.traffic.fidelity import Mix
from peac.core.traffic.har import HarOptions, HarSummary, design_har, recorded_hosts
from peac.core.traffic.openapi import (
    OpenApiOptions,
    OpenApiSummary,
    design_openapi,
    server_hosts,
)
from peac.errors import InputError
from peac.report.generate_formats import SourceReport
from peac.traffic.har import read_har
from peac.traffic.openapi import read_spec, schema_checker


@dataclass(frozen=True, kw_only=True)
class FromHarRequest:
    root: Path
    files: tuple[Path, ...]
    out: Path = Path("generated.scenario.yaml")
    target: str | None = None
    budget: Path | None = None
    check: bool = False
    keep_third_party: bool = False
    include_static: bool = False
    keep_headers: tuple[str, ...] = ()
    report: str = "text"
    check_seconds: float = 8.0
    seed: int = 1


@dataclass(frozen=True, kw_only=True)
class FromOpenApiRequest:
    root: Path
    spec: Path
    out: Path = Path("generated.scenario.yaml")
    target: str | None = None
    budget: Path | None = None
    check: bool = False
    operations: tuple[str, ...] = ()
    report: str = "text"
    check_seconds: float = 8.0
    seed: int = 1


def _absolute(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path


def from_har(request: FromHarRequest, out: TextIO, err: TextIO) -> int:
    if not request.files:
        raise InputError("expected at least one HAR file")
    resolve_target(request.target)  # a wrong --target fails before reading
    recordings = [read_har(_absolute(request.root, p), str(p)) for p in request.files]
    target = resolve_target(request.target, recorded_hosts(recordings))
    scenario_out = _absolute(request.root, request.out)
    design = design_har(
        recordings,
        HarOptions(
            name=scenario_name(scenario_out),
            base_url=target.base_url,
            allowed_hosts=(target.host,),
            keep_third_party=request.keep_third_party,
            include_static=request.include_static,
            keep_headers=frozenset(h.lower() for h in request.keep_headers),
        ),
    )
    if not design.summary.kept:
        raise InputError(
            f"{', '.join(str(p) for p in request.files)}: no request left to generate from "
            f"({design.summary.entries:,} recorded, dropped: "
            + ", ".join(f"{r} {n:,}" for r, n in design.summary.dropped.items())
            + "); --keep-third-party or --include-static keep those"
        )
    return _finish(request, design.draft, design.summary, design.mix, scenario_out, out, err)


def from_openapi(request: FromOpenApiRequest, out: TextIO, err: TextIO) -> int:
    resolve_target(request.target)
    document = read_spec(_absolute(request.root, request.spec), str(request.spec))
    scenario_out = _absolute(request.root, request.out)
    target = resolve_target(request.target, server_hosts(document.data))
    options = OpenApiOptions(
        name=scenario_name(scenario_out),
        base_url=target.base_url,
        allowed_hosts=(target.host,),
        source=str(request.spec),
        operations=request.operations,
    )
    design = design_openapi(document.data, options, schema_checker(document))
    if not design.summary.kept:
        reasons = "; ".join(f"{op}: {why}" for op, why in design.summary.skipped[:5])
        raise InputError(
            f"{request.spec}: no operation could be made into a step"
            + (f" ({reasons})" if reasons else "")
        )
    return _finish(request, design.draft, design.summary, design.mix, scenario_out, out, err)


def _finish(
    request: FromHarRequest | FromOpenApiRequest,
    draft: ScenarioDraft,
    summary: HarSummary | OpenApiSummary,
    mix: Mix,
    scenario_out: Path,
    out: TextIO,
    err: TextIO,
) -> int:
    """Write, validate, report and (``--check``) run against the mock: shared by both."""
    budget_out = _absolute(request.root, request.budget) if request.budget else None
    budget = None
    if budget_out is not None:
        source = "from-har" if isinstance(request, FromHarRequest) else "from-openapi"
        budget = starting_budget(draft.name, relative(scenario_out, budget_out.parent), source, 0.0)
    written = write_files(scenario_out, draft, budget, budget_out)
    files = [str(request.out), *(relative(p, request.root) for p in written.data)]
    if request.budget is not None:
        files.append(str(request.budget))
    report = SourceReport(summary, tuple(files))
    if request.check:
        outcome = check_scenario(
            scenario_out,
            scenario_out.parent,
            mix,
            seconds=request.check_seconds,
            seed=request.seed,
            environ=dict.fromkeys(draft.secrets.values(), "peac-check"),
        )
        report = SourceReport(
            summary,
            tuple(files),
            outcome.comparison,
            outcome.compression,
            outcome.seconds,
            outcome.status,
        )
    return finish(report, request.report, "source's", out, err)
