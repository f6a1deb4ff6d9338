"""Real HTTP servers on 127.0.0.1 for runner tests: the demo shop, and a raw asyncio server
that misbehaves on purpose (refuse, reset, stall, 5xx, huge or truncated bodies, garbage)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


async def _fault_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            if path == "/ok":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            elif path == "/login":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nSet-Cookie: session=abc123; Path=/\r\n"
                    b"Content-Length: 0\r\n\r\n"
                )
            elif path == "/private":
                ok = b"cookie: session=abc123" in head.lower()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                    if ok
                    else b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
                )
            elif path == "/gzip":
                body = gzip.compress(b'{"status": "compressed"}')
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body)
                )
            elif path == "/chunked":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                )
            elif path.startswith("/away?to="):  # an open redirect, anywhere
                target = path.split("=", 1)[1].encode()
                writer.write(
                    b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % target
                )
            elif path == "/redirect":
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n")
            elif path == "/500":
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
            elif path == "/404":
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            elif path == "/reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                writer.transport.abort()
                return
            elif path == "/stall":
                await asyncio.sleep(5)
                return
            elif path == "/big":
                size = 50 * 1024 * 1024
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                chunk = b"x" * 65536
                for _ in range(size // len(chunk)):
                    writer.write(chunk)
                    await writer.drain()
            elif path == "/midbody":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
                await writer.drain()
                writer.close()
                return
            elif path == "/header-bomb":  # headers that never end (bounded here: 8 MB)
                writer.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(8 * 1024):
                    writer.write(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000))
                    await writer.drain()
                writer.close()
                return
            elif path == "/trickle":  # a byte every 100 ms: no single read ever times out
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                for _ in range(100):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            elif path == "/garbage":
                writer.write(b"HTTP/9.9 what\x00\x01\r\n\r\n")
                await writer.drain()
                writer.close()
                return
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.contextmanager
def fault_server() -> Iterator[str]:
    """A misbehaving server in a background thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        server = await asyncio.start_server(_fault_handler, "127.0.0.1", 0)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    ready.wait(5)

    async def shutdown() -> None:
        server = holder["server"]
        assert isinstance(server, asyncio.Server)
        server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await server.wait_closed()

    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return int(port)


_COUNTING_SERVER = r"""
import asyncio, sys
import httptools

BODY = b"x" * 1024
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nContent-Type: text/plain\r\n\r\n" + BODY
count = 0


class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url):
        self.url = url

    def on_message_complete(self):
        global count
        if self.url == b"/count":
            text = str(count).encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text)
            self.transport.write(head + text)
        else:
            count += 1
            self.transport.write(RESPONSE)


async def main():
    server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(3600)


asyncio.run(main())
"""


@contextlib.contextmanager
def counting_server() -> Iterator[tuple[str, Callable[[], int]]]:
    """A fast HTTP/1.1 server in its own process (so the generator runs at full speed) that
    answers every request with 1 KB and counts them; yields its base URL and a function that
    asks it for its count (``GET /count``, not counted)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _COUNTING_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = f"http://127.0.0.1:{int(process.stdout.readline())}"

        def served() -> int:
            import httpx

            return int(httpx.get(f"{url}/count", timeout=5).text)

        yield url, served
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


_TLS_SERVER = r"""
import asyncio, sys
from hypercorn.asyncio import serve
from hypercorn.config import Config

certfile, keyfile, port, log = sys.argv[1:5]


async def app(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("only http")
    with open(log, "a") as out:
        out.write(scope["http_version"] + "\n")
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"1024")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"x" * 1024})


config = Config()
config.bind = [f"127.0.0.1:{port}"]
config.certfile, config.keyfile = certfile, keyfile
config.alpn_protocols = ["h2", "http/1.1"]
config.accesslog = config.errorlog = None
asyncio.run(serve(app, config))
"""


@contextlib.contextmanager
def tls_server(certfile: Path, keyfile: Path) -> Iterator[tuple[str, Callable[[], list[str]]]]:
    """hypercorn serving 1 KB over TLS on 127.0.0.1, offering HTTP/2 and HTTP/1.1 by ALPN, in
    its own process; yields its https base URL and a function giving the HTTP version of every
    request it answered so far."""
    port = closed_port()
    log = certfile.parent / "versions.log"
    log.write_text("")
    command = [sys.executable, "-c", _TLS_SERVER, str(certfile), str(keyfile), str(port), str(log)]
    process = subprocess.Popen(command)
    try:
        for _ in range(400):  # until it listens
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise RuntimeError("hypercorn exited")
            threading.Event().wait(0.025)
        yield f"https://127.0.0.1:{port}", lambda: log.read_text().split()
    finally:
        process.kill()
        process.wait(10)
