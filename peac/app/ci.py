"""`peac ci`: the pipeline stage as one command: validate, run each budget's scenario (with the
configured repetitions), gate against the base branch, write the reports, and on the base branch
record the results and push them.

Each stage says what it does; the exit code is the worst of the gates' (0 pass or warn, 1 fail),
or 2 when the files are invalid or a run cannot be made. Settings come from the ``ci`` section of
peac.yaml (options override them); where load may go and which secrets it may carry are decided by
the base branch's peac.yaml, as for `peac run --base`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.app.gate import GateRequest, gate
from peac.app.record import RecordRequest, record
from peac.app.report import ReportRequest, report
from peac.app.rules import ci_settings
from peac.app.run import RunRequest, run
from peac.errors import ExitCode, InputError
from peac.history.git import Repository, run_git
from peac.history.gitnotes import GitNotesStore
from peac.history.store import open_store
from peac.load.executors import Overrides
from peac.report import escape
from peac.report.registry import VALIDATION, ValidationReport
from peac.spec.compiler import compile_paths
from peac.spec.config import CiSettings
from peac.spec.paths import find_root

NO_HISTORY = "no peac results in this clone"


@dataclass(frozen=True, kw_only=True)
class CiRequest:
    root: Path
    base: str | None = None  # overrides ci.base
    repetitions: int | None = None  # overrides ci.repetitions
    reports: Path | None = None  # overrides ci.reports
    testbed: str | None = None
    record: str = "auto"  # auto (on the base branch), always, never
    push: bool | None = None  # overrides ci.push
    workers: int = 1
    progress: str = "off"
    duration: float | None = None  # shortens every run (for trying the stage out)
    target: str | None = None
    environ: Mapping[str, str] | None = None


def _stage(out: TextIO, text: str) -> None:
    out.write(escape.terminal(f"== {text}") + "\n")
    out.flush()


def _branch(repo: Repository, environ: Mapping[str, str]) -> str:
    """The branch being built: git's, else what the CI says (checkouts are often detached)."""
    done = run_git(repo.root, "symbolic-ref", "--short", "-q", "HEAD")
    name = done.stdout.strip() if done.returncode == 0 else ""
    if name:
        return name
    if environ.get("GITHUB_EVENT_NAME") == "push" and environ.get("GITHUB_REF_TYPE") == "branch":
        return environ.get("GITHUB_REF_NAME", "")
    return environ.get("CI_COMMIT_BRANCH", "")


