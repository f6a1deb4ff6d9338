"""The Config kind (``peac.yaml`` at the repository root): the rules a pull request may not set
for itself. Read from the base branch when a change is judged (see ``docs/security.md``).

- ``targets.hosts``: the only hosts load may go to, whatever a scenario's ``base_url`` or
  ``allowed_hosts`` say;
- ``targets.secrets``: the environment variables scenarios may read secrets from, and the hosts
  each may be sent to;
- ``policy``: what counts as an invalid run or a missing baseline, and the regression policy;
  set here, they override what any budget says;
- ``budget_changes``: which loosening of a budget needs approval, and who or which pull-request
  label may give it (see ``docs/budget-changes.md``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from peac.spec.budget import Outcome, RegressionPolicy
from peac.spec.fields import Metadata, Percent, StrictModel

EnvName = str
Label = Annotated[str, Field(min_length=1, max_length=100)]


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


def _inside(value: str) -> str:
    """A path in the repository: peac.yaml comes from pull requests too, and `peac ci` writes
    reports where it says."""
    parts = value.replace("\\", "/").split("/")
    if not value or value.startswith(("/", "~")) or ":" in parts[0] or ".." in parts:
        raise PydanticCustomError(
            "inside_repository",
            "expected a path inside the repository (relative, without ..), got {value!r}",
            {"value": value},
        )
    return value


RepoPath = Annotated[str, Field(max_length=500), AfterValidator(_inside)]


class CiSettings(StrictModel):
    """How `peac ci` runs the pipeline stage (read from the working tree: nothing here can
    widen where load goes, which ``targets`` on the base branch decides)."""

    base: str = Field(
        default="main", description="The base branch pull requests are judged against."
    )
    budgets: list[RepoPath] = Field(
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
    reports: RepoPath = Field(default="reports", description="Folder the reports are written to.")


def _not_negative(value: float) -> float:
    if value < 0:
        raise PydanticCustomError("percentage", "expected a percentage of 0% or more")
    return value


Threshold = Annotated[Percent, AfterValidator(_not_negative)]
Login = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
]


class BudgetChangeRules(StrictModel):
    """Which loosening of a budget in a pull request needs approval, and who may give it."""

    loosen_threshold: Threshold = Field(
        default=0.10,
        description="A warn limit may loosen by up to this much without approval.",
    )
    fail_loosen_threshold: Threshold = Field(
        default=0.0,
        description="A fail limit may loosen by up to this much without approval (by default "
        "any loosening needs approval). Removing an objective or a limit always does.",
    )
    approvers: list[Login] = Field(
        default=[],
        description="Who may approve a loosening (peac gate --approved-by USER).",
    )
    approval_labels: list[Label] = Field(
        default=[],
        description="Pull-request labels that approve a loosening (peac gate --label NAME).",
    )


class ConfigSpec(StrictModel):
    targets: Targets | None = None
    policy: PolicyRules = PolicyRules()
    ci: CiSettings = CiSettings()
    budget_changes: BudgetChangeRules = BudgetChangeRules()


class Config(StrictModel):
    """Repository rules, read from the base branch when a pull request is judged."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Config"]
    metadata: Metadata
    spec: ConfigSpec
