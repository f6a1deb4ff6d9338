"""Serving the demo shop with uvicorn on a loopback socket, in the foreground or a thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from peac import serving
from peac.demo.shop.app import ShopApp


def bind(host: str, port: int, *, in_container: bool = False) -> socket.socket:
    """A listening socket for the demo shop (loopback only unless ``in_container``)."""
    return serving.bind(host, port, what="the demo service", in_container=in_container)


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
    with serving.in_thread(_server(app), bind(host, 0), "the demo service") as url:
        yield app, url
