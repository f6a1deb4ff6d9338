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


class CiSettings(StrictModel):
    """How `peac ci` runs the pipeline stage (read from the working tree: nothing here can
    widen where load goes, which ``targets`` on the base branch decides)."""

    base: str = Field(
        default="main", description="The base branch pull requests are judged against."
    )
    budgets: list[str] = Field(
        default=["budgets/"],
        min_length=1,
        max_length=100,
        description="Budget files or folders to run and gate, relative to the repository root.",
    )
    repetitions: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Runs of each scenario per commit; the gate judges their median (3 or more "
        "give it power on noisy services).",
    )
    testbed: str | None = Field(
        default=None, max_length=100, description="Label of the machine the runs are made on."
    )
    store: str = Field(
        default="git", description='Where results live: "git", "git:REF" or "dir:PATH".'
    )
    remote: str = Field(
        default="origin", description="The git remote results are fetched from and pushed to."
    )
    push: bool = Field(
        default=True, description="Push recorded results to the remote (from the base branch only)."
    )
    reports: str = Field(default="reports", description="Folder the reports are written to.")


class ConfigSpec(StrictModel):
    targets: Targets | None = None
    policy: PolicyRules = PolicyRules()
    ci: CiSettings = CiSettings()


class Config(StrictModel):
    """Repository rules, read from the base branch when a pull request is judged."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Config"]
    metadata: Metadata
    spec: ConfigSpec
