"""What every ``peac generate`` command shares at its end: where load may go (``--target``,
never the recorded host), writing the scenario with its data files and the starting budget, and
proving that what was written passes ``peac validate``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.core.traffic.draft import BudgetDraft, ScenarioDraft
from peac.core.traffic.fidelity import REFUSED_TARGET, TVD_TARGET
from peac.errors import ExitCode, InputError
from peac.model.urls import host_of
from peac.report import escape
from peac.report.generate_formats import GenerateReport, SourceReport, render
from peac.spec.compiler import compile_paths
from peac.spec.paths import find_root
from peac.traffic.writer import budget_text, feeder_csv, scenario_text

DEFAULT_TARGET = "http://127.0.0.1:8080"
_NAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Target:
    base_url: str
    host: str


def resolve_target(target: str | None, recorded_hosts: Iterable[str] = ()) -> Target:
    """The base URL load goes to: ``--target`` or the loopback default, never a host the
    recorded traffic went to (a generated scenario replays production's shape, not at it)."""
    base_url = (target or DEFAULT_TARGET).rstrip("/")
    host = host_of(base_url)
    if host is None:
        raise InputError(f'--target: expected an absolute http(s) URL, got "{base_url}"')
    recorded = {h.lower().split(":")[0] for h in recorded_hosts}
    if host in recorded:
        raise InputError(
            f"--target: {host} is the host the recorded traffic went to; generate a scenario "
            "for a test copy of the service (the default is http://127.0.0.1:8080)"
        )
    return Target(base_url, host)


def scenario_name(out: Path) -> str:
    """The scenario's name from its file name: ``shop.scenario.yaml`` -> ``shop``."""
    stem = out.name.split(".")[0]
    name = _NAME_BAD.sub("-", stem).strip("-._")[:60]
    return name if name and name[0].isalnum() else "generated"


def data_dir(out: Path) -> str:
    """The data files' folder, beside the scenario and named after it."""
    return f"{scenario_name(out)}-data"


@dataclass(frozen=True)
class Written:
    scenario: Path
    data: tuple[Path, ...]
    budget: Path | None


def write_files(
    out: Path, draft: ScenarioDraft, budget: BudgetDraft | None, budget_out: Path | None
) -> Written:
    """Write the scenario, its data files and the budget, then validate them together; an
    invalid result is a bug in peac, reported with every problem."""
    for path in (out, budget_out):
        if path is not None and path.exists() and not path.is_file():
            raise InputError(f"{path}: expected a file to write, found a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    data: list[Path] = []
    for feeder in draft.feeders:
        path = out.parent / feeder.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feeder_csv(feeder), encoding="utf-8")
        data.append(path)
    out.write_text(scenario_text(draft), encoding="utf-8")
    if budget is not None and budget_out is not None:
        budget_out.parent.mkdir(parents=True, exist_ok=True)
        budget_out.write_text(budget_text(budget), encoding="utf-8")
    checked = [out] + ([budget_out] if budget_out is not None else [])
    compilation = compile_paths(checked, find_root(out.parent))
    if compilation.problems:
        raise InputError(
            f"{out}: the generated files are not valid (a bug in peac: please report it)",
            compilation.problems,
        )
    return Written(out, tuple(data), budget_out)


def relative(path: Path, start: Path) -> str:
    """``path`` relative to the folder ``start``, as a file reference writes it."""
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()


def finish(
    report: GenerateReport | SourceReport, fmt: str, source: str, out: TextIO, err: TextIO
) -> int:
    """Print the report; exit 1 when a fidelity check ran and the generated endpoint mix is
    further than TVD_TARGET from the ``source``'s (the log's, the recording's, the spec's), or
    when more than REFUSED_TARGET of its requests carried values the log never held."""
    out.write(render(fmt, report))
    check = report.check
    if check is None or check.passed(TVD_TARGET):
        return ExitCode.OK
    if check.endpoint_tvd > TVD_TARGET:
        err.write(
            escape.terminal(
                f"check: the endpoint mix is {check.endpoint_tvd:.3f} from the "
                f"{source} (more than {TVD_TARGET})"
            )
            + "\n"
        )
    if check.refused_share > REFUSED_TARGET:
        what = source.removesuffix("'s")
        err.write(
            escape.terminal(
                f"check: {check.refused_share:.1%} of the requests carried values the {what} "
                f"never held (more than {REFUSED_TARGET:.0%}): the real service may refuse them"
            )
            + "\n"
        )
    return ExitCode.FAILED
