"""The merge driver, through real `git merge` and `git rebase` in temporary repositories: edits
of different limits merge even on adjacent lines, the same limit keeps the stricter value with a
comment, anything else (or an invalid result) leaves git's conflict markers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.history_helpers import git

BUDGETS = Path(__file__).resolve().parents[1] / "budgets"
BUDGET = "budgets/shop.budget.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main with the shop's budgets, and the driver installed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    shutil.copytree(BUDGETS, repo / "budgets")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("install-merge-driver")
    assert code == 0, err
    assert ".gitattributes: added budgets/**/*.yaml merge=peac" in out
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "budgets")
    return repo


def _edit(repo: Path, branch: str, old: str, new: str, *, start: str = "main") -> None:
    git(repo, "checkout", "-q", "-b", branch, start)
    path = repo / BUDGET
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"edit on {branch}")
    git(repo, "checkout", "-q", "main")


def _merge(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "merge", "--no-edit", branch],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


WARN = "      warn: {max: 250ms, max_regression: 10%}\n"
FAIL = "      fail: {max: 400ms, max_regression: 25%}\n"


def test_edits_of_adjacent_limits_merge_by_meaning(repo: Path) -> None:
    original = (repo / BUDGET).read_text(encoding="utf-8")
    assert WARN + FAIL in original  # adjacent lines: git's line merge would conflict
    _edit(repo, "ours", WARN, WARN.replace("250ms", "200ms"))
    _edit(repo, "theirs", FAIL, FAIL.replace("400ms", "350ms"))
    assert _merge(repo, "ours").returncode == 0
    done = _merge(repo, "theirs")
    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / BUDGET).read_text(encoding="utf-8")
    expected = original.replace(
        WARN + FAIL, WARN.replace("250ms", "200ms") + FAIL.replace("400ms", "350ms")
    )
    assert merged == expected  # every other byte, comments included, as it was
    assert "peac merge-driver: budgets/shop.budget.yaml: merged" in done.stderr
    code, out, err = run_cli("validate", "budgets")
    assert code == 0, out + err


def test_the_same_limit_changed_on_both_sides_keeps_the_stricter(repo: Path) -> None:
    _edit(repo, "ours", FAIL, FAIL.replace("400ms", "380ms"))
    _edit(repo, "theirs", FAIL, FAIL.replace("400ms", "300ms"))
    assert _merge(repo, "ours").returncode == 0
    done = _merge(repo, "theirs")
    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / BUDGET).read_text(encoding="utf-8")
    line = next(x for x in merged.splitlines() if "max_regression: 25%" in x)
    assert "max: 300ms" in line
    assert "# merged: ours 380ms, theirs 300ms; the stricter kept" in line


def test_markers_policy_and_other_conflicts_leave_git_markers(repo: Path) -> None:
    old = "  description: What the shop API must achieve under the shop scenario\n"
    _edit(repo, "ours", old, old.replace("What", "Ours say what"))
    _edit(repo, "theirs", old, old.replace("What", "Theirs say what"))
    assert _merge(repo, "ours").returncode == 0
    done = _merge(repo, "theirs")
    assert done.returncode != 0
    merged = (repo / BUDGET).read_text(encoding="utf-8")
    assert "<<<<<<< ours" in merged and ">>>>>>> theirs" in merged
    assert "both sides changed metadata.description differently" in done.stdout + done.stderr


def test_a_merge_that_would_be_invalid_leaves_markers(repo: Path) -> None:
    """Each side is valid; together warn (350 ms) would be looser than fail (300 ms)."""
    _edit(repo, "ours", FAIL, FAIL.replace("400ms", "300ms"))
    _edit(repo, "theirs", WARN, WARN.replace("250ms", "350ms"))
    assert _merge(repo, "ours").returncode == 0
    done = _merge(repo, "theirs")
    merged = (repo / BUDGET).read_text(encoding="utf-8")
    assert done.returncode != 0
    assert "the merged file would not be valid" in done.stderr
    assert "<<<<<<<" in merged
    assert not list((repo / "budgets").glob(".*peac-merge*"))  # the check's file is gone


def test_a_rebase_goes_through_the_driver(repo: Path) -> None:
    _edit(repo, "feature", FAIL, FAIL.replace("400ms", "350ms"))
    path = repo / BUDGET
    path.write_text(path.read_text(encoding="utf-8").replace(WARN, WARN.replace("250ms", "200ms")))
    git(repo, "commit", "-q", "-am", "main tightens warn")
    git(repo, "checkout", "-q", "feature")
    done = subprocess.run(
        ["git", "rebase", "main"], cwd=repo, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text(encoding="utf-8")
    assert WARN.replace("250ms", "200ms") + FAIL.replace("400ms", "350ms") in text


def test_install_is_idempotent_and_bad_input_is_one_line(repo: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli("install-merge-driver")
    assert code == 0 and "already routes" in out
    assert (repo / ".gitattributes").read_text(encoding="utf-8").count("merge=peac") == 2
    driver = git(repo, "config", "merge.peac.driver")
    assert driver.endswith("-m peac merge-driver %O %A %B %P")
    code, _, err = run_cli("merge-driver", str(tmp_path / "none"), BUDGET, BUDGET, BUDGET)
    assert code == 2 and err.count("\n") == 1 and "no such file" in err


def test_a_link_committed_beside_the_budget_is_never_written_through(
    repo: Path, tmp_path: Path
) -> None:
    # Hostile: a pull request commits the driver's old check-file name (and recommend's) as
    # links to a file outside the repository; the merge's check file gets a fresh name,
    # created exclusively, so the victim is never written.
    victim = tmp_path / "victim.sh"
    victim.write_text("echo safe\n", encoding="utf-8")
    for name in (".shop.budget.yaml.peac-merge.yaml", ".shop.budget.yaml.peac-recommend.yaml"):
        (repo / "budgets" / name).symlink_to(victim)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "links")
    _edit(repo, "ours", WARN, WARN.replace("250ms", "200ms"))
    _edit(repo, "theirs", FAIL, FAIL.replace("400ms", "350ms"))
    assert _merge(repo, "ours").returncode == 0
    done = _merge(repo, "theirs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert victim.read_text(encoding="utf-8") == "echo safe\n"
    assert (repo / "budgets" / ".shop.budget.yaml.peac-merge.yaml").is_symlink()
    leftovers = [p.name for p in (repo / "budgets").glob(".*peac-merge*") if not p.is_symlink()]
    assert leftovers == []
