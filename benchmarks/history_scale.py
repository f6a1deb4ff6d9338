"""History at scale: a real repository with 1,000 commits x 50 series of recorded results.

Builds (with git fast-import) a repository whose main has 1,000 commits, each with a note of
5 recorded runs of a 10-step scenario (5,000 runs; 10 steps x 5 metrics = 50 series), and a second
one with 5,000 commits of one note each. The runs are generated: one real-size RunResult is the
payload of every record and the summary values vary with seeded noise, because the point is the
cost of reading and judging the history, not the numbers. Prints:

- reading the runs of all 1,000 commits (5,000 records) and of 5,000 separate notes, against
  git itself reading the same notes (``git log --notes``) in the same run: the ratio;
- evaluating a 50-objective gate against the default window (30 commits) and a 1,000-commit
  window, in process (after imports) and as a whole ``peac gate`` process.

Targets: gate evaluation < 2 s, reading 5,000 notes < 1 s.
Run: .venv/bin/python benchmarks/history_scale.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peac.core.measures import Table, summary_table  # noqa: E402
from peac.history import records  # noqa: E402
from peac.results.format import to_json  # noqa: E402
from tests.history_helpers import lognormal, make_result  # noqa: E402

STEPS = [f"step{i}" for i in range(10)]
METRICS = [
    ("latency", "p50"),
    ("latency", "p95"),
    ("latency", "p99"),
    ("error_rate", "rate"),
    ("throughput", "rate"),
]


def template() -> tuple[Table, str]:
    """(summary values, packed full result) of one realistic 10-step run."""
    result = make_result({s: lognormal(0.05 + 0.01 * i, 0.3, 2000, i) for i, s in enumerate(STEPS)})
    full = json.dumps(to_json(result), sort_keys=True, separators=(",", ":"))
    return summary_table(result), records._pack(full)


def record_lines(
    values: Table, payload: str, run: int, rng: np.random.Generator
) -> tuple[str, str]:
    noisy = {
        step: {
            metric: records.pack_values(
                [None if v is None else v * float(np.exp(rng.normal(0, 0.05))) for v in vs]
            )
            for metric, vs in row.items()
        }
        for step, row in values.items()
    }
    summary = {
        "started_at": 1.7e9 + run,
        "requests": 20000,
        "invalid": "",
        "dirty": False,
        "table": noisy,
    }
    line = " ".join(
        (
            records.VERSION,
            f"{run:016x}",
            "scale",
            "bench",
            records._pack(json.dumps(summary, separators=(",", ":"))),
        )
    )
    return line, f"{run:016x} {payload}"


def build(path: Path, commits: int, runs_per_commit: int) -> None:
    values, payload = template()
    rng = np.random.default_rng(1)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    stream.append(b"blob\nmark :1\n")
    data("service\n")
    run = 0
    for i in range(commits):
        stream.append(b"commit refs/heads/main\nmark :%d\n" % (10 + i))
        stream.append(b"committer bench <b@peac.invalid> %d +0000\n" % (1_700_000_000 + i * 60))
        data(f"change {i}")
        if i:
            stream.append(b"from :%d\n" % (9 + i))
        stream.append(b"M 100644 :1 service.txt\n")
    summaries, results = 10 + commits, 10 + 2 * commits  # marks of the two kinds of notes
    for i in range(commits):
        pairs = []
        for _ in range(runs_per_commit):
            pairs.append(record_lines(values, payload, run, rng))
            run += 1
        for mark, lines in ((summaries, [p[0] for p in pairs]), (results, [p[1] for p in pairs])):
            stream.append(b"blob\nmark :%d\n" % (mark + i))
            data("\n".join(sorted(lines)) + "\n")
    for ref, mark in (("refs/notes/peac", summaries), ("refs/notes/peac-results", results)):
        stream.append(
            b"commit %s\ncommitter bench <b@peac.invalid> 1700000000 +0000\n" % ref.encode()
        )
        data("notes")
        for i in range(commits):
            stream.append(b"N :%d :%d\n" % (mark + i, 10 + i))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def read_all(path: Path, commits: int) -> int:
    from peac.history.git import Repository
    from peac.history.gitnotes import GitNotesStore
    from peac.history.series import build

    repo = Repository(path)
    shas = [c.sha for c in repo.first_parent("main", commits)]
    bad: list[str] = []
    found = GitNotesStore(path).runs(shas, bad)
    # and one series out of them, so that the values are really decoded
    series = build(repo.first_parent("main", commits), found, "scale", "bench", "step3|latency|p95")
    assert len(series.points) == commits
    return sum(len(v) for v in found.values())


def git_reads(path: Path, commits: int) -> None:
    subprocess.run(
        ["git", "log", "--first-parent", f"-n{commits}", "--notes=peac", "--format=%H%n%N"],
        cwd=path,
        check=True,
        capture_output=True,
    )


def budget(path: Path) -> None:
    steps = "\n".join(f"        - {{name: {s}, path: /{s}}}" for s in STEPS)
    (path / "budgets").mkdir()
    (path / "budgets/scale.scenario.yaml").write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: scale}\nspec:\n"
        "  target: {base_url: http://127.0.0.1:8080}\n"
        "  load: {executor: constant-vus, vus: 1, duration: 1s}\n"
        f"  flows:\n    - name: all\n      steps:\n{steps}\n"
    )
    objectives = []
    for step in STEPS:
        for metric, stat in METRICS:
            limit = (
                "{max_regression: 10%}"
                if metric == "latency"
                else "{max: 5%}"
                if metric == "error_rate"
                else "{min: 1/s}"
            )
            objectives.append(
                f"    - {{step: {step}, metric: {metric}, stat: {stat}, fail: {limit}}}"
            )
    (path / "budgets/scale.budget.yaml").write_text(
        "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: scale}\nspec:\n"
        "  scenario: scale.scenario.yaml\n  regression: {window: %WINDOW%}\n  objectives:\n"
        + "\n".join(objectives)
        + "\n"
    )


def gate_once(path: Path, window: int, head: Path) -> float:
    import contextlib
    import io
    import os

    from peac.app.gate import GateRequest, gate

    text = (path / "budgets/scale.budget.yaml").read_text()
    (path / "budgets/w.budget.yaml").write_text(text.replace("%WINDOW%", str(window)))
    before = Path.cwd()
    os.chdir(path)
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            gate(
                GateRequest(
                    Path("budgets/w.budget.yaml"),
                    (head,),
                    "main",
                    "json",
                    "git",
                    None,
                    None,
                    False,
                    None,
                    None,
                ),
                io.StringIO(),
            )
        return time.perf_counter() - start
    finally:
        os.chdir(before)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big, wide = Path(tmp, "big"), Path(tmp, "wide")
        start = time.perf_counter()
        build(big, 1000, 5)
        build(wide, 5000, 1)
        print(
            f"built 1,000 commits x 5 runs and 5,000 commits x 1 run in "
            f"{time.perf_counter() - start:.1f}s"
        )
        count = read_all(big, 1000)
        t_big = best(lambda: read_all(big, 1000))
        t_big_git = best(lambda: git_reads(big, 1000))
        print(
            f"read 1,000 notes ({count} runs, 50 series): peac {t_big:.3f}s, "
            f"git log --notes {t_big_git:.3f}s, ratio {t_big / t_big_git:.2f}"
        )
        count = read_all(wide, 5000)
        t_wide = best(lambda: read_all(wide, 5000))
        t_wide_git = best(lambda: git_reads(wide, 5000))
        verdict = "ok" if t_wide < 1 else "OVER TARGET"
        print(
            f"read 5,000 notes ({count} runs): peac {t_wide:.3f}s, git log --notes "
            f"{t_wide_git:.3f}s, ratio {t_wide / t_wide_git:.2f} (target < 1s: {verdict})"
        )

        budget(big)
        subprocess.run(["git", "checkout", "-q", "-b", "pr"], cwd=big, check=True)
        subprocess.run(["git", "add", "budgets"], cwd=big, check=True)
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "-m", "pr"],
            cwd=big,
            check=True,
        )
        result = make_result(
            {s: lognormal(0.05 + 0.01 * i, 0.3, 2000, 99 + i) for i, s in enumerate(STEPS)},
            scenario="scale",
            testbed="bench",
        )
        result.scenario_digest = "x"
        head = Path(tmp, "head.json")
        from peac.results.format import write

        write(result, head)
        gate_once(big, 30, head)  # imports (statsmodels, scipy) happen here, once
        for window in (30, 1000):
            seconds = min(gate_once(big, window, head) for _ in range(3))
            verdict = "ok" if seconds < 2 else "OVER TARGET"
            print(
                f"gate, 50 objectives, window {window}: {seconds:.2f}s in process "
                f"(target < 2s: {verdict})"
            )
        (big / "budgets/w.budget.yaml").write_text(
            (big / "budgets/scale.budget.yaml").read_text().replace("%WINDOW%", "30")
        )
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "peac",
                "gate",
                "--budget",
                "budgets/w.budget.yaml",
                str(head),
                "--format",
                "json",
            ],
            cwd=big,
            capture_output=True,
            check=False,
        )
        print(
            f"peac gate as a process (imports included), window 30: "
            f"{time.perf_counter() - start:.2f}s"
        )


if __name__ == "__main__":
    main()
