"""One error tree, one boundary: the same failure gives the same exit code and message
however it is reached (one worker or many, any command), and bad data is exit 2 naming the
field, never an internal error."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest

from peac.errors import DataError, ExitCode, GitError, InputError, PeacError, Problem, WorkerError
from peac.history.gitnotes import GitNotesStore
from peac.load import workers
from peac.load.schedule import Shard
from peac.results.format import to_json, write
from tests.cli_helpers import run_cli
from tests.history_helpers import git, lognormal, make_repo, make_result
from tests.runner_helpers import scenario

FLOW = "    - name: h\n      steps:\n        - path: /ok\n"


@pytest.mark.parametrize("error", [InputError, DataError, GitError, WorkerError])
def test_errors_cross_process_boundaries_whole(error: type[PeacError]) -> None:
    original = error("it broke", [Problem("a.yaml", 3, 4, "expected x")])
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is error
    assert str(copy) == "it broke"
    assert copy.problems == original.problems
    assert copy.exit_code == (ExitCode.INTERNAL if error is WorkerError else ExitCode.BAD_INPUT)


def test_a_message_is_always_one_line() -> None:
    assert str(InputError("a\nb\x1b[31m")) == "a\\nb\\x1b[31m"


@pytest.mark.parametrize("count", ["1", "2"])
def test_a_missing_secret_is_the_same_error_with_one_worker_or_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: str
) -> None:
    scenario(
        tmp_path,
        "http://127.0.0.1:9",
        "{executor: shared-iterations, vus: 2, iterations: 2}",
        FLOW,
        "  secrets:\n    key: {env: PEAC_TEST_UNSET_SECRET}\n",
    )
    monkeypatch.delenv("PEAC_TEST_UNSET_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("run", "s.yaml", "--workers", count, "--out", "r.json")
    assert code == ExitCode.BAD_INPUT
    assert err == (
        "rules: no peac.yaml and no --base: the local files set every rule\n"
        "peac: scenario 't' declares secrets read from unset environment variables: "
        "PEAC_TEST_UNSET_SECRET\n"
    )
    assert not (tmp_path / "r.json").exists()


def test_a_crash_inside_a_worker_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's own code path, in this process: an unexpected exception goes back as its
    description and the parent raises it as an internal error (exit 3), as one process would."""

    class Queue:
        items: list[Any] = []

        def put(self, item: Any) -> None:
            self.items.append(item)

    def crash(work: Any) -> None:
        work.close()  # the run never starts
        raise RuntimeError("bug in the engine")  # injected: nothing real is known to raise

    monkeypatch.setattr(workers, "_run_loop", crash)
    # Nothing of the request is read before the injected crash.
    unused: dict[str, Any] = {"plan": None, "load": None, "testbed": None, "git": None}
    request = workers.RunRequest(shard=Shard(), workers=2, start_at=None, seed=1, **unused)
    queue = Queue()
    workers._worker(request, 1, queue)
    ((kind, index, data, error),) = queue.items
    assert kind == "result"
    assert (index, data) == (1, None)
    with pytest.raises(WorkerError, match=r"RuntimeError in peac/load/workers\.py") as raised:
        workers._raise_first([error])
    assert raised.value.exit_code == ExitCode.INTERNAL


@pytest.fixture
def counting_server() -> Iterator[tuple[str, threading.Event]]:
    """A plain HTTP server on loopback; the event is set by the first request it answers."""
    seen = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.set()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_an_internal_error(
    tmp_path: Path, counting_server: tuple[str, threading.Event]
) -> None:
    url, seen = counting_server
    scenario(tmp_path, url, "{executor: constant-vus, vus: 2, duration: 30s}", FLOW)
    process = subprocess.Popen(
        [sys.executable, "-m", "peac", "run", "s.yaml", "--workers", "2", "--out", "r.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert seen.wait(60), "no worker sent a request"  # readiness: load is flowing
        children = [
            c
            for c in psutil.Process(process.pid).children()
            if "resource_tracker" not in " ".join(c.cmdline())
        ]
        assert len(children) == 2
        children[0].kill()
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == ExitCode.INTERNAL, stdout + stderr
    assert "peac: internal error: load workers failed: a worker process died" in stderr
    assert "Traceback" not in stderr


def _result_file(tmp_path: Path, change: Any) -> Path:
    data = to_json(make_result({"home": lognormal(0.05, 0.2, 20, 1)}))
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _set(*keys: str, value: object) -> Any:
    def change(data: dict[str, Any]) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("counters", "requests", value=-3),
            "counters.requests: expected a count of 0 or more",
        ),
        (_set("ended_at", value=1_700_000_000.0), "ended_at: expected a time after started_at"),
        (_set("started_at", value="soon"), "started_at: expected a number, got a string"),
        (_set("iteration_duration", value="not-a-histogram"), "iteration_duration: not an HdrHist"),
        (_set("series", value={"a": 1}), "series: expected a list, got an object"),
        (_set("format", value="peac.run-result/v9"), 'format: expected "peac.run-result/v1"'),
        (_set("testbed", "cores", value=1.5), "testbed.cores: expected a whole number"),
        (_set("counters", "failures", value=[1]), "counters.failures: expected an object"),
    ],
)
@pytest.mark.parametrize("command", ["merge", "record", "diff"])
def test_a_damaged_result_file_is_bad_data_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any, message: str, command: str
) -> None:
    make_repo(tmp_path, 1)
    bad = _result_file(tmp_path, change)
    monkeypatch.chdir(tmp_path)
    args = {
        "merge": ["merge", str(bad), "--out", "m.json"],
        "record": ["record", str(bad), "--commit", "HEAD"],
        "diff": ["diff", str(bad), str(bad)],
    }[command]
    code, _, err = run_cli(*args)
    assert code == ExitCode.BAD_INPUT, err
    assert err.startswith(f"peac: {bad}: {message}"), err
    assert err.count("\n") == 1


