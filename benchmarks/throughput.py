"""Requests per second and CPU per request of one generator core: peac, Locust FastHttpUser, wrk.

nginx (one worker, pinned to core 1) serves a 1 KB body on 127.0.0.1; each generator is pinned to
core 0 and runs 50 concurrent users for the same duration, one after the other in this run.
Installs nginx and wrk with apt-get and Locust with pip when they are missing.

    .venv/bin/python benchmarks/throughput.py [--duration 10]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BIN, measured, nginx, peac_run, write_scenario

from peac.results.format import read

USERS = 50


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
    write_scenario(
        work,
        url.rsplit("/", 1)[0],
        f"{{executor: constant-vus, vus: {USERS}, duration: {duration}s, graceful_stop: 1s}}",
    )
    measured(peac_run(), work)  # warm-up: imports and bytecode
    _, cpu = measured(peac_run(), work)
    return read(work / "r.json").counters.requests, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    rows = []
    with nginx() as base, tempfile.TemporaryDirectory() as tmp:
        for name, runner in (
            ("wrk -t1 -c50", run_wrk),
            ("locust FastHttpUser", run_locust),
            ("peac run", run_peac),
        ):
            work = Path(tempfile.mkdtemp(dir=tmp))
            requests, cpu = runner(f"{base}/1k", args.duration, work)
            rows.append((name, requests / args.duration, cpu / max(requests, 1)))
    print(f"nginx 1 worker on core 1; generators on core 0; {USERS} users; {args.duration}s each")
    for name, rate, cpu in rows:
        print(f"{name:22s} {rate:10.0f} req/s   {cpu * 1e6:8.1f} us CPU/request")
    peac, locust, wrk = rows[2][1], rows[1][1], rows[0][1]
    print(f"ratio peac/locust: {peac / locust:.2f} (target >= 1.0)   peac/wrk: {peac / wrk:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
