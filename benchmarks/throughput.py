"""Requests per second and CPU per request of one generator core: peac, Locust FastHttpUser, wrk.

nginx (one worker, pinned to core 1) serves a 1 KB body on 127.0.0.1; each generator is pinned to
core 0 and runs a closed loop of 50 concurrent users (connections) for the same duration. Every
tool gets the same warm-up run, then the same number of rounds, alternated (the order rotates
each round so no tool always runs first); the median rate of each tool is reported, with its
errors (failed requests, non-2xx responses, socket errors) over all runs and its CPU per request
(whole process, start-up included). Each tool's rate is its own count over its own load window.
Requests per CPU second (the rate over the generator's own CPU use, start-up included) say the
same per core when a generator does not fill its core: nginx on the one other core is then the
limit, for every tool alike.

Target: peac >= 2.0x Locust FastHttpUser per core (the ratio of the median rates, measured in
this run), no errors from any tool, every response the 1 KB body. --quick (CI, ~25 s): 1 s runs,
5 rounds, target 1.5x (a return to the runner before issue 15, 0.8-1.3x, fails it).
Installs nginx and wrk with apt-get and Locust (benchmarks/requirements.txt, in
benchmarks/.tools) with pip when they are missing.

    .venv/bin/python benchmarks/throughput.py [--quick] [--duration 10] [--rounds 5] [--warmup 3]
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    BODY,
    Report,
    ToolFailed,
    failed,
    locust_bin,
    measured,
    nginx,
    parser,
    peac_run,
    run,
    write_scenario,
)

from peac.results.format import read

USERS = 50
TARGET, QUICK_TARGET = 2.0, 1.5  # peac / Locust FastHttpUser, requests per second on one core
LOCUSTFILE = """\
from locust import FastHttpUser, constant, task


