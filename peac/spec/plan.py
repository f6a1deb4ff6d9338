"""The compiled Plan: plain, canonical data the runner and the gate consume.

Everything here is already checked: references resolved, units in canonical form (seconds,
per second, fractions), defaults filled in. Nothing downstream re-reads YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from peac.model.objectives import Objective, Rules, Source
from peac.spec.scenario import Scenario


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
    # Hosts each secret may be sent to, from the repository's rules (peac.yaml on the base
    # branch); a secret not named here may go to any allowed host.
    secret_hosts: dict[str, frozenset[str]] = field(default_factory=dict)
    ca: Path | None = None  # target.ca, resolved inside the repository and checked to be PEM


@dataclass(frozen=True)
class BudgetPlan:
    name: str
    source: Source
    digest: str
    scenario: ScenarioPlan
    rules: Rules  # what the judge needs: objectives, regression policy, invalid-run rules

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return self.rules.objectives


@dataclass(frozen=True)
class Plan:
    scenarios: tuple[ScenarioPlan, ...] = ()
    budgets: tuple[BudgetPlan, ...] = ()
