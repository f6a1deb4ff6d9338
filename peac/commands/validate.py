"""`peac validate`: check budget and scenario files, report every problem, exit 0 or 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.problem_formats import FORMATS
from peac.problems import ExitCode
from peac.spec.compiler import compile_paths


@dataclass(frozen=True)
class ValidateRequest:
    paths: tuple[Path, ...]
    root: Path | None
    format: str


def validate(request: ValidateRequest, out: TextIO) -> ExitCode:
    compilation = compile_paths(request.paths, request.root)
    plan = compilation.plan
    summary = (
        f"ok: {len(compilation.files)} file(s), {len(plan.scenarios)} scenario(s), "
        f"{len(plan.budgets)} budget(s)"
    )
    out.write(FORMATS[request.format](compilation.problems, compilation.files, summary))
    return ExitCode.OK if compilation.ok else ExitCode.BAD_INPUT
