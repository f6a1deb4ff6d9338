"""Shared set-up of the benchmarks: tools, an nginx target on core 1, scenario files, running and
timing tools, synthetic results, and the report of targets that decides each benchmark's exit.

Every benchmark sends traffic to 127.0.0.1 only, for a bounded time or request count. Nothing
here imports the project's tests: what a benchmark needs is either here or a public peac API.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from peac.model import histogram as hist
from peac.model.results import GitState, RunResult, Series, Testbed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
# The peer tools (Locust) live in their own virtual environment, not in peac's: their
# dependencies (gevent, Flask, a pytest plugin) stay out of peac's installs and test runs.
TOOLS = HERE / ".tools"
REQUIREMENTS = HERE / "requirements.txt"
REPORT_ENV = "PEAC_BENCH_REPORT"  # where run_all.py asks for the checks as JSON
SYSTEM_TOOLS = {"nginx": "nginx", "wrk": "wrk", "taskset": "util-linux"}


def ensure_tools(*, locust: bool = False) -> None:
    """nginx, wrk and taskset from Debian (apt-get, as root) and, when asked, Locust with pip in
    benchmarks/.tools; each only when missing."""
    missing = [tool for tool in SYSTEM_TOOLS if not which(tool)]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *sorted({SYSTEM_TOOLS[m] for m in missing})],
            check=True,
        )
    if locust and not locust_bin().exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run(
            [str(TOOLS / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)], check=True
        )


def which(tool: str) -> str | None:
    """The tool's path, looking in the system folders too (nginx is in /usr/sbin)."""
    return shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def locust_bin() -> Path:
    return TOOLS / "bin" / "locust"


# ---------------------------------------------------------------------------------------------
# Targets and the exit code


@dataclass
class Check:
    what: str
    figure: str
    target: str
    ok: bool


@dataclass
class Report:
    """The checks of one benchmark run. Each is printed when made; ``finish`` prints them all,
    hands them to run_all.py (``$PEAC_BENCH_REPORT``) and gives the exit code: 1 if any missed."""

    benchmark: str
    quick: bool
    checks: list[Check] = field(default_factory=list)

    def check(self, what: str, figure: str, target: str, ok: bool) -> bool:
        self.checks.append(Check(what, figure, target, bool(ok)))
        print(f"  check {what}: {figure} (target {target}): {'ok' if ok else 'MISSED'}", flush=True)
        return bool(ok)

    def errors(self, tool: str, count: int, out_of: int | None = None) -> bool:
        """A tool's errors or failed requests, where none are expected."""
        figure = f"{count}" if out_of is None else f"{count} of {out_of:,}"
        return self.check(f"{tool} errors", figure, "0", count == 0)

    def finish(self) -> int:
        missed = [c for c in self.checks if not c.ok]
        mode = "quick" if self.quick else "full"
        print(f"\n{self.benchmark} ({mode}): {len(self.checks)} checks, {len(missed)} missed")
        for c in self.checks:
            print(f"  {'ok    ' if c.ok else 'MISSED'} {c.what}: {c.figure} (target {c.target})")
        if not self.checks:
            print("  MISSED: no check was made")
        path = os.environ.get(REPORT_ENV)
        if path:
            Path(path).write_text(
                json.dumps(
                    {"benchmark": self.benchmark, "checks": [asdict(c) for c in self.checks]}
                )
            )
        return 1 if missed or not self.checks else 0


class ToolFailed(Exception):
    """A tool exited with an unexpected code or ran past its time limit."""

    def __init__(self, tool: str, figure: str, output: str = "") -> None:
        super().__init__(f"{tool}: {figure}")
        self.tool, self.figure, self.output = tool, figure, output


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with --quick, described by the first line of the module's doc."""
    described = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    described.add_argument(
        "--quick", action="store_true", help="seconds, not minutes: smaller counts, looser targets"
    )
    return described


def run(benchmark: str, quick: bool, body: Callable[[Report], None]) -> int:
    """Run a benchmark body; a tool that fails (or any error) is a missed check, not a crash
    without a verdict. Returns the exit code."""
    report = Report(benchmark, quick)
    try:
        body(report)
    except ToolFailed as exc:
        if exc.output:
            print(exc.output[-3000:], file=sys.stderr)
        report.check(f"{exc.tool} ran", exc.figure, "exit 0 within its time limit", False)
    except Exception as exc:
        traceback.print_exc()
        report.check("benchmark ran", f"{type(exc).__name__}: {exc}"[:300], "no error", False)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# Running tools


@dataclass
class Measured:
    output: str  # stdout and stderr
    cpu: float  # CPU seconds of the process and the children it waited for
    wall: float  # seconds


