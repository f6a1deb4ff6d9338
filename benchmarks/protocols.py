"""Requests per second on one generator core over plain HTTP, HTTPS and HTTP/2: peac beside
Locust FastHttpUser (HTTP and HTTPS; Locust has no HTTP/2).

nginx (one worker, pinned to core 1) serves the 1 KB body on three ports of 127.0.0.1: plain
HTTP, HTTPS (HTTP/1.1) and HTTPS with HTTP/2 (ALPN), with a certificate from a throwaway CA
(trustme). Certificates are verified by every tool: peac through the scenario's ``target.ca``,
Locust through an SSL context made with the same CA. Each generator is pinned to core 0 and runs
a closed loop of 50 users; every tool and protocol gets the same warm-up run, then alternated
rounds; medians are reported with CPU per request and errors. The HTTP/2 port logs each
request's protocol, so the benchmark proves peac's HTTP/2 runs really were HTTP/2.

Targets: peac over HTTPS >= 2.0x Locust over HTTPS (medians, this run), no errors, every HTTP/2
request HTTP/2. HTTP/2 (httpx with h2, pure Python) is reported beside its HTTP/1.1 figures,
with no target. --quick: 2 s runs, 3 rounds, target 1.5x. Locust's 50 HTTPS users take 1.5-2.5 s
to connect on a busy core (TLS handshakes in gevent), so Locust runs LOCUST_START seconds longer
and its rate is taken over its own measured window (from the stats reset once every user is
running to the last request), which must cover at least 80 % of the run's seconds.

    .venv/bin/python benchmarks/protocols.py [--quick] [--duration 5] [--rounds 5]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    BODY,
    Report,
    ToolFailed,
    ensure_tools,
    failed,
    free_port,
    locust_bin,
    measured,
    parser,
    peac_run,
    run,
    which,
    write_scenario,
)

from peac.results.format import read

USERS = 50
TARGET, QUICK_TARGET = 2.0, 1.5  # peac / Locust FastHttpUser over HTTPS
LOCUST_START = 4.0  # seconds added to a Locust run for its users to connect (see above)
LOCUSTFILE = """\
import gevent.ssl
from locust import FastHttpUser, constant, task


def verified():
    return gevent.ssl.create_default_context(cafile={ca!r})


class User(FastHttpUser):
    wait_time = constant(0)
    insecure = False
    ssl_context_factory = staticmethod(verified)

    @task
    def get(self):
        self.client.get("/1k")
"""


@dataclass
class Ports:
    http: int
    https: int
    h2: int


@contextmanager
def tls_nginx(root: Path) -> Iterator[tuple[Ports, Path, Path]]:
    """nginx on core 1 with plain, TLS and TLS+HTTP/2 ports; yields the ports, the CA's PEM
    file and the HTTP/2 port's protocol log."""
    import subprocess
    import time

    import trustme

    ensure_tools(locust=True)
    root.chmod(0o755)
    (root / "html").mkdir(mode=0o755)
    (root / "html" / "1k").write_bytes(b"x" * BODY)
    (root / "html" / "1k").chmod(0o644)
    (root / "logs").mkdir()
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(root / "server.pem"))
    ports = Ports(free_port(), free_port(), free_port())
    protocols = root / "logs" / "h2.log"
    tls = f"ssl_certificate {root}/server.pem; ssl_certificate_key {root}/server.pem;"
    (root / "nginx.conf").write_text(
        f"worker_processes 1; daemon off; error_log {root}/logs/error.log; pid {root}/nginx.pid;\n"
        "events { worker_connections 4096; }\n"
        "http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;\n"
        "  log_format protocol '$server_protocol';\n"
        f"  server {{ listen 127.0.0.1:{ports.http}; root {root}/html; }}\n"
        f"  server {{ listen 127.0.0.1:{ports.https} ssl; {tls} root {root}/html; }}\n"
        f"  server {{ listen 127.0.0.1:{ports.h2} ssl http2; {tls} root {root}/html;\n"
        f"    access_log {protocols} protocol buffer=64k; }} }}\n"
    )
    command = [which("nginx") or "nginx", "-c", str(root / "nginx.conf"), "-p", str(root)]
    process = subprocess.Popen(["taskset", "-c", "1", *command])
    try:
        import socket

        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", ports.h2)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise ToolFailed("nginx", "did not start listening in 5s")
        yield ports, root / "ca.pem", protocols
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Sample:
    requests: int
    rate: float
    errors: int
    cpu: float


def peac(url: str, ca: Path, http2: bool) -> Callable[[float, Path], Sample]:
    def once(seconds: float, work: Path) -> Sample:
        secure = url.startswith("https")
        if secure:
            (work / "ca.pem").write_bytes(ca.read_bytes())
        write_scenario(
            work,
            url,
            f"{{executor: constant-vus, vus: {USERS}, duration: {seconds:g}s, graceful_stop: 1s}}",
            ca="ca.pem" if secure else "",
            http2=http2,
        )
        done = measured(peac_run(), work, timeout=seconds + 60)
        result = read(work / "r.json")
        requests = result.counters.requests
        return Sample(requests, requests / result.duration, failed(result), done.cpu)

    return once


