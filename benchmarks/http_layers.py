"""Where the CPU per request goes: the same 50-user GET loop on one core through each layer.

1. a raw asyncio protocol with the httptools parser (the floor of Python + uvloop),
2. an ``httpx.Request`` handed straight to a minimal httptools transport (a probe: keep-alive GET
   only, no timeouts, no streaming),
3. an ``httpx.Request`` handed straight to peac's own transport (``peac.load.transport``) at
   httpx's seam, an ``httpx.Response`` with a streamed body (a step with a content-encoding or
   redirects to follow; other transports),
3b. one prepared ``httpx.Request`` sent again and again through that transport's ``exchange``,
   the whole response in one wake-up and no ``httpx.Response``: what `peac run` does by default,
4. an ``httpx.Request`` handed straight to httpx's own one-connection transport (httpcore): what
   `peac run --transport httpx` does,
5. ``httpx.AsyncClient`` over peac's transport: `peac run` when redirects are followed,
6. ``httpx.AsyncClient`` over httpx's own transport: `--transport httpx` with redirects followed.

It shows what each layer costs on top of the floor. No target: the figures are for reading; the
benchmark fails only when a layer errs (an exception, a status other than 200, a body other than
the 1 KB one) or makes no request. --quick: 1 s per layer instead of 4.

    .venv/bin/python benchmarks/http_layers.py [--quick] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BODY, REPO, Report, ToolFailed, measured, nginx, parser, run

USERS = 50
RESULT = "layers: "  # prefix of the probe's last line: its figures as JSON


def _probe(port: int, seconds: float) -> None:
    import httptools
    import httpx
    import uvloop

    from peac.load.transport import LeanTransport

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
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    tls = httpx.create_ssl_context()  # one for all, as peac's engine does (~30 ms to make one)

    def httpx_transport() -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(verify=tls, limits=limits)

    async def loop_users(one: object) -> tuple[float, int, int]:
        """(requests per second, requests, errors) of USERS users for ``seconds``, timed from
        when every user is set up."""
        steps = [await one() for _ in range(USERS)]  # type: ignore[operator]
        count, errors, end = 0, 0, time.perf_counter() + seconds

        async def user(step: Any) -> None:
            nonlocal count, errors
            while time.perf_counter() < end:
                try:
                    status, size = await step()
                except (OSError, httpx.HTTPError, httptools.HttpParserError):
                    status, size = 0, 0
                count += 1
                errors += status != 200 or size != BODY

        await asyncio.gather(*(user(step) for step in steps))
        return count / seconds, count, errors

    async def raw() -> object:
        _, proto = await asyncio.get_running_loop().create_connection(Proto, "127.0.0.1", port)

        async def step() -> tuple[int, int]:
            proto.done, proto.body = asyncio.get_running_loop().create_future(), []
            proto.transport.write(b"GET /1k HTTP/1.1\r\nHost: x\r\n\r\n")
            status = await proto.done
            return status, sum(len(b) for b in proto.body)

        return step

    def direct(transport: httpx.AsyncBaseTransport) -> object:
        async def step() -> tuple[int, int]:
            response = await transport.handle_async_request(httpx.Request("GET", url))
            try:
                return response.status_code, len(await response.aread())
            finally:
                await response.aclose()

        return step

    def through(client: httpx.AsyncClient) -> object:
        async def step() -> tuple[int, int]:
            response = await client.get(url)
            return response.status_code, len(response.content)

        return step

    async def probe_transport() -> object:
        return direct(Lean())

    async def peac_transport() -> object:
        return direct(LeanTransport(fallback=httpx_transport()))

    async def peac_exchange() -> object:
        transport = LeanTransport(fallback=httpx_transport())
        request = httpx.Request("GET", url, extensions={"peac.reused": True})

        async def step() -> tuple[int, int]:
            exchange = await transport.exchange(request, 1 << 30, False)
            return exchange.status, exchange.received

        return step

    async def own_transport() -> object:
        return direct(httpx_transport())

    async def client_peac() -> object:
        return through(httpx.AsyncClient(transport=LeanTransport(fallback=httpx_transport())))

    async def client_httpx() -> object:
        return through(httpx.AsyncClient(transport=httpx_transport()))

    uvloop.install()
    figures = {}
    for name, one in (
        ("raw httptools protocol", raw),
        ("Request -> probe transport", probe_transport),
        ("Request -> peac transport", peac_transport),
        ("prepared Request -> peac exchange", peac_exchange),
        ("Request -> httpx transport", own_transport),
        ("AsyncClient + peac transport", client_peac),
        ("AsyncClient + httpx transport", client_httpx),
    ):
        rate, count, errors = asyncio.run(loop_users(one))
        figures[name] = {"rate": rate, "requests": count, "errors": errors}
        print(f"{name:32s} {rate:9.0f} req/s  {errors} errors", flush=True)
    print(RESULT + json.dumps(figures))


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, help="seconds per layer [4; --quick: 1]")
    p.add_argument("--probe-port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 4.0)
    if args.probe_port:
        _probe(args.probe_port, seconds)
        return 0

    def body(report: Report) -> None:
        with nginx() as base:
            print(f"nginx on core 1, {USERS} users on core 0, {seconds:g}s per layer, 1 KB")
            done = measured(
                [
                    sys.executable,
                    __file__,
                    "--seconds",
                    str(seconds),
                    "--probe-port",
                    base.rsplit(":", 1)[1],
                ],
                REPO,
                timeout=seconds * 6 + 60,
            )
        lines = done.output.splitlines()
        print("\n".join(line for line in lines if not line.startswith(RESULT)))
        found = [line for line in lines if line.startswith(RESULT)]
        if not found:
            raise ToolFailed("http_layers probe", "printed no figures", done.output)
        for name, figure in json.loads(found[-1][len(RESULT) :]).items():
            report.check(
                f"{name} errors",
                f"{figure['errors']} of {figure['requests']:,} ({figure['rate']:.0f} req/s)",
                "0 of more than 0",
                figure["errors"] == 0 and figure["requests"] > 0,
            )

    return run("http_layers", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
