"""Requests per second and CPU per request of one generator core: peac, Locust FastHttpUser, wrk.

nginx (one worker, pinned to core 1) serves a 1 KB body on 127.0.0.1; each generator is pinned to
core 0 and runs 50 concurrent users for the same duration, one after the other in this run.
Installs nginx and wrk with apt-get and Locust with pip when they are missing.

    .venv/bin/python benchmarks/throughput.py [--duration 10]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
USERS = 50


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


def run_wrk(url: str, duration: int, work: Path) -> tuple[int, float]:
    out, cpu = measured(["wrk", "-t1", f"-c{USERS}", f"-d{duration}s", url], work)
    total = next(line for line in out.splitlines() if "requests in" in line)
    return int(total.split()[0]), cpu


def run_locust(url: str, duration: int, work: Path) -> tuple[int, float]:
    (work / "locustfile.py").write_text(
        "from locust import FastHttpUser, constant, task\n"
        "class U(FastHttpUser):\n    wait_time = constant(0)\n"
        "    @task\n    def get(self):\n        self.client.get('/1k')\n"
    )
    _, cpu = measured(
        [
            str(BIN / "locust"),
            "-f",
            "locustfile.py",
            "--headless",
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{duration}s",
            "--host",
            url.rsplit("/", 1)[0],
            "--csv",
            "out",
            "--only-summary",
        ],
        work,
    )
    with (work / "out_stats.csv").open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return int(row["Request Count"]), cpu


def run_peac(url: str, duration: int, work: Path) -> tuple[int, float]:
    (work / ".git").mkdir(exist_ok=True)
    (work / "bench.yaml").write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: bench}\nspec:\n"
        f"  target: {{base_url: '{url.rsplit('/', 1)[0]}'}}\n"
        f"  load: {{executor: constant-vus, vus: {USERS}, duration: {duration}s, "
        "graceful_stop: 1s}\n"
        "  flows: [{name: get, steps: [{path: /1k}]}]\n"
    )
    command = [
        str(BIN / "peac"),
        "run",
        "bench.yaml",
        "--workers",
        "1",
        "--out",
        "r.json",
        "--no-progress",
    ]
    measured(command, work)  # warm-up: imports and bytecode
    _, cpu = measured(command, work)
    from peac.results import read

    return read(work / "r.json").counters.requests, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    ensure_tools()
    port = free_port()
    url = f"http://127.0.0.1:{port}/1k"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        nginx = start_nginx(Path(tmp), port)
        try:
            for name, runner in (
                ("wrk -t1 -c50", run_wrk),
                ("locust FastHttpUser", run_locust),
                ("peac run", run_peac),
            ):
                work = Path(tempfile.mkdtemp(dir=tmp))
                requests, cpu = runner(url, args.duration, work)
                rows.append((name, requests / args.duration, cpu / max(requests, 1)))
        finally:
            nginx.terminate()
            nginx.wait(10)
    print(f"nginx 1 worker on core 1; generators on core 0; {USERS} users; {args.duration}s each")
    for name, rate, cpu in rows:
        print(f"{name:22s} {rate:10.0f} req/s   {cpu * 1e6:8.1f} us CPU/request")
    peac, locust, wrk = rows[2][1], rows[1][1], rows[0][1]
    print(f"ratio peac/locust: {peac / locust:.2f} (target >= 1.0)   peac/wrk: {peac / wrk:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
