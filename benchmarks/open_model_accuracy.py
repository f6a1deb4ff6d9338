"""Achieved vs target arrival rate of `peac run` (one worker, one core) up to and past saturation.

nginx (core 1) serves 1 KB; peac (core 0) runs constant-arrival-rate at each target rate. The
achieved rate is the mean of completed requests per second over the steady seconds of the
per-second timeline. Target, at every rate: within 1 % of the target rate, or reported as
`saturated` (above saturation peac must say so instead of silently delivering less); no failed
requests; the lowest rate not reported saturated (a false alarm); the saturation point (the
highest rate held within the tolerance and not reported saturated) at least 30,000/s, 2.5x the
12,000/s the runner held before issue 15 (same machine, same command). --quick: 4 s per rate,
three rates, within 3 %, saturation point at least 2,000/s.

    .venv/bin/python benchmarks/open_model_accuracy.py [--quick] [--duration 10] [--rates 100,...]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Report, failed, measured, nginx, parser, peac_run, run, write_scenario

from peac.results.format import read

RATES = "100,200,400,800,1600,3200,6400,12800,30000,60000"
SATURATION_POINT, QUICK_SATURATION_POINT = 30_000, 2_000  # arrivals per second, held
QUICK_RATES = "200,2000,20000"


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--duration", type=int, help="seconds per rate [10; --quick: 4]")
    p.add_argument("--rates", help=f"target rates, per second [{RATES}; --quick: {QUICK_RATES}]")
    args = p.parse_args()
    duration = args.duration or (4 if args.quick else 10)
    rates = sorted(
        int(r) for r in (args.rates or (QUICK_RATES if args.quick else RATES)).split(",")
    )
    tolerance = 0.03 if args.quick else 0.01

    def body(report: Report) -> None:
        print("target req/s  achieved req/s  error    dropped  failed  saturated  reason")
        rows = []
        with nginx() as base, tempfile.TemporaryDirectory() as tmp:
            for rate in rates:
                work = Path(tempfile.mkdtemp(dir=tmp))
                write_scenario(
                    work,
                    base,
                    f"{{executor: constant-arrival-rate, rate: {rate}/s, "
                    f"duration: {duration}s, max_vus: 500, graceful_stop: 2s}}",
                )
                measured(peac_run(), work, timeout=duration + 60)
                result = read(work / "r.json")
                steady = [s.requests for s in result.timeline if 1 <= s.t <= duration - 2]
                achieved = statistics.mean(steady) if steady else 0.0
                health = result.health
                rows.append((rate, achieved, health.saturated, failed(result)))
                print(
                    f"{rate:12d}  {achieved:14.1f}  {(achieved - rate) / rate:+6.1%}  "
                    f"{result.counters.dropped_arrivals:7d}  {failed(result):6d}  "
                    f"{health.saturated!s:9s}  {health.reason}",
                    flush=True,
                )
        for rate, achieved, saturated, errors in rows:
            error = (achieved - rate) / rate
            figure = f"{achieved:.0f} ({error:+.1%})" + (", saturated" if saturated else "")
            report.check(
                f"{rate}/s achieved",
                figure,
                f"within {tolerance:.0%} or reported saturated",
                abs(error) <= tolerance or saturated,
            )
            report.errors(f"peac run at {rate}/s", errors)
        held = [
            rate
            for rate, achieved, saturated, errors in rows
            if abs(achieved - rate) / rate <= tolerance and not saturated and not errors
        ]
        point = QUICK_SATURATION_POINT if args.quick else SATURATION_POINT
        report.check(
            "saturation point (highest rate held, not saturated)",
            f"{max(held, default=0):,}/s",
            f">= {point:,}/s",
            max(held, default=0) >= point,
        )
        lowest = rows[0]
        report.check(
            f"{lowest[0]}/s (lowest rate) not reported saturated",
            "saturated" if lowest[2] else "not saturated",
            "not saturated",
            not lowest[2],
        )

    return run("open_model_accuracy", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
