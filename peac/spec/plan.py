"""The compiled Plan: plain, canonical data the runner and the gate consume.

Everything here is already checked: references resolved, units in canonical form (seconds,
per second, fractions), defaults filled in. Nothing downstream re-reads YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peac.spec.budget import RegressionPolicy
from peac.spec.metrics import Unit
from peac.spec.scenario import Scenario


@dataclass(frozen=True)
class Source:
    """Where something is written, for annotations that point reviewers at the line."""

    path: str
    line: int
    col: int


@dataclass(frozen=True)
class FeederPlan:
    path: Path
    columns: tuple[str, ...]
    order: str


@dataclass(frozen=True)
class ScenarioPlan:
    name: str
    source: Source
    digest: str
    scenario: Scenario
    steps: tuple[str, ...]
    allowed_hosts: frozenset[str]
    feeders: dict[str, FeederPlan]


@dataclass(frozen=True)
class Limits:
    max: float | None = None
    min: float | None = None
    max_regression: float | None = None


@dataclass(frozen=True)
class ObjectivePlan:
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

    def line_of(self, setting: str) -> int:
        """The line of ``warn.max``-style setting, or the objective's own line."""
        return dict(self.limit_lines).get(setting, self.source.line)


@dataclass(frozen=True)
class BudgetPlan:
    name: str
    source: Source
    digest: str
    scenario: ScenarioPlan
    policy: RegressionPolicy
    invalid_run: str
    missing_baseline: str
    objectives: tuple[ObjectivePlan, ...]


@dataclass(frozen=True)
class Plan:
    scenarios: tuple[ScenarioPlan, ...] = ()
    budgets: tuple[BudgetPlan, ...] = ()
