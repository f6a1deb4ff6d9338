"""The Config kind (``peac.yaml`` at the repository root): the rules a pull request may not set
for itself. Read from the base branch when a change is judged (see ``docs/security.md``).

- ``targets.hosts``: the only hosts load may go to, whatever a scenario's ``base_url`` or
  ``allowed_hosts`` say;
- ``targets.secrets``: the environment variables scenarios may read secrets from, and the hosts
  each may be sent to;
- ``policy``: what counts as an invalid run or a missing baseline, and the regression policy;
  set here, they override what any budget says.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from peac.spec.budget import Outcome, RegressionPolicy
from peac.spec.fields import Metadata, StrictModel

EnvName = str


class SecretRule(StrictModel):
    """Where the value of one environment variable may be sent."""

    hosts: list[str] = Field(
        min_length=1, description="Hosts this secret may be sent to (every redirect hop too)."
    )


class Targets(StrictModel):
    hosts: list[str] = Field(
        min_length=1, description="The only hosts load may go to (a scenario may narrow them)."
    )
    secrets: dict[EnvName, SecretRule] = Field(
        default={},
        description="Environment variables scenarios may read secrets from, by name, and the "
        "hosts each may reach. A secret not listed here cannot be used.",
    )


class PolicyRules(StrictModel):
    """Settings that override every budget's own (a pull request cannot relax them)."""

    invalid_run: Outcome | None = Field(
        default=None, description="Verdict for a run that cannot be judged."
    )
    missing_baseline: Outcome | None = Field(
        default=None, description="Verdict for a regression check without history."
    )
    regression: RegressionPolicy | None = Field(
        default=None, description="The regression policy every budget is judged by."
    )


class ConfigSpec(StrictModel):
    targets: Targets | None = None
    policy: PolicyRules = PolicyRules()


class Config(StrictModel):
    """Repository rules, read from the base branch when a pull request is judged."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Config"]
    metadata: Metadata
    spec: ConfigSpec
