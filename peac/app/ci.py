"""`peac ci`: the pipeline stage as one command: validate, run each budget's scenario (with the
configured repetitions), gate against the base branch, write the reports, and on the base branch
record the results and push them.

Each stage says what it does; the exit code is the worst of the gates' (0 pass or warn, 1 fail),
or 2 when the files are invalid or a run cannot be made. Settings come from the ``ci`` section of
peac.yaml (options override them); where load may go and which secrets it may carry are decided by
the base branch's peac.yaml, as for `peac run --base`.

The git state is the one CI platforms leave, not a developer's clone: a detached merge commit
with only ``origin/main`` beside it (GitHub), a shallow detached checkout without the target
branch at all (GitLab), so the base branch is fetched when it is not here, and shallow clones
are deepened as far as the history needs. The base branch's first pushes have no history to be
judged against: they are judged on the budget's absolute limits alone and recorded, which is how
a history starts.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac import files
from peac.app.budget_changes import approval, relative_to_repo
from peac.app.ci_governance import dropped, dropped_lines, gated_at, pr_labels
from peac.app.gate import GateRequest, gate
from peac.app.record import RecordRequest, record
from peac.app.report import ReportRequest, report
from peac.app.rules import ci_settings, load_rules
from peac.app.run import RunRequest, run
from peac.core.measures import invalid_reason
from peac.errors import ExitCode, InputError, PeacError
from peac.forge import comment as forge
from peac.history.git import Repository, plain_branch, run_git
from peac.history.gitnotes import GitNotesStore
from peac.history.store import open_store
from peac.load.executors import Overrides
from peac.load.service import wait_listening
from peac.model.budget_changes import BudgetAt
from peac.report import escape
from peac.report.registry import VALIDATION, ValidationReport
from peac.results.format import read
from peac.spec.compiler import compile_paths
from peac.spec.config import CiSettings
from peac.spec.paths import find_root
from peac.spec.plan import BudgetPlan


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
    comment: str = "auto"  # auto: post the pull request's comment when CI gives a token; off
    ready_timeout: float = 30.0  # seconds to wait for the target to listen (0: do not wait)
    approved_by: tuple[str, ...] = ()  # approvers of the pull request, as CI knows them
    labels: tuple[str, ...] = ()  # labels of the pull request, beside those CI's event gives


@dataclass(frozen=True)
class _Where:
    """What is being built and against what."""

    branch: str  # the branch being built ('' when CI does not say)
    base: str  # the base branch's name
    base_ref: str | None  # where to read it here (main, origin/main); None on the base itself
    on_base: bool
    pull_request: bool
    settings: CiSettings


def _stage(out: TextIO, text: str) -> None:
    out.write(escape.terminal(f"== {text}") + "\n")
    out.flush()


def _say(out: TextIO, text: str) -> None:
    out.write(escape.terminal(text) + "\n")


def _branch(repo: Repository, environ: Mapping[str, str]) -> str:
    """The branch being built: git's, else what the CI says (checkouts are often detached)."""
    done = run_git(repo.root, "symbolic-ref", "--short", "-q", "HEAD")
    name = done.stdout.strip() if done.returncode == 0 else ""
    if name:
        return name
    if environ.get("GITHUB_EVENT_NAME") == "push" and environ.get("GITHUB_REF_TYPE") == "branch":
        return environ.get("GITHUB_REF_NAME", "")
    return environ.get("CI_COMMIT_BRANCH", "")


def _where(
    root: Path, repo: Repository, request: CiRequest, environ: Mapping[str, str], out: TextIO
) -> _Where:
    settings = _override(ci_settings(root), request)
    branch = _branch(repo, environ)
    # The base branch's name comes from the command line or the CI platform when they give
    # it: a pull request's own peac.yaml must not name its base (ci.base: HEAD would make the
    # pull request judge itself).
    target = environ.get("GITHUB_BASE_REF") or environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    pull_request = bool(target or environ.get("CI_MERGE_REQUEST_IID"))
    # Without a base set anywhere, the platform's default branch (GitLab says which).
    default = environ.get("CI_DEFAULT_BRANCH") if "base" not in settings.model_fields_set else None
    base = plain_branch(request.base or target or default or settings.base)
    on_base = not pull_request and branch == base
    base_ref = None
    if not on_base:
        base_ref, fetched = repo.fetch_branch(base, settings.remote)
        if fetched:
            _say(out, fetched)
        trusted = bool(request.base or target)
        if not trusted and repo.resolve(base_ref) == repo.resolve("HEAD"):
            raise InputError(
                f"--base {base}: the base branch is this very commit; a pull request is judged "
                "against the branch it merges into (give --base)"
            )
        # A pull request does not choose which budgets are gated, nor the history and store
        # they are judged against: the base branch's peac.yaml does (its own applies once merged).
        settings = _override(ci_settings(root, base_ref), request)
    settings = settings.model_copy(update={"base": base})
    return _Where(branch, base, base_ref, on_base, pull_request, settings)


