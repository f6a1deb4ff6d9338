"""Serving the demo shop with uvicorn on a loopback socket, in the foreground or a thread."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator

import uvicorn

from peac.demo.shop.app import ShopApp
from peac.errors import InputError


def bind(host: str, port: int, *, in_container: bool = False) -> socket.socket:
    """A listening socket; the demo only binds loopback addresses, it is not a public service,
    unless ``in_container`` says it runs where a network policy guards it (a test cluster)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not in_container:
        raise InputError(
            f"the demo service only listens on loopback addresses, not {host!r} "
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


def _server(app: ShopApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http="httptools",
        loop="auto",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def serve(app: ShopApp, sock: socket.socket) -> None:
    """Serve until interrupted (the ``peac demo-server`` command)."""
    server = _server(app)
    asyncio.run(server.serve(sockets=[sock]))


@contextlib.contextmanager
def running(app: ShopApp | None = None, host: str = "127.0.0.1") -> Iterator[tuple[ShopApp, str]]:
    """The demo shop served from a background thread; yields the app and its base URL."""
    app = app or ShopApp()
    sock = bind(host, 0)
    port = sock.getsockname()[1]
    server = _server(app)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise InputError("the demo service did not start")
            threading.Event().wait(0.01)
        yield app, f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
