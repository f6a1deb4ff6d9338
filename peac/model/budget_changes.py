"""Changes to a budget as plain data: what a pull request tightened, loosened, added or removed,
the policy that says which loosening needs approval, and waivers (an objective not judged, for
a while, for a reason someone wrote down). The core decides (``peac.core.budget_changes``);
reporters render these and decide nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from peac.model.objectives import Rules, Tier


class Kind(StrEnum):
    """Which way a setting moved, as far as the gate is concerned."""

    TIGHTENED = "tightened"
    LOOSENED = "loosened"
    ADDED = "added"  # an objective (or a limit) that was not there
    REMOVED = "removed"  # an objective that is gone
    CHANGED = "changed"  # neither stricter nor more lenient (window, weight)


@dataclass(frozen=True)
class Change:
    """One setting of one budget, before and after."""

    path: str  # the budget file, relative to the repository
    line: int  # where the setting is written: in the head file, or the base file when removed
    objective: str | None  # None: a setting of the whole budget (its regression policy)
    # "fail.max", "regression", "regression.confidence", "objective", "waiver", and for the
    # whole file: "budget file" (moved or a link), "scenario" (another scenario judged)
    setting: str
    kind: Kind
    before: str  # as people read it, "-" when absent
    after: str
    relative: float | None = None  # after / before - 1 for numbers; inf when a limit is dropped
    tier: Tier | None = None  # the tier of a limit (or of the check whose tier changed)
    key: str | None = None  # what the objective measures (``Objective.series_key``)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        """``latency p95: fail.max 300ms -> 900ms (+200%)``."""
        subject = f"{self.objective}: " if self.objective else ""
        if self.setting == "objective":
            return f"{subject}objective {self.kind}"
        if self.setting == "waiver":
            return f"{subject}{self.after}"
        text = f"{subject}{self.setting} {self.before} -> {self.after}"
        if self.relative is not None and math.isfinite(self.relative):
            text += f" ({self.relative * 100:+.0f}%)"
        return text


@dataclass(frozen=True)
class ChangePolicy:
    """Which loosening needs approval, and who or what may approve it (``budget_changes`` in
    peac.yaml on the base branch)."""

    warn_threshold: float = 0.10  # a warn limit may loosen by this much without approval
    fail_threshold: float = 0.0  # a fail limit: any loosening needs approval by default
    approvers: tuple[str, ...] = ()
    approval_labels: tuple[str, ...] = ()
    origin: str = "the defaults (no budget_changes in peac.yaml)"


@dataclass(frozen=True)
class Approval:
    """What CI says about the pull request: approvers among ``ChangePolicy.approvers`` and
    labels among ``ChangePolicy.approval_labels`` (others are dropped before this)."""

    users: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def by(self) -> str:
        """Who approved, for the report ('' when nobody)."""
        parts = [*self.users, *(f"label {label}" for label in self.labels)]
        return ", ".join(parts)


@dataclass(frozen=True)
class Waiver:
    """An objective not judged until ``expires`` (inclusive), for ``reason``."""

    budget: str  # the budget file it names, relative to the repository
    objective: str
    reason: str
    by: str
    created: date
    expires: date
    commit: str  # the commit it was written on ('' when unknown)
    path: str  # where it is written (the waivers file, relative to the repository)
    line: int
    added: bool = False  # not on the base branch: added (or changed) by this pull request
    # What the waived objective measures (``Objective.series_key``), resolved by its name in
    # the budget of the same revision: a waiver applies to what it waived, never to whatever
    # a pull request renames to that name. '' when the name is not in that budget.
    key: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        """``waived by alice until 2025-07-01: the new cache lands next week (file:line)``."""
        added = "; added in this pull request" if self.added else ""
        return (
            f"waived by {self.by} until {self.expires.isoformat()}: {self.reason} "
            f"({self.location}{added})"
        )


@dataclass(frozen=True)
class Reviewed:
    """A change as the gate judged it."""

    change: Change
    needs_approval: bool  # a loosening beyond the policy's threshold, a removal, a new waiver
    approved_by: str = ""  # who or what approved it; '' when not approved (or not needed)
    why: str = ""  # why it needs no approval (within the threshold, tightened, ...)

    @property
    def blocked(self) -> bool:
        return self.needs_approval and not self.approved_by


@dataclass(frozen=True)
class BudgetAt:
    """One budget as one revision has it, with what identifies it across moves: the scenario
    it judges (its name, or its file when the name cannot be read there)."""

    path: str  # the budget file, relative to the repository
    rules: Rules
    scenario: str

    @property
    def name(self) -> str:
        return self.rules.name


@dataclass(frozen=True)
class BudgetDiff:
    """The reviewed changes of one budget between two revisions (``peac budget-diff``)."""

    path: str
    budget: str  # its metadata.name
    changes: tuple[Reviewed, ...]
