"""Serving an ASGI app with uvicorn on a loopback socket from a background thread: the one way
the demo shop and the generate command's recording mock are run beside a load test."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import uvicorn

from peac.errors import InputError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def lifespan(receive: Receive, send: Send) -> None:
    """Answer uvicorn's startup and shutdown messages: these apps hold nothing to open or
    close, but uvicorn waits for the answers."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def bind(host: str, port: int, *, what: str, in_container: bool = False) -> socket.socket:
    """A listening socket on a loopback address (these servers are never public), unless
    ``in_container`` says it runs where a network policy guards it (a test cluster)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not in_container:
        raise InputError(
            f"{what} only listens on loopback addresses, not {host!r} "
            "(--in-container binds others, for a pod behind a network policy)"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it the response body waits for the ACK of the
    # headers, and the client's delayed ACK adds ~40 ms to every request after the first.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


@contextlib.contextmanager
def in_thread(server: uvicorn.Server, sock: socket.socket, what: str) -> Iterator[str]:
    """``server`` on ``sock`` in a daemon thread until the block ends; yields its base URL."""
    host, port = sock.getsockname()[:2]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise InputError(f"{what} did not start")
            threading.Event().wait(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
