"""`peac validate`: check budget and scenario files, report every problem, exit 0 or 2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from peac.errors import ExitCode
from peac.report.registry import VALIDATION, ValidationReport
from peac.spec.compiler import compile_paths


@dataclass(frozen=True, kw_only=True)
class ValidateRequest:
    paths: tuple[Path, ...]
    root: Path | None = None  # file references stay inside it [default: the git work tree]
    fmt: str = "text"
    related: bool = True  # also check the files the named files belong with
    today: date | None = None  # the day waivers are checked against [default: today, UTC]


def validate(request: ValidateRequest, out: TextIO) -> int:
    compilation = compile_paths(
        request.paths, request.root, related=request.related, today=request.today
    )
    plan = compilation.plan
    related = f" ({len(compilation.related)} related)" if compilation.related else ""
    summary = (
        f"ok: {len(compilation.files)} file(s){related}, {len(plan.scenarios)} scenario(s), "
        f"{len(plan.budgets)} budget(s)"
    )
    report = ValidationReport(compilation.problems, compilation.files, summary)
    out.write(VALIDATION.render(request.fmt, report))
    return ExitCode.OK if compilation.ok else ExitCode.BAD_INPUT
