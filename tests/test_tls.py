"""HTTPS and HTTP/2 through the runner, for real: a throwaway CA (trustme) signs the
certificate of a local hypercorn server that offers HTTP/2 and HTTP/1.1 by ALPN. Certificates
are always verified; ``target.ca`` adds a CA to trust, a file confined to the repository."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from peac.load.engine import RunOptions, execute
from peac.spec.compiler import compile_paths
from peac.spec.plan import ScenarioPlan
from tests.cli_helpers import run_cli
from tests.servers import tls_server

ITERATIONS = 20
Versions = Callable[[], list[str]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Versions, Path]]:
    """(https base URL, HTTP versions the server saw, the CA's PEM file)."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    with tls_server(folder / "cert.pem", folder / "key.pem") as (url, versions):
        yield url, versions, folder / "ca.pem"


def compiled(
    tmp: Path, url: str, target: str = "", defaults: str = ""
) -> tuple[ScenarioPlan | None, list[str]]:
    (tmp / ".git").mkdir(exist_ok=True)
    path = tmp / "s.yaml"
    path.write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
        f"  target: {{base_url: '{url}'{target}}}\n"
        f"  load: {{executor: per-vu-iterations, vus: 2, iterations: {ITERATIONS // 2}}}\n"
        f"{defaults}"
        "  flows: [{name: f, steps: [{path: /1k, checks: [{status: 200}]}]}]\n",
        encoding="utf-8",
    )
    compilation = compile_paths([path], root=tmp)
    messages = [p.message for p in compilation.problems]
    plans = compilation.plan.scenarios
    return (plans[0] if plans else None), messages


@pytest.mark.parametrize(
    ("http2", "transport", "version"),
    [(False, "lean", "1.1"), (False, "httpx", "1.1"), (True, "lean", "2")],
)
def test_https_is_verified_against_the_scenario_ca_over_http1_and_http2(
    tmp_path: Path,
    server: tuple[str, Versions, Path],
    http2: bool,
    transport: str,
    version: str,
) -> None:
    url, versions, ca = server
    (tmp_path / "ca.pem").write_bytes(ca.read_bytes())
    defaults = "  defaults: {http2: true}\n" if http2 else ""
    plan, problems = compiled(tmp_path, url, ", ca: ca.pem", defaults)
    assert plan is not None, problems
    before = len(versions())
    options = RunOptions(seed=7, environ={}, transport_kind=transport)
    result = asyncio.run(execute(plan, plan.scenario.spec.load, options))
    c = result.counters
    assert (c.requests, c.failed_requests, c.checks_passed) == (ITERATIONS, 0, ITERATIONS)
    assert c.bytes_received == 1024 * ITERATIONS
    assert versions()[before:] == [version] * ITERATIONS  # HTTP/2 negotiated by ALPN when opted in


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_an_untrusted_certificate_fails_every_request_as_tls(
    tmp_path: Path, server: tuple[str, Versions, Path], transport: str
) -> None:
    """Issue 22 item 14: a certificate that does not verify was counted as ``refused`` (and
    ``peac run`` asked "is the service running?"). It is its own kind, ``tls``, and its first
    message names the certificate and why it was refused, whichever transport sent it."""
    url, versions, _ = server
    plan, problems = compiled(tmp_path, url)
    assert plan is not None, problems
    before = len(versions())
    options = RunOptions(seed=7, environ={}, transport_kind=transport)
    result = asyncio.run(execute(plan, plan.scenario.spec.load, options))
    c = result.counters
    assert c.requests == c.failed_requests == c.failures["tls"] == ITERATIONS
    assert c.failures["refused"] == 0
    hostport = url.removeprefix("https://")
    assert c.first_errors["tls"] == (
        f"the TLS certificate of {hostport} was refused: unable to get local issuer "
        "certificate (trust its CA with target.ca, or use a certificate for this host name)"
    )
    assert versions()[before:] == []  # nothing was sent over an unverified connection


@pytest.mark.parametrize(
    ("ca", "message"),
    [
        ("../outside.pem", 'expected a path inside the repository, got "../outside.pem"'),
        ("missing.pem", 'no such file "missing.pem"'),
        ("not-pem.txt", "expected a PEM file of CA certificates"),
    ],
)
def test_the_ca_file_must_be_a_pem_file_inside_the_repository(
    tmp_path: Path, ca: str, message: str
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (root / "not-pem.txt").write_text("not a certificate\n")
    plan, problems = compiled(root, "https://127.0.0.1:1", f", ca: '{ca}'")
    assert plan is None
    assert any(message in p for p in problems), problems


def test_peac_run_says_which_certificate_was_refused(
    tmp_path: Path, server: tuple[str, Versions, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _, _ = server
    plan, problems = compiled(tmp_path, url)
    assert plan is not None, problems
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", "s.yaml", "--workers", "1", "--out", "r.json")
    assert code == 1, out + err
    hostport = url.removeprefix("https://")
    assert (
        f"error: no request to {url} got past TLS: the TLS certificate of {hostport} was "
        "refused: unable to get local issuer certificate" in err
    )
    assert "is the service running" not in err
    assert f"failures: tls {ITERATIONS}" in out
    assert f"  first tls: the TLS certificate of {hostport} was refused" in out
