"""Runs that cannot be judged (interrupted, load generator saturated, every request failed) stay
out of history: ``peac record`` refuses them unless --force, and the gate, ``history show`` and
``diff`` leave them out even when they were recorded anyway, naming them in their notes."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from peac.history.gitnotes import GitNotesStore
from peac.history.records import make_lines
from peac.model import histogram as hist
from peac.model.results import GitState, RunResult, Series
from peac.results.format import write
from tests.cli_helpers import run_cli
from tests.history_helpers import commit, git, lognormal, make_repo, make_result
from tests.test_gate_cli import gate, head_result, make_shop


def failing(kind: str, n: int = 50, *, scenario: str = "shop", seed: int = 0) -> RunResult:
    """A run whose every request failed: refused connections (no response) or 500s."""
    result = make_result({"home": []}, scenario=scenario, started_at=1.7e9 + seed)
    status = "error" if kind == "refused" else "5xx"
    series = Series("home", "GET", status)
    for _ in range(n):
        hist.record_seconds(series.latency, 0.0004)  # a refusal is fast: it flatters latency
        hist.record_seconds(series.service_time, 0.0004)
    result.series[series.key] = series
    result.counters.requests += n
    result.counters.failures["refused" if kind == "refused" else "http_5xx"] = n
    return result


def good(seed: int, median: float = 0.05) -> RunResult:
    return make_result({"home": lognormal(median, 0.2, 200, seed)}, started_at=1.7e9 + seed)


BAD_RUNS: dict[str, tuple[Callable[[], RunResult], str]] = {
    "partial": (lambda: make_result({"home": [0.05] * 20}, partial=True), "partial run"),
    "saturated": (
        lambda: make_result({"home": [0.05] * 20}, saturated=True),
        "load generator saturated (CPU 100%)",
    ),
    "refused": (lambda: failing("refused"), "every request failed (50 refused)"),
    "all 5xx": (lambda: failing("5xx"), "every request failed (50 http_5xx)"),
}


@pytest.mark.parametrize("kind", sorted(BAD_RUNS))
def test_record_refuses_a_run_that_cannot_be_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 1)
    monkeypatch.chdir(repo)
    make, reason = BAD_RUNS[kind]
    bad = make()
    bad.git = GitState(commit=shas[0])
    write(bad, tmp_path / "bad.json")
    ok = good(1)
    ok.git = GitState(commit=shas[0])
    write(ok, tmp_path / "ok.json")
    # a good file given first is not recorded either: all or nothing
    code, out, err = run_cli("record", str(tmp_path / "ok.json"), str(tmp_path / "bad.json"))
    assert code == 2, out + err
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1
    assert f"bad.json: not recorded: {reason}" in err
    assert "--force to keep it" in err
    assert GitNotesStore(repo).commits() == set()
    code, out, err = run_cli("record", "--force", str(tmp_path / "bad.json"))
    assert code == 0, err
    assert "recorded run" in out
    assert f"{reason}" in err and "recorded as asked (--force), baselines leave it out" in err
    runs = GitNotesStore(repo).runs(shas, [])
    assert reason in runs[shas[0]][0].invalid


def _as_an_older_peac_wrote_it(result: RunResult) -> str:
    """The summary line of ``result`` with an empty ``invalid`` field, as peac wrote it before
    it knew that a run whose every request failed cannot be judged."""
    _, summary, _ = make_lines(result)
    parts = summary.split(" ")
    data = json.loads(zlib.decompress(base64.urlsafe_b64decode(parts[4])))
    assert data["invalid"].startswith("every request failed")
    data["invalid"] = ""
    parts[4] = base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode())).decode()
    return " ".join(parts)


def test_history_and_diff_leave_out_runs_that_cannot_be_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shas = make_repo(repo, 4)
    store = GitNotesStore(repo)
    for i, sha in enumerate(shas):
        store.record(sha, good(i))
    forced, _ = store.record(shas[-1], make_result({"home": [9.0] * 50}, partial=True))
    older = failing("refused", seed=7)
    store.record(shas[-2], older)  # its full result, then its summary replaced by an older one
    old_id = make_lines(older)[0]
    note = git(repo, "notes", "--ref=peac", "show", shas[-2])
    lines = [x for x in note.splitlines() if old_id not in x] + [_as_an_older_peac_wrote_it(older)]
    git(repo, "notes", "--ref=peac", "add", "-f", "-m", "\n".join(lines), shas[-2])
    monkeypatch.chdir(repo)
    code, out, err = run_cli("history", "show", "--step", "home", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [len(p["run_ids"]) for p in data["points"]] == [1, 1, 1, 1]
    assert forced not in data["points"][-1]["run_ids"]
    assert data["skipped"] == {"invalid run": 2}
    assert f"left out run {forced} on {shas[-1][:7]}: partial run (interrupted)" in data["notes"]
    assert f"left out run {old_id} on {shas[-2][:7]}: every request failed" in data["notes"]
    code, out, err = run_cli("history", "show", "--step", "home")
    assert code == 0, err
    assert f"note: left out run {forced} on {shas[-1][:7]}: partial run" in out
    newest = out.splitlines()[1]
    assert "n=1" in newest and f"runs {data['points'][-1]['run_ids'][0][:8]}" in newest
    code, out, err = run_cli("diff", "HEAD~1", "HEAD")
    assert code == 0, err
    assert f"vs head {shas[-1][:7]} (1 run)" in out
    assert f"note: left out run {forced} on {shas[-1][:7]}: partial run (interrupted)" in out
    # a side with nothing but such runs is an error that says why
    only = commit_with(repo, failing("refused", seed=9))
    code, _, err = run_cli("diff", "HEAD~1", only)
    assert code == 2
    assert "no recorded runs" in err and "cannot be judged: every request failed" in err


def commit_with(repo: Path, result: RunResult) -> str:
    sha = commit(repo, "one more")
    GitNotesStore(repo).record(sha, result)
    return sha


def test_the_gate_names_the_runs_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    main = git(repo, "rev-parse", "main")
    refused = failing("refused", seed=3)
    run_id, _ = GitNotesStore(repo).record(main, refused)
    monkeypatch.chdir(repo)
    code, out, err = gate(str(head_result(repo, tmp_path / "h.json")))
    assert code == 0, out + err  # the refusals' 0.4 ms do not become the baseline
    assert f"note: left out run {run_id} on {main[:7]}: every request failed (50 refused)" in out
