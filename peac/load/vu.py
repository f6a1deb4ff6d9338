"""A virtual user: its own connection, cookies and captured variables; runs one flow per
iteration and records every request.

Timing: ``latency`` runs from when the request *should* have been sent (the arrival time in the
open model) to the end of the response, so a stalled server or a late generator shows up in the
numbers instead of being hidden (coordinated omission); ``service_time`` runs from the actual send.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import ssl
from typing import Any

import httpx
from jmespath.exceptions import JMESPathError

from peac import __version__
from peac.load import cookies
from peac.load.clock import Clock
from peac.load.decoding import BoundedDecoder, DecodeFailed, TooLarge
from peac.load.recorder import Recorder
from peac.load.runtime import CompiledCheck, CompiledStep, Runtime, render, varies
from peac.load.transport import LeanTransport, TlsFailed, tls_message

DECODE_PAUSE = 1 << 20  # decoded bytes between returns to the event loop

DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"peac/{__version__}",
}

_REQUEST_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.TimeoutException, "timeout"),
    (TimeoutError, "timeout"),
    (httpx.ConnectError, "refused"),
    (httpx.RemoteProtocolError, "reset"),
    (httpx.ReadError, "reset"),
    (httpx.WriteError, "reset"),
    (httpx.HTTPError, "other"),
)


class _Response:
    """What checks and captures look at; the body only when they need it. The headers are
    made an ``httpx.Headers`` only when a check or capture reads them."""

    def __init__(
        self,
        status: int,
        headers: httpx.Headers | list[tuple[bytes, bytes]],
        body: bytes,
        elapsed: float,
    ) -> None:
        self.status = status
        self._headers = headers
        self.body = body
        self.elapsed = elapsed
        self._json: Any = None
        self._parsed = False

    @property
    def headers(self) -> httpx.Headers:
        headers = self._headers
        if not isinstance(headers, httpx.Headers):
            headers = self._headers = httpx.Headers(headers)
        return headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.body)
            except (ValueError, RecursionError):  # not JSON, or nested past the parser
                self._json = None
        return self._json


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error under a transport's own (httpx wraps it twice), if there is one."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _failure_for(exc: Exception, url: httpx.URL | None) -> tuple[str, str]:
    """(kind, message) of a request to ``url`` that got no response."""
    if isinstance(exc, TlsFailed):
        return "tls", str(exc)
    if isinstance(exc, httpx.ConnectError) and (cause := _ssl_cause(exc)) is not None:
        with contextlib.suppress(RuntimeError):  # the hop that failed (a redirect's) if known
            url = exc.request.url
        where = (url.host, url.port or 443) if url is not None else ("the service", 443)
        return "tls", tls_message(*where, cause)
    for kind, name in _REQUEST_ERRORS:
        if isinstance(exc, kind):
            return name, str(exc) or type(exc).__name__
    return "other", str(exc) or type(exc).__name__


_STATUS_CLASS = tuple(f"{n}xx" for n in range(6))
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


class Blocked(Exception):
    """A request (or a redirect hop) to a host it may not go to."""


class VirtualUser:
    def __init__(
        self,
        index: int,
        runtime: Runtime,
        recorder: Recorder,
        transport: httpx.AsyncBaseTransport,
        rng: random.Random,
        max_body: int,
        clock: Clock,
        *,
        follow_redirects: bool = False,
        connect_timeout: float = 5.0,
    ) -> None:
        self.index = index
        self.runtime = runtime
        self.recorder = recorder
        self.rng = rng
        self.max_body = max_body
        self.clock = clock
        self.captured: dict[str, Any] = {}
        self.iterations = 0
        self.stopping = False
        # Requests go straight to the transport (httpx's AsyncClient costs most of a request's
        # CPU); cookies are kept here and redirects followed here, each hop checked.
        self.transport = transport
        self.follow_redirects = follow_redirects
        self.cookies = httpx.Cookies()
        self.has_cookies = False  # bool(self.cookies) walks the whole jar: kept here instead
        self.connect_timeout = connect_timeout
        # A step whose request never changes (nothing templated) is built once per VU: parsing
        # its URL and headers again for every request was a fifth of the CPU per request.
        self.prepared: dict[int, tuple[httpx.Request, int]] = {}
        self.static_defaults = not any(varies(v) for _, v in runtime.default_headers)
        # The lean transport's own door, when redirects need no hop-by-hop handling: no
        # httpx.Response per request (see transport.py).
        self.lean = (
            transport if isinstance(transport, LeanTransport) and not follow_redirects else None
        )
        # The whole-request deadline: one loop timer per VU, re-armed only when it fires (an
        # asyncio.timeout context per request cost a timer, a context object and a
        # cancellation scope each time). It cancels the VU's task only while a request is in
        # flight and past its own deadline.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._due = 0.0
        self._in_flight = False
        self._expired = False

    def _may_send(self, url: httpx.URL, secrets: frozenset[str]) -> bool:
        """Whether a request carrying ``secrets`` may go to ``url``'s host."""
        host = url.host.lower()
        runtime = self.runtime
        if host not in runtime.allowed_hosts:
            return False
        return all(host in runtime.secret_hosts.get(name, ()) for name in secrets)

    def _may_send_to(self, url: str, secrets: frozenset[str]) -> bool:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError):
            return False
        return parsed.scheme in ("http", "https") and self._may_send(parsed, secrets)

    def _arm(self, timeout: float) -> None:
        """Start the deadline of the request about to be sent: ``timeout`` seconds from now."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        due = self._due = loop.time() + timeout
        if self._task is None:  # a request outside ``iteration`` (never in the runner)
            self._task = asyncio.current_task()
        self._in_flight = True
        timer = self._timer
        if timer is None or due < self._timer_due:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(due, self._expire)
            self._timer_due = due

    def _expire(self) -> None:
        self._timer = None
        if not self._in_flight or self._task is None:
            return
        if self._due <= self._timer_due:  # this request's own deadline has come
            self._expired = True
            self._task.cancel()
        else:  # armed for an earlier request: wait for this one's deadline
            assert self._loop is not None
            self._timer = self._loop.call_at(self._due, self._expire)
            self._timer_due = self._due

    def _timed_out(self) -> bool:
        """Whether the cancellation being handled is this VU's deadline (and nothing else's:
        a run's graceful stop that cancels at the same time still stops the task)."""
        if not self._expired:
            return False
        self._expired = False
        assert self._task is not None
        return self._task.uncancel() == 0

    def close(self) -> None:
        """Drop the deadline timer (the run is over)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _outgoing(
        self, step: CompiledStep, request: dict[str, Any], reusable: bool
    ) -> httpx.Request:
        outgoing = httpx.Request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers={**DEFAULT_HEADERS, **request["headers"]},
            content=request.get("content"),
            extensions={
                "timeout": {
                    "connect": self.connect_timeout,
                    "read": step.timeout,
                    "write": step.timeout,
                    "pool": step.timeout,
                },
                "peac.reused": reusable,
            },
        )
        if reusable:
            self.prepared[id(step)] = (outgoing, len(request.get("content") or b""))
        return outgoing

    def _keep_cookies(self, response: httpx.Response) -> None:
        """The response's cookies into the jar, within a browser's limits (the rest counted)."""
        jar = self.cookies.jar
        before = cookies.keys(jar)
        self.cookies.extract_cookies(response)
        dropped = cookies.bound(jar, before)
        if dropped:
            self.recorder.counters.cookies_dropped += dropped
        self.has_cookies = bool(self.cookies)

    async def _send(self, step: CompiledStep, outgoing: httpx.Request) -> httpx.Response:
        """Through httpx's seam, following redirects when asked (each hop checked)."""
        for hop in range(MAX_REDIRECTS + 1):
            if self.has_cookies:
                self.cookies.set_cookie_header(outgoing)
            response = await self.transport.handle_async_request(outgoing)
            response.request = outgoing
            if "set-cookie" in response.headers:
                self._keep_cookies(response)
            location = response.headers.get("location")
            if not (self.follow_redirects and response.status_code in REDIRECTS and location):
                break
            await response.aclose()
            if hop == MAX_REDIRECTS:
                raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")
            outgoing = self._next_hop(outgoing, response.status_code, location, step.secrets)
        return response

    async def _read(self, raw: httpx.Response, keep: bool) -> tuple[int, list[bytes]]:
        """The body of a streamed response: bytes received (up to the chunk that crossed
        the size limit) and, when ``keep``, the chunks. Closes the response."""
        received = 0
        chunks: list[bytes] = []
        try:
            encoding = raw.headers.get("content-encoding")
            if encoding is not None and not raw.is_stream_consumed:
                return await self._decode(raw, encoding, keep)
            # A response built whole (a mock transport) has been read and decoded already;
            # otherwise the raw bytes are the body: httpx's decoder chain would only copy them.
            stream = raw.aiter_bytes() if raw.is_stream_consumed else raw.aiter_raw()
            async for chunk in stream:
                received += len(chunk)
                if received > self.max_body:
                    break
                if keep:
                    chunks.append(chunk)
        finally:
            await raw.aclose()
        return received, chunks

    async def _decode(
        self, raw: httpx.Response, encoding: str, keep: bool
    ) -> tuple[int, list[bytes]]:
        """The body through peac.load.decoding, never httpx's decoders: each layer stops past
        ``max_body`` and the loop yields to the event loop between pieces, so the step's
        timeout fires during a long decode too."""
        decoder = BoundedDecoder(encoding, self.max_body)
        received = paused = 0
        chunks: list[bytes] = []
        async for chunk in raw.aiter_raw():
            try:
                for piece in decoder.feed(chunk):
                    received += len(piece)
                    if received > self.max_body:
                        return received, chunks
                    if keep:
                        chunks.append(piece)
                    if received - paused >= DECODE_PAUSE:
                        paused = received
                        await asyncio.sleep(0)  # let timers (the step's timeout) run
            except TooLarge:
                return self.max_body + 1, chunks
            except DecodeFailed as exc:
                raise httpx.DecodingError(str(exc)) from None
        return received, chunks

    def _next_hop(
        self, previous: httpx.Request, status: int, location: str, secrets: frozenset[str]
    ) -> httpx.Request:
        """The request a redirect asks for, if it may go there (every hop passes the host
        check and the hosts each secret it carries is bound to)."""
        try:
            url = previous.url.join(location)
        except (httpx.InvalidURL, ValueError):
            raise httpx.RemoteProtocolError("a redirect to an invalid URL") from None
        if url.scheme not in ("http", "https") or not self._may_send(url, secrets):
            raise Blocked(url.host)
        method, content = previous.method, previous.content
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, content = ("HEAD" if method == "HEAD" else "GET"), b""
        headers = httpx.Headers(previous.headers)
        headers.pop("host", None)
        headers.pop("cookie", None)
        if url.netloc != previous.url.netloc:
            headers.pop("authorization", None)
        if not content:
            headers.pop("content-length", None)
            headers.pop("content-type", None)
            headers.pop("transfer-encoding", None)
        # Only the timeouts carry over: the previous request's cached bytes are not this one's.
        extensions = {"timeout": previous.extensions.get("timeout", {})}
        return httpx.Request(method, url, headers=headers, content=content, extensions=extensions)

    def _context(self, rows: dict[str, Any]) -> dict[str, Any]:
        runtime = self.runtime
        return {
            **runtime.variables,
            **rows,
            **self.captured,
            "secrets": runtime.secrets,
            "vu": self.index,
            "iteration": self.iterations,
        }

    async def iteration(self, intended: float | None = None) -> None:
        """Run one flow. ``intended`` is the open model's arrival time (on ``self.clock``)."""
        task = self._task
        if task is None or task.done():
            # The task the deadline cancels. Executors run a VU in one task at a time and
            # hand it on only when that task has ended (asyncio.current_task is pure Python
            # on 3.11 and cost more per request than the check).
            self._task = asyncio.current_task()
        runtime = self.runtime
        flow = runtime.choose_flow(self.rng)
        started = self.clock.now() if intended is None else intended
        rows = runtime.feeder_rows(self.rng) if runtime.feeders else {}
        for position, step in enumerate(flow.steps):
            ok = await self._step(step, intended if position == 0 else None, rows)
            if not ok or self.stopping:
                break
            if step.think is not None:
                await asyncio.sleep(self._think(step))
        self.iterations += 1
        self.recorder.iteration(self.clock.now() - started)

    def _think(self, step: CompiledStep) -> float:
        think = step.think
        assert think is not None
        if think.constant is not None:
            return think.constant
        if think.uniform is not None:
            return self.rng.uniform(think.uniform[0], think.uniform[1])
        assert think.exponential is not None
        return self.rng.expovariate(1.0 / think.exponential)

    async def _step(self, step: CompiledStep, intended: float | None, rows: dict[str, Any]) -> bool:
        recorder = self.recorder
        reusable = not step.templated and self.static_defaults and not self.has_cookies
        prepared = self.prepared.get(id(step)) if reusable else None
        request: dict[str, Any] | None = None
        if prepared is None:
            try:
                request = self._build(step, rows)
            except Exception:  # any failure of an untrusted template is counted, none ends the run
                # Its message is never shown: it may hold rendered values, secrets among them.
                recorder.failure("template")
                return False
            if (not step.url_is_static or step.secrets) and not self._may_send_to(
                request["url"], step.secrets
            ):
                recorder.failure("blocked_host")
                return False
            host = _host_header(request["headers"])
            if host is not None and not self._may_send_to(f"http://{host}/", step.secrets):
                # A Host header picks the virtual host behind a shared ingress: it is held to
                # the rules like the URL's host, secrets' bindings included.
                recorder.failure("blocked_host")
                return False
            sent = len(request.get("content") or b"")
        else:
            sent = prepared[1]
        now = self.clock.now
        send = now()
        failure: str | None = None
        code = 0
        received = 0
        headers: httpx.Headers | list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        self._arm(step.timeout)  # the whole request, not each read: a trickling server is late
        url: httpx.URL | None = None
        try:
            outgoing = self._outgoing(step, request, reusable) if request is not None else None
            if outgoing is None:
                assert prepared is not None
                outgoing = prepared[0]
            url = outgoing.url
            lean = self.lean
            if lean is not None and lean.takes(outgoing):
                if self.has_cookies:
                    self.cookies.set_cookie_header(outgoing)
                exchange = await lean.exchange(outgoing, self.max_body, step.needs_body)
                code, headers = exchange.status, exchange.headers
                if exchange.cookies:
                    self._keep_cookies(httpx.Response(code, headers=headers, request=outgoing))
                if exchange.streamed is not None:  # a content-encoding: read it decoded
                    received, chunks = await self._read(exchange.streamed, step.needs_body)
                else:
                    received, chunks = exchange.received, exchange.chunks
            else:
                raw = await self._send(step, outgoing)
                code, headers = raw.status_code, raw.headers
                received, chunks = await self._read(raw, step.needs_body)
            end = now()
        except Blocked:  # a redirect to a host this request may not go to: nothing sent there
            self._in_flight = False
            recorder.failure("blocked_host")
            return False
        except asyncio.CancelledError:
            end = now()
            self._in_flight = False
            if not self._timed_out():  # in flight when the run's graceful stop ended
                latency = end - (intended if intended is not None else send)
                recorder.request(
                    step.label,
                    step.method,
                    "error",
                    latency,
                    end - send,
                    "timeout",
                    sent,
                    received,
                    end,
                )
                raise
            code, failure = 0, "timeout"
        except Exception as exc:  # every transport failure is counted, none ends the run
            end = now()
            self._in_flight = False
            failure, message = _failure_for(exc, url)
            code = 0
            recorder.first_error(failure, message)
        else:
            self._in_flight = False
        latency = end - (intended if intended is not None else send)
        if not code:
            recorder.request(
                step.label, step.method, "error", latency, end - send, failure, sent, received, end
            )
            return False
        if received > self.max_body:
            failure = "too_large"
        elif code >= 400:
            accepted = step.accepted_status
            if accepted is None or not accepted(code):
                failure = "http_4xx" if code < 500 else "http_5xx"
        recorder.request(
            step.label,
            step.method,
            _STATUS_CLASS[code // 100] if code < 600 else f"{code // 100}xx",
            latency,
            end - send,
            failure,
            sent,
            received,
            end,
        )
        response = (
            _Response(code, headers, b"".join(chunks), end - send)
            if step.checks or step.captures
            else None
        )
        if response is not None:
            for check in step.checks:
                recorder.check(_judged(check, response), f"{step.label}: {check.name}")
        self._capture(step, response)
        return True

    def _build(self, step: CompiledStep, rows: dict[str, Any]) -> dict[str, Any]:
        runtime = self.runtime
        context = self._context(rows) if step.templated or runtime.default_headers else {}
        headers = {k: render(v, context) for k, v in runtime.default_headers}
        headers.update({k: render(v, context) for k, v in step.headers})
        for value in headers.values():
            if _UNSAFE_HEADER.search(str(value)):
                # CR or LF would end the header and smuggle text into the request (a second
                # request on the connection); NUL is cut by some servers. Nothing is sent.
                raise ValueError("a header value holds CR, LF or NUL")
        request: dict[str, Any] = {
            "method": step.method,
            "url": render(step.url, context),
            "headers": headers,
        }
        if step.query:
            request["params"] = {k: render(v, context) for k, v in step.query}
        if step.has_json:
            request["content"] = json.dumps(render(step.json_body, context)).encode()
            headers.setdefault("Content-Type", "application/json")
        elif step.body is not None:
            request["content"] = str(render(step.body, context)).encode()
        return request

    def _capture(self, step: CompiledStep, response: _Response | None) -> None:
        if response is None:  # the step captures nothing
            return
        for capture in step.captures:
            value: Any = None
            if capture.json_path is not None:
                value = _search(capture.json_path, response)
            elif capture.header is not None:
                value = response.headers.get(capture.header)
            elif capture.pattern is not None:
                match = capture.pattern.search(response.text)
                value = match.group(1) if match else None
            if value is None:
                value = capture.default
            if value is None:
                self.captured.pop(capture.name, None)
            else:
                self.captured[capture.name] = value


def _search(path: Any, response: _Response) -> Any:
    """A JMESPath query of the response body; None when the server's JSON makes it fail (a
    function given the wrong type, a body nested too deeply): the server is untrusted."""
    try:
        return path.search(response.json())
    except (JMESPathError, TypeError, ValueError, RecursionError):
        return None


def _judged(compiled: CompiledCheck, response: _Response) -> bool:
    """A check's outcome; one that cannot be evaluated on this response has failed."""
    try:
        return _passes(compiled, response)
    except (JMESPathError, TypeError, ValueError, RecursionError):
        return False


def _passes(compiled: CompiledCheck, response: _Response) -> bool:
    check = compiled.check
    if check.status is not None:
        specs = check.status if isinstance(check.status, list) else [check.status]
        return any(
            response.status == s if isinstance(s, int) else response.status // 100 == int(s[0])
            for s in specs
        )
    if check.latency is not None:
        return response.elapsed <= check.latency.max
    if check.json_ is not None:
        value = _search(compiled.json_path, response) if compiled.json_path else None
        spec = check.json_
        if spec.equals is not None:
            return bool(value == spec.equals)
        if compiled.pattern is not None:
            return value is not None and compiled.pattern.search(str(value)) is not None
        return (value is not None) == (spec.exists is not False)
    if check.body is not None:
        text = response.text
        spec_b = check.body
        return (
            (spec_b.contains is None or spec_b.contains in text)
            and (spec_b.not_contains is None or spec_b.not_contains not in text)
            and (compiled.pattern is None or compiled.pattern.search(text) is not None)
        )
    if check.header is not None:
        value_h = response.headers.get(check.header.name)
        if value_h is None:
            return False
        if check.header.equals is not None:
            return bool(value_h == check.header.equals)
        return compiled.pattern is None or compiled.pattern.search(value_h) is not None
    return True


_UNSAFE_HEADER = re.compile(r"[\r\n\x00]")


def _host_header(headers: dict[str, Any]) -> str | None:
    """The host a ``Host`` header names (its port left off), None without one."""
    for name, value in headers.items():
        if name.lower() == "host":
            text = str(value).strip()
            if text.startswith("["):  # [::1]:8080
                return text.split("]", 1)[0] + "]"
            return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return None
