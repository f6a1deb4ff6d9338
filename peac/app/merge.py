"""`peac merge`: shard results of one scenario into one result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.errors import ExitCode, InputError
from peac.report.registry import RUN, RunReport
from peac.results.format import check_writable, read, write_or_keep
from peac.results.merge import merge as merge_results


@dataclass(frozen=True, kw_only=True)
class MergeRequest:
    shards: tuple[Path, ...]
    out: Path


def merge(request: MergeRequest, out: TextIO) -> int:
    check_writable(request.out)
    result = merge_results([read(path) for path in request.shards])
    kept = write_or_keep(result, request.out)
    out.write(RUN.render("text", RunReport(result)))
    if kept is not None:
        raise InputError(
            f"--out {request.out}: cannot be written; the result was kept in {kept} instead"
        )
    out.write(f"merged {len(request.shards)} result(s) into {request.out}\n")
    return ExitCode.OK
