"""The CI templates in pipelines/, checked offline by the real validators (actionlint, and the
GitHub and GitLab schemas vendored in check-jsonschema), and the composite action's shell body
run here against the demo shop, as GitHub would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peac.demo.shop.process import DemoService
from tests.history_helpers import git
from tests.test_ci import BUDGETS, CONFIG

ROOT = Path(__file__).resolve().parents[1]
PIPELINES = ROOT / "pipelines"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is a dev dependency (pyproject.toml): pip install -e '.[dev]'"
    return path


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def test_actionlint_accepts_the_workflows() -> None:
    workflows = [
        PIPELINES / "github/workflow.yml",
        PIPELINES / "github/example-service-workflow.yml",
    ]
    done = _check(_tool("actionlint"), *map(str, workflows))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-actions", ["github/action.yml"]),
        ("vendor.github-workflows", ["github/workflow.yml", "github/example-service-workflow.yml"]),
        ("vendor.gitlab-ci", ["gitlab/peac.gitlab-ci.yml"]),
    ],
)
def test_the_platform_schemas_accept_the_templates(schema: str, files: list[str]) -> None:
    paths = [str(PIPELINES / f) for f in files]
    done = _check(_tool("check-jsonschema"), "--builtin-schema", schema, *paths)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check is real: a workflow with an unknown key and a bad expression fails it."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n"
        "    steps:\n      - run: echo ${{ github.nope( }}\n",
        encoding="utf-8",
    )
    assert _check(_tool("actionlint"), str(bad)).returncode != 0


@pytest.mark.slow
def test_the_action_body_runs_the_stage_and_writes_summary_comment_and_outputs(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    shutil.copytree(BUDGETS, repo / "budgets")
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / ".gitignore").write_text("reports/\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "budgets")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    with DemoService() as shop:
        env = {
            **os.environ,
            "PEAC": str(BIN / "peac"),
            "PEAC_TARGET": shop.url,
            "PEAC_DURATION": "4s",
            "PEAC_ARGS": "--workers 1 --progress off",
            "SHOP_DEMO_API_KEY": "demo-key",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
        }
        script = str(PIPELINES / "github/peac-ci.sh")
        first = subprocess.run(
            ["bash", script], cwd=repo, env=env, capture_output=True, text=True, timeout=300
        )
        assert first.returncode == 0, first.stdout + first.stderr
        assert "== record on main" in first.stdout
        assert "no remote origin: results recorded in this clone only" in first.stdout
        git(repo, "checkout", "-q", "-b", "change")
        (repo / "CHANGELOG").write_text("a change\n", encoding="utf-8")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "a change")
        second = subprocess.run(
            ["bash", script], cwd=repo, env=env, capture_output=True, text=True, timeout=300
        )
    assert second.returncode in (0, 1), second.stdout + second.stderr
    comment = (repo / "reports/comment.md").read_text(encoding="utf-8")
    assert comment.startswith("<!-- peac-ci -->\n")  # how the action finds its own comment
    assert "peac gate" in comment and "shop-api" in comment
    assert "peac gate" in summary.read_text(encoding="utf-8")
    lines = outputs.read_text(encoding="utf-8").splitlines()
    assert f"exit-code={second.returncode}" in lines
