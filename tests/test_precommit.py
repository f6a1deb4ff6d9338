"""The peac-validate hook through the real pre-commit framework, in real git repositories.

A consumer repository points pre-commit at a git copy of this project as its hook source; pre-commit
builds the hook's own virtualenv from it (pip install), so this is exactly what other teams run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write

PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path("~/.cache/pip").expanduser())
HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "peac")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def precommit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def hook_source(tmp_path: Path) -> tuple[Path, str]:
    source = tmp_path / "hook-source"
    source.mkdir()
    for name in HOOK_FILES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(origin, source / name)
    assert git(source, "init", "-q", "-b", "main").returncode == 0
    git(source, "add", "-A")
    assert git(source, "commit", "-qm", "hook source").returncode == 0
    sha = git(source, "rev-parse", "HEAD").stdout.strip()
    return source, sha


def test_manifest_and_own_config_pass_pre_commits_validators() -> None:
    manifest = precommit(REPO, "validate-manifest", ".pre-commit-hooks.yaml")
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = precommit(REPO, "validate-config", ".pre-commit-config.yaml")
    assert config.returncode == 0, config.stdout + config.stderr


def _commit_fails(consumer: Path, message: str) -> str:
    git(consumer, "add", "-A")
    done = git(consumer, "commit", "-m", message)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output
    assert git(consumer, "log", "--format=%s").stdout.split("\n")[0] == "add shop budgets"
    git(consumer, "reset", "-q", "--hard")
    return output


@pytest.mark.slow
def test_commit_with_broken_budget_is_stopped_and_good_one_passes(
    tmp_path: Path, hook_source: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, sha = hook_source
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PIP_CACHE_DIR", PIP_CACHE)
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    assert git(consumer, "init", "-q", "-b", "main").returncode == 0
    write(
        consumer / ".pre-commit-config.yaml",
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: peac-validate\n",
    )
    shutil.copytree(REPO / "budgets", consumer / "budgets")
    installed = precommit(consumer, "install")
    assert installed.returncode == 0, installed.stderr

    git(consumer, "add", "-A")
    good = git(consumer, "commit", "-m", "add shop budgets")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "peac validate" in good.stdout + good.stderr

    budget = consumer / "budgets" / "shop.budget.yaml"
    original = budget.read_text()
    broken = original.replace("stat: p99\n", "stat: p99th\n")
    budget.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("      stat: p99th") + 1
    output = _commit_fails(consumer, "break the budget")
    assert (
        f"budgets/shop.budget.yaml:{line}:13: spec.objectives[1].stat: "
        'unknown statistic "p99th" for latency (did you mean "p99"?)' in output
    ), output

    # Only the scenario changes, but the budget names the step: the hook sees the budget too.
    scenario = consumer / "budgets" / "shop.scenario.yaml"
    scenario.write_text(
        scenario.read_text().replace("        - name: checkout\n", "        - name: pay\n")
    )
    output = _commit_fails(consumer, "rename a step")
    line = original.splitlines().index("    - step: checkout") + 1
    assert (
        f'budgets/shop.budget.yaml:{line}:13: spec.objectives[6].step: scenario "shop" has no '
        'step "checkout"' in output
    ), output

    # Only a feeder's CSV changes: its scenario (and that scenario's budget) are checked.
    users = consumer / "budgets" / "data" / "users.csv"
    users.write_text(users.read_text().replace("email,", "mail,"))
    output = _commit_fails(consumer, "rename a column")
    assert 'feeder "users" has no column "email" (did you mean "mail"?)' in output, output

    # The hook's environment is the light core install: no runner, no statistics.
    home = tmp_path / "pre-commit-home"
    assert list(home.glob("repo*/py_env-*/lib/python*/site-packages/pydantic"))
    for heavy in ("numpy", "scipy", "httpx", "uvicorn", "hdrh"):
        assert not list(home.glob(f"repo*/py_env-*/lib/python*/site-packages/{heavy}")), heavy
