"""The server side during a run: Prometheus text endpoints scraped every few seconds, and a local
server process sampled for CPU and memory. Stored as time series in the result.

Only the first shard scrapes, so N workers do not multiply the scrapes. Endpoints come from an
untrusted scenario: their hosts were checked against the allowed hosts by the compiler, bodies
are cut off at 2 MB and at most 300 series are kept per scrape.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from peac.load.clock import Clock
from peac.load.decoding import BoundedDecoder, DecodeFailed, TooLarge
from peac.model.results import (
    MonitorSeries,
    ProcessSample,
    ProcessSeries,
    ScrapeSample,
    ServerSide,
)
from peac.spec.scenario import Monitor

MAX_BODY = 2 * 1024 * 1024
MAX_SERIES = 300


def _key(name: str, labels: dict[str, str]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def parse_prometheus(text: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample (at most MAX_SERIES); ValueError if malformed."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if len(values) >= MAX_SERIES:
                return values
            values[_key(sample.name, dict(sample.labels))] = float(sample.value)
    return values


class ServerWatch:
    def __init__(
        self, monitors: list[Monitor], pid: int | None, start: float, clock: Clock
    ) -> None:
        self.monitors = monitors
        self.start = start
        self.clock = clock
        self.result = ServerSide(
            monitors=[MonitorSeries(m.name or m.url, m.url, m.interval) for m in monitors],
            process=ProcessSeries(pid) if pid is not None else None,
        )

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(self._scrape(m, s, stop))
            for m, s in zip(self.monitors, self.result.monitors, strict=True)
        ]
        if self.result.process is not None:
            tasks.append(asyncio.create_task(self._sample_process(self.result.process, stop)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _scrape(self, monitor: Monitor, series: MonitorSeries, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while not stop.is_set():
                t = self.clock.now() - self.start
                try:
                    body = b""
                    async with client.stream("GET", monitor.url) as response:
                        # Decoded by peac.load.decoding, which stops past MAX_BODY in every
                        # layer (httpx would inflate a gzip bomb whole first).
                        decoder = BoundedDecoder(
                            response.headers.get("content-encoding", ""), MAX_BODY
                        )
                        async for chunk in response.aiter_raw():
                            for piece in decoder.feed(chunk):
                                body += piece
                                if len(body) > MAX_BODY:
                                    raise TooLarge("")
                                await asyncio.sleep(0)
                    response.raise_for_status()
                    values = parse_prometheus(body.decode("utf-8", errors="replace"))
                    series.samples.append(ScrapeSample(round(t, 3), values))
                except TooLarge:
                    series.errors += 1
                    series.last_error = "metrics body larger than 2 MB (decoded)"
                except (httpx.HTTPError, ValueError, DecodeFailed) as exc:
                    series.errors += 1
                    series.last_error = f"{type(exc).__name__}: {exc}"[:200]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=monitor.interval)

    async def _sample_process(self, series: ProcessSeries, stop: asyncio.Event) -> None:
        import psutil

        try:
            process = psutil.Process(series.pid)
            process.cpu_percent(None)
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                t = self.clock.now() - self.start
                with process.oneshot():
                    series.samples.append(
                        ProcessSample(
                            round(t, 3), process.cpu_percent(None), process.memory_info().rss
                        )
                    )
        except psutil.Error as exc:
            series.error = f"{type(exc).__name__}: {exc}"[:200]
