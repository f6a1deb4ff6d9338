"""The history stores on real repositories: record, read back, push and fetch through a bare
remote with concurrent writers, shallow clones, damaged notes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest

from peac.core.measures import STAT_ORDER
from peac.errors import PeacError
from peac.history import records
from peac.history.dirstore import DirectoryStore
from peac.history.gitnotes import GitNotesStore
from peac.history.reader import computed_values
from peac.history.store import open_store
from peac.model.results import GitState, RunResult
from peac.results.format import write
from tests.cli_helpers import run_cli
from tests.history_helpers import commit, git, lognormal, make_repo, make_result


def _result(seed: int, testbed: str = "ci", scale: float = 1.0) -> RunResult:
    return make_result(
        {"home": lognormal(0.05 * scale, 0.2, 200, seed)},
        started_at=1_700_000_000.0 + seed,
        testbed=testbed,
    )


@pytest.mark.parametrize("kind", ["git", "dir"])
def test_runs_are_recorded_per_commit_and_read_back(tmp_path: Path, kind: str) -> None:
    shas = make_repo(tmp_path / "repo", 3)
    store = (
        GitNotesStore(tmp_path / "repo") if kind == "git" else DirectoryStore(tmp_path / "store")
    )
    first, added = store.record(shas[0], _result(1))
    assert added
    assert store.record(shas[0], _result(1)) == (first, False)  # same result: no duplicate
    store.record(shas[0], _result(2, testbed="big"))  # another testbed on the same commit
    store.record(shas[2], _result(3))
    bad: list[str] = []
    runs = store.runs(shas, bad)
    assert bad == []
    assert sorted(runs) == sorted([shas[0], shas[2]])
    assert sorted(r.testbed for r in runs[shas[0]]) == ["big", "ci"]
    assert store.commits() == {shas[0], shas[2]}
    record = next(r for r in runs[shas[0]] if r.run_id == first)
    assert record.requests == 200
    assert record.values["home|latency|p50"] == pytest.approx(0.05, rel=0.1)
    # the full result comes back too, for statistics the summary does not hold
    assert record.value("home|latency|p99.99") is None  # not kept in the summary
    assert computed_values(runs, "home|latency|p99.99")[first] == pytest.approx(
        record.result().latency("home").get_value_at_percentile(99.99) / 1e6
    )


def test_a_damaged_line_is_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    shas = make_repo(tmp_path / "repo", 1)
    store = GitNotesStore(tmp_path / "repo")
    store.record(shas[0], _result(1))
    note = git(tmp_path / "repo", "notes", "--ref=peac", "show", shas[0])
    damaged = note + "\npeac/1 0123 shop ci bm90IHpsaWI=\npeac/9 future format\n"
    git(tmp_path / "repo", "notes", "--ref=peac", "add", "-f", "-m", damaged, shas[0])
    bad: list[str] = []
    runs = store.runs(shas, bad)
    assert len(runs[shas[0]]) == 1
    assert len(bad) == 2
    assert "damaged record '0123'" in bad[0]
    assert "not a peac/1 record" in bad[1]


def _forged(summary: dict[str, object]) -> str:
    return "peac/1 f0f0 shop ci " + records._pack(json.dumps(summary))


def _summary(p95: float, requests: int = 200) -> dict[str, object]:
    stats = [0.05] * len(STAT_ORDER["latency"])
    stats[STAT_ORDER["latency"].index("p95")] = p95
    return {
        "started_at": 1.0,
        "requests": requests,
        "invalid": "",
        "dirty": False,
        "table": {"home": {"latency": records.pack_values(list(stats))}},
    }


@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        (_summary(1e308), "latency value 1e+308 is not a measurement"),
        (_summary(-0.2), "latency value -0.2 is not a measurement"),
        (_summary(0.05, requests=-5), "requests -5 is not a count"),
        (_summary(0.05, requests=10**30), "is not a count"),
    ],
)
def test_forged_note_values_are_damage_not_data(
    tmp_path: Path, summary: dict[str, object], reason: str
) -> None:
    # Hostile: a note line written by hand so that no regression can be found (p95 1e308) or
    # a commit silently leaves the baseline (negative p95, negative or huge request counts).
    shas = make_repo(tmp_path / "repo", 1)
    git(tmp_path / "repo", "notes", "--ref=peac", "add", "-f", "-m", _forged(summary), shas[0])
    bad: list[str] = []
    runs = GitNotesStore(tmp_path / "repo").runs(shas, bad)
    assert runs.get(shas[0], []) == []
    assert len(bad) == 1 and "damaged record 'f0f0'" in bad[0] and reason in bad[0], bad


def test_a_note_line_that_inflates_beyond_its_bound_is_refused(tmp_path: Path) -> None:
    # Hostile: 1 MB of note line is zlib of 1 GiB of JSON; it is refused after 64 MiB.
    bomb = zlib.compress(b'{"a":"' + b"a" * (200 * 1024 * 1024), 9)
    line = "peac/1 b0b0 shop ci " + base64.urlsafe_b64encode(bomb).decode("ascii")
    shas = make_repo(tmp_path / "repo", 1)
    notes = tmp_path / "note.txt"
    notes.write_text(line + "\n", encoding="ascii")
    git(tmp_path / "repo", "notes", "--ref=peac", "add", "-f", "-F", str(notes), shas[0])
    bad: list[str] = []
    tracemalloc.start()
    try:
        GitNotesStore(tmp_path / "repo").runs(shas, bad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(bad) == 1 and "decodes to more than 64 MiB" in bad[0], bad
    assert peak < 200 * 1024 * 1024, peak


def test_record_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 2)
    monkeypatch.chdir(repo)
    result = _result(1)
    result.git = GitState(commit=shas[0])
    write(result, tmp_path / "run.json")
    code, out, err = run_cli("record", str(tmp_path / "run.json"))
    assert code == 0, err
    assert f"on {shas[0][:7]} in git notes refs/notes/peac" in out
    code, out, _ = run_cli("record", str(tmp_path / "run.json"))
    assert "already recorded" in out
    code, out, err = run_cli("record", "--commit", "HEAD", str(tmp_path / "run.json"))
    assert code == 0 and shas[1][:7] in out
    assert "recording it on" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["junk.json"], "junk.json: not a peac result file"),
        (["absent.json"], "absent.json"),
        (["--commit", "nope", "run.json"], "no commit 'nope'"),
        (["--store", "s3:x", "run.json"], "--store: expected"),
    ],
)
def test_record_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, 1)
    monkeypatch.chdir(repo)
    (tmp_path / "junk.json").write_text("{not json")
    write(_result(1), tmp_path / "run.json")
    *options, name = args  # the file named last lives in tmp_path, outside the repository
    code, out, err = run_cli("record", *options, str(tmp_path / name))
    assert code == 2, (args, out, err)
    assert message in err
    assert "Traceback" not in err
    assert GitNotesStore(repo).commits() == set()  # nothing half-recorded


def test_record_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(_result(1), tmp_path / "run.json")
    code, _, err = run_cli("record", "run.json")
    assert code == 2 and "not inside a git repository" in err


WRITER = """
import sys
from pathlib import Path
sys.path[:0] = [{root!r}]
from tests.history_helpers import make_result, lognormal
from peac.history.gitnotes import GitNotesStore
clone, index, shas = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
store = GitNotesStore(clone)
for k, sha in enumerate(shas):
    seed = index * 100 + k
    result = make_result({{"home": lognormal(0.05, 0.2, 50, seed)}}, started_at=1.7e9 + seed)
    print(store.record(sha, result)[0])
