"""A snapshot of a run in progress, as the engine reports it once a second."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    elapsed: float
    planned: float
    requests: int
    errors: int
    active_vus: int  # virtual users with a request or iteration in flight
    p95: float | None  # of the last complete second
