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
from tests.test_gate_cli import gate, head_result, make_shop, shop_result


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


def _shop_remote(tmp_path: Path, *, notes: bool = True) -> tuple[Path, Path]:
    """The gate tests' shop (20 recorded commits on main, a branch pr) behind a bare remote,
    with or without its notes; (the remote, a CI clone of pr without notes)."""
    repo = make_shop(tmp_path)
    if not notes:
        for ref in ("refs/notes/peac", "refs/notes/peac-results"):
            git(repo, "update-ref", "-d", ref)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    if notes:
        git(repo, "push", "-q", str(origin), "refs/notes/*:refs/notes/*")
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--branch", "pr", str(origin), str(ci))
    return origin, ci


def test_the_gate_fetches_the_notes_a_fresh_clone_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ci = _shop_remote(tmp_path)
    assert not GitNotesStore(ci).present()  # git clone does not fetch notes
    monkeypatch.chdir(ci)
    code, out, err = gate(str(head_result(ci, tmp_path / "h.json", checkout=0.3)))
    assert code == 1, out + err  # judged against the history, so the regression is caught
    assert (
        "fetched refs/notes/peac and refs/notes/peac-results from origin: 20 commits have results"
        in out
    )
    assert "20 commits of history" in out
    assert GitNotesStore(ci).present()
    # the second time the notes are here: nothing more is fetched
    code, out, _ = gate(str(head_result(ci, tmp_path / "h.json")))
    assert code == 0 and "fetched refs/notes" not in out


def test_no_results_anywhere_is_never_a_silent_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ci = _shop_remote(tmp_path, notes=False)
    monkeypatch.chdir(ci)
    head = str(head_result(ci, tmp_path / "h.json"))
    code, out, err = gate(head)
    assert code == 2, out + err
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    main = git(ci, "rev-parse", "origin/main")
    assert f"no peac results in this clone for the 20 commit(s) of main up to {main[:7]}" in err
    assert "nor on origin: record runs on main first (peac run, then peac record RESULT" in err
    assert "then peac history push" in err
    # the same in history show, which reads origin/main here
    code, _, err = run_cli("history", "show")
    assert code == 2 and "no peac results in this clone for the 20 commit(s) of main" in err
    # no remote at all
    git(ci, "remote", "remove", "origin")
    git(ci, "branch", "main", main)
    code, _, err = gate(head)
    assert code == 2
    assert "refs/notes/peac is not here and there is no remote to fetch it from" in err
    assert "peac history fetch --remote NAME" in err
    # a remote that cannot be reached
    git(ci, "remote", "add", "origin", str(tmp_path / "gone.git"))
    code, _, err = gate(head)
    assert code == 2 and "Traceback" not in err
    assert "refs/notes/peac is not here: cannot fetch refs/notes/peac from origin" in err
    assert "fix the remote and run peac history fetch" in err
    # results exist, but none on the commits of the window
    store = GitNotesStore(ci)
    store.record(git(ci, "rev-parse", "HEAD"), shop_result(7))  # on pr, not on main
    code, _, err = gate(head)
    assert code == 2
    assert "(1 other commit(s) have results; peac history fetch brings newer ones)" in err


def test_a_directory_store_without_results_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ci = _shop_remote(tmp_path, notes=False)
    monkeypatch.chdir(ci)
    (tmp_path / "results").mkdir()  # an empty directory (a missing one is its own error)
    code, _, err = gate(
        str(head_result(ci, tmp_path / "h.json")), "--store", f"dir:{tmp_path / 'results'}"
    )
    assert code == 2
    assert f"(directory {tmp_path / 'results'}): copy the results directory here" in err