def _reports_folder(root: Path, request: CiRequest, settings: CiSettings) -> Path:
    """The reports folder, which must stay inside the repository once links are resolved (a
    pull request may commit ``reports`` as a link to anywhere)."""
    reports = root / settings.reports if request.reports is None else request.reports
    if request.reports is None:
        resolved = reports.resolve()
        if resolved != root.resolve() and root.resolve() not in resolved.parents:
            raise InputError(f"ci.reports {settings.reports}: leads outside the repository")
    files.make_folder(reports, "reports folder", root if request.reports is None else None)
    return reports


def ci(request: CiRequest, out: TextIO, err: TextIO) -> int:
    root = find_root(request.root)
    environ = os.environ if request.environ is None else request.environ
    repo = Repository(root)
    where = _where(root, repo, request, environ, out)
    settings = where.settings
    reports = _reports_folder(root, request, settings)
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

    _wait_ready(budgets, request, out)
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
                    base=settings.base if not where.on_base else None,
                    target=request.target,
                    environ=environ,
                    changes=Overrides(duration=request.duration),
                ),
                out,
                err,
            )
            if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
                return code
            results.setdefault(budget.name, []).append(path)

    labels = (*request.labels, *(pr_labels(environ) if where.pull_request else ()))
    verdicts: dict[str, int] = {}
    written: list[Path] = []
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
            # The base branch's first pushes have nothing to be judged against yet: their
            # absolute limits are judged and they are recorded. A pull request needs history.
            history_required=not where.on_base,
            approved_by=request.approved_by,
            labels=labels,
        )
        verdicts[budget.name] = gate(judged, out)
        written += [markdown, junit]
    if where.base_ref is not None:
        lost = _no_longer_gated(root, repo, where, budgets, request, labels, reports, out)
        if lost is not None:
            verdicts["budgets no longer gated"] = lost[0]
            written.append(lost[1])

    comment = reports / "comment.md"
    files.write_text(comment, _comment_text(written), "the comment", root)
    written.append(comment)

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
                results_are_head=True,
            ),
            out,
        )
        written.append(site / "index.html")
    except InputError as exc:  # no history yet: the site has nothing to show
        _say(out, f"no report site: {exc}")

    if request.record == "always" or (request.record == "auto" and where.on_base):
        _record(root, where, every_result, request, out, err)
    else:
        why = "--record never" if request.record == "never" else f"not on {settings.base}"
        out.write(f"results not recorded ({why}): only the base branch's runs make history\n")

    worst = max(verdicts.values(), default=ExitCode.OK)
    _github_files(comment, worst, environ)
    if request.comment != "off" and where.pull_request:
        _post_comment(comment, environ, out)
    _stage(out, f"done in {time.monotonic() - started:.0f}s")
    for budget_name, code in verdicts.items():
        word = (
            "pass" if code == ExitCode.OK else "FAIL" if code == ExitCode.FAILED else f"exit {code}"
        )
        _say(out, f"{budget_name}: {word}")
    out.write("reports: " + ", ".join(escape.terminal(str(w)) for w in written) + "\n")
    out.write(f"results: {escape.terminal(str(results_dir))}\n")
    return worst


def _no_longer_gated(
    root: Path,
    repo: Repository,
    where: _Where,
    budgets: tuple[BudgetPlan, ...],
    request: CiRequest,
    labels: tuple[str, ...],
    reports: Path,
    out: TextIO,
) -> tuple[int, Path] | None:
    """The base branch's gated budgets that this run did not gate (deleted, moved out of
    ``ci.budgets``, emptied): a removal each, refused without approval. None when none."""
    assert where.base_ref is not None
    revision = repo.merge_base("HEAD", where.base_ref) or repo.commit(where.base_ref)
    prefix = relative_to_repo(root, repo) or "."
    folders = tuple(posixpath.normpath(posixpath.join(prefix, b)) for b in where.settings.budgets)
    ran = []
    for budget in budgets:
        relative = relative_to_repo(Path(budget.source.path), repo)
        if relative is not None:
            ran.append(BudgetAt(relative, budget.rules, budget.scenario.name))
    policy = load_rules(root, where.base_ref).changes
    ok = approval(request.approved_by, labels, policy)
    lost = dropped(gated_at(repo, revision, folders), ran, policy, ok)
    if not lost:
        return None
    blocked = any(r.blocked for r in lost)
    lines, hint = dropped_lines(lost, policy)
    _stage(out, f"budgets of {where.base} no longer gated")
    for line in lines:
        _say(out, f"{'fail' if blocked else 'note'}: {line}")
    if hint:
        _say(out, f"note: {hint}")
        lines.append(hint)
    path = reports / "no-longer-gated.md"
    word = "**FAIL**" if blocked else "approved"
    text = f"### Budgets of the base branch no longer gated: {word}\n\n" + "".join(
        f"- {escape.markdown(line)}\n" for line in lines
    )
    files.write_text(path, text, "the report", root)
    return (ExitCode.FAILED if blocked else ExitCode.OK), path


