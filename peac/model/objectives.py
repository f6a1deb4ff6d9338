"""What a budget asks of a run, as plain data: objectives with their warn and fail limits, and
the rules that say how history is consulted and what an unjudgeable run counts as.

The compiler (``peac.spec``) builds these from YAML; the judge (``peac.core``) and the runner's
``abort_on_fail`` read them. Values are canonical: seconds, fractions, per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from peac.model.metrics import Unit, log_scale


class Tier(StrEnum):
    """How bad a crossed limit is; also what a whole verdict comes to."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Tier.PASS: 0, Tier.WARN: 1, Tier.FAIL: 2}


def worst(tiers: list[Tier] | tuple[Tier, ...]) -> Tier:
    return max(tiers, key=lambda t: t.rank, default=Tier.PASS)


@dataclass(frozen=True)
class Source:
    """Where something is written, for annotations that point reviewers at the line."""

    path: str
    line: int
    col: int


@dataclass(frozen=True)
class Limits:
    """The limits of one tier; None where the budget sets none."""

    max: float | None = None
    min: float | None = None
    max_regression: float | None = None


@dataclass(frozen=True)
class Objective:
    name: str
    metric: str
    stat: str
    step: str | None
    unit: Unit
    higher_is_worse: bool
    key: bool
    weight: float
    abort_on_fail: bool
    warn: Limits | None
    fail: Limits | None
    source: Source
    limit_lines: tuple[tuple[str, int], ...] = ()  # ("fail.max", line): where each limit is written
    regression: Tier | None = Tier.WARN  # tier of the default regression check (None: off)

    @property
    def series_key(self) -> str:
        """``step|metric|stat``: how the objective's value is named in a run's summary."""
        return f"{self.step or ''}|{self.metric}|{self.stat}"

    @property
    def log_scale(self) -> bool:
        return log_scale(self.unit)

    def tiers(self) -> list[tuple[Tier, Limits]]:
        """The tiers the budget sets, the most severe first."""
        found = [(Tier.FAIL, self.fail), (Tier.WARN, self.warn)]
        return [(tier, limits) for tier, limits in found if limits is not None]

    def line_of(self, setting: str) -> int:
        """The line of ``warn.max``-style setting, or the objective's own line."""
        return dict(self.limit_lines).get(setting, self.source.line)


@dataclass(frozen=True)
class Policy:
    """How a run is compared with the forecast of the base branch's history."""

    confidence: float = 0.95
    min_effect: float = 0.05
    window: int = 30
    correction: str = "holm"  # holm, bh or none
    check: str = "warn"  # the default regression check's tier: warn, fail or off
    short_history: str = "warn"  # the most a regression on a short history counts as

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


@dataclass(frozen=True)
class Rules:
    """A budget as the judge needs it."""

    name: str
    objectives: tuple[Objective, ...]
    policy: Policy = field(default_factory=Policy)
    invalid_run: Tier = Tier.FAIL  # what a run that cannot be judged counts as
    missing_baseline: Tier = Tier.WARN  # what a regression check without history counts as
    line: int = 0  # where the budget document starts in its file (0: unknown)
    setting_lines: tuple[tuple[str, int], ...] = ()  # ("regression.confidence", line), ...

    def line_of(self, setting: str) -> int:
        """The line of a budget-wide setting (``invalid_run``), or the document's own."""
        return dict(self.setting_lines).get(setting, self.line)
