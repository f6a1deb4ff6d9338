"""A lean HTTP/1.1 transport behind httpx's ``AsyncBaseTransport`` seam.

httpx's own transport (httpcore) costs most of the CPU per request in a load generator
(`benchmarks/http_layers.py` measures each layer, this one beside httpx's). This transport keeps
one keep-alive connection, writes each request in one segment, parses responses with httptools
(the parser uvicorn uses) and streams the body, so checks, captures and the body-size limit
work as before. HTTPS over HTTP/1.1 is the same protocol over the event loop's TLS, verified
with the engine's context. What it does not handle (HEAD, proxies, HTTP/2) is passed to httpx's
own transport, so behaviour never silently differs.

Besides the seam (``handle_async_request``, an ``httpx.Response`` with a streamed body) it
offers the runner a second door, ``exchange``: the same request on the same connection, the
whole response gathered by the parser's callbacks and handed over in one wake-up, without an
``httpx.Response`` (building one, with its header normalisation and stream wrappers, cost more
than parsing the response). A response with a content-encoding still goes through
``httpx.Response``, whose decoders the runner reads it with.

Errors are httpx's own exception types, so the runner counts them under the same kinds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools
import httpx

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
MAX_HEAD = 64 * 1024  # bytes of status line and headers, as httpx's own transport allows
_UNLIMITED = 1 << 62


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class _Connection(asyncio.Protocol):
    """One TCP connection. The parser's callbacks gather the current response (status,
    headers, body chunks) here and wake the one reader when it has something to act on: in
    ``stream`` mode at the head and at every body chunk, otherwise only at the end, at a
    failure, or once the body is past ``limit`` bytes."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        self.waiter: asyncio.Future[bool] | None = None
        self.closed = False
        self.reusable = True
        self.in_head = True  # until the headers of the current response are complete
        self.head_bytes = 0
        # The current exchange
        self.stream = False
        self.limit = _UNLIMITED
        self.keep = True
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.received = 0
        self.has_head = False
        self.complete = False
        self.encoded = False  # a content-encoding header: the body needs httpx's decoders
        self.cookies = False  # a set-cookie header
        self.failure: tuple[str, Any] | None = None
        self.until_eof = False  # the body has no length: it ends when the server closes
        self.extra = False  # a response nobody asked for arrived: never reuse, never merge it
        self.served = 0  # responses completed on this connection
        self.answered = 0

    def begin(self, stream: bool, limit: int, keep: bool = True) -> None:
        """Get ready for the response to the request about to be written (``keep``: keep the
        body's chunks, else only count them)."""
        self.stream = stream
        self.limit = limit
        self.keep = keep
        self.chunks = []
        self.received = 0
        self.has_head = self.complete = self.until_eof = False
        self.answered = 0  # bytes of this exchange's answer received so far

    async def wait(self, timeout: float | None) -> bool:
        """Until woken (True) or ``timeout`` seconds passed (False)."""
        waiter: asyncio.Future[bool] = self.loop.create_future()
        self.waiter = waiter
        if timeout is None:
            return await waiter
        timer = self.loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(True)

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
        self.answered += len(data)
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
        if self.failure is None:
            self.failure = ("error", httpx.RemoteProtocolError(why))
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        if self.has_head and not self.complete and self.until_eof and exc is None:
            self.complete = True  # a body without a length ends where the connection does
        elif self.failure is None:
            self.failure = ("lost", exc)
        self._wake()

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.complete or self.extra:  # a second response to one request
            self.extra = True
            self.reusable = False
            return
        self.headers = []
        self.in_head = True
        self.head_bytes = 0
        self.encoded = self.cookies = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.extra:
            return
        self.head_bytes += len(name) + len(value)
        if self.head_bytes > MAX_HEAD or len(self.headers) >= 1000:
            raise httptools.HttpParserError("headers too large")
        self.headers.append((name, value))
        # Only two names matter to the runner; their lengths rule out most others cheaply.
        size = len(name)
        if size == 10 and name.lower() == b"set-cookie":
            self.cookies = True
        elif size == 16 and name.lower() == b"content-encoding":
            self.encoded = True

    def on_headers_complete(self) -> None:
        if self.extra:
            return
        self.in_head = False
        status = self.parser.get_status_code()
        if status >= 200:
            if not self.parser.should_keep_alive():
                self.reusable = False
            names = {name.lower() for name, _ in self.headers}
            self.until_eof = (
                b"content-length" not in names
                and b"transfer-encoding" not in names
                and status not in (204, 304)
            )
            self.status = status
            self.has_head = True
            if self.encoded:  # read through httpx's decoders: streamed, the decoded size counts
                self.stream = True
                self.limit = _UNLIMITED
            if self.stream:
                self._wake()

    def on_body(self, body: bytes) -> None:
        if self.extra:
            return
        received = self.received
        if received > self.limit:  # past the limit already: the reader stopped there
            return
        self.received = received = received + len(body)
        if received > self.limit:  # counted, not kept, as when reading a stream
            self._wake()
            return
        if self.stream:
            self.chunks.append(body)
            self._wake()
        elif self.keep:
            self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.extra:
            return
        if self.parser.get_status_code() >= 200:  # 1xx interim responses are skipped
            self.complete = True
            self.served += 1
            self._wake()


