"""`peac demo`: the whole GitOps loop on the bundled shop, end to end, with real runs.

A temporary repository gets the shop's budget and scenario (shipped with peac) and a
``service/faults.json`` that says how the shop behaves at each commit. Every commit on ``main`` is
measured (demo service started, scenario run, result recorded on the commit in git notes); then
two pull requests go through ``peac ci``, the pipeline stage a team wires into CI (validate, run,
gate against that history, reports): one harmless, one that switches on a slow checkout.
Nothing is invented: every number comes from a run on this machine.

The demo works from an installed package in any directory: it changes neither the working
directory nor the environment, and it deletes only what an earlier demo created in ``--out``
(marked by a file of its own).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from peac.app.ci import CiRequest, ci
from peac.app.run import RunRequest, run
from peac.core.measures import measure
from peac.demo.shop.process import DemoService
from peac.errors import ExitCode, InputError
from peac.history.git import complaint, run_git
from peac.history.gitnotes import GitNotesStore
from peac.load.executors import Overrides
from peac.model.units import show
from peac.results.format import read

REGRESSION: Mapping[str, object] = {"latency": {"checkout": "150ms"}}
MAIN_CHANGES = (
    "Add product images to the listing",
    "Cache the search index",
    "Log checkout timings",
    "Upgrade the JSON library",
    "Tidy the account page",
    "Paginate the product listing",
    "Retry failed payments once",
    "Rename internal metrics",
)
MARKER = ".peac-demo"  # says that a folder was made by peac demo, so a rerun may clear it
CREATED = ("repo", "results", "reports", "harmless-change.md", "slow-checkout.md", MARKER)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Shop Team",
    "GIT_AUTHOR_EMAIL": "shop@example.invalid",
    "GIT_COMMITTER_NAME": "Shop Team",
    "GIT_COMMITTER_EMAIL": "shop@example.invalid",
}
SECRETS = {"SHOP_DEMO_API_KEY": "demo-key"}  # the scenario's demo_api_key, for the demo only
CONFIG = """\
# The repository's rules (read from main when a pull request is judged) and how peac ci runs.
apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1, localhost]
    secrets: {SHOP_DEMO_API_KEY: {hosts: [127.0.0.1, localhost]}}
  # A history of a few commits fails a regression only when the rules say so (by default it
  # warns until 8 commits have runs); the demo's history is that short, and says so.
  policy:
    regression: {short_history: fail}
  ci:
    base: main
    budgets: [budgets/]
    testbed: demo
"""


@dataclass(frozen=True, kw_only=True)
class DemoRequest:
    out: Path  # a new or empty folder, or one an earlier demo made
    duration: float = 4.0
    commits: int = 6
    workers: int = 1


def prepare_out(out: Path) -> None:
    """Make ``out`` ready: create it, or clear what an earlier demo left there; never touch a
    folder (or file) that the demo did not make."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file; give a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise InputError(
                f"--out {out}: the folder is not empty and was not made by peac demo; "
                "give a new or empty folder (nothing was deleted)"
            )
        for name in CREATED:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by peac demo; a rerun clears what it made here\n")


def _git(repo: Path, *args: str) -> str:
    done = run_git(repo, *args, env={**os.environ, **IDENTITY})
    if done.returncode != 0:
        raise InputError(f"demo: git {args[0]}: {complaint(done)}")
    return done.stdout.strip()


