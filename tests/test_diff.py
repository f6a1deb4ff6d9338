"""``peac diff``: the pure comparison and the command on result files and recorded commits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from peac.core.diff import Row, compare
from peac.history.gitnotes import GitNotesStore
from peac.model.results import RunResult
from peac.model.results import Testbed as Machine  # not Test*: pytest would collect it
from peac.results.format import write
from tests.cli_helpers import run_cli
from tests.history_helpers import lognormal, make_repo, make_result


def runs(median: float, seeds: range) -> list[RunResult]:
    return [
        make_result({"home": lognormal(median, 0.3, 300, s)}, started_at=1.7e9 + s) for s in seeds
    ]


def row(rows: Sequence[Row], step: str, metric: str, stat: str) -> Row:
    return next(r for r in rows if (r.step, r.metric, r.stat) == (step, metric, stat))


def test_several_runs_a_side_use_a_rank_test() -> None:
    slower = compare(runs(0.1, range(5)), runs(0.13, range(5, 10)))
    p50 = row(slower, "home", "latency", "p50")
    assert p50.test == "U"
    assert p50.significant(0.05)
    assert p50.change == pytest.approx(0.3, abs=0.05)
    same = compare(runs(0.1, range(5)), runs(0.1, range(5, 10)))
    assert not row(same, "home", "latency", "p50").significant(0.05)


def test_single_runs_use_a_bootstrap_over_requests() -> None:
    big = compare(runs(0.1, range(1)), runs(0.15, range(1, 2)))
    p95 = row(big, "", "latency", "p95")
    assert p95.test == "bootstrap"
    assert p95.significant(0.05)
    same = compare(runs(0.1, range(1)), runs(0.1, range(1, 2)))
    p50 = row(same, "", "latency", "p50")
    assert p50.p_value is not None and p50.p_value > 0.05
    assert row(same, "", "throughput", "rate").test == ""  # nothing to test one rate with


def test_diff_command_on_files_and_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 2)
    store = GitNotesStore(repo)
    for run in runs(0.1, range(3)):
        store.record(shas[0], run)
    for run in runs(0.2, range(3, 6)):
        store.record(shas[1], run)
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "HEAD~1", "HEAD", "--step", "home")
    assert code == 0, err
    assert f"base {shas[0][:7]} (3 runs) vs head {shas[1][:7]} (3 runs)" in out
    line = next(x for x in out.splitlines() if "latency p50" in x)
    assert "n=3+3" in line and " U" in line
    write(runs(0.1, range(1))[0], tmp_path / "a.json")
    write(runs(0.1, range(1, 2))[0], tmp_path / "b.json")
    code, out, _ = run_cli(
        "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "markdown"
    )
    assert code == 0
    assert out.startswith("**peac diff** · shop · base a.json (1 run) vs head b.json (1 run)")
    assert "| all steps | latency p50 |" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "HEAD~1", "HEAD"], "no recorded runs"),
        (["diff", "nope", "HEAD"], "no commit 'nope'"),
        (["diff", "x.json", "HEAD"], "x.json: no such result file"),
    ],
)
def test_diff_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    make_repo(tmp_path / "repo", 2)
    monkeypatch.chdir(tmp_path / "repo")
    code, _, err = run_cli(*args)
    assert code == 2, args
    assert message in err


def test_a_run_against_itself_has_p_values_of_at_most_one() -> None:
    """Comparing a commit with itself ties every bootstrap draw: p is 1, never above it."""
    (one,) = runs(0.1, range(1))
    rows = compare([one], [one])
    tested = [r.p_value for r in rows if r.p_value is not None]
    assert tested and all(0 < p <= 1 for p in tested)
    assert row(rows, "home", "latency", "p95").p_value == 1.0


def test_commits_are_compared_on_one_testbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit measured on a laptop and on the CI runner: the diff does not set one machine's
    numbers against another's (issue 21), it takes the testbed both sides share, or refuses."""
    repo = tmp_path / "repo"
    shas = make_repo(repo, 2)
    store = GitNotesStore(repo)
    for testbed, level, commit in (("ci", 0.1, 0), ("laptop", 0.3, 1), ("ci", 0.1, 1)):
        for run in runs(level, range(2)):
            run.testbed = Machine(label=testbed)
            store.record(shas[commit], run)
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "HEAD~1", "HEAD", "--step", "home")
    assert code == 0, err
    assert "compared on testbed ci (the one both sides have); 2 other run(s) left out" in out
    assert "(2 runs) vs head" in out and "· testbed ci" in out
    laptop_only = make_repo(tmp_path / "other", 2)
    other = GitNotesStore(tmp_path / "other")
    for testbed, commit in (("ci", 0), ("laptop", 1)):
        for run in runs(0.1, range(1)):
            run.testbed = Machine(label=testbed)
            other.record(laptop_only[commit], run)
    monkeypatch.chdir(tmp_path / "other")
    code, _, err = run_cli("diff", "HEAD~1", "HEAD")
    assert code == 2
    assert "the sides ran on different testbeds (base: ci; head: laptop)" in err
