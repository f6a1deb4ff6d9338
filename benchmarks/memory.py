"""Peak RSS of `peac run` after 10^4 and after 10^6 requests: memory must not grow with requests.

nginx (core 1) serves 1 KB; one peac worker (core 0) runs shared-iterations with 50 VUs. Each
run is a separate process whose peak RSS (ru_maxrss) is read when it ends. Target: growth < 10 MB,
every request made, none failed. 10^6 requests take a few minutes on one core. --quick: 2,000
and 30,000 requests, growth < 30 MB.

    .venv/bin/python benchmarks/memory.py [--quick] [--small 10000] [--large 1000000]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Report, ToolFailed, failed, nginx, parser, peac_run, run, write_scenario

from peac.results.format import read

WRAPPER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def peak_rss(report: Report, work: Path, base: str, requests: int) -> int:
    write_scenario(
        work,
        base,
        f"{{executor: shared-iterations, vus: 50, iterations: {requests}, max_duration: 1h}}",
    )
    command = ["taskset", "-c", "0", *peac_run()]
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *command],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed("peac", "still running after 1800s (stopped)") from exc
    if done.returncode != 0:
        raise ToolFailed("peac", f"exit {done.returncode}", done.stdout + done.stderr)
    result = read(work / "r.json")
    c = result.counters
    rss = int(done.stdout.strip().splitlines()[-1]) * 1024
    print(f"{requests:>9,} requests: peak RSS {rss / 1e6:7.1f} MB ({result.duration:.0f}s)")
    report.check(
        f"requests made of {requests:,}", f"{c.requests:,}", f"{requests:,}", c.requests == requests
    )
    report.errors(f"peac run ({requests:,})", failed(result), c.requests)
    return rss


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--small", type=int, help="requests of the small run [10,000; --quick: 2,000]")
    p.add_argument("--large", type=int, help="requests of the large run [10^6; --quick: 30,000]")
    args = p.parse_args()
    small = args.small or (2_000 if args.quick else 10_000)
    large = args.large or (30_000 if args.quick else 1_000_000)
    limit = 30.0 if args.quick else 10.0

    def body(report: Report) -> None:
        with nginx() as base, tempfile.TemporaryDirectory() as tmp:
            rss_small = peak_rss(report, Path(tempfile.mkdtemp(dir=tmp)), base, small)
            rss_large = peak_rss(report, Path(tempfile.mkdtemp(dir=tmp)), base, large)
        growth = (rss_large - rss_small) / 1e6
        report.check(
            f"peak RSS growth from {small:,} to {large:,} requests",
            f"{growth:+.1f} MB ({rss_small / 1e6:.1f} -> {rss_large / 1e6:.1f} MB)",
            f"< {limit:g} MB",
            growth < limit,
        )

    return run("memory", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
