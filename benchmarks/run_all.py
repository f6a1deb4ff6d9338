"""Run every benchmark as a subprocess, print a table of their checks and exit non-zero if any
check missed, any benchmark failed or ran past its time limit.

    .venv/bin/python benchmarks/run_all.py --quick     # about 130 s on 2 cores (CI)
    .venv/bin/python benchmarks/run_all.py             # the full benchmarks (about 7 minutes)
    .venv/bin/python benchmarks/run_all.py --quick throughput memory   # some of them
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import HERE, REPORT_ENV

# Cheap ones first: a broken install shows in seconds.
BENCHMARKS = (
    "validate_speed",
    "judgement",
    "recommend",
    "history_scale",
    "coordinated_omission",
    "memory",
    "open_model_accuracy",
    "saturation",
    "http_layers",
    "throughput",
    "protocols",
)


def run_one(name: str, quick: bool, timeout: float) -> tuple[list[dict[str, object]], float]:
    """The checks of one benchmark (a failed one if it gave none or exited non-zero)."""
    print(f"\n=== {name}{' --quick' if quick else ''}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "report.json")
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])],
                env={**os.environ, REPORT_ENV: str(report)},
                timeout=timeout,
                check=False,
            )
            code: int | str = done.returncode
        except subprocess.TimeoutExpired:
            code = f"still running after {timeout:g}s (stopped)"
        seconds = time.perf_counter() - start
        checks = json.loads(report.read_text())["checks"] if report.exists() else []
    if code != 0 and all(c["ok"] for c in checks):
        checks.append(
            {"what": "benchmark ran", "figure": f"exit {code}", "target": "exit 0", "ok": False}
        )
    return checks, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark in its quick mode")
    parser.add_argument("only", nargs="*", help=f"run only these of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)} (there are: {', '.join(BENCHMARKS)})")
    names = args.only or list(BENCHMARKS)
    timeout = 300.0 if args.quick else 3600.0
    start = time.perf_counter()
    rows, times = [], {}
    for name in names:
        checks, times[name] = run_one(name, args.quick, timeout)
        rows += [(name, c) for c in checks]
    missed = [name for name, c in rows if not c["ok"]]
    figures = [f"{c['what']}: {c['figure']}" for _, c in rows]
    width = max(len(f) for f in figures)
    targets = max(len(str(c["target"])) for _, c in rows)
    print(f"\n{'benchmark':20s}  {'figure':{width}s}  {'target':{targets}s}  result")
    for (name, c), figure in zip(rows, figures, strict=True):
        print(
            f"{name:20s}  {figure:{width}s}  {c['target']!s:{targets}s}  "
            f"{'ok' if c['ok'] else 'MISSED'}"
        )
    print()
    for name in names:
        failed = missed.count(name)
        print(f"{name:20s}  {times[name]:5.0f}s  {'ok' if not failed else f'{failed} MISSED'}")
    print(
        f"\n{len(names)} benchmarks{' (quick)' if args.quick else ''}, {len(rows)} checks, "
        f"{len(missed)} missed, {time.perf_counter() - start:.0f}s"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
