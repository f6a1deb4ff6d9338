"""The lean transport's fast path against servers that are legal but unusual (found by a
hostile review): a keep-alive connection the server closes while idle, a body that ends when
the connection does, and a second response nobody asked for. Each is compared with what the
server itself saw, on both transports."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from peac.results.format import read
from tests.cli_helpers import run_cli

BODY = b"x" * 120
GZIPPED = gzip.compress(BODY)
# 1.8 kB on the wire, 1 GiB decoded: gzip of gzip of zeros (the hostile review's probe).
FLOOD = 600  # new cookies per response (a browser keeps 50 per domain)
BOMB = gzip.compress(gzip.compress(b"\0" * (1 << 30), 9), 9)


async def _handle(
    mode: str, served: list[int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                return
            served.append(1)
            if mode == "keepclose":  # a length, no "Connection: close", then closed anyway
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n" + BODY)
                await writer.drain()
                return
            if mode == "eofbody":  # no length: the body ends when the connection closes
                writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY)
                await writer.drain()
                return
            if mode in ("gzip", "bomb"):
                payload = GZIPPED if mode == "gzip" else BOMB
                encoding = b"gzip" if mode == "gzip" else b"gzip, gzip"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding
                    + b"\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n"
                    + payload
                )  # fmt: skip
                await writer.drain()
                continue
            if mode == "cookies":  # a flood of new cookies with every response, one oversized
                cookie = next(
                    (line for line in head.split(b"\r\n") if line.lower().startswith(b"cookie:")),
                    b"",
                )
                served[-1] = len(cookie)  # what the jar sent back
                flood = b"".join(
                    b"Set-Cookie: c%d_%d=%s; Path=/\r\n" % (len(served), i, b"v" * 20)
                    for i in range(FLOOD)
                )
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n" + flood
                    + b"Set-Cookie: big=" + b"x" * 5000 + b"; Path=/\r\n\r\n" + BODY
                )  # fmt: skip
                await writer.drain()
                continue
            if mode == "double":  # the answer, and a second response in the same segment
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n" + BODY
                    + b"HTTP/1.1 500 Oops\r\nContent-Length: 7\r\n\r\nextra!!"
                )  # fmt: skip
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.contextmanager
def server(mode: str) -> Iterator[tuple[str, list[int]]]:
    served: list[int] = []
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.Server] = {}

    async def start() -> None:
        holder["s"] = await asyncio.start_server(
            lambda r, w: _handle(mode, served, r, w), "127.0.0.1", 0
        )
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    port = holder["s"].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", served
    finally:

        async def stop() -> None:
            holder["s"].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def _run(tmp_path: Path, url: str, transport: str) -> tuple[int, str]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "s.yaml").write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
        f"  target: {{base_url: '{url}'}}\n"
        "  load: {executor: per-vu-iterations, vus: 2, iterations: 10}\n"
        "  flows: [{name: f, steps: [{path: /x}]}]\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(
        "run", str(tmp_path / "s.yaml"), "--workers", "1", "--transport", transport,
        "--out", str(tmp_path / "r.json"), "--progress", "off",
    )  # fmt: skip
    return code, out + err


@pytest.mark.parametrize(
    ("mode", "transport"), [("keepclose", "lean"), ("eofbody", "lean"), ("eofbody", "httpx")]
)
def test_every_request_succeeds_with_its_whole_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, transport: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with server(mode) as (url, served):
        code, text = _run(tmp_path, url, transport)
    assert code == 0, text
    c = read(tmp_path / "r.json").counters
    assert c.failed_requests == 0, c.failures
    assert c.requests == 20 == len(served)
    assert c.bytes_received == 20 * len(BODY)


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_an_unasked_response_is_never_merged_into_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    """A second response after the answer is nobody's answer: not this request's (the lean
    transport once merged it), nor the next one's (issue 22 item 15: ``--transport httpx``
    took it as the answer to the request sent after it)."""
    monkeypatch.chdir(tmp_path)
    with server("double") as (url, served):
        code, text = _run(tmp_path, url, transport)
    assert code == 0, text
    result = read(tmp_path / "r.json")
    c = result.counters
    assert c.failed_requests == 0, c.failures  # every answer was the 200
    assert c.requests == 20 == len(served)
    assert c.bytes_received == 20 * len(BODY)  # the extra response's bytes are not the body
    assert {s.status for s in result.series.values()} == {"2xx"}


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_a_gzip_body_is_decoded_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with server("gzip") as (url, served):
        code, text = _run(tmp_path, url, transport)
    assert code == 0, text
    c = read(tmp_path / "r.json").counters
    assert c.failed_requests == 0, c.failures
    assert c.requests == 20 == len(served)
    assert c.bytes_received == 20 * len(BODY)  # decoded bytes, as the body limit counts them


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_a_nested_gzip_bomb_stops_at_the_body_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    # Hostile: each response inflates to 1 GiB through two layers of gzip. Every layer stops
    # once it has produced more than max_body (here the default 10 MiB): the requests are
    # counted too_large, and the run's memory stays far below one decoded body.
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    try:
        with server("bomb") as (url, served):
            code, text = _run(tmp_path, url, transport)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 1, text  # every request failed
    assert "failures: too_large 20" in text
    c = read(tmp_path / "r.json").counters
    assert c.requests == 20 == len(served)
    assert c.failures["too_large"] == 20, c.failures
    assert peak < 200 * 1024 * 1024, peak


@pytest.mark.parametrize("transport", ["lean", "httpx"])
def test_a_cookie_flood_is_bounded_like_a_browser_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    """Issue 22 item 13: 900 cookies per response made 2 MB ``Cookie`` headers after 40
    requests. The jar keeps 50 per domain and none over 4096 bytes (RFC 6265 6.1); the rest are
    dropped and counted. Exact outcome: each VU's first response leaves 50 of its 600 + 1, and
    every later one adds nothing: 2 VUs x (10 x 601 - 50) dropped."""
    monkeypatch.chdir(tmp_path)
    with server("cookies") as (url, served):
        code, text = _run(tmp_path, url, transport)
    assert code == 0, text
    c = read(tmp_path / "r.json").counters
    assert c.failed_requests == 0, c.failures
    assert c.requests == 20 == len(served)
    assert c.cookies_dropped == 2 * (10 * (FLOOD + 1) - 50)
    assert served.count(0) == 2  # each VU's first request had no cookie to send
    # 50 cookies of "cN_M=" + 20 bytes, joined by "; ": at most 50 x 32 bytes, never the flood
    assert 0 < max(served) <= len("cookie: ") + 50 * 32
    assert f"cookies: {c.cookies_dropped} set by the server were dropped" in text