class _Body(httpx.AsyncByteStream):
    def __init__(self, owner: LeanTransport, connection: _Connection, read_timeout: float | None):
        self.owner = owner
        self.connection = connection
        self.read_timeout = read_timeout
        self.complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self.connection
        connection.stream = True
        while True:
            if connection.chunks:
                chunks, connection.chunks = connection.chunks, []
                for chunk in chunks:
                    yield chunk
                continue
            if connection.complete:
                self.complete = True
                return
            if connection.failure is not None:
                self.owner.discard(connection)
                raise _error(*connection.failure, "while reading the body")
            if not await connection.wait(self.read_timeout):
                self.owner.discard(connection)
                raise httpx.ReadTimeout("timed out waiting for the server")

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


def tls_message(host: str, port: int, exc: ssl.SSLError) -> str:
    """What failed in a handshake, naming the certificate: OpenSSL's verify message (expired,
    self-signed, another host's name) when there is one, its reason otherwise."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or "does not verify"
        return (
            f"the TLS certificate of {host}:{port} was refused: {why} (trust its CA with "
            "target.ca, or use a certificate for this host name)"
        )
    return f"TLS with {host}:{port} failed: {exc.reason or exc}"


class TlsFailed(httpx.ConnectError):
    """A TLS handshake that failed (a certificate that does not verify, most often): its own
    kind of failure, since "is the service running?" is the wrong question to ask about it."""


class _Stale(Exception):
    """A reused connection was closed by the server before any byte of the answer."""


class Exchange:
    """A whole response read by ``LeanTransport.exchange``: what the runner records and checks.
    ``body`` holds the chunks as they came (past ``limit``: those up to the one that crossed
    it, and the connection is dropped); ``streamed`` is set instead when the response has a
    content-encoding, for the runner to read through httpx's decoders."""

    __slots__ = ("chunks", "cookies", "headers", "received", "status", "streamed")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        chunks: list[bytes],
        received: int,
        cookies: bool,
        streamed: httpx.Response | None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.chunks = chunks
        self.received = received
        self.cookies = cookies
        self.streamed = streamed


