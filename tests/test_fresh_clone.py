"""What a new team trips over in a fresh CI clone: no local ``main``, no notes fetched, a
mistyped step. Real repositories: a work repository, its bare remote and clones of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peac.history.gitnotes import GitNotesStore
from peac.model.results import GitState, RunResult
from peac.results.format import write
from tests.cli_helpers import run_cli
from tests.history_helpers import commit, git, lognormal, make_repo, make_result


def _result(seed: int, median: float = 0.05) -> RunResult:
    return make_result(
        {"home": lognormal(median, 0.2, 200, seed), "checkout": lognormal(0.2, 0.2, 200, seed)},
        started_at=1_700_000_000.0 + seed,
    )


def _published(tmp_path: Path, commits: int = 4) -> tuple[list[str], Path]:
    """A work repository whose main has a recorded run on every commit, pushed with its notes
    to a bare remote; (the commits, the remote)."""
    work = tmp_path / "work"
    shas = make_repo(work, commits)
    store = GitNotesStore(work)
    for i, sha in enumerate(shas):
        store.record(sha, _result(i))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    git(work, "remote", "add", "origin", str(origin))
    store.push("origin")
    return shas, origin


def _pr_clone(tmp_path: Path, origin: Path, name: str = "ci") -> Path:
    """What CI checks out: a clone on a pull-request branch, with no local main."""
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "pr")
    git(clone, "branch", "-D", "main")
    commit(clone, "the change under review")
    return clone


def test_show_and_diff_read_origin_main_when_there_is_no_local_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas, origin = _published(tmp_path)
    clone = _pr_clone(tmp_path, origin)
    monkeypatch.chdir(clone)
    assert run_cli("history", "fetch")[0] == 0
    code, out, err = run_cli("history", "show", "--step", "home", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["branch"] == "origin/main"
    assert [p["commit"] for p in data["points"]] == shas
    code, out, err = run_cli("diff", "main~1", "main", "--step", "home")
    assert code == 0, err
    assert f"base {shas[-2][:7]} (1 run) vs head {shas[-1][:7]} (1 run)" in out
    # the head side may be a results file (the run CI just made), the base a branch
    head = _result(50, median=0.1)
    head.git = GitState(commit=git(clone, "rev-parse", "HEAD"))
    write(head, tmp_path / "head.json")
    code, out, err = run_cli("diff", "main", str(tmp_path / "head.json"), "--step", "home")
    assert code == 0, err
    assert f"base {shas[-1][:7]} (1 run) vs head head.json (1 run)" in out
    # a name that is neither here nor on a remote still says what it could not find
    code, _, err = run_cli("diff", "mian", str(tmp_path / "head.json"))
    assert code == 2 and "no commit 'mian'" in err


@pytest.mark.parametrize("command", ["show", "diff"])
def test_an_unknown_step_gets_a_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    _published(tmp_path, 2)
    monkeypatch.chdir(tmp_path / "work")
    args = ["history", "show"] if command == "show" else ["diff", "main~1", "main"]
    code, out, err = run_cli(*args, "--step", "chekout")
    assert code == 2, out
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no step 'chekout'" in err
    assert '(did you mean "checkout"?)' in err
    assert "'checkout', 'home'" in err
    code, _, err = run_cli(*args, "--step", "zzz")
    assert code == 2 and "did you mean" not in err and "'checkout', 'home'" in err
    assert run_cli(*args, "--step", "checkout")[0] == 0
