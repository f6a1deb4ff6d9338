"""httpx's own transport, made to refuse a response nobody asked for.

httpcore reuses an idle HTTP/1.1 connection unless its socket is readable, but bytes that came
in the same read as the last answer are already in h11's buffer, not the socket: a second
response sent right behind the first became the answer to the *next* request
(``--transport httpx`` judged a 500 the service never sent it). Before each request, an idle
connection holding such bytes is closed, so the request goes out on a new one, as peac's lean
transport does.
"""

from __future__ import annotations

import httpx


def _unasked(connection: object) -> bool:
    """Whether an idle pooled connection holds bytes received after its last answer.

    httpcore keeps this in private attributes (its HTTP/1.1 connection's h11 state); where they
    are missing (HTTP/2, another httpcore) nothing is held that the check could see."""
    http11 = getattr(connection, "_connection", None)
    state = getattr(http11, "_h11_state", None)
    trailing = getattr(state, "trailing_data", None)
    return bool(trailing and trailing[0])


class GuardedTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for connection in self._pool.connections:
            if connection.is_idle() and _unasked(connection):
                await connection.aclose()
        return await super().handle_async_request(request)