def locust(url: str, ca: Path) -> Callable[[float, Path], Sample]:
    def once(seconds: float, work: Path) -> Sample:
        (work / "locustfile.py").write_text(LOCUSTFILE.format(ca=str(ca)))
        done = measured(
            [
                str(locust_bin()),
                "-f",
                "locustfile.py",
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS * 10),
                "--run-time",
                f"{seconds + LOCUST_START:g}s",
                "--reset-stats",
                "--host",
                url,
                "--json-file",
                "stats",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            work,
            timeout=seconds + LOCUST_START + 60,
        )
        entries = json.loads((work / "stats.json").read_text())
        total = f"{seconds + LOCUST_START:g}s"
        if not entries:
            raise ToolFailed("locust", f"no request counted in {total}", done.output)
        requests = sum(e["num_requests"] for e in entries)
        window = max(e["last_request_timestamp"] for e in entries) - min(
            e["start_time"] for e in entries
        )
        if window < 0.8 * seconds:
            raise ToolFailed(
                "locust",
                f"measured for {window:.1f}s of {total} (its users took longer to start than "
                f"LOCUST_START allows)",
                done.output,
            )
        errors = sum(e["num_failures"] for e in entries)
        return Sample(requests, requests / max(window, 1e-9), errors, done.cpu)

    return once


@dataclass
class Tool:
    name: str
    once: Callable[[float, Path], Sample]
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--duration", type=float, help="seconds per run [5; --quick: 2]")
    p.add_argument("--rounds", type=int, help="alternated rounds, at least 3 [5; --quick: 3]")
    args = p.parse_args()
    seconds = args.duration or (2.0 if args.quick else 5.0)
    rounds = args.rounds or (3 if args.quick else 5)
    target = QUICK_TARGET if args.quick else TARGET
    if rounds < 3:
        p.error("--rounds must be at least 3")

    def body(report: Report) -> None:
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as served:
            with tls_nginx(Path(served)) as (ports, ca, protocols):
                base = "127.0.0.1"
                tools = [
                    Tool("peac http", peac(f"http://{base}:{ports.http}", ca, False)),
                    Tool("peac https", peac(f"https://{base}:{ports.https}", ca, False)),
                    Tool("peac http2", peac(f"https://{base}:{ports.h2}", ca, True)),
                    Tool("locust http", locust(f"http://{base}:{ports.http}", ca)),
                    Tool("locust https", locust(f"https://{base}:{ports.https}", ca)),
                ]
                print(
                    f"nginx 1 worker on core 1; generators on core 0; {USERS} users, closed "
                    f"loop; a {seconds:g}s warm-up each, then {rounds} rounds, alternated",
                    flush=True,
                )
                for r in range(-1, rounds):
                    order = tools[r % len(tools) :] + tools[: r % len(tools)]
                    for tool in order:
                        sample = tool.once(seconds, Path(tempfile.mkdtemp(dir=tmp)))
                        tool.errors += sample.errors
                        if r >= 0:  # round -1 is the warm-up
                            tool.samples.append(sample)
                            print(
                                f"  round {r + 1} {tool.name:14s} {sample.rate:9.0f} req/s  "
                                f"{sample.errors} errors",
                                flush=True,
                            )
            lines = protocols.read_text().splitlines() if protocols.exists() else []
        print(f"\n{'tool':14s} {'median req/s':>12s} {'us CPU/req':>10s} {'errors':>7s}")
        medians = {}
        for tool in tools:
            medians[tool.name] = statistics.median(s.rate for s in tool.samples)
            cpu = statistics.median(s.cpu / max(s.requests, 1) for s in tool.samples)
            print(f"{tool.name:14s} {medians[tool.name]:12.0f} {cpu * 1e6:10.1f} {tool.errors:7d}")
        ratio = medians["peac https"] / medians["locust https"]
        print(
            f"peac https/http: {medians['peac https'] / medians['peac http']:.2f}; "
            f"peac http2/https: {medians['peac http2'] / medians['peac https']:.2f}; "
            f"peac http2/locust https: {medians['peac http2'] / medians['locust https']:.2f}x"
        )
        report.check(
            "peac/locust over HTTPS, req/s per core (medians)",
            f"{ratio:.2f}x ({medians['peac https']:.0f} vs {medians['locust https']:.0f} req/s)",
            f">= {target}x",
            ratio >= target,
        )
        for tool in tools:
            report.errors(tool.name, tool.errors)
        h2 = sum(1 for line in lines if line == "HTTP/2.0")
        report.check(
            "requests on the HTTP/2 port that were HTTP/2",
            f"{h2:,} of {len(lines):,}",
            "all, and some",
            h2 == len(lines) > 0,
        )

    return run("protocols", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
