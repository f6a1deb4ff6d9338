"""Switches that make the demo service misbehave on purpose: added latency or errors on one
route, or a stall of every request, so regressions can be demonstrated and tested."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

ROUTES = ("products", "product", "search", "cart", "checkout", "login", "account")


@dataclass
class Faults:
    latency: dict[str, float] = field(default_factory=dict)  # route -> added seconds
    errors: dict[str, float] = field(default_factory=dict)  # route -> share answered with 500
    stall_until: float = 0.0  # perf_counter time until which every request waits

    def stall(self, seconds: float) -> None:
        self.stall_until = time.perf_counter() + seconds

    def describe(self) -> dict[str, object]:
        return {
            "latency": {k: f"{v * 1000:g}ms" for k, v in self.latency.items()},
            "errors": {k: f"{v * 100:g}%" for k, v in self.errors.items()},
            "stalled_for": max(0.0, self.stall_until - time.perf_counter()),
        }