def _wait_ready(budgets: tuple[BudgetPlan, ...], request: CiRequest, out: TextIO) -> None:
    """Wait until each target listens: a service started in the background a moment ago is
    often still starting, and measuring its start-up is measuring nothing."""
    if request.ready_timeout <= 0:
        return
    urls = {request.target or b.scenario.scenario.spec.target.base_url for b in budgets}
    for url in sorted(urls):
        waited = wait_listening(url, request.ready_timeout)
        if waited is None:
            raise InputError(
                f"{url}: nothing listens there after {request.ready_timeout:g}s; is the service "
                "started (and on that port)? (--ready-timeout sets the wait)"
            )
        if waited >= 0.5:
            _say(out, f"{url}: listening after {waited:.1f}s")


def _comment_text(written: list[Path]) -> str:
    """The pull request's comment: the Markdown reports *this run* wrote, and nothing else
    (a report file committed by the pull request must never become the bot's words)."""
    parts = [forge.MARKER]
    for path in written:
        if path.suffix == ".md" and path.is_file() and not path.is_symlink():
            parts.append(path.read_text(encoding="utf-8").rstrip("\n"))
    return "\n\n".join(parts) + "\n"


def _record(
    root: Path,
    where: _Where,
    paths: tuple[Path, ...],
    request: CiRequest,
    out: TextIO,
    err: TextIO,
) -> None:
    """Record the runs that can be judged (a saturated or partial run is named and left out:
    a baseline must not learn from it), then push on the base branch."""
    settings = where.settings
    _stage(out, f"record on {where.branch or 'this commit'}")
    kept = []
    for path in paths:
        why = invalid_reason(read(path))
        if why:
            _say(out, f"not recorded: {path.name}: {why}")
        else:
            kept.append(path)
    if not kept:
        _say(out, "nothing recorded: no run of this commit can be judged")
        return
    record(RecordRequest(root=root, results=tuple(kept), store=settings.store), out, err)
    store = open_store(settings.store, root)
    remotes = run_git(root, "remote").stdout.split()
    if settings.push and where.on_base and settings.remote not in remotes:
        _say(out, f"no remote {settings.remote}: results recorded in this clone only")
    elif settings.push and where.on_base and isinstance(store, GitNotesStore):
        _stage(out, f"push results to {settings.remote}")
        attempts = store.push(settings.remote)
        _say(out, f"pushed {' and '.join(store.refs)} to {settings.remote} ({attempts} attempt(s))")


def _github_files(comment: Path, code: int, environ: Mapping[str, str]) -> None:
    """GitHub Actions' job summary and step outputs, when this runs there."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        files.append_text(Path(summary), comment.read_text(encoding="utf-8"), "GITHUB_STEP_SUMMARY")
    outputs = environ.get("GITHUB_OUTPUT")
    if outputs:
        text = f"exit-code={int(code)}\ncomment={comment}\n".replace("\r", "")
        files.append_text(Path(outputs), text, "GITHUB_OUTPUT")


def _post_comment(comment: Path, environ: Mapping[str, str], out: TextIO) -> None:
    target = forge.target_from(environ)
    if target is None:
        _say(out, "no pull-request comment: no token (GITHUB_TOKEN or PEAC_GITLAB_TOKEN) given")
        return
    _stage(out, f"comment on {target.forge} #{target.number}")
    try:
        done = forge.post(target, comment.read_text(encoding="utf-8"))
    except PeacError as exc:  # a comment is a courtesy: the verdict stands without it
        _say(out, f"comment not posted: {exc}")
        return
    _say(out, done)


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


def _file_name(name: str) -> str:
    """A budget's name as a safe file name (names are untrusted text)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".-")
    return safe[:80] or "budget"
