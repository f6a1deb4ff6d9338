"""The recording mock server of ``peac generate --check``: answers every request with one
status (200 by default) on a loopback port and records what was sent, so that generated traffic
can be compared with the traffic it was generated from without touching any real service.

Served by uvicorn from a background thread, like the demo shop; bounded: past ``MAX_RECORDS``
requests are answered and counted but no longer recorded.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn

from peac import serving
from peac.serving import Receive, Scope, Send

MAX_RECORDS = 500_000
ITERATION_HEADER = "x-peac-iteration"  # which VU iteration sent a request, for think times


@dataclass(frozen=True, slots=True)
class Received:
    time: float  # monotonic seconds
    method: str
    target: str  # path and query as sent
    iteration: str  # the iteration header, '' when absent


@dataclass
class RecordingApp:
    """An ASGI app: every request gets ``status`` and an empty JSON object, and is recorded."""

    status: int = 200
    records: list[Received] = field(default_factory=list)
    unrecorded: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serving.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        more = True
        while more:  # drain the body
            message = await receive()
            more = bool(message.get("more_body"))
        raw = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        iteration = ""
        for name, value in scope.get("headers", []):
            if name == ITERATION_HEADER.encode():
                iteration = value.decode("latin-1")
        if len(self.records) < MAX_RECORDS:
            self.records.append(Received(time.monotonic(), scope["method"], target, iteration))
        else:
            self.unrecorded += 1
        body = b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def recording(status: int = 200, host: str = "127.0.0.1") -> Iterator[tuple[RecordingApp, str]]:
    """The mock served from a background thread; yields the app and its base URL."""
    app = RecordingApp(status)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", http="httptools"
    )
    sock = serving.bind(host, 0, what="the mock server")
    with serving.in_thread(uvicorn.Server(config), sock, "the mock server") as url:
        yield app, url
