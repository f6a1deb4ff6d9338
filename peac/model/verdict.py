"""The gate's verdict as plain data: per objective what was measured, what history expected,
which limits fired and why; the reporters render it and decide nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from peac.model.baseline import Baseline, Missing
from peac.model.budget_changes import Reviewed, Waiver
from peac.model.objectives import Objective, Tier


class Status(StrEnum):
    """What an objective's row shows."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NO_BASELINE = "no-baseline"  # a regression check had no history to compare with
    INVALID = "invalid"  # nothing to measure the objective on
    WAIVED = "waived"  # a waiver in force: not judged until it expires (counts as a pass)


class Limit(StrEnum):
    """Which kind of limit fired."""

    MAX = "max"
    MIN = "min"
    REGRESSION = "max_regression"  # significantly worse than the baseline, beyond a set limit
    DEFAULT = "regression"  # the default check: significantly worse, beyond min_effect
    BLIP = "blip"  # beyond the bound, but no further than a one-commit jump the window showed


@dataclass(frozen=True)
class Fired:
    """A limit that was crossed."""

    tier: Tier
    limit: Limit
    threshold: float
    message: str

    @property
    def setting(self) -> str:
        """The budget key that set it (``fail.max``), for locating its line."""
        if self.limit is Limit.DEFAULT:
            return "regression"
        own = self.limit is Limit.BLIP
        return f"{self.tier}.{Limit.REGRESSION if own else self.limit}"


@dataclass(frozen=True)
class HeadRun:
    """One run of the head commit, as plain values (``step|metric|stat`` -> value)."""

    name: str
    values: dict[str, float]
    invalid: str = ""  # why it cannot be judged, '' when it can
    requests: dict[str, int] = field(default_factory=dict)  # per step ('' the whole run)


@dataclass(frozen=True)
class Reference:
    """What history says about one objective's series."""

    baseline: Baseline | Missing
    recent: tuple[float, ...] = ()  # last values on the base branch, oldest first


@dataclass(frozen=True)
class ObjectiveVerdict:
    objective: Objective
    status: Status
    outcome: Tier  # what the status counts as for the budget
    value: float | None  # the head value (all head runs merged)
    runs: tuple[float, ...]  # the head value of each run
    reference: Reference | None
    effect: float | None = None  # relative change from the expected value, positive = worse
    test: str = ""  # how significance was judged
    p_value: float | None = None
    p_adjusted: float | None = None
    significant: bool = False
    fired: tuple[Fired, ...] = ()
    notes: tuple[str, ...] = ()
    underpowered: bool = False  # one run per commit cannot show a change of the limit's size
    waiver: Waiver | None = None  # the waiver in force (status WAIVED)
    waived: Status | None = None  # what the status would have been without the waiver
    trend: str = ""  # the base branch's own slow worsening ('' when none): not this change's

    @property
    def baseline(self) -> Baseline | None:
        ref = self.reference
        return ref.baseline if ref and isinstance(ref.baseline, Baseline) else None

    @property
    def missing(self) -> Missing | None:
        ref = self.reference
        return ref.baseline if ref and isinstance(ref.baseline, Missing) else None


@dataclass(frozen=True)
class Verdict:
    budget: str
    outcome: Tier
    headline: str
    invalid: str  # why the head run(s) cannot be judged, '' when it can
    objectives: tuple[ObjectiveVerdict, ...]
    correction: str
    alpha: float
    min_effect: float
    runs: int
    notes: tuple[str, ...] = field(default=())  # why the run cannot be judged
    advice: tuple[str, ...] = field(default=())  # how to make the gate see more next time
    changes: tuple[Reviewed, ...] = field(default=())  # the budget's changes in this review

    @property
    def trends(self) -> tuple[str, ...]:
        """The base branch's own slow worsenings, by objective: shown apart from the verdict,
        since no pull request caused them."""
        return tuple(f"{v.objective.name}: {v.trend}" for v in self.objectives if v.trend)

    @property
    def blocked(self) -> tuple[Reviewed, ...]:
        """Budget changes that need approval and have none: each fails the gate."""
        return tuple(r for r in self.changes if r.blocked)

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome is Tier.FAIL else 0
