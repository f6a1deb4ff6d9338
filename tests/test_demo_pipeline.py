"""The README's main job, end to end: real runs against the demo shop on successive commits of a
temporary repository, then a pull request that slows the checkout, caught by the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.conftest import REPO


@pytest.mark.slow
def test_demo_catches_the_injected_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "demo"
    code, stdout, stderr = run_cli("demo", "--duration", "2s", "--commits", "4", "--out", str(out))
    assert code == 0, stdout + stderr
    assert "the gate caught the injected regression (exit 1)" in stdout
    assert "pull request slow-checkout" in stdout
    comment = (out / "slow-checkout.md").read_text()
    assert comment.startswith("❌ **peac gate FAIL**")
    assert "latency p95 (key)" in comment
    assert len(list((out / "results").glob("main-*.json"))) == 4
    assert (out / "repo/.git").is_dir()
