"""`peac schema`: print or write the JSON Schemas of peac files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.errors import ExitCode
from peac.spec.schema import combined_schema, kind_schema, render, schemas


@dataclass(frozen=True, kw_only=True)
class SchemaRequest:
    out: Path | None = None  # a folder to write every schema into; None prints one
    kind: str = "all"  # all, Budget or Scenario (what is printed)


def schema(request: SchemaRequest, out: TextIO) -> int:
    if request.out is None:
        chosen = combined_schema() if request.kind == "all" else kind_schema(request.kind)
        out.write(render(chosen))
        return ExitCode.OK
    request.out.mkdir(parents=True, exist_ok=True)
    for name, content in schemas().items():
        (request.out / name).write_text(render(content), encoding="utf-8")
        out.write(f"wrote {request.out / name}\n")
    return ExitCode.OK
