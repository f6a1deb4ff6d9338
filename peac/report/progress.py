"""Progress of a run while it runs: a live line on a terminal (rich), and plain lines every
``interval`` seconds elsewhere (CI logs), so a one-minute run is never a minute of silence."""

from __future__ import annotations

from typing import TextIO

from peac.model.progress import Progress
from peac.model.units import format_duration, show


def progress_text(p: Progress) -> str:
    rate = p.requests / p.elapsed if p.elapsed > 0 else 0.0
    return (
        f"{p.requests} reqs ({rate:.0f}/s)  p95 {show(p.p95, 'duration')}  "
        f"errors {p.errors}  VUs {p.active_vus}"
    )


class PlainProgress:
    """A line every ``interval`` seconds of the run: for logs, where a live line is noise."""

    def __init__(self, out: TextIO, interval: float = 10.0) -> None:
        self.out = out
        self.interval = interval
        self.next = interval

    def __call__(self, p: Progress) -> None:
        if p.elapsed + 1e-6 < self.next:
            return
        while self.next <= p.elapsed + 1e-6:
            self.next += self.interval
        self.out.write(
            f"running {format_duration(round(p.elapsed))} / {format_duration(p.planned)}  "
            f"{progress_text(p)}\n"
        )
        self.out.flush()

    def close(self) -> None:
        """Nothing to tidy: every line is already complete."""


class LiveProgress:
    """A bar with the run's figures, redrawn in place (rich: handles terminal width, colour
    support and cursor control so peac does not hand-roll escape codes)."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("running"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[figures]}"),
            console=Console(file=out),
            transient=False,
        )
        self.task = self.bar.add_task("run", total=None, figures="starting")
        self.bar.start()

    def __call__(self, p: Progress) -> None:
        self.bar.update(
            self.task, total=max(p.planned, 1e-9), completed=p.elapsed, figures=progress_text(p)
        )

    def close(self) -> None:
        self.bar.stop()