class User(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/1k")
"""


@dataclass
class Sample:
    requests: int
    rate: float  # requests per second over the tool's own load window
    errors: int
    body: float  # bytes received per response (body only, or with headers: at least BODY)
    cpu: float  # CPU seconds of the whole process


def run_wrk(url: str, seconds: float, work: Path) -> Sample:
    done = measured(
        ["wrk", "-t1", f"-c{USERS}", f"-d{seconds:g}s", url], work, timeout=seconds + 60
    )
    out = done.output
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if total is None or rate is None:
        raise ToolFailed("wrk", "no totals in its output", out)
    requests = int(total.group(1))
    unit = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[total.group(5)]
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = sum(
        int(n) for n in re.findall(r"\d+", socket_errors.group(1) if socket_errors else "")
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    body = float(total.group(4)) * unit / max(requests, 1)
    return Sample(requests, float(rate.group(1)), errors, body, done.cpu)


def run_locust(url: str, seconds: float, work: Path) -> Sample:
    (work / "locustfile.py").write_text(LOCUSTFILE)
    stats = work / "stats.json"
    done = measured(
        [
            str(locust_bin()),
            "-f",
            "locustfile.py",
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS * 10),  # all users at once, as wrk and peac start theirs
            "--run-time",
            f"{seconds:g}s",
            "--reset-stats",  # count from when every user runs
            "--host",
            url.rsplit("/", 1)[0],
            "--json-file",
            "stats",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        work,
        timeout=seconds + 60,
    )
    entries = json.loads(stats.read_text())
    requests = sum(e["num_requests"] for e in entries)
    window = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    errors = sum(e["num_failures"] for e in entries)
    content = sum(e["total_content_length"] for e in entries)
    return Sample(
        requests, requests / max(window, 1e-9), errors, content / max(requests, 1), done.cpu
    )


WORKERS = 1  # --workers: peac's worker processes; above 1 they share both cores with nginx


def run_peac(url: str, seconds: float, work: Path) -> Sample:
    write_scenario(
        work,
        url.rsplit("/", 1)[0],
        f"{{executor: constant-vus, vus: {USERS}, duration: {seconds:g}s, graceful_stop: 1s}}",
    )
    command = peac_run()
    command[command.index("--workers") + 1] = str(WORKERS)
    done = measured(command, work, timeout=seconds + 60, core=0 if WORKERS == 1 else "0,1")
    result = read(work / "r.json")
    c = result.counters
    requests = c.requests
    return Sample(
        requests,
        requests / result.duration,
        failed(result),
        c.bytes_received / max(requests, 1),
        done.cpu,
    )


@dataclass
class Tool:
    name: str
    runner: Callable[[str, float, Path], Sample]
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0  # over every run, the warm-up included
    smallest_body: float = float("inf")

    def once(self, url: str, seconds: float, work: Path) -> Sample:
        sample = self.runner(url, seconds, work)
        self.errors += sample.errors
        self.smallest_body = min(self.smallest_body, sample.body)
        return sample


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--duration", type=float, help="seconds per run [10; --quick: 1]")
    p.add_argument("--rounds", type=int, help="alternated rounds, at least 5 [5]")
    p.add_argument("--warmup", type=float, help="seconds of each tool's warm-up run [3; 1]")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="peac's worker processes [1]; above 1 they run on both cores, beside nginx, and "
        "the per-core target does not apply",
    )
    args = p.parse_args()
    global WORKERS
    WORKERS = args.workers
    seconds = args.duration or (1.0 if args.quick else 10.0)
    rounds = args.rounds or 5
    warmup = args.warmup or (1.0 if args.quick else 3.0)
    target = QUICK_TARGET if args.quick else TARGET
    if rounds < 5:
        p.error("--rounds must be at least 5")

    def body(report: Report) -> None:
        tools = [
            Tool("wrk -t1 -c50", run_wrk),
            Tool("locust FastHttpUser", run_locust),
            Tool(f"peac run{f' --workers {WORKERS}' if WORKERS > 1 else ''}", run_peac),
        ]
        with nginx(locust=True) as base, tempfile.TemporaryDirectory() as tmp:
            url = f"{base}/1k"
            print(
                f"nginx 1 worker on core 1; generators on core 0; {USERS} users, closed loop; "
                f"{warmup:g}s warm-up, then {rounds} rounds of {seconds:g}s each, alternated",
                flush=True,
            )
            for tool in tools:
                tool.once(url, warmup, Path(tempfile.mkdtemp(dir=tmp)))
            for r in range(rounds):
                order = tools[r % len(tools) :] + tools[: r % len(tools)]
                for tool in order:
                    sample = tool.once(url, seconds, Path(tempfile.mkdtemp(dir=tmp)))
                    tool.samples.append(sample)
                    print(
                        f"  round {r + 1} {tool.name:20s} {sample.rate:9.0f} req/s  "
                        f"{sample.errors} errors",
                        flush=True,
                    )
        print(
            f"\n{'tool':22s} {'median req/s':>12s} {'min':>8s} {'max':>8s} "
            f"{'us CPU/req':>10s} {'req/CPU-s':>10s} {'errors':>7s}"
        )
        medians, per_cpu = {}, {}
        for tool in tools:
            rates = [s.rate for s in tool.samples]
            medians[tool.name] = statistics.median(rates)
            cpu = statistics.median(s.cpu / max(s.requests, 1) for s in tool.samples)
            per_cpu[tool.name] = 1 / max(cpu, 1e-12)
            print(
                f"{tool.name:22s} {medians[tool.name]:12.0f} {min(rates):8.0f} {max(rates):8.0f} "
                f"{cpu * 1e6:10.1f} {per_cpu[tool.name]:10.0f} {tool.errors:7d}"
            )
        wrk, locust, peac = (medians[t.name] for t in tools)
        print(
            "requests per CPU second, peac/locust: "
            f"{per_cpu[tools[2].name] / per_cpu[tools[1].name]:.2f}x"
        )
        paired = [
            p.rate / lo.rate for p, lo in zip(tools[2].samples, tools[1].samples, strict=True)
        ]
        print(
            f"per-round peac/locust: {', '.join(f'{x:.2f}' for x in paired)}; "
            f"peac/wrk (medians): {peac / wrk:.3f}"
        )
        if WORKERS == 1:
            report.check(
                "peac/locust req/s per core (medians)",
                f"{peac / locust:.2f}x ({peac:.0f} vs {locust:.0f} req/s)",
                f">= {target}x",
                peac >= target * locust,
            )
        else:  # not per core: two processes on two cores, one of them nginx's
            print(
                f"peac --workers {WORKERS} (cores 0 and 1, with nginx) vs Locust on core 0: "
                f"{peac / locust:.2f}x ({peac:.0f} vs {locust:.0f} req/s)"
            )
        for tool in tools:
            report.errors(tool.name, tool.errors)
            report.check(
                f"{tool.name} response size",
                f"{tool.smallest_body:.0f} B (smallest mean of a run)",
                f">= {BODY} B",
                tool.smallest_body >= BODY,
            )

    return run("throughput", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