def test_a_file_that_is_not_json_is_bad_data(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("[" * 100_000, encoding="utf-8")  # deeper than the JSON parser goes
    code, _, err = run_cli("merge", str(path), "--out", str(tmp_path / "m.json"))
    assert code == ExitCode.BAD_INPUT
    assert "not a peac result file (not JSON" in err


def test_results_of_different_scenario_versions_do_not_merge(tmp_path: Path) -> None:
    one = make_result({"home": [0.1]})
    other = make_result({"home": [0.1]})
    other.scenario_digest = "e" * 16
    write(one, tmp_path / "a.json")
    write(other, tmp_path / "b.json")
    code, _, err = run_cli(
        "merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(tmp_path / "m")
    )
    assert code == ExitCode.BAD_INPUT
    assert "cannot merge results of different scenario versions" in err
    assert not (tmp_path / "m").exists()


def test_a_missing_full_result_is_bad_data_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = make_repo(tmp_path, 2)
    store = GitNotesStore(tmp_path)
    for sha in shas:
        store.record(sha, make_result({"home": lognormal(0.05, 0.2, 20, 1)}))
    git(tmp_path, "update-ref", "-d", "refs/notes/peac-results")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("diff", "HEAD~1", "HEAD")
    assert code == ExitCode.BAD_INPUT, err
    assert "its full result is missing" in err
    assert "peac history fetch" in err


def test_the_result_of_a_run_outside_git_is_not_silently_put_on_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(tmp_path, 1)
    result = make_result({"home": [0.1]})
    result.git = None
    write(result, tmp_path / "r.json")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("record", "r.json")
    assert code == ExitCode.BAD_INPUT
    assert "does not say which commit it measured" in err
    assert run_cli("record", "r.json", "--commit", "HEAD")[0] == ExitCode.OK


@pytest.mark.parametrize("command", ["run", "merge", "gate"])
def test_an_unusable_output_path_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    make_repo(tmp_path, 1)
    (tmp_path / "a-file").write_text("x")
    scenario(
        tmp_path, "http://127.0.0.1:9", "{executor: shared-iterations, vus: 1, iterations: 1}", FLOW
    )
    (tmp_path / "b.yaml").write_text(
        "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: b}\nspec:\n  scenario: s.yaml\n"
        "  objectives:\n    - {metric: error_rate, fail: {max: 5%}}\n",
        encoding="utf-8",
    )
    write(make_result({"h": [0.1]}, scenario="t"), tmp_path / "r.json")
    monkeypatch.chdir(tmp_path)
    args = {
        "run": ["run", "s.yaml", "--out", "a-file/r.json"],
        "merge": ["merge", "r.json", "--out", "a-file/m.json"],
        "gate": ["gate", "r.json", "--budget", "b.yaml", "--markdown-out", "a-file/c.md"],
    }[command]
    code, out, err = run_cli(*args)
    assert code == ExitCode.BAD_INPUT, out + err
    assert "a-file is not a folder" in err
    assert out == ""  # refused before the load, the merge or the verdict


def test_a_result_that_cannot_be_written_after_the_load_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counting_server: tuple[str, threading.Event]
) -> None:
    url, _ = counting_server
    scenario(tmp_path, url, "{executor: shared-iterations, vus: 1, iterations: 3}", FLOW)

    def full_disk(*_: object) -> None:
        # A disk that fills during the run cannot be made here; this is what writing then does.
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("peac.results.format.write", full_disk)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", "s.yaml", "--workers", "1", "--out", "r.json")
    assert code == ExitCode.BAD_INPUT
    assert "scenario t:" in out  # the summary is printed all the same
    kept = Path(err.split("was kept in ")[1].split(" instead")[0])
    try:
        from peac.results.format import read

        assert read(kept).counters.requests == 3
    finally:
        kept.unlink()


def test_the_crash_site_is_peacs_own_code_whatever_the_checkout_is_called(
    tmp_path: Path,
) -> None:
    """A clone in a folder named peac has tests at .../peac/tests/: they are not peac's code,
    so a crash raised there names the innermost line of the package it passed through."""
    from peac.errors import crash_site

    outside = tmp_path / "peac" / "tests" / "test_x.py"
    code = compile("async def boom():\n    raise RuntimeError('x')\n", str(outside), "exec")
    scope: dict[str, Any] = {}
    exec(code, scope)
    with pytest.raises(RuntimeError) as raised:
        workers._run_loop(scope["boom"]())
    site = crash_site(raised.value)
    assert site.startswith("RuntimeError in peac/load/workers.py:"), site
