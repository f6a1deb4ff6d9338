"""The demo shop in a child process (its own interpreter, so it never competes with the load
generator for the GIL): for the end-to-end demo, benchmarks and tests."""

from __future__ import annotations

import subprocess
import sys

from peac.errors import InputError


class DemoService:
    """The shop on a free loopback port, ready when constructed (its URL printed on stdout is
    the signal); stopped on exit."""

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
            raise InputError(f"the demo service did not start: {line.strip()[:200]!r}")
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
