"""Achieved vs target arrival rate of `peac run` (one worker, one core) up to and past saturation.

nginx (core 1) serves 1 KB; peac (core 0) runs constant-arrival-rate at each target rate. The
achieved rate is the mean of completed requests per second over the steady seconds of the
per-second timeline. Below saturation it should be within 1 % of the target; above it, peac must
report `saturated` instead of silently delivering less.

    .venv/bin/python benchmarks/open_model_accuracy.py [--duration 10] [--rates 100,200,...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import measured, nginx, peac_run, write_scenario

from peac.results.format import read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rates", default="100,200,400,800,1200,1600,2400")
    args = parser.parse_args()
    print("target req/s  achieved req/s  error    dropped  saturated  reason")
    with nginx() as base, tempfile.TemporaryDirectory() as tmp:
        for rate in (int(r) for r in args.rates.split(",")):
            work = Path(tempfile.mkdtemp(dir=tmp))
            write_scenario(
                work,
                base,
                f"{{executor: constant-arrival-rate, rate: {rate}/s, "
                f"duration: {args.duration}s, max_vus: 500, graceful_stop: 2s}}",
            )
            measured(peac_run(), work)
            result = read(work / "r.json")
            steady = [s.requests for s in result.timeline if 1 <= s.t <= args.duration - 2]
            achieved = statistics.mean(steady) if steady else 0.0
            health = result.health
            print(
                f"{rate:12d}  {achieved:14.1f}  {(achieved - rate) / rate:+6.1%}  "
                f"{result.counters.dropped_arrivals:7d}  {health.saturated!s:9s}  "
                f"{health.reason}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
