"""Peak RSS of `peac run` after 10^4 and after 10^6 requests: memory must not grow with requests.

nginx (core 1) serves 1 KB; one peac worker (core 0) runs shared-iterations with 50 VUs. Each
run is a separate process whose peak RSS (ru_maxrss) is read when it ends. Target: growth < 10 MB.
10^6 requests take about 15 minutes on one core; --large sets a smaller count for a quick look.

    .venv/bin/python benchmarks/memory.py [--small 10000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import nginx, peac_run, write_scenario

from peac.results.format import read

WRAPPER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_rss(work: Path, base: str, requests: int) -> tuple[int, float]:
    write_scenario(
        work,
        base,
        f"{{executor: shared-iterations, vus: 50, iterations: {requests}, max_duration: 1h}}",
    )
    command = ["taskset", "-c", "0", *peac_run()]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    result = read(work / "r.json")
    assert result.counters.requests == requests, result.counters.requests
    return int(done.stdout.strip().splitlines()[-1]) * 1024, result.duration


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    with nginx() as base, tempfile.TemporaryDirectory() as tmp:
        small, t_small = peak_rss(Path(tempfile.mkdtemp(dir=tmp)), base, args.small)
        large, t_large = peak_rss(Path(tempfile.mkdtemp(dir=tmp)), base, args.large)
    growth = (large - small) / 1e6
    print(f"{args.small:>9,} requests: peak RSS {small / 1e6:7.1f} MB ({t_small:.0f}s)")
    print(f"{args.large:>9,} requests: peak RSS {large / 1e6:7.1f} MB ({t_large:.0f}s)")
    print(f"growth: {growth:+.1f} MB (target < 10 MB): {'ok' if growth < 10 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
