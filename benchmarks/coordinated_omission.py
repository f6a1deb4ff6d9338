"""Coordinated omission: the demo service stalls 1 s during a 10 s, 100 req/s open-model run.

The generator has few VUs (max_vus) and lets arrivals wait for one (max_wait), as a load
generator with a fixed connection pool does. During the stall, arrivals queue on the generator:
the latency measured from each arrival's intended start must show the stall (p99 >= 0.9 s)
while the service time, measured from the actual send, must not.

    .venv/bin/python benchmarks/coordinated_omission.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import peac_run, write_scenario

from peac.app.demo_server import DemoService
from peac.core import quantiles
from peac.results.format import read

RATE, DURATION, STALL_AT, STALL = 100, 10, 4.0, "1s"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, DemoService("--seed", "1") as service:
        work = Path(tmp)
        write_scenario(
            work,
            service.url,
            f"{{executor: constant-arrival-rate, rate: {RATE}/s, duration: {DURATION}s, "
            "max_vus: 4, max_wait: 10s, graceful_stop: 5s}",
            path="/api/products/1",
        )
        start = time.time() + 2.0

        def stall() -> None:
            time.sleep(max(0.0, start + STALL_AT - time.time()))
            httpx.post(f"{service.url}/_admin/faults", json={"stall": STALL}, timeout=5)

        trigger = threading.Thread(target=stall)
        trigger.start()
        subprocess.run(
            peac_run("--start-at", str(start)), cwd=work, check=True, capture_output=True
        )
        trigger.join()
        result = read(work / "r.json")
    latency = quantiles.stat_seconds(result.latency(), "p99") or 0.0
    service_time = quantiles.stat_seconds(result.latency(service=True), "p99") or 0.0
    c = result.counters
    print(
        f"{RATE} req/s for {DURATION}s, 1 s stall at {STALL_AT:g}s; "
        f"{c.requests} requests, {c.dropped_arrivals} dropped"
    )
    print(
        f"latency p99 from intended start (corrected): {latency * 1e3:8.1f} ms  "
        f"(target >= 900 ms): {'ok' if latency >= 0.9 else 'MISSED'}"
    )
    print(
        f"service time p99 from actual send:           {service_time * 1e3:8.1f} ms  "
        f"(must not show the stall): {'ok' if service_time < 0.9 else 'SHOWS IT'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