class LeanTransport(httpx.AsyncBaseTransport):
    """One keep-alive HTTP/1.1 connection for one virtual user."""

    def __init__(
        self, fallback: httpx.AsyncBaseTransport, tls: ssl.SSLContext | None = None
    ) -> None:
        self.fallback = fallback
        self.tls = tls  # https over HTTP/1.1 too, verified with this context, when given
        self.connection: _Connection | None = None
        self.origin: tuple[bytes, str, int] | None = None

    def takes(self, request: httpx.Request) -> bool:
        """Whether this transport sends ``request`` itself (not its fallback)."""
        scheme = request.url.scheme
        return (scheme == "http" or (scheme == "https" and self.tls is not None)) and (
            request.method != "HEAD"
        )

    async def _ready(self, url: httpx.URL, timeouts: dict[str, Any]) -> _Connection:
        """The open connection to ``url``'s origin, connecting when there is none."""
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        origin = (url.raw_scheme, url.host, port)
        connection = self.connection
        if (
            connection is None
            or connection.closed
            or not connection.reusable
            or origin != self.origin
        ):
            if connection is not None:
                self.discard(connection)
            connection = await self._connect(url.host, port, timeouts.get("connect"), secure)
            self.connection, self.origin = connection, origin
        return connection

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.takes(request):
            return await self.fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        connection = await self._ready(request.url, timeouts)
        connection.begin(True, _UNLIMITED)
        read_timeout = timeouts.get("read")
        try:
            await self._write(connection, request)
            while not connection.has_head:
                if connection.failure is not None:
                    raise _error(*connection.failure, "before answering")
                if not await connection.wait(read_timeout):
                    raise httpx.ReadTimeout("timed out waiting for the server")
        except BaseException:  # cancelled (the request's deadline) or failed: never reuse
            self.discard(connection)
            raise
        return self._response(connection, read_timeout)

    def _response(self, connection: _Connection, read_timeout: float | None) -> httpx.Response:
        return httpx.Response(
            connection.status,
            headers=connection.headers,
            stream=_Body(self, connection, read_timeout),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def exchange(self, request: httpx.Request, limit: int, keep: bool) -> Exchange:
        """Send ``request`` (one this transport ``takes``) and read its whole response, the
        body up to the chunk that crosses ``limit`` bytes (its chunks only when ``keep``). No
        read timeout: the caller bounds the whole exchange by its own deadline.

        A kept-alive connection the server closed while idle fails the next request before
        any byte of an answer; an idempotent request is then sent once more on a new
        connection, as browsers and httpx do."""
        try:
            return await self._exchange(request, limit, keep)
        except _Stale:
            return await self._exchange(request, limit, keep, retry=False)

    async def _exchange(
        self, request: httpx.Request, limit: int, keep: bool, *, retry: bool = True
    ) -> Exchange:
        connection = await self._ready(request.url, request.extensions.get("timeout", {}))
        reused = retry and connection.served > 0
        connection.begin(False, limit, keep)
        try:
            await self._write(connection, request)
            while True:
                if connection.encoded and connection.has_head:
                    timeouts = request.extensions.get("timeout", {})
                    streamed = self._response(connection, timeouts.get("read"))
                    return Exchange(connection.status, connection.headers, [], 0, True, streamed)
                if connection.complete or connection.received > limit:
                    break
                if connection.failure is not None:
                    when = "while reading the body" if connection.has_head else "before answering"
                    stale = reused and not connection.has_head and connection.answered == 0
                    if stale and connection.failure[0] == "lost" and request.method in IDEMPOTENT:
                        raise _Stale
                    raise _error(*connection.failure, when)
                await connection.wait(None)
        except BaseException:  # cancelled (the request's deadline) or failed: never reuse
            self.discard(connection)
            raise
        if not connection.complete or not connection.reusable:
            self.discard(connection)
        return Exchange(
            connection.status,
            connection.headers,
            connection.chunks,
            connection.received,
            connection.cookies,
            None,
        )

    async def _connect(
        self, host: str, port: int, timeout: float | None, secure: bool
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = self.tls if secure else None
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _Connection, host, port, ssl=tls, server_hostname=host if tls else None
                ),
                timeout,
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except ssl.SSLError as exc:
            raise TlsFailed(tls_message(host, port, exc)) from None
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
