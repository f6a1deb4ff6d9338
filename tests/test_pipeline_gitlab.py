"""The shipped GitLab template, run for real by gitlab-ci-local (shell executor) in working
copies laid out the way GitLab Runner leaves them (shallow, detached, the merge request's ref
only: no target branch): branch pipelines on the default branch record the history (the first
included) and push it; a merge request whose service got slower fails, still gets its JUnit
report and one merge-request note; the same merge request fixed passes with that note edited.
See tests/helpers/gitlab.py for what is a stand-in and why."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers.checkouts import ServiceRepo, gitlab_checkout
from tests.helpers.forges import GITLAB_BOT, fake_forge
from tests.helpers.gitlab import ROOT, gitlab_ci_local, prepared_venv, run_pipeline
from tests.history_helpers import git

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        gitlab_ci_local() is None, reason="gitlab-ci-local is installed by .ci/run (npm)"
    ),
]

CONFIG = """apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1, localhost]
    secrets: {SHOP_DEMO_API_KEY: {hosts: [127.0.0.1, localhost]}}
  ci:
    testbed: gitlab-runner
"""
PIPELINE = "include:\n  - local: ci/peac.gitlab-ci.yml\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _files() -> dict[str, str]:
    files = {
        "peac.yaml": CONFIG,
        ".gitignore": "reports/\n.peac-venv/\n.gitlab-ci-local/\npeac-service.log\n",
        ".gitlab-ci.yml": PIPELINE,
        "ci/peac.gitlab-ci.yml": (ROOT / "pipelines/gitlab/peac.gitlab-ci.yml").read_text(
            encoding="utf-8"
        ),
        "service.flags": "\n",
    }
    for path in (ROOT / "budgets").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").replace("duration: 30s", "duration: 3s")
            files[str(path.relative_to(ROOT))] = text
    return files


def _stop_service(port: int) -> None:
    import psutil

    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.pid:
            with contextlib.suppress(psutil.Error):
                psutil.Process(connection.pid).terminate()


def test_branch_pipelines_record_and_a_merge_request_gets_its_note_and_junit(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.helpers.act import build_wheel

    wheels = build_wheel(tmp_path_factory.mktemp("wheels"))
    venv = prepared_venv(tmp_path / "venv")
    port = _free_port()
    repo = ServiceRepo.create(tmp_path, _files())
    with fake_forge("gitlab") as api:
        common = {
            "PEAC_VENV": str(venv),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheels),
            "PIP_NO_DEPS": "1",
            "PIP_IGNORE_INSTALLED": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PEAC_START": f"{venv}/bin/python -m peac demo-server --port {port} "
            "$(cat service.flags)",
            "PEAC_TARGET": f"http://127.0.0.1:{port}",
            "SHOP_DEMO_API_KEY": "demo-key",
            "CI_DEFAULT_BRANCH": "main",
            "CI_API_V4_URL": api.url,
            "CI_PROJECT_ID": "42",
            "PEAC_GITLAB_TOKEN": api.token,
            "PEAC_PUSH_WITH_TOKEN": "false",  # the remote here is a local bare repository
        }

        def pipeline(
            name: str, ref: str, extra: dict[str, str], jobs: tuple[str, ...] = ("peac",)
        ) -> tuple[int, str, Path]:
            work = gitlab_checkout(repo.origin, tmp_path / name, ref, depth=20)
            try:
                done = run_pipeline(work, {**common, **extra}, jobs)
            finally:
                _stop_service(port)
            return done.returncode, done.stdout + done.stderr, work

        branch = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
        shas = [git(repo.seed, "rev-parse", "HEAD")]
        code, log, _ = pipeline("main-0", "refs/heads/main", branch, ())  # validate, then peac
        assert code == 0, log[-5000:]
        assert "peac-validate" in log and "ok: 2 file(s), 1 budget(s)" in log
        assert (
            "== record on main" in log
            and "pushed refs/notes/peac and refs/notes/peac-results to origin" in log
        )
        for i in range(1, 2):
            shas.append(repo.commit(f"change {i}", {"CHANGELOG": f"change {i}\n"}))
            code, log, _ = pipeline(f"main-{i}", "refs/heads/main", branch)
            assert code == 0, log[-5000:]
            assert "pushed refs/notes/peac and refs/notes/peac-results to origin" in log, log[
                -5000:
            ]
        noted = git(repo.origin, "notes", "--ref", "refs/notes/peac", "list")
        assert {line.split()[1] for line in noted.splitlines()} == set(shas)

        # A merge request whose service got slower: GitLab fetched only its head, shallow.
        repo.commit("slow checkout", {"service.flags": "--latency=checkout=700ms\n"}, "slow")
        repo.open_pull_request(3, "slow")
        request = {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "3",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "CI_COMMIT_BRANCH": "",
        }
        code, log, work = pipeline("mr-slow", "refs/merge-requests/3/head", request)
        assert code != 0, log[-5000:]
        assert "fetched main from origin" in log, log[-5000:]
        assert "shop-api: FAIL" in log and "results not recorded (not on main)" in log
        suite = ElementTree.parse(work / "reports/shop-api.junit.xml").getroot()
        assert any(case.find("failure") is not None for case in suite.iter("testcase"))
        (note,) = api.bodies_by(GITLAB_BOT)
        assert note.startswith("<!-- peac-ci -->\n") and "peac gate FAIL" in note

        repo.commit("fast again", {"service.flags": "\n"}, "slow")
        repo.open_pull_request(3, "slow")
        code, log, _ = pipeline("mr-fixed", "refs/merge-requests/3/head", request)
        assert code == 0, log[-5000:]
        (note,) = api.bodies_by(GITLAB_BOT)  # edited, not a second note
        assert "peac gate FAIL" not in note and "shop-api" in note
