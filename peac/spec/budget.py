"""The Budget kind: objectives a run is judged by, and the regression policy against history.

Limits are kept as written (``"300ms"``, ``"1%"``): which unit a limit needs depends on its
metric, so the compiler parses them and reports a wrong unit against the metric it belongs to.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from peac.spec.fields import (
    Fraction,
    Metadata,
    Name,
    Percent,
    PositiveFloat,
    PositiveInt,
    StrictModel,
)

LimitValue = str | int | float


class Tier(StrictModel):
    """Limits of one tier (warn or fail). Any limit crossed puts the objective in this tier."""

    max: LimitValue | None = Field(default=None, description="Absolute upper limit.")
    min: LimitValue | None = Field(default=None, description="Absolute lower limit.")
    max_regression: LimitValue | None = Field(
        default=None,
        description="Largest change in the worse direction relative to the baseline, e.g. 10%.",
    )


Direction = Literal["higher_is_worse", "lower_is_worse"]


class Objective(StrictModel):
    """One metric and statistic, for the whole run or for one step, with warn and fail tiers."""

    name: Name | None = Field(default=None, description='Defaults to "[step ]metric stat".')
    metric: str = Field(description="latency, service_time, iteration_duration, error_rate, ...")
    stat: str | None = Field(default=None, description="p50, p90, p95, p99, max, mean, ...")
    step: str | None = Field(default=None, description="Step name; omitted means the whole run.")
    key: bool = Field(default=False, description="A failed key objective fails the whole budget.")
    weight: PositiveFloat = 1.0
    abort_on_fail: bool = Field(
        default=False, description="Check the fail tier during the run and stop it early."
    )
    direction: Direction | None = None
    regression: Literal["warn", "fail", "off"] | None = Field(
        default=None,
        description="Tier of the default regression check when no max_regression is set "
        "[default: the budget's regression.check].",
    )
    warn: Tier | None = None
    fail: Tier | None = None


class RegressionPolicy(StrictModel):
    """How a run is compared with the forecast of the base branch's history."""

    confidence: Fraction = Field(default=0.95, description="Prediction interval level.")
    min_effect: Percent = Field(default=0.05, description="Smallest change worth flagging.")
    window: PositiveInt = Field(default=30, description="Commits of history considered.")
    correction: Literal["holm", "bh", "none"] = "holm"
    check: Literal["warn", "fail", "off"] = Field(
        default="warn",
        description="Every objective with history is checked for a significant regression "
        "beyond min_effect, at this tier, unless it sets max_regression itself.",
    )
    short_history: Literal["warn", "fail"] = Field(
        default="warn",
        description="The most a regression found on a short history counts as: fewer than 8 "
        "commits with runs, or a percentile with fewer than 5 of the head's requests beyond "
        "it (a p95 of fewer than 100 requests). Absolute limits are not affected; fail lets "
        "such a regression fail.",
    )


Outcome = Literal["fail", "warn", "pass"]


class BudgetSpec(StrictModel):
    scenario: str = Field(
        description="Scenario file relative to this file; add #name to pick one of several."
    )
    regression: RegressionPolicy = RegressionPolicy()
    invalid_run: Outcome = Field(
        default="fail", description="Verdict for a saturated or partial run or zero requests."
    )
    missing_baseline: Outcome = Field(
        default="warn", description="Verdict for relative limits when history has no baseline."
    )
    objectives: list[Objective] = Field(min_length=1)


class Budget(StrictModel):
    """What a run of a scenario must achieve for a change to merge."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Budget"]
    metadata: Metadata
    spec: BudgetSpec
