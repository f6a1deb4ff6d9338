"""A lean HTTP/1.1 transport behind httpx's ``AsyncBaseTransport`` seam.

httpx's own transport (httpcore) costs most of the CPU per request in a load generator
(`benchmarks/http_layers.py` measures each layer, this one beside httpx's). This transport keeps
one keep-alive connection, writes each request in one segment, parses responses with httptools
(the parser uvicorn uses) and streams the body, so checks, captures and the body-size limit
work as before. What it does not handle (HTTPS, HEAD,
proxies, HTTP/2) is passed to httpx's own transport, so behaviour never silently differs.

Errors are httpx's own exception types, so the runner counts them under the same kinds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools
import httpx

MAX_HEAD = 64 * 1024  # bytes of status line and headers, as httpx's own transport allows


class _Connection(asyncio.Protocol):
    """One TCP connection; parses responses and queues their parts for the reader."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.headers: list[tuple[bytes, bytes]] = []
        self.closed = False
        self.reusable = True
        self.in_head = True  # until the headers of the current response are complete
        self.head_bytes = 0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have the same methods.
        self.transport = cast(asyncio.Transport, transport)
        # asyncio and uvloop set TCP_NODELAY on TCP transports already; uvloop refuses options
        # on its socket view (EBUSY), so this only covers loops that do not.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        if self.in_head:
            self.head_bytes += len(data)  # may include some body: only ever overcounts
            if self.head_bytes > MAX_HEAD + 65536:
                self._fail(f"response headers larger than {MAX_HEAD // 1024} KiB")
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            big = self.head_bytes > MAX_HEAD or len(self.headers) >= 1000
            why = f"response headers larger than {MAX_HEAD // 1024} KiB" if big else str(exc)
            self._fail(f"malformed response: {why[:100]}")

    def _fail(self, why: str) -> None:
        self.reusable = False
        self.closed = True
        self.events.put_nowait(("error", httpx.RemoteProtocolError(why)))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        self.events.put_nowait(("lost", exc))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.headers = []
        self.in_head = True
        self.head_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value)
        if self.head_bytes > MAX_HEAD or len(self.headers) >= 1000:
            raise httptools.HttpParserError("headers too large")
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.in_head = False
        status = self.parser.get_status_code()
        if status >= 200:
            if not self.parser.should_keep_alive():
                self.reusable = False
            self.events.put_nowait(("head", (status, self.headers)))

    def on_body(self, body: bytes) -> None:
        self.events.put_nowait(("body", body))

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() >= 200:  # 1xx interim responses are skipped
            self.events.put_nowait(("end", None))


class _Body(httpx.AsyncByteStream):
    def __init__(self, owner: LeanTransport, connection: _Connection, read_timeout: float | None):
        self.owner = owner
        self.connection = connection
        self.read_timeout = read_timeout
        self.complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self.complete:
            kind, value = await self.owner.next_event(self.connection, self.read_timeout)
            if kind == "body":
                yield value
            elif kind == "end":
                self.complete = True
            else:
                self.owner.discard(self.connection)
                raise _error(kind, value, "while reading the body")

    async def aclose(self) -> None:
        if not self.complete or not self.connection.reusable:
            self.owner.discard(self.connection)


def _error(kind: str, value: Any, when: str) -> httpx.TransportError:
    if kind == "error":
        assert isinstance(value, httpx.TransportError)
        return value
    if isinstance(value, ConnectionResetError):
        return httpx.ReadError(f"connection reset {when}")
    return httpx.RemoteProtocolError(f"server disconnected {when}")


class LeanTransport(httpx.AsyncBaseTransport):
    """One keep-alive HTTP/1.1 connection for one virtual user."""

    def __init__(self, fallback: httpx.AsyncBaseTransport) -> None:
        self.fallback = fallback
        self.connection: _Connection | None = None
        self.origin: tuple[bytes, str, int] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http" or request.method == "HEAD":
            return await self.fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        origin = (url.raw_scheme, url.host, url.port or 80)
        connection = self.connection
        if (
            connection is None
            or connection.closed
            or not connection.reusable
            or origin != self.origin
        ):
            if connection is not None:
                self.discard(connection)
            connection = await self._connect(url.host, url.port or 80, timeouts.get("connect"))
            self.connection, self.origin = connection, origin
        try:
            await self._write(connection, request)
            kind, value = await self.next_event(connection, timeouts.get("read"))
        except BaseException:  # cancelled (the request's deadline) or failed: never reuse
            self.discard(connection)
            raise
        if kind != "head":
            self.discard(connection)
            raise _error(kind, value, "before answering")
        status, headers = value
        return httpx.Response(
            status,
            headers=headers,
            stream=_Body(self, connection, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def _connect(self, host: str, port: int, timeout: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, host, port), timeout
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc.strerror}") from None
        return connection

    async def _write(self, connection: _Connection, request: httpx.Request) -> None:
        extensions = request.extensions
        wire = extensions.get("peac.wire")
        if wire is None:
            wire = await self._serialize(request)
            if extensions.get("peac.reused"):  # the same request again and again: once is enough
                extensions["peac.wire"] = wire
        assert connection.transport is not None
        connection.transport.write(wire)

    @staticmethod
    async def _serialize(request: httpx.Request) -> bytes:
        lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), request.url.raw_path)]
        lines += [b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw]
        body = await request.aread()
        if "transfer-encoding" in request.headers:  # a streamed body of unknown length
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        return b"".join(lines) + b"\r\n" + body

    async def next_event(self, connection: _Connection, timeout: float | None) -> tuple[str, Any]:
        events = connection.events
        if not events.empty():  # small responses are usually parsed whole already
            return events.get_nowait()
        try:
            async with asyncio.timeout(timeout):
                return await events.get()
        except TimeoutError:
            self.discard(connection)
            raise httpx.ReadTimeout("timed out waiting for the server") from None

    def discard(self, connection: _Connection) -> None:
        connection.reusable = False
        if connection.transport is not None:
            connection.transport.close()
        if self.connection is connection:
            self.connection = None

    async def aclose(self) -> None:
        if self.connection is not None:
            self.discard(self.connection)
        await self.fallback.aclose()
