"""Coordinated omission: the demo service stalls 1 s during a 10 s, 100 req/s open-model run.

The generator has few VUs (max_vus) and lets arrivals wait for one (max_wait), as a load
generator with a fixed connection pool does. During the stall, arrivals queue on the generator:
the latency measured from each arrival's intended start must show the stall (p99 >= 0.9 s)
while the service time, measured from the actual send, must not (p99 < 0.9 s). No request may
fail and no arrival be dropped. --quick: a 6 s run with the stall at 2 s; the latency target is
0.3 s (the stall still shows plainly; without the correction p99 is a few ms).

    .venv/bin/python benchmarks/coordinated_omission.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Report, failed, measured, parser, peac_run, run, write_scenario

from peac.core import quantiles
from peac.demo.shop.process import DemoService
from peac.results.format import read

RATE, STALL = 100, 1.0


def main() -> int:
    args = parser(__doc__).parse_args()
    duration, stall_at = (6, 2.0) if args.quick else (10, 4.0)
    latency_target = 0.3 if args.quick else 0.9

    def body(report: Report) -> None:
        with tempfile.TemporaryDirectory() as tmp, DemoService("--seed", "1") as service:
            work = Path(tmp)
            write_scenario(
                work,
                service.url,
                f"{{executor: constant-arrival-rate, rate: {RATE}/s, duration: {duration}s, "
                "max_vus: 4, max_wait: 10s, graceful_stop: 5s}",
                path="/api/products/1",
            )
            start = time.time() + 2.0
            stalled: list[int] = []

            def stall() -> None:
                time.sleep(max(0.0, start + stall_at - time.time()))
                response = httpx.post(
                    f"{service.url}/_admin/faults", json={"stall": f"{STALL:g}s"}, timeout=5
                )
                stalled.append(response.status_code)

            trigger = threading.Thread(target=stall)
            trigger.start()
            try:
                measured(peac_run("--start-at", str(start)), work, timeout=duration + 60, core=None)
            finally:
                trigger.join()
            result = read(work / "r.json")
        latency = quantiles.stat_seconds(result.latency(), "p99") or 0.0
        service_time = quantiles.stat_seconds(result.latency(service=True), "p99") or 0.0
        c = result.counters
        print(
            f"{RATE} req/s for {duration}s, {STALL:g} s stall at {stall_at:g}s; "
            f"{c.requests} requests, {c.dropped_arrivals} dropped"
        )
        report.check("stall injected", f"HTTP {stalled}", "HTTP [200]", stalled == [200])
        report.check(
            "latency p99 from intended start (corrected)",
            f"{latency * 1e3:.1f} ms",
            f">= {latency_target * 1e3:.0f} ms",
            latency >= latency_target,
        )
        report.check(
            "service time p99 from actual send (must not show the stall)",
            f"{service_time * 1e3:.1f} ms",
            f"< {STALL * 0.9 * 1e3:.0f} ms",
            service_time < STALL * 0.9,
        )
        report.errors("peac run", failed(result), c.requests)
        report.check("dropped arrivals", str(c.dropped_arrivals), "0", c.dropped_arrivals == 0)
        expected = RATE * duration
        report.check(
            "requests sent",
            f"{c.requests:,}",
            f"{expected:,} (rate x duration, 1% either way)",
            abs(c.requests - expected) <= expected * 0.01,
        )

    return run("coordinated_omission", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