def _commit(repo: Path, message: str, faults: Mapping[str, object] | None = None) -> str:
    if faults is not None:
        (repo / "service").mkdir(exist_ok=True)
        (repo / "service/faults.json").write_text(json.dumps(faults, indent=2) + "\n")
    with (repo / "CHANGELOG.md").open("a", encoding="utf-8") as log:
        log.write(f"- {message}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _measure(repo: Path, request: DemoRequest, label: str) -> tuple[Path, str]:
    """Start the shop as this commit configures it, run the scenario, record the result."""
    faults = json.loads((repo / "service/faults.json").read_text())
    flags = [f"--latency={route}={value}" for route, value in faults.get("latency", {}).items()]
    out = request.out / "results" / f"{label}.json"
    quiet = io.StringIO()
    with DemoService(*flags) as service:
        code = run(
            RunRequest(
                root=repo,
                scenario=str(repo / "budgets/shop.scenario.yaml"),
                out=out,
                changes=Overrides(duration=request.duration),
                workers=request.workers,
                target=service.url,
                testbed="demo",
                environ={**os.environ, **SECRETS},
            ),
            quiet,
            quiet,
        )
    if code != ExitCode.OK:
        raise InputError(f"demo: the run of {label} failed (exit {code}): {quiet.getvalue()}")
    result = read(out)
    assert result.git is not None  # the scenario lives in the demo repository
    run_id, _ = GitNotesStore(repo).record(result.git.commit, result)
    return out, run_id


def _headline(result_path: Path) -> str:
    result = read(result_path)
    p95 = measure(result, "latency", "p95", "checkout")
    return f"{result.requests()} requests, checkout p95 {show(p95, 'duration')}"


def _ci(repo: Path, request: DemoRequest, reports: Path) -> tuple[int, str]:
    """The pull request through ``peac ci``, against the shop as this commit configures it."""
    faults = json.loads((repo / "service/faults.json").read_text())
    flags = [f"--latency={route}={value}" for route, value in faults.get("latency", {}).items()]
    text = io.StringIO()
    with DemoService(*flags) as service:
        code = ci(
            CiRequest(
                root=repo,
                reports=reports,
                record="never",
                workers=request.workers,
                duration=request.duration,
                target=service.url,
                environ={**os.environ, **SECRETS},
            ),
            text,
            text,
        )
    return code, text.getvalue()


def _gate_lines(text: str) -> list[str]:
    """What a reader of the demo wants from the stage's output: its steps, the gate's verdict
    and where the reports are (the run summaries are in the reports)."""
    shown, in_gate = [], False
    for line in text.splitlines():
        if line.startswith("== "):
            in_gate = line.startswith("== gate")
            shown.append(line)
        elif in_gate or line.startswith(("reports:", "shop-api:")):
            shown.append(line)
    return shown


def demo(request: DemoRequest, out: TextIO) -> int:
    request = DemoRequest(
        out=request.out.resolve(),
        duration=request.duration,
        commits=request.commits,
        workers=request.workers,
    )
    prepare_out(request.out)
    repo = request.out / "repo"
    repo.mkdir()
    with resources.as_file(resources.files("peac.demo") / "budgets") as shipped:
        shutil.copytree(shipped, repo / "budgets")
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / ".gitignore").write_text("reports/\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    write = out.write
    write(f"demo repository: {repo} (the shop's budgets/, service/faults.json)\n")
    write(f"measuring {request.commits} commits on main, {request.duration:g}s of load each\n")
    for i in range(request.commits):
        message = MAIN_CHANGES[i % len(MAIN_CHANGES)]
        sha = _commit(repo, message, {"latency": {}} if i == 0 else None)
        path, run_id = _measure(repo, request, f"main-{i + 1}")
        write(f"  {sha[:7]} {message:<40} {_headline(path)}; recorded run {run_id}\n")
        out.flush()

    verdicts = []
    for branch, message, faults in (
        ("harmless-change", "Reword the checkout button", None),
        ("slow-checkout", "Validate the cart on every checkout", REGRESSION),
    ):
        _git(repo, "checkout", "-q", "-b", branch, "main")
        sha = _commit(repo, message, faults)
        what = f" (service/faults.json: {json.dumps(faults)})" if faults else ""
        write(f"\npull request {branch}: {sha[:7]} {message}{what}\n")
        reports = request.out / "reports" / branch
        code, text = _ci(repo, request, reports)
        write(f"  peac ci --duration {request.duration:g}s → exit {code}\n")
        write("".join(f"    {line}\n" for line in _gate_lines(text)))
        shutil.copyfile(reports / "shop-api.md", request.out / f"{branch}.md")
        verdicts.append(code)
        _git(repo, "checkout", "-q", "main")

    comment = request.out / "slow-checkout.md"
    write(f"\nthe pull-request comment for slow-checkout ({comment}):\n\n")
    write(comment.read_text(encoding="utf-8"))
    caught = verdicts[-1] == ExitCode.FAILED
    write(
        "\n"
        + (
            "the gate caught the injected regression (exit 1)"
            if caught
            else "the gate did NOT catch the injected regression"
        )
        + f"; the harmless change exited {verdicts[0]}.\n"
        f"reports per pull request (Markdown comment, JUnit XML, HTML site): "
        f"{request.out / 'reports'}; open {request.out / 'reports/slow-checkout/site/index.html'}"
        " in a browser\n"
        f"explore: cd {repo} && peac history show --step checkout --diagnostics\n"
    )
    return ExitCode.OK if caught else ExitCode.FAILED
