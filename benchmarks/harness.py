"""Shared set-up of the benchmarks: tools, an nginx target on core 1, scenario files, timing.

Every benchmark sends traffic to 127.0.0.1 only, for a bounded time or request count.
"""

from __future__ import annotations

import contextlib
import importlib.util
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def ensure_tools() -> None:
    missing = [tool for tool in ("nginx", "wrk", "taskset") if not shutil.which(tool)]
    if missing:
        packages = {"nginx": "nginx", "wrk": "wrk", "taskset": "util-linux"}
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *{packages[m] for m in missing}], check=True
        )
    if importlib.util.find_spec("locust") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "locust"], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    (root / "html").mkdir()
    (root / "html" / "1k").write_bytes(b"x" * 1024)
    (root / "logs").mkdir()
    conf = root / "nginx.conf"
    conf.write_text(
        f"worker_processes 1; daemon off; error_log {root}/logs/error.log; pid {root}/nginx.pid;\n"
        "events { worker_connections 4096; }\n"
        "http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root}/html; }} }}\n"
    )
    process = subprocess.Popen(["taskset", "-c", "1", "nginx", "-c", str(conf), "-p", str(root)])
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    raise SystemExit("nginx did not start")


def measured(command: list[str], cwd: Path) -> tuple[str, float]:
    """Output of the command pinned to core 0, and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["taskset", "-c", "0", *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout + done.stderr, cpu


@contextlib.contextmanager
def nginx() -> Iterator[str]:
    """nginx serving a 1 KB body at /1k, one worker pinned to core 1; yields its base URL."""
    ensure_tools()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = start_nginx(Path(tmp), port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


def write_scenario(work: Path, base_url: str, load: str, path: str = "/1k") -> Path:
    """A one-step scenario file in ``work`` (made a repository root); returns its path."""
    (work / ".git").mkdir(parents=True, exist_ok=True)
    scenario = work / "s.yaml"
    scenario.write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: bench}\nspec:\n"
        f"  target: {{base_url: '{base_url}'}}\n  load: {load}\n"
        f"  flows: [{{name: get, steps: [{{path: {path}}}]}}]\n"
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
        "--no-progress",
        *extra,
    ]
