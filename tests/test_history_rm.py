"""``peac history rm``: a run recorded by mistake can be taken out, here and on the remote, and
stays out when notes are merged with another clone's copy (the union merge would bring its
line back; the tombstone keeps it out). Two clones and a bare remote, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.history.dirstore import DirectoryStore
from peac.history.gitnotes import GitNotesStore
from peac.model.results import RunResult
from tests.cli_helpers import run_cli
from tests.history_helpers import git, lognormal, make_repo, make_result


def _result(seed: int) -> RunResult:
    return make_result({"home": lognormal(0.05, 0.2, 100, seed)}, started_at=1.7e9 + seed)


def _ids(clone: Path, sha: str) -> set[str]:
    return {r.run_id for r in GitNotesStore(clone).runs([sha], []).get(sha, [])}


def _two_clones(tmp_path: Path) -> tuple[list[str], Path, Path]:
    work = tmp_path / "work"
    shas = make_repo(work, 2)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    one, two = tmp_path / "one", tmp_path / "two"
    for clone in (one, two):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    return shas, one, two


def test_a_removed_run_does_not_come_back_from_another_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas, one, two = _two_clones(tmp_path)
    x = shas[-1]
    store = GitNotesStore(one)
    bad_run, _ = store.record(x, _result(1))
    keep, _ = store.record(x, _result(2))
    store.push("origin")
    GitNotesStore(two).fetch("origin")
    assert _ids(two, x) == {bad_run, keep}
    # the other clone records on the same commit meanwhile: both sides change its note, so
    # the merge on push is git's cat_sort_uniq union, which alone would revive the removed line
    late, _ = GitNotesStore(two).record(x, _result(3))
    monkeypatch.chdir(one)
    code, out, err = run_cli("history", "rm", "main", "--run", bad_run[:8], "--push")
    assert code == 0, err
    assert f"removed run {bad_run} (shop on testbed ci)" in out
    assert f"1 of 2 run(s) removed from {x[:7]}" in out
    assert "pushed the removal to origin" in out
    assert _ids(one, x) == {keep}
    monkeypatch.chdir(two)
    code, _, err = run_cli("history", "push")
    assert code == 0, err
    assert bad_run in git(two, "notes", "--ref=peac", "show", x)  # the union brought it back...
    assert _ids(two, x) == {keep, late}  # ...and the tombstone keeps it out
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(fresh))
    assert GitNotesStore(fresh).fetch("origin") == 1
    assert _ids(fresh, x) == {keep, late}
    monkeypatch.chdir(fresh)
    code, out, err = run_cli("history", "show", "--format", "json")
    assert code == 0, err
    assert bad_run not in out
    # removing every run of a commit, locally only
    code, out, err = run_cli("history", "rm", x)
    assert code == 0, err
    assert f"2 of 2 run(s) removed from {x[:7]}" in out
    assert _ids(fresh, x) == set()
    assert _ids(one, x) == {keep}  # nothing pushed


def test_rm_pushes_what_only_the_remote_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas, one, two = _two_clones(tmp_path)
    run_id, _ = GitNotesStore(one).record(shas[0], _result(1))
    GitNotesStore(one).push("origin")
    monkeypatch.chdir(two)  # never fetched: --push fetches first, then removes
    code, _, err = run_cli("history", "rm", shas[0][:10], "--run", run_id, "--push")
    assert code == 0, err
    GitNotesStore(one).fetch("origin")
    assert _ids(one, shas[0]) == set()  # the clone that recorded it sees it gone as well
    # the full result went too, not only the summary (its note had nothing else)
    assert shas[0] not in git(two, "notes", "--ref=peac-results", "list")
    assert shas[0] not in git(one, "notes", "--ref=peac-results", "list")


def test_rm_in_a_directory_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shas = make_repo(tmp_path / "repo", 1)
    store = DirectoryStore(tmp_path / "results")
    first, _ = store.record(shas[0], _result(1))
    second, _ = store.record(shas[0], _result(2))
    monkeypatch.chdir(tmp_path / "repo")
    spec = f"dir:{tmp_path / 'results'}"
    code, _, err = run_cli("history", "rm", "HEAD", "--run", first, "--store", spec)
    assert code == 0, err
    assert {r.run_id for r in store.runs(shas, [])[shas[0]]} == {second}
    assert sorted(p.name for p in (tmp_path / "results" / shas[0]).iterdir()) == [
        f"{second}.peac",
        f"{second}.result",
    ]
    code, _, err = run_cli("history", "rm", "HEAD", "--store", spec)
    assert code == 0, err
    assert not (tmp_path / "results" / shas[0]).exists()
    code, _, err = run_cli("history", "rm", "HEAD", "--store", spec, "--push")
    assert code == 2 and "synced by copying the directory" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no commit 'nope'"),
        (["HEAD~1"], "no recorded runs on "),
        (["HEAD", "--run", "ab"], "--run: expected a run id (at least 4 characters"),
        (["HEAD", "--run", "ffffffff"], "--run: no run 'ffffffff' on "),
        (["HEAD", "--push", "--remote", "nowhere"], "cannot fetch refs/notes/peac from nowhere"),
    ],
)
def test_rm_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    shas = make_repo(tmp_path / "repo", 2)
    run_id, _ = GitNotesStore(tmp_path / "repo").record(shas[1], _result(1))
    monkeypatch.chdir(tmp_path / "repo")
    code, out, err = run_cli("history", "rm", *args)
    assert code == 2, out + err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _ids(tmp_path / "repo", shas[1]) == {run_id}  # nothing removed


def test_rm_suggests_the_run_meant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shas = make_repo(tmp_path / "repo", 1)
    run_id, _ = GitNotesStore(tmp_path / "repo").record(shas[0], _result(1))
    monkeypatch.chdir(tmp_path / "repo")
    typo = run_id[:-1] + ("0" if run_id[-1] != "0" else "1")
    code, _, err = run_cli("history", "rm", "HEAD", "--run", typo)
    assert code == 2
    assert f'(did you mean "{run_id}"?); its runs: {run_id}' in err
