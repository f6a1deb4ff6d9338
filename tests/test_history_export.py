"""``peac history export``: one row per recorded run of a series, as CSV or JSON, with whether
the series used it; commit subjects are untrusted, so CSV cells never become formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from peac.history.gitnotes import GitNotesStore
from peac.model.results import GitState
from peac.report.escape import csv_cell
from tests.cli_helpers import run_cli
from tests.history_helpers import commit, git, lognormal, make_result

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "plain, with a comma"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Five commits with hostile subjects; a run on each, a run of another testbed and a
    forced partial run on the newest, a dirty run on the oldest."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = [commit(repo, subject) for subject in HOSTILE]
    store = GitNotesStore(repo)
    for i, sha in enumerate(shas):
        store.record(sha, make_result({"home": lognormal(0.05, 0.2, 100, i)}, started_at=1.7e9 + i))
    store.record(shas[-1], make_result({"home": [0.05] * 10}, testbed="big", started_at=1.6e9))
    store.record(shas[-1], make_result({"home": [9.0] * 10}, partial=True, started_at=1.6e9))
    dirty = make_result({"home": [0.05] * 10}, started_at=1.6e9 + 1)
    dirty.git = GitState(commit=shas[0], dirty=True)
    store.record(shas[0], dirty)
    monkeypatch.chdir(repo)
    return repo


def test_csv_has_a_row_per_run_and_says_which_were_used(repo: Path) -> None:
    code, out, err = run_cli("history", "export", "--step", "home", "--testbed", "ci")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "commit", "date", "subject", "run_id", "scenario", "testbed", "series", "value",
        "unit", "used", "excluded",
    ]  # fmt: skip
    assert len(rows) == 8
    assert [r["subject"] for r in rows if r["used"] == "true"] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain, with a comma",
    ]
    excluded = sorted(r["excluded"] for r in rows if r["used"] == "false")
    assert excluded == [
        "dirty work tree",
        "invalid run: partial run (interrupted)",
        "other testbed",
    ]
    used = next(r for r in rows if r["used"] == "true")
    assert float(used["value"]) == pytest.approx(0.05, rel=0.5)
    assert used["series"] == "home|latency|p95" and used["unit"] == "duration"
    assert used["date"].endswith("Z") and len(used["run_id"]) == 16
    # the run ids are the ones history show lists for the same selection
    code, shown, _ = run_cli(
        "history", "show", "--step", "home", "--testbed", "ci", "--format", "json"
    )
    ids = {i for p in json.loads(shown)["points"] for i in p["run_ids"]}
    assert ids == {r["run_id"] for r in rows if r["used"] == "true"}


def test_json_export_and_any_testbed(repo: Path) -> None:
    code, out, err = run_cli(
        "history", "export", "--format", "json", "--any-testbed", "--metric", "error_rate"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["series"] == "|error_rate|rate" and data["branch"] == "main"
    runs = data["runs"]
    assert len(runs) == 8
    assert runs[0]["subject"] == HOSTILE[0]  # JSON keeps the text as it is: no formula there
    assert sum(r["used"] for r in runs) == 6  # the other testbed counts now
    assert {r["excluded"] for r in runs} == {
        "",
        "dirty work tree",
        "invalid run: partial run (interrupted)",
    }
    assert all(r["value"] == 0.0 for r in runs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "Invalid value for '--format'"),
        (["--step", "hom"], '(did you mean "home"?)'),
        (["--scenario", "shpo"], "no runs of scenario 'shpo' in this history"),
        (["--metric", "latncy"], "--metric"),
        (["--branch", "nope"], "no branch 'nope'"),
    ],
)
def test_export_bad_input(repo: Path, args: list[str], message: str) -> None:
    code, out, err = run_cli("history", "export", *args)
    assert code == 2, out + err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(text: str, cell: str) -> None:
    assert csv_cell(text) == cell


def test_export_agrees_with_show_on_outliers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit history show leaves out as an outlier is not "used" in the export either."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    store = GitNotesStore(repo)
    shas = []
    for i in range(12):
        shas.append(commit(repo, f"change {i}"))
        median = 0.5 if i == 6 else 0.05  # one 10x blip in a quiet series
        store.record(
            shas[-1], make_result({"home": lognormal(median, 0.02, 200, i)}, started_at=1.7e9 + i)
        )
    monkeypatch.chdir(repo)
    code, shown, err = run_cli("history", "show", "--step", "home", "--stat", "p50")
    assert code == 0, err
    assert "outlier" in shown
    code, out, err = run_cli("history", "export", "--step", "home", "--stat", "p50")
    assert code == 0, err
    rows = {r["commit"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows[shas[6]]["used"] == "false"
    assert rows[shas[6]]["excluded"] == "outlier left out of the baseline"
    assert all(rows[s]["used"] == "true" for s in shas if s != shas[6])
