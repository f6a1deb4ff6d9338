"""A baseline: what the base branch's history says the next commit should measure (plain data;
computed by ``peac.core.baseline``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

JUMP_RANGE = 8.0  # a jump counts for a head whose own jump is at least 1/8 of it (model scale)


@dataclass(frozen=True)
class Missing:
    """No baseline, and why (for the verdict's evidence)."""

    reason: str
    n: int = 0


@dataclass(frozen=True)
class Fit:
    """A forecast of the next commit by one model, on the model's scale (log or plain)."""

    name: str
    center: float  # forecast of the next commit
    scale: float  # predictive standard deviation
    df: float  # degrees of freedom of the predictive t distribution


@dataclass(frozen=True)
class Baseline:
    expected: float  # original scale
    bound: float  # one-sided prediction bound on the worse side, at ``confidence``
    confidence: float
    higher_is_worse: bool
    log_scale: bool
    fit: Fit
    commits: tuple[str, ...]  # commits whose values the model used, oldest first
    window: int  # commits with runs in the window before cleaning
    since: str | None  # first commit of the current level when a change point cut the window
    excluded: tuple[str, ...]  # isolated outlier commits left out
    samples: tuple[float, ...]  # every run value of the commits used (for rank tests)
    drift: float  # relative change over the window along a robust trend line
    drift_p: float  # Mann-Kendall p-value of that trend
    notes: tuple[str, ...] = field(default=())
    resolution: float = 0.0  # smallest step between distinct values of the series
    # How far the window was seen to jump for one commit on the worse side (model scale,
    # distance from the local level): a head jumping no further may be one more such blip.
    jumps: tuple[float, ...] = ()

    def jumps_as_far(self, value: float) -> int:
        """How many of the window's one-commit jumps went at least as far as ``value`` goes
        beyond the expected value (on the worse side), but not ``JUMP_RANGE`` times further.
        Jumps are measured from their neighbours' median, the head from the forecast: each
        against the level of its own time."""
        if not self.jumps or (self.log_scale and value <= 0):
            return 0
        beyond = self.transform(value) - self.fit.center
        if not self.higher_is_worse:
            beyond = -beyond
        if beyond <= 0:
            return 0
        # A jump many times further (a broken run) says little about jumps of the head's size.
        slack = 1e-9 * abs(beyond)  # the edges count despite rounding
        return sum(beyond - slack <= j <= JUMP_RANGE * beyond + slack for j in self.jumps)

    @property
    def n(self) -> int:
        return len(self.commits)

    def transform(self, value: float) -> float:
        return math.log(value) if self.log_scale else value

    def effect(self, value: float) -> float:
        """Relative change from the expected value, positive when worse."""
        if self.expected == 0:
            return 0.0 if value == 0 else math.copysign(math.inf, value)
        change = (value - self.expected) / abs(self.expected)  # signed by the value's move
        return change if self.higher_is_worse else -change

    def describe(self) -> str:
        """The model in words, without values (the reporter adds them in their unit)."""
        scale = "log values" if self.log_scale else "values"
        parts = [f"{self.fit.name} on {scale} of {self.n} commit(s)"]
        if self.since:
            parts.append(f"since the level changed at {self.since[:7]}")
        if self.excluded:
            shown = ", ".join(c[:7] for c in self.excluded)
            parts.append(f"{len(self.excluded)} outlier(s) left out ({shown})")
        return "; ".join(parts + list(self.notes))


@dataclass(frozen=True)
class Diagnostics:
    """How well the baseline forecast this series' own past, one commit ahead."""

    forecasts: int
    mape: float  # mean absolute percentage error
    rmse: float  # root mean squared error, original unit
    alarm_rate: float  # share of past commits that would have been flagged beyond the bound
    coverage: float = 0.0  # share of past commits within the one-sided bound (nominal: confidence)
    width: float = 0.0  # median distance of the bound from the expected value, relative