def ci(request: CiRequest, out: TextIO, err: TextIO) -> int:
    root = find_root(request.root)
    settings = _override(ci_settings(root), request)
    environ = os.environ if request.environ is None else request.environ
    repo = Repository(root)
    branch = _branch(repo, environ)
    # The base branch's name comes from the command line or the CI platform when they give
    # it: a pull request's own peac.yaml must not name its base (ci.base: HEAD would make the
    # pull request judge itself).
    target = environ.get("GITHUB_BASE_REF") or environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    pull_request = bool(target or environ.get("CI_MERGE_REQUEST_IID"))
    base = _branch_name(request.base or target or settings.base)
    on_base = not pull_request and branch == base
    base_ref = None if on_base else repo.tracking(base)
    trusted = bool(request.base or target)
    if base_ref is not None:
        if not trusted and repo.resolve(base_ref) == repo.resolve("HEAD"):
            raise InputError(
                f"--base {base}: the base branch is this very commit; a pull request is judged "
                "against the branch it merges into (give --base)"
            )
        # A pull request does not choose which budgets are gated, nor the history and store
        # they are judged against: the base branch's peac.yaml does (its own applies once merged).
        settings = _override(ci_settings(root, base_ref), request)
    settings = settings.model_copy(update={"base": base})
    reports = root / settings.reports if request.reports is None else request.reports
    results_dir = reports / "results"
    started = time.monotonic()

    _stage(out, f"validate {', '.join(settings.budgets)}")
    paths = tuple(root / p for p in settings.budgets)
    compilation = compile_paths(paths, root)
    summary = f"ok: {len(compilation.files)} file(s), {len(compilation.plan.budgets)} budget(s)"
    out.write(
        VALIDATION.render(
            "text", ValidationReport(compilation.problems, compilation.files, summary)
        )
    )
    if not compilation.ok:
        return ExitCode.BAD_INPUT
    budgets = compilation.plan.budgets
    if not budgets:
        raise InputError(f"ci.budgets ({', '.join(settings.budgets)}): no Budget found to run")

    results: dict[str, list[Path]] = {}
    for budget in budgets:
        for k in range(settings.repetitions):
            _stage(out, f"run {budget.name} ({k + 1} of {settings.repetitions})")
            path = results_dir / f"{_file_name(budget.name)}-{k + 1}.json"
            code = run(
                RunRequest(
                    root=root,
                    scenario=budget.source.path,
                    budget=Path(budget.source.path),
                    out=path,
                    workers=request.workers,
                    testbed=settings.testbed,
                    progress=request.progress,
                    base=settings.base if not on_base else None,
                    target=request.target,
                    environ=environ,
                    changes=_changes(request),
                ),
                out,
                err,
            )
            if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
                return code
            results.setdefault(budget.name, []).append(path)

    verdicts: dict[str, int] = {}
    written: list[str] = []
    for budget in budgets:
        _stage(out, f"gate {budget.name} against {settings.base}")
        name = _file_name(budget.name)
        markdown, junit = reports / f"{name}.md", reports / f"{name}.junit.xml"
        judged = GateRequest(
            root=root,
            budget=Path(budget.source.path),
            results=tuple(results[budget.name]),
            base=settings.base,
            store=settings.store,
            remote=settings.remote,
            markdown_out=markdown,
            junit_out=junit,
        )
        try:
            verdicts[budget.name] = gate(judged, out)
        except InputError as exc:
            if not (on_base and NO_HISTORY in str(exc)):
                raise
            # The base branch's first runs start its history: nothing to judge them against.
            out.write(escape.terminal(f"no history to judge against yet: {exc}") + "\n")
            verdicts[budget.name] = ExitCode.OK
            continue
        written += [str(markdown), str(junit)]

    _stage(out, "report site")
    site = reports / "site"
    every_result = tuple(p for paths_ in results.values() for p in paths_)
    try:
        report(
            ReportRequest(
                root=root,
                out=site,
                results=every_result,
                budgets=tuple(Path(b.source.path) for b in budgets),
                base=settings.base,
                testbed=settings.testbed,
                store=settings.store,
            ),
            out,
        )
        written.append(str(site / "index.html"))
    except InputError as exc:  # no history yet: the site has nothing to show
        out.write(escape.terminal(f"no report site: {exc}") + "\n")

    if request.record == "always" or (request.record == "auto" and on_base):
        _stage(out, f"record on {branch or 'this commit'}")
        every = tuple(p for paths_ in results.values() for p in paths_)
        record(RecordRequest(root=root, results=every, store=settings.store), out, err)
        store = open_store(settings.store, root)
        remotes = run_git(root, "remote").stdout.split()
        if settings.push and on_base and settings.remote not in remotes:
            out.write(
                escape.terminal(f"no remote {settings.remote}: results recorded in this clone only")
                + "\n"
            )
        elif settings.push and on_base and isinstance(store, GitNotesStore):
            _stage(out, f"push results to {settings.remote}")
            attempts = store.push(settings.remote)
            out.write(f"pushed {store.ref} to {settings.remote} ({attempts} attempt(s))\n")
    else:
        why = "--record never" if request.record == "never" else f"not on {settings.base}"
        out.write(f"results not recorded ({why}): only the base branch's runs make history\n")

    worst = max(verdicts.values(), default=ExitCode.OK)
    _stage(out, f"done in {time.monotonic() - started:.0f}s")
    for budget_name, code in verdicts.items():
        word = (
            "pass" if code == ExitCode.OK else "FAIL" if code == ExitCode.FAILED else f"exit {code}"
        )
        out.write(escape.terminal(f"{budget_name}: {word}") + "\n")
    out.write("reports: " + ", ".join(escape.terminal(w) for w in written) + "\n")
    out.write(f"results: {escape.terminal(str(results_dir))}\n")
    return worst


def _branch_name(name: str) -> str:
    """A plain branch name (``main``, ``release/2.1``), never a revision expression."""
    ok = all(c.isalnum() or c in "._/-" for c in name)
    if not name or not ok or name == "HEAD" or name.startswith(("-", "/")) or ".." in name:
        raise InputError(f"base branch: expected a branch name like main, got {name!r}")
    return name


def _override(settings: CiSettings, request: CiRequest) -> CiSettings:
    changes: dict[str, object] = {}
    if request.base is not None:
        changes["base"] = request.base
    if request.repetitions is not None:
        changes["repetitions"] = request.repetitions
    if request.testbed is not None:
        changes["testbed"] = request.testbed
    if request.push is not None:
        changes["push"] = request.push
    return settings.model_copy(update=changes) if changes else settings


def _changes(request: CiRequest) -> Overrides:
    return Overrides(duration=request.duration)


def _file_name(name: str) -> str:
    """A budget's name as a safe file name (names are untrusted text)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".-")
    return safe[:80] or "budget"
