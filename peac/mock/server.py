"""The recording mock server of ``peac generate --check``: answers every request with one
status (200 by default) on a loopback port and records what was sent, so that generated traffic
can be compared with the traffic it was generated from without touching any real service.

Given ``refuse`` (what the log's values allow), it answers 404 to a request the real service
would not know (a value the log never held), as the real service would, and records why.

Served by uvicorn from a background thread, like the demo shop; bounded: past ``MAX_RECORDS``
requests are answered and counted but no longer recorded.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import uvicorn

from peac import serving
from peac.core.traffic.known import Refusal
from peac.serving import Receive, Scope, Send

MAX_RECORDS = 500_000
ITERATION_HEADER = "x-peac-iteration"  # which VU iteration sent a request, for think times


@dataclass(frozen=True, slots=True)
class Received:
    time: float  # monotonic seconds
    method: str
    target: str  # path and query as sent
    iteration: str  # the iteration header, '' when absent
    status: int = 200  # what the mock answered
    refusal: Refusal | None = None  # a value the log never held, None when every one was
    answered: float = 0.0  # monotonic seconds when the response was handed to the server


@dataclass
class RecordingApp:
    """An ASGI app: every request gets ``status`` (404 when ``refuse`` gives a reason) and an
    empty JSON object, and is recorded."""

    status: int = 200
    refuse: Callable[[str, str], Refusal | None] | None = None  # (method, target) -> why
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
        refusal = self.refuse(scope["method"], target) if self.refuse is not None else None
        status = 404 if refusal is not None and refusal.refuses else self.status
        arrived = time.monotonic()
        body = b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        if len(self.records) < MAX_RECORDS:
            self.records.append(
                Received(
                    arrived, scope["method"], target, iteration, status, refusal, time.monotonic()
                )
            )
        else:
            self.unrecorded += 1


@contextlib.contextmanager
def recording(
    status: int = 200,
    host: str = "127.0.0.1",
    refuse: Callable[[str, str], Refusal | None] | None = None,
) -> Iterator[tuple[RecordingApp, str]]:
    """The mock served from a background thread; yields the app and its base URL."""
    app = RecordingApp(status, refuse)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", http="httptools"
    )
    sock = serving.bind(host, 0, what="the mock server")
    with serving.in_thread(uvicorn.Server(config), sock, "the mock server") as url:
        yield app, url
