"""The load runner against real servers on 127.0.0.1: counting, checks, captures, faults,
shards, secrets. All traffic is loopback and every run is bounded by its scenario's load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from peac.demo.shop.app import ShopApp
from peac.demo.shop.server import running
from peac.load.schedule import Shard
from peac.results.format import read, to_json
from peac.results.merge import merge
from tests.cli_helpers import run_cli
from tests.runner_helpers import run, scenario, stat
from tests.servers import closed_port, fault_server

SHOP_FLOW = """    - name: buy
      steps:
        - name: list
          path: /api/products
          checks:
            - status: 200
            - json: {path: 'items[0].id', exists: true}
          capture:
            product_id: {json: 'items[0].id'}
        - name: add
          method: POST
          path: /api/cart/items
          json: {product_id: '{{ product_id }}'}
          checks:
            - status: 201
          capture:
            cart_id: {json: cart_id}
        - name: pay
          method: POST
          path: /api/checkout
          headers: {X-Api-Key: '{{ secrets.key }}'}
          json: {cart_id: '{{ cart_id }}'}
          checks:
            - json: {path: status, equals: confirmed}
"""


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    app = ShopApp(seed=3, scale=0.1)
    app.faults.errors.update(search=0.0, checkout=0.0)
    with running(app) as (_, url):
        yield url


def test_open_model_counts_every_arrival_and_runs_captures(tmp_path: Path, shop: str) -> None:
    plan = scenario(
        tmp_path,
        shop,
        "{executor: constant-arrival-rate, rate: 20/s, duration: 2s, max_vus: 50}",
        SHOP_FLOW,
        "  secrets:\n    key: {env: SHOP_KEY}\n",
    )
    result = run(plan, environ={"SHOP_KEY": "s3cr3t-value"})
    c = result.counters
    assert c.scheduled_arrivals == 40
    assert c.dropped_arrivals == 0
    assert c.iterations == 40
    assert c.requests == 120
    assert c.failed_requests == 0
    assert (c.checks_passed, c.checks_failed) == (160, 0)
    assert set(result.steps()) == {"list", "add", "pay"}
    assert "s3cr3t-value" not in json.dumps(to_json(result))


def test_kept_alive_requests_are_not_delayed_by_nagle(tmp_path: Path, shop: str) -> None:
    # Guards a real artifact seen here: ~40 ms added to every request after the first on a
    # connection. 40 ms against ~1 ms leaves a wide margin on a noisy machine.
    plan = scenario(
        tmp_path,
        shop,
        "{executor: per-vu-iterations, vus: 1, iterations: 30}",
        "    - name: h\n      steps:\n        - path: /health\n",
    )
    result = run(plan)
    assert result.counters.requests == 30
    assert stat(result.latency(), "p50") < 0.02


def test_missing_secret_is_a_clear_error(tmp_path: Path, shop: str) -> None:
    from peac.errors import PeacError
    from peac.load.runtime import prepare

    plan = scenario(
        tmp_path,
        shop,
        "{executor: per-vu-iterations, vus: 1, iterations: 1}",
        SHOP_FLOW,
        "  secrets:\n    key: {env: SHOP_KEY_UNSET}\n",
    )
    with pytest.raises(PeacError, match="SHOP_KEY_UNSET"):
        prepare(plan, {})


@pytest.mark.parametrize("count", [2, 3])
def test_shards_of_shared_iterations_merge_to_the_unsharded_run(
    tmp_path: Path, shop: str, count: int
) -> None:
    plan = scenario(
        tmp_path,
        shop,
        "{executor: shared-iterations, vus: 4, iterations: 31}",
        "    - name: h\n      steps:\n        - path: /health\n        - path: /api/products\n",
    )
    whole = run(plan)
    parts = [run(plan, Shard(k, count)) for k in range(count)]
    merged = merge(parts)
    assert whole.counters.requests == merged.counters.requests == 62
    assert merged.counters.iterations == 31
    assert merged.latency().get_total_count() == 62
    assert sum(p.latency().get_total_count() for p in parts) == 62


def test_fault_kinds_are_counted_and_the_run_survives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = f"http://127.0.0.1:{closed_port()}"
    with fault_server() as url:
        flows = "".join(
            f"    - name: {name}\n      steps:\n"
            f"        - url: '{base}{path}'\n          timeout: 300ms\n"
            for name, base, path in [
                ("ok", url, "/ok"),
                ("e500", url, "/500"),
                ("e404", url, "/404"),
                ("reset", url, "/reset"),
                ("stall", url, "/stall"),
                ("big", url, "/big"),
                ("midbody", url, "/midbody"),
                ("garbage", url, "/garbage"),
                ("refused", refused, "/x"),
            ]
        )
        plan = scenario(
            tmp_path,
            url,
            "{executor: per-vu-iterations, vus: 1, iterations: 9}",
            flows,
            "  defaults: {max_body: 1MiB}\n",
        )
        import asyncio

        from peac.load.engine import Engine, RunOptions

        engine = Engine(plan, plan.scenario.spec.load, RunOptions(seed=1, environ={}))
        # Make every flow run once, in order, instead of by weighted chance.
        flows_in_order = iter(engine.runtime.flows)
        monkeypatch.setattr(engine.runtime, "choose_flow", lambda rng: next(flows_in_order))
        result = asyncio.run(engine.run())
    failures = result.counters.failures
    assert result.counters.requests == 9
    assert failures["http_5xx"] == 1
    assert failures["http_4xx"] == 1
    assert failures["timeout"] == 1
    assert failures["too_large"] == 1
    assert failures["refused"] == 1
    assert failures["reset"] + failures["other"] == 3  # reset, truncated body, malformed response
    assert result.counters.failed_requests == 8
    assert result.counters.bytes_received < 2 * 1024 * 1024  # the 50 MB body was cut off


def test_run_and_merge_commands_write_readable_results(
    tmp_path: Path, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario(
        tmp_path,
        shop,
        "{executor: shared-iterations, vus: 2, iterations: 10}",
        "    - name: h\n      steps:\n        - path: /health\n",
    )
    monkeypatch.chdir(tmp_path)
    outs = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}.json"
        code, stdout, stderr = run_cli(
            "run", "s.yaml", "--workers", "1", "--shard", f"{k}/2", "--out", str(out), "--seed", "1"
        )
        assert code == 0, stdout + stderr
        assert "all steps" in stdout
        outs.append(str(out))
    code, stdout, _ = run_cli("merge", *outs, "--out", str(tmp_path / "merged.json"))
    assert code == 0
    merged = read(tmp_path / "merged.json")
    assert merged.counters.requests == 10
    assert merged.shards == ["1/2", "2/2"]
    data = json.loads((tmp_path / "merged.json").read_text())
    assert data["format"] == "peac.run-result/v1"
    assert data["series"][0]["latency"].startswith("HISTF")


def test_workers_split_the_load_exactly(
    tmp_path: Path, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario(
        tmp_path,
        shop,
        "{executor: shared-iterations, vus: 3, iterations: 25}",
        "    - name: h\n      steps:\n        - path: /health\n",
    )
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_cli("run", "s.yaml", "--workers", "2", "--out", "r.json")
    assert code == 0, stdout + stderr
    assert read(tmp_path / "r.json").counters.requests == 25


def test_target_override_must_stay_on_allowed_hosts(
    tmp_path: Path, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario(
        tmp_path,
        shop,
        "{executor: shared-iterations, vus: 1, iterations: 1}",
        "    - name: h\n      steps:\n        - path: /health\n",
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("run", "s.yaml", "--target", "http://example.com", "--out", "r.json")
    assert code == 2
    assert 'host "example.com" is not allowed' in err


def test_stall_is_seen_by_every_arrival_not_hidden(tmp_path: Path) -> None:
    """Open model during a 1 s server stall: every arrival in the stall is recorded as slow
    (coordinated-omission free), not just one request per busy VU."""
    import threading

    app = ShopApp(seed=1, scale=0.05)
    with running(app) as (_, url):
        plan = scenario(
            tmp_path,
            url,
            "{executor: constant-arrival-rate, rate: 40/s, duration: 3s, max_vus: 100}",
            "    - name: h\n      steps:\n        - path: /api/products\n",
        )
        timer = threading.Timer(1.0, app.faults.stall, args=(1.0,))
        timer.start()
        result = run(plan)
        timer.join()
    latency = result.latency()
    assert result.counters.scheduled_arrivals == 120
    assert result.counters.dropped_arrivals == 0
    assert stat(latency, "max") >= 0.8
    slow = latency.get_total_count() - latency.get_count_at_value(int(0.3e6))
    assert slow >= 25, f"only {slow} slow requests: arrivals during the stall were not all seen"


@pytest.mark.slow
def test_sigint_stops_gracefully_with_a_partial_result(tmp_path: Path, shop: str) -> None:
    import signal
    import subprocess
    import sys

    scenario(
        tmp_path,
        shop,
        "{executor: constant-vus, vus: 2, duration: 60s, graceful_stop: 2s}",
        "    - name: h\n      steps:\n        - path: /api/products\n          think: 50ms\n",
    )
    out = tmp_path / "r.json"
    command = ["run", "s.yaml", "--workers", "1", "--out", str(out)]
    command += ["--progress", "plain", "--progress-interval", "1s"]
    process = subprocess.Popen(
        [sys.executable, "-m", "peac", *command],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    # Readiness: the first progress line is written by the running engine, after its signal
    # handlers are in place (a signal sent earlier would kill the process instead).
    assert process.stderr.readline().startswith("rules: ")  # said before the load starts
    first = process.stderr.readline()
    assert first.startswith("running 1s / 1m"), first + process.stderr.read()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "PARTIAL RESULT: interrupted (SIGINT)" in stdout
    result = read(out)
    assert result.partial
    assert result.counters.requests > 0
    assert result.duration < 30


def test_abort_on_fail_stops_a_lost_run_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ShopApp(seed=2, scale=0.05)
    app.faults.errors["products"] = 0.5
    with running(app) as (_, url):
        scenario(
            tmp_path,
            url,
            "{executor: constant-arrival-rate, rate: 40/s, duration: 30s, graceful_stop: 1s}",
            "    - name: h\n      steps:\n        - path: /api/products\n",
        )
        (tmp_path / "b.yaml").write_text(
            "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: b}\nspec:\n  scenario: s.yaml\n"
            "  objectives:\n    - {metric: error_rate, abort_on_fail: true, fail: {max: 5%}}\n"
            "    - {metric: throughput, abort_on_fail: true, fail: {min: 1/s}}\n",
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli(
            "run", "s.yaml", "--budget", "b.yaml", "--workers", "1", "--out", "r.json"
        )
    assert code == 1, out + err
    assert 'note: abort_on_fail of "throughput rate" is not checked during the run' in err
    result = read(tmp_path / "r.json")
    assert result.stop_reason.startswith('aborted: objective "error_rate rate" is ')
    assert "beyond its fail.max 5.00%" in result.stop_reason
    assert result.counters.scheduled_arrivals < 30 * 40 // 2  # stopped long before the end


def test_a_bug_inside_an_iteration_is_an_internal_error_not_hidden(
    tmp_path: Path, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bug is injected on purpose (nothing real is known to raise there).
    def broken(*_: object) -> None:
        raise RuntimeError("bug in capture")

    monkeypatch.setattr("peac.load.vu.VirtualUser._capture", broken)
    scenario(
        tmp_path,
        shop,
        "{executor: shared-iterations, vus: 1, iterations: 2}",
        "    - name: h\n      steps:\n        - path: /health\n",
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("run", "s.yaml", "--workers", "1", "--out", "r.json")
    assert code == 3
    assert "internal error: RuntimeError in peac/load/vu.py:" in err


def test_waiting_arrivals_show_the_stall_in_latency_not_in_service_time(tmp_path: Path) -> None:
    """Few VUs and max_wait: arrivals queue on the generator during a stall. The corrected
    latency (from the intended start) shows the stall; the service time does not."""
    import threading

    app = ShopApp(seed=1, scale=0.05)
    with running(app) as (_, url):
        plan = scenario(
            tmp_path,
            url,
            "{executor: constant-arrival-rate, rate: 100/s, duration: 4s, max_vus: 2, "
            "max_wait: 5s}",
            "    - name: h\n      steps:\n        - path: /api/products\n",
        )
        timer = threading.Timer(1.5, app.faults.stall, args=(1.0,))
        timer.start()
        result = run(plan)
        timer.join()
    assert result.counters.scheduled_arrivals == 400
    assert result.counters.dropped_arrivals == 0
    assert result.counters.requests == 400
    assert stat(result.latency(), "p99") >= 0.8
    assert stat(result.latency(service=True), "p99") < 0.5


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_cookies_gzip_and_chunked_bodies_on_both_transports(
    tmp_path: Path, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fault_server() as url:
        scenario(
            tmp_path,
            url,
            "{executor: per-vu-iterations, vus: 1, iterations: 3}",
            "    - name: f\n      steps:\n"
            "        - path: /login\n"
            "        - path: /private\n          checks: [{status: 200}]\n"
            "        - path: /gzip\n"
            "          checks: [{json: {path: status, equals: compressed}}]\n"
            "        - path: /chunked\n          checks: [{body: {contains: hello world}}]\n",
        )
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli(
            "run", "s.yaml", "--workers", "1", "--out", "r.json", "--transport", transport
        )
    assert code == 0, out + err
    counters = read(tmp_path / "r.json").counters
    assert counters.requests == 12
    assert (counters.checks_passed, counters.checks_failed) == (9, 0)
    assert counters.failed_requests == 0


def test_redirects_are_followed_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fault_server() as url:
        scenario(
            tmp_path,
            url,
            "{executor: per-vu-iterations, vus: 1, iterations: 2}",
            "    - name: f\n      steps:\n"
            "        - path: /redirect\n          checks: [{status: 200}]\n",
            "  defaults: {follow_redirects: true}\n",
        )
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli("run", "s.yaml", "--workers", "1", "--out", "r.json")
    assert code == 0, out + err
    counters = read(tmp_path / "r.json").counters
    assert (counters.checks_passed, counters.checks_failed) == (2, 0)


def test_templated_url_that_leaves_the_allowed_host_is_blocked(tmp_path: Path, shop: str) -> None:
    # base_url + "@evil.example/x" makes the base URL's host:port mere userinfo.
    plan = scenario(
        tmp_path,
        shop,
        "{executor: per-vu-iterations, vus: 1, iterations: 3}",
        "    - name: f\n      steps:\n        - path: '{{ sneaky }}'\n",
        "  data:\n    vars: {sneaky: '@evil.example/x'}\n",
    )
    result = run(plan)
    assert result.counters.failures["blocked_host"] == 3
    assert result.counters.requests == 0
    assert result.counters.failed_requests == 0


@pytest.mark.parametrize(
    ("headers", "extra"),
    [
        # Templated: a value from data that ends the header and starts a smuggled request.
        (
            "{X-Trace: '{{ sneaky }}'}",
            '  data:\n    vars: {sneaky: "a\\r\\nGET /admin HTTP/1.1"}\n',
        ),
        # A bare LF, and NUL, from data too (written as they are, validation refuses them).
        ("{X-Trace: '{{ sneaky }}'}", '  data:\n    vars: {sneaky: "a\\nX-Admin: 1"}\n'),
        ("{X-Trace: 'x{{ sneaky }}'}", '  data:\n    vars: {sneaky: "a\\u0000b"}\n'),
    ],
)
def test_a_header_value_with_cr_lf_or_nul_is_never_sent(
    tmp_path: Path, shop: str, headers: str, extra: str
) -> None:
    plan = scenario(
        tmp_path,
        shop,
        "{executor: per-vu-iterations, vus: 1, iterations: 3}",
        "    - name: f\n      steps:\n        - path: /api/products\n"
        f"          headers: {headers}\n",
        extra,
    )
    result = run(plan)
    assert result.counters.failures["template"] == 3
    assert result.counters.requests == 0


def test_a_host_header_is_held_to_the_allowed_hosts(tmp_path: Path, shop: str) -> None:
    # Behind a shared ingress the Host header picks the virtual host: one the rules do not
    # allow is blocked like a URL's host; the target's own host (with its port) is sent.
    port = shop.rsplit(":", 1)[1]
    plan = scenario(
        tmp_path,
        shop,
        "{executor: per-vu-iterations, vus: 1, iterations: 2}",
        "    - name: f\n      steps:\n"
        f"        - {{name: own, path: /api/products, headers: {{Host: '127.0.0.1:{port}'}}}}\n"
        "        - {name: other, path: /api/products, headers: {Host: 'internal.example'}}\n",
    )
    result = run(plan)
    assert result.counters.failures["blocked_host"] == 2
    assert result.counters.requests == 2


@pytest.mark.parametrize("transport", ["lean", "httpx"])
@pytest.mark.parametrize(
    ("step", "kinds"),
    [
        ("{path: /header-bomb, timeout: 5s}", ("reset", "other")),  # past 64 KiB: refused
        ("{path: /trickle, timeout: 500ms}", ("timeout",)),  # never within the deadline
    ],
)
def test_hostile_servers_cost_a_bounded_failure_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str, step: str, kinds: tuple[str]
) -> None:
    with fault_server() as url:
        scenario(
            tmp_path,
            url,
            "{executor: per-vu-iterations, vus: 1, iterations: 2}",
            f"    - name: h\n      steps:\n        - {step}\n",
        )
        monkeypatch.chdir(tmp_path)
        code, out, err = run_cli(
            "run", "s.yaml", "--workers", "1", "--out", "r.json", "--transport", transport
        )
    # Every request failed, so the run fails (exit 1), but bounded and with its result written.
    assert code == 1, out + err
    assert "every request to" in err
    result = read(tmp_path / "r.json")
    assert sum(result.counters.failures[k] for k in kinds) == 2
    assert result.counters.bytes_received < 1024 * 1024
    if kinds == ("timeout",):
        assert stat(result.latency(), "max") == pytest.approx(0.5, abs=0.15)


def test_a_redirect_cannot_carry_a_secret_to_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx drops Authorization on a cross-host redirect, but not custom headers: every hop
    is checked against the allowed hosts instead, so the key never leaves."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[str] = []

    class Collector(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.headers.get("X-Api-Key", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    elsewhere = ThreadingHTTPServer(("127.0.0.2", 0), Collector)  # another loopback address
    thread = threading.Thread(target=elsewhere.serve_forever, daemon=True)
    thread.start()
    stolen = f"http://127.0.0.2:{elsewhere.server_address[1]}/stolen"
    try:
        with fault_server() as url:
            scenario(
                tmp_path,
                url,
                "{executor: per-vu-iterations, vus: 1, iterations: 2}",
                "    - name: h\n      steps:\n"
                f"        - path: '/away?to={stolen}'\n"
                "          headers: {X-Api-Key: '{{ secrets.key }}'}\n",
                "  defaults: {follow_redirects: true}\n  secrets:\n    key: {env: LEAK_KEY}\n",
            )
            monkeypatch.setenv("LEAK_KEY", "s3cr3t")
            monkeypatch.chdir(tmp_path)
            code, out, err = run_cli("run", "s.yaml", "--workers", "1", "--out", "r.json")
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()
    assert code == 1, out + err  # no request was sent: the run measured nothing
    assert "error: the run made no requests" in err
    assert received == []
    assert read(tmp_path / "r.json").counters.failures["blocked_host"] == 2
