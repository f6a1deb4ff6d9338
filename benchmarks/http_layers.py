"""Where the CPU per request goes: the same 50-user GET loop on one core through each layer.

1. a raw asyncio protocol with the httptools parser (the floor of Python + uvloop),
2. an ``httpx.Request`` handed straight to a minimal httptools transport (no AsyncClient),
3. ``httpx.AsyncClient`` over that minimal transport,
4. ``httpx.AsyncClient`` over httpx's own one-connection transport (what `peac run` does now).

It measures how much a leaner transport and a hot path that skips AsyncClient could give; the
minimal transport here is a probe (keep-alive GET only), not peac's runner.

    .venv/bin/python benchmarks/http_layers.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import nginx

USERS = 50


def _probe(port: int, seconds: float) -> None:
    import httptools
    import httpx
    import uvloop

    class Proto(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.done: asyncio.Future[int] | None = None
            self.body: list[bytes] = []
            self.headers: list[tuple[bytes, bytes]] = []

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name, value))

        def on_body(self, body: bytes) -> None:
            self.body.append(body)

        def on_message_complete(self) -> None:
            assert self.done is not None
            self.done.set_result(self.parser.get_status_code())

    class Lean(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.proto: Proto | None = None

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            loop = asyncio.get_running_loop()
            if self.proto is None:
                _, self.proto = await loop.create_connection(Proto, "127.0.0.1", port)
            proto = self.proto
            proto.done, proto.body, proto.headers = loop.create_future(), [], []
            head = b"%s %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
                request.method.encode(),
                request.url.raw_path,
                request.url.netloc,
            )
            proto.transport.write(head)  # type: ignore[attr-defined]
            status = await proto.done
            return httpx.Response(status, headers=proto.headers, content=b"".join(proto.body))

    url = f"http://127.0.0.1:{port}/1k"

    async def loop_users(one: object) -> float:
        count, end = 0, time.perf_counter() + seconds

        async def user() -> None:
            nonlocal count
            step = await one()  # type: ignore[operator]
            while time.perf_counter() < end:
                await step()
                count += 1

        await asyncio.gather(*(user() for _ in range(USERS)))
        return count / seconds

    async def raw() -> object:
        _, proto = await asyncio.get_running_loop().create_connection(Proto, "127.0.0.1", port)

        async def step() -> None:
            proto.done, proto.body = asyncio.get_running_loop().create_future(), []
            proto.transport.write(b"GET /1k HTTP/1.1\r\nHost: x\r\n\r\n")
            await proto.done

        return step

    async def transport_only() -> object:
        lean = Lean()
        return lambda: lean.handle_async_request(httpx.Request("GET", url))

    async def client_lean() -> object:
        client = httpx.AsyncClient(transport=Lean())
        return lambda: client.get(url)

    async def client_httpx() -> object:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(limits=limits))
        return lambda: client.get(url)

    uvloop.install()
    for name, one in (
        ("raw httptools protocol", raw),
        ("httpx.Request -> lean transport", transport_only),
        ("AsyncClient + lean transport", client_lean),
        ("AsyncClient + httpx transport", client_httpx),
    ):
        print(f"{name:34s} {asyncio.run(loop_users(one)):9.0f} req/s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--probe-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_port:
        _probe(args.probe_port, args.seconds)
        return 0
    with nginx() as base:
        print(f"nginx on core 1, {USERS} users on core 0, {args.seconds:g}s per layer, 1 KB")
        subprocess.run(
            [
                "taskset",
                "-c",
                "0",
                sys.executable,
                __file__,
                "--seconds",
                str(args.seconds),
                "--probe-port",
                base.rsplit(":", 1)[1],
            ],
            check=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
