"""The README's main job, end to end: real runs against the demo shop on successive commits of a
temporary repository, then a pull request that slows the checkout, caught by the gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peac.demo.pipeline import MARKER, prepare_out
from peac.errors import InputError
from tests.cli_helpers import run_cli
from tests.conftest import REPO


@pytest.mark.slow
def test_demo_catches_the_injected_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"  # not a peac checkout: the demo needs none
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SHOP_DEMO_API_KEY", raising=False)
    environ = dict(os.environ)
    out = tmp_path / "demo"
    code, stdout, stderr = run_cli("demo", "--duration", "2s", "--commits", "4", "--out", str(out))
    assert code == 0, stdout + stderr
    assert "the gate caught the injected regression (exit 1)" in stdout
    assert "pull request slow-checkout" in stdout
    comment = (out / "slow-checkout.md").read_text()
    assert comment.startswith("❌ **peac gate FAIL**")
    assert "latency p95 (key)" in comment
    assert "(budgets/shop.budget.yaml:" in comment  # limits located in the repository
    assert len(list((out / "results").glob("main-*.json"))) == 4
    assert (out / "repo/.git").is_dir()
    assert Path.cwd() == elsewhere  # neither the directory nor the environment changed
    assert dict(os.environ) == environ


def test_the_shipped_budgets_are_the_repository_examples() -> None:
    shipped = REPO / "peac/demo/budgets"
    for path in (REPO / "budgets").rglob("*"):
        if path.is_file():
            copy = shipped / path.relative_to(REPO / "budgets")
            assert copy.read_bytes() == path.read_bytes(), f"{copy} differs from {path}"


@pytest.mark.parametrize("what", ["the current folder", "a folder with the user's files"])
def test_the_demo_refuses_a_folder_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    (tmp_path / "results").mkdir()
    (tmp_path / "results/mine.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    target = "." if what == "the current folder" else str(tmp_path)
    code, _, err = run_cli("demo", "--out", target)
    assert code == 2
    assert "was not made by peac demo" in err and "nothing was deleted" in err
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert (tmp_path / "results/mine.json").exists()


def test_a_rerun_clears_only_what_the_demo_made(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    prepare_out(out)
    (out / "repo").mkdir()
    (out / "slow-checkout.md").write_text("old comment")
    (out / "notes-of-mine.txt").write_text("keep me")
    prepare_out(out)
    assert not (out / "repo").exists()
    assert not (out / "slow-checkout.md").exists()
    assert (out / "notes-of-mine.txt").read_text() == "keep me"
    assert (out / MARKER).is_file()


def test_a_file_is_not_a_demo_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        prepare_out(tmp_path / "f")
