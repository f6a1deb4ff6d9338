"""`peac demo`: the whole GitOps loop on the bundled shop, end to end, with real runs.

A temporary repository gets the budget and scenario files and a ``service/faults.json`` that
says how the shop behaves at each commit. Every commit on ``main`` is measured (demo service
started, scenario run, result recorded on the commit in git notes); then two pull requests are
judged by ``peac gate`` against that history: one harmless, one that switches on a slow checkout.
Nothing is invented: every number comes from a run on this machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peac.problems import PeacError

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


@dataclass(frozen=True)
class DemoRequest:
    duration: float
    commits: int
    workers: int
    out: Path


@contextlib.contextmanager
def _inside(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Shop Team",
        "GIT_AUTHOR_EMAIL": "shop@example.invalid",
        "GIT_COMMITTER_NAME": "Shop Team",
        "GIT_COMMITTER_EMAIL": "shop@example.invalid",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise PeacError(f"demo: git {args[0]} failed: {done.stderr.strip()}")
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
    from peac.commands.demo import DemoService
    from peac.commands.run import RunCommand, run
    from peac.history.gitnotes import GitNotesStore
    from peac.results import read

    faults = json.loads((repo / "service/faults.json").read_text())
    flags = [f"--latency={route}={value}" for route, value in faults.get("latency", {}).items()]
    out = (request.out / "results" / f"{label}.json").resolve()
    with DemoService(*flags) as service:
        command = RunCommand(
            scenario="budgets/shop.scenario.yaml",
            out=out,
            duration=request.duration,
            workers=request.workers,
            target=service.url,
            testbed="demo",
        )
        quiet = io.StringIO()
        with _inside(repo):  # the repository the files are confined to is the demo's own
            code = run(command, quiet)
    if code != 0:
        raise PeacError(f"demo: the run of {label} failed:\n{quiet.getvalue()}")
    result = read(out)
    run_id, _ = GitNotesStore(repo).record(str((result.git or {})["commit"]), result)
    return out, run_id


def _headline(result_path: Path) -> str:
    from peac.measures import measure
    from peac.report.values import show
    from peac.results import read

    result = read(result_path)
    p95 = measure(result, "latency", "p95", "checkout")
    return f"{result.requests()} requests, checkout p95 {show(p95, 'duration')}"


def demo(request: DemoRequest, stdout: TextIO) -> int:
    from peac.commands.gate import GateRequest, gate

    request = DemoRequest(request.duration, request.commits, request.workers, request.out.resolve())
    source = Path("budgets")
    if not (source / "shop.budget.yaml").exists():
        raise PeacError("run `peac demo` from the peac repository (it uses budgets/)")
    os.environ.setdefault("SHOP_DEMO_API_KEY", "demo-key")
    repo = request.out / "repo"
    shutil.rmtree(request.out, ignore_errors=True)
    repo.mkdir(parents=True)
    shutil.copytree(source, repo / "budgets")
    _git(repo, "init", "-q", "-b", "main")
    write = stdout.write
    write(f"demo repository: {repo} (the shop's budgets/, service/faults.json)\n")
    write(f"measuring {request.commits} commits on main, {request.duration:g}s of load each\n")
    for i in range(request.commits):
        message = MAIN_CHANGES[i % len(MAIN_CHANGES)]
        sha = _commit(repo, message, {"latency": {}} if i == 0 else None)
        path, run_id = _measure(repo, request, f"main-{i + 1}")
        write(f"  {sha[:7]} {message:<40} {_headline(path)}; recorded run {run_id}\n")
        stdout.flush()

    verdicts = []
    for branch, message, faults in (
        ("harmless-change", "Reword the checkout button", None),
        ("slow-checkout", "Validate the cart on every checkout", REGRESSION),
    ):
        _git(repo, "checkout", "-q", "-b", branch, "main")
        sha = _commit(repo, message, faults)
        what = f" (service/faults.json: {json.dumps(faults)})" if faults else ""
        write(f"\npull request {branch}: {sha[:7]} {message}{what}\n")
        path, _ = _measure(repo, request, branch)
        write(f"  {_headline(path)}\n")
        markdown = request.out / f"{branch}.md"
        text = io.StringIO()
        with _inside(repo):
            code = gate(
                GateRequest(
                    budget=Path("budgets/shop.budget.yaml"),
                    results=(path.resolve(),),
                    base="main",
                    fmt="text",
                    store="git",
                    commit=None,
                    testbed=None,
                    any_testbed=False,
                    remote=None,
                    markdown_out=markdown.resolve(),
                ),
                text,
            )
        write(f"  peac gate --budget budgets/shop.budget.yaml {path.name} → exit {code}\n")
        write("".join(f"    {line}\n" for line in text.getvalue().splitlines()))
        verdicts.append(code)
        _git(repo, "checkout", "-q", "main")

    comment = request.out / "slow-checkout.md"
    write(f"\nthe pull-request comment for slow-checkout ({comment}):\n\n")
    write(comment.read_text(encoding="utf-8"))
    caught = verdicts[-1] == 1
    write(
        "\n"
        + (
            "the gate caught the injected regression (exit 1)"
            if caught
            else "the gate did NOT catch the injected regression"
        )
        + f"; the harmless change exited {verdicts[0]}.\n"
        f"explore: cd {repo} && peac history show --step checkout --diagnostics\n"
    )
    return 0 if caught else 1
