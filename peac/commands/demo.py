"""`peac demo-server`: the bundled shop service, and ``DemoService`` to run it beside a load
test in its own process."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass
from typing import TextIO

from peac.problems import PeacError


@dataclass(frozen=True)
class DemoServerCommand:
    host: str = "127.0.0.1"
    port: int = 8080
    latency: tuple[tuple[str, str], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    seed: int | None = None


def demo_server(command: DemoServerCommand, stdout: TextIO) -> int:
    from peac.demo.app import ShopApp, apply_faults
    from peac.demo.server import bind, serve

    app = ShopApp(seed=command.seed)
    try:
        apply_faults(app.faults, {"latency": dict(command.latency), "errors": dict(command.errors)})
    except (ValueError, TypeError) as exc:
        raise PeacError(str(exc)) from None
    sock = bind(command.host, command.port)
    host, port = sock.getsockname()[:2]
    stdout.write(f"demo shop listening on http://{host}:{port}\n")
    stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        serve(app, sock)
    return 0


class DemoService:
    """The demo shop in a child process (its own interpreter, so it never competes with the load
    generator for the GIL); stopped on exit."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "peac", "demo-server", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.stop()
            raise PeacError("the demo service did not start")
        self.url = line.rsplit(" ", 1)[-1].strip()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> DemoService:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
