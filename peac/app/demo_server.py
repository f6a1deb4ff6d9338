"""`peac demo-server`: the bundled shop service in the foreground."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TextIO

from peac.demo.shop.app import ShopApp, apply_faults
from peac.demo.shop.server import bind, serve
from peac.errors import ExitCode, InputError


@dataclass(frozen=True, kw_only=True)
class DemoServerRequest:
    host: str = "127.0.0.1"
    port: int = 8080
    latency: tuple[tuple[str, str], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    seed: int | None = None
    in_container: bool = False  # may bind a non-loopback address (a pod in a test cluster)


def demo_server(command: DemoServerRequest, stdout: TextIO) -> int:
    app = ShopApp(seed=command.seed)
    try:
        apply_faults(app.faults, {"latency": dict(command.latency), "errors": dict(command.errors)})
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc)) from None
    sock = bind(command.host, command.port, in_container=command.in_container)
    host, port = sock.getsockname()[:2]
    stdout.write(f"demo shop listening on http://{host}:{port}\n")
    stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        serve(app, sock)
    return ExitCode.OK