print("ready", flush=True)
sys.stdin.readline()  # the barrier: every writer pushes when the test says go
print("attempts", store.push("origin"))
"""


def test_eight_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    shas = make_repo(work, 3)
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    script = WRITER.format(tests=str(Path(__file__).parent), root=str(Path(__file__).parents[1]))
    writers = []
    for index in range(8):
        clone = tmp_path / f"writer{index}"
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        writers.append(
            subprocess.Popen(
                [sys.executable, "-c", script, str(clone), str(index), *shas],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    written = []
    for writer in writers:  # each says ready (its runs recorded) and waits on its stdin
        assert writer.stdout is not None
        for line in iter(writer.stdout.readline, ""):
            if line.strip() == "ready":
                break
            written.append(line.strip())
        assert writer.poll() is None, writer.communicate()
    for writer in writers:  # all push at once
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        written += [line for line in out.splitlines() if not line.startswith("attempts")]
    assert len(set(written)) == 24

    reader = tmp_path / "reader"
    git(tmp_path, "clone", "-q", str(origin), str(reader))
    store = GitNotesStore(reader)
    assert store.fetch("origin") == 3
    bad: list[str] = []
    found = {r.run_id for runs in store.runs(shas, bad).values() for r in runs}
    assert found == set(written)
    assert bad == []


def test_fetch_merges_with_local_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    shas = make_repo(work, 2)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    one, two = tmp_path / "one", tmp_path / "two"
    for clone in (one, two):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    GitNotesStore(one).record(shas[0], _result(1))
    monkeypatch.chdir(one)
    assert run_cli("history", "push")[0] == 0
    GitNotesStore(two).record(shas[1], _result(2))  # a local result not on the remote yet
    monkeypatch.chdir(two)
    code, out, err = run_cli("history", "fetch")
    assert code == 0, err
    assert "2 commits have results" in out
    code, out, err = run_cli("history", "fetch", "--remote", "nowhere")
    assert code == 2 and "cannot fetch refs/notes/peac from nowhere" in err
    (tmp_path / "d").mkdir()
    code, _, err = run_cli("history", "push", "--store", f"dir:{tmp_path / 'd'}")
    assert code == 2 and "copying the directory" in err


def test_push_with_nothing_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(tmp_path / "repo", 1)
    monkeypatch.chdir(tmp_path / "repo")
    code, _, err = run_cli("history", "push")
    assert code == 2 and "nothing to push" in err


def test_open_store_specs(tmp_path: Path) -> None:
    make_repo(tmp_path / "repo", 1)
    assert isinstance(open_store("git", tmp_path / "repo"), GitNotesStore)
    assert (
        open_store("git:perf", tmp_path / "repo").describe().startswith("git notes refs/notes/perf")
    )
    assert isinstance(open_store(f"dir:{tmp_path}", tmp_path), DirectoryStore)
    with pytest.raises(PeacError):
        open_store("dir:", tmp_path)
    # A misspelt directory is an error, never an empty history that passes every gate.
    with pytest.raises(PeacError, match="expected an existing directory, found nothing"):
        open_store(f"dir:{tmp_path / 'nonexistent'}", tmp_path)


def test_json_of_history_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 6)
    store = GitNotesStore(repo)
    for i, sha in enumerate(shas):
        store.record(sha, _result(i))
    store.record(shas[-1], _result(99, testbed="other"))
    monkeypatch.chdir(repo)
    code, out, err = run_cli("history", "show", "--step", "home", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["testbed"] == "other"  # the newest run's testbed unless told
    assert [p["commit"] for p in data["points"]] == shas[-1:]
    code, out, err = run_cli(
        "history", "show", "--step", "home", "--format", "json", "--any-testbed"
    )
    data = json.loads(out)
    assert [p["commit"] for p in data["points"]] == shas  # oldest first, every commit
    assert len(data["points"][-1]["runs"]) == 2
    code, out, err = run_cli("history", "show", "--step", "home", "--testbed", "ci", "--last", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith(shas[-1][:7])  # newest first, like git log
    assert sum(line[:7] in {s[:7] for s in shas} for line in lines) == 3
    code, _, err = run_cli("history", "show", "--testbed", "nope")
    assert code == 2 and "no runs of testbed 'nope'" in err
    code, _, err = run_cli("history", "show", "--metric", "latncy")
    assert code == 2 and "--metric" in err
    commit(repo, "unmeasured")
    code, out, _ = run_cli("history", "show", "--step", "home", "--testbed", "ci")
    assert "(1 of 7 commits have no matching runs)" in out


def test_history_show_diagnostics_backtest_the_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 12)
    store = GitNotesStore(repo)
    for i, sha in enumerate(shas):
        store.record(sha, _result(i))
    monkeypatch.chdir(repo)
    code, out, err = run_cli("history", "show", "--step", "home", "--diagnostics")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("diagnostics:"))
    assert line.startswith("diagnostics: one-step forecasts of the last 9 commits: MAPE ")
    assert "beyond the bound" in line
    code, out, err = run_cli(
        "history", "show", "--step", "home", "--diagnostics", "--format", "json"
    )
    assert code == 0, err
    checks = json.loads(out)["diagnostics"]
    assert checks["forecasts"] == 9
    assert 0 <= checks["alarm_rate"] <= 1
    code, out, _ = run_cli("history", "show", "--step", "home", "--diagnostics", "--last", "3")
    assert "diagnostics: too few commits to backtest the forecast" in out


def test_an_untracked_file_beside_the_scenario_makes_the_tree_dirty(tmp_path: Path) -> None:
    from peac.history.git import work_tree_state

    repo = tmp_path / "repo"
    make_repo(repo, 1)
    (repo / "budgets").mkdir()
    (repo / "budgets/s.yaml").write_text("x: 1\n", encoding="utf-8")
    git(repo, "add", "budgets/s.yaml")
    git(repo, "commit", "-q", "-m", "scenario")
    state = work_tree_state(repo / "budgets")
    assert state is not None and not state.dirty
    (repo / "results").mkdir()
    (repo / "results/run.json").write_text("{}", encoding="utf-8")  # output: not a change
    state = work_tree_state(repo / "budgets")
    assert state is not None and not state.dirty
    (repo / "budgets/users.csv").write_text("name\n", encoding="utf-8")  # new data: a change
    state = work_tree_state(repo / "budgets")
    assert state is not None and state.dirty
