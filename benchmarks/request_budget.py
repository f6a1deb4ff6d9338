"""Where one request's CPU goes in `peac run`: microseconds per stage of the closed loop.

nginx (one worker, core 1) serves 1 KB; `peac run` (core 0) runs 50 VUs of constant-vus with
the default step features (status check, HDR recording, per-second timeline, generator
health) under py-spy (sampling, --nonblocking: the process is not paused). The run's own
figures give the CPU per request while the load ran (generator CPU x seconds / requests, start-up
excluded); py-spy's samples of the event loop split it into stages, each sample going to the
innermost stage on its stack. The figures are for reading (docs/architecture.md, "Per-request
cost"); the benchmark misses only when a request fails or a request costs more than
``--budget`` microseconds of CPU. Needs py-spy (the dev extra); not part of run_all.py.

    .venv/bin/python benchmarks/request_budget.py [--seconds 10] [--budget 25]
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BIN, Report, failed, measured, nginx, parser, peac_run, run, write_scenario

from peac.results.format import read

USERS = 50
# (stage, functions whose frames belong to it); a sample goes to the innermost match.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("executor loop and iteration", ("ClosedModel.drive.<locals>.loop", "VirtualUser.iteration")),
    ("VU step: prepared request, status, bookkeeping", ("VirtualUser._step",)),
    ("deadline (one timer per VU)", ("VirtualUser._arm", "VirtualUser._expire")),
    ("exchange: connection, wait for the wake-up", ("LeanTransport.exchange", "_Connection.wait")),
    ("socket write (send syscall)", ("LeanTransport._write",)),
    ("response parsing (httptools and callbacks)", ("_Connection.data_received",)),
    ("recording: counters, timeline, batches", ("Recorder.request", "Recorder.iteration")),
    ("histograms: batched numpy flush", ("Recorder.flush", "add_seconds")),
    ("generator health, progress, abort watch", ("HealthMonitor.watch", "Engine._progress")),
)
LOOP = "event loop (uvloop: epoll, recv, task switches)"


def stages(raw: str) -> tuple[collections.Counter[str], int]:
    """Samples per stage over the event loop's run, from py-spy's raw (collapsed) output."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        frames = [f.split(" (")[0] for f in stack.split(";")]
        if "Runner.run" not in frames:
            continue  # start-up and shut-down
        n = int(number)
        total += n
        below = frames[frames.index("Runner.run") + 1 :]
        stage = LOOP if not below else "other Python in the loop"
        for frame in below:
            for name, functions in STAGES:
                if frame in functions:
                    stage = name
        counts[stage] += n
    return counts, total


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=10.0, help="seconds of load [10]")
    p.add_argument("--budget", type=float, default=25.0, help="us of CPU per request [25]")
    args = p.parse_args()
    seconds = 4.0 if args.quick else args.seconds

    def body(report: Report) -> None:
        with nginx() as base, tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            write_scenario(
                work,
                base,
                f"{{executor: constant-vus, vus: {USERS}, duration: {seconds:g}s, "
                "graceful_stop: 1s}",
            )
            samples = work / "samples.txt"
            spy = [str(BIN / "py-spy"), "record", "--nonblocking", "-r", "1000", "-f", "raw"]
            measured(
                [*spy, "-o", str(samples), "--", sys.executable, *peac_run()],
                work,
                timeout=seconds + 120,
            )
            result = read(work / "r.json")
            counts, total = stages(samples.read_text())
        requests = result.counters.requests
        health = result.health
        per_request = health.cpu_percent / 100 * health.seconds / max(requests, 1) * 1e6
        print(
            f"{requests:,} requests in {result.duration:.1f}s ({requests / result.duration:,.0f}"
            f" req/s), generator CPU {health.cpu_percent:.0f}%: {per_request:.1f} us CPU per "
            f"request; {total:,} py-spy samples of the event loop\n"
        )
        print(f"{'stage':52s} {'share':>6s} {'us/request':>10s}")
        for stage, n in counts.most_common():
            share = n / max(total, 1)
            print(f"{stage:52s} {share:6.1%} {share * per_request:10.2f}")
        report.errors("peac run", failed(result), requests)
        report.check(
            "CPU per request",
            f"{per_request:.1f} us",
            f"<= {args.budget:g} us",
            per_request <= args.budget,
        )

    return run("request_budget", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
