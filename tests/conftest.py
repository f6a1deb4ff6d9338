"""Hermetic test environment: real git with a pinned identity, HOME redirected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "example-files"


@pytest.fixture(autouse=True)
def _hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PEAC_DEBUG"):
        monkeypatch.delenv(key, raising=False)
    # The suite may itself run in a CI job: its platform's variables would make `peac ci`
    # believe it builds that job's pull request (and post comments with its token).
    import os

    for key in list(os.environ):
        if key.startswith(("GITHUB_", "GITLAB_", "CI_", "PEAC_")) or key == "RUNNER_TEMP":
            monkeypatch.delenv(key, raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "peac tests")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tests@peac.invalid")
        monkeypatch.setenv(f"GIT_{role}_DATE", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def in_examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(EXAMPLES)
    yield EXAMPLES


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