def measured(
    command: Sequence[str], cwd: Path, *, timeout: float = 900, core: int | str | None = 0
) -> Measured:
    """Run the command (pinned to ``core``) to its end; its output, CPU and wall time. Any exit
    but 0 is a ToolFailed."""
    pinned = ["taskset", "-c", str(core), *command] if core is not None else list(command)
    tool = Path(command[0]).name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            pinned, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(tool, f"still running after {timeout:g}s (stopped)") from exc
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise ToolFailed(tool, f"exit {done.returncode}", output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(output, cpu, wall)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BODY = 1024  # bytes of the body nginx serves at /1k


def start_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    # Run as root, nginx's worker drops to an unprivileged user: it must be able to read the
    # files (a private temporary folder gave every request a 403 that went unnoticed).
    root.chmod(0o755)
    (root / "html").mkdir(mode=0o755)
    (root / "html" / "1k").write_bytes(b"x" * BODY)
    (root / "html" / "1k").chmod(0o644)
    (root / "logs").mkdir()
    conf = root / "nginx.conf"
    conf.write_text(
        f"worker_processes 1; daemon off; error_log {root}/logs/error.log; pid {root}/nginx.pid;\n"
        "events { worker_connections 4096; }\n"
        "http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root}/html; }} }}\n"
    )
    command = [which("nginx") or "nginx", "-c", str(conf), "-p", str(root)]
    process = subprocess.Popen(["taskset", "-c", "1", *command])
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.terminate()
    raise ToolFailed("nginx", "did not start listening in 5s")


@contextlib.contextmanager
def nginx(*, locust: bool = False) -> Iterator[str]:
    """nginx serving a 1 KB body at /1k, one worker pinned to core 1; yields its base URL.
    The body is fetched once first: a target that does not serve it fails the benchmark."""
    ensure_tools(locust=locust)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = start_nginx(Path(tmp), port)
        try:
            import httpx

            url = f"http://127.0.0.1:{port}"
            response = httpx.get(f"{url}/1k", timeout=5)
            if response.status_code != 200 or len(response.content) != BODY:
                raise ToolFailed("nginx", f"GET /1k gave {response.status_code}")
            yield url
        finally:
            process.terminate()
            process.wait(10)


def write_scenario(
    work: Path, base_url: str, load: str, path: str = "/1k", *, ca: str = "", http2: bool = False
) -> Path:
    """A one-step scenario file in ``work`` (made a repository root); returns its path. ``ca``:
    a PEM file in ``work`` for target.ca; ``http2``: defaults.http2."""
    (work / ".git").mkdir(parents=True, exist_ok=True)
    scenario = work / "s.yaml"
    target = f"base_url: '{base_url}'" + (f", ca: {ca}" if ca else "")
    scenario.write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: bench}\nspec:\n"
        f"  target: {{{target}}}\n  load: {load}\n"
        + ("  defaults: {http2: true}\n" if http2 else "")
        + f"  flows: [{{name: get, steps: [{{path: {path}}}]}}]\n"
    )
    return scenario


def peac_run(*extra: str) -> list[str]:
    """The `peac run` command line for s.yaml with one worker and no progress line."""
    return [
        str(BIN / "peac"),
        "run",
        "s.yaml",
        "--workers",
        "1",
        "--out",
        "r.json",
        "--progress",
        "off",
        *extra,
    ]


def failed(result: RunResult) -> int:
    """Failed requests and failed checks of a peac RunResult."""
    return result.counters.failed_requests + result.counters.checks_failed


# ---------------------------------------------------------------------------------------------
# Synthetic results (for the history benchmark): RunResults built from given latencies


def make_result(
    latencies: Mapping[str, Sequence[float]],
    *,
    started_at: float = 1_700_000_000.0,
    duration: float = 10.0,
    testbed: str = "bench",
    scenario: str = "scale",
) -> RunResult:
    """A RunResult whose steps (GET, 2xx) saw exactly these latencies (seconds)."""
    result = RunResult(
        scenario=scenario,
        scenario_digest="d" * 16,
        executor={"executor": "constant-arrival-rate"},
        started_at=started_at,
        ended_at=started_at + duration,
        peac_version="bench",
        testbed=Testbed(label=testbed, cpu="bench cpu", cores=2),
        git=GitState(commit=""),
    )
    for step, values in latencies.items():
        series = Series(step, "GET", "2xx")
        for value in values:
            hist.record_seconds(series.latency, float(value))
            hist.record_seconds(series.service_time, float(value) * 0.9)
        result.series[series.key] = series
        result.counters.requests += len(values)
    return result


def lognormal(median: float, spread: float, n: int, seed: int) -> list[float]:
    """``n`` latencies around ``median`` (seconds) with log-sd ``spread``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [float(v) for v in median * np.exp(rng.normal(0.0, spread, n))]
