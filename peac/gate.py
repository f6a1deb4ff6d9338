"""The gate: a budget, the head commit's runs and the base branch's baselines in; one verdict
with its evidence out. Pure: no git, no files, no printing.

Each objective is judged twice. Against the budget's absolute limits (``max``/``min``), and
against history: a regression counts only when it is significant (beyond the forecast's
prediction bound, or a rank test when several head runs exist, after Holm or Benjamini-Hochberg
correction across the run's objectives) AND larger than both the policy's ``min_effect`` and the
tier's ``max_regression``. A run that cannot be judged, a missing value or a missing baseline is
never a silent pass: the budget says what it counts as, and the verdict says why.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from peac.baseline import Baseline, Missing
from peac.measures import series_key
from peac.significance import adjust, rank_test
from peac.spec.plan import BudgetPlan, Limits, ObjectivePlan

Outcome = Literal["pass", "warn", "fail"]
Status = Literal["pass", "warn", "fail", "no-baseline", "invalid"]
_RANK = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class HeadRun:
    """One run of the head commit, as plain values."""

    name: str
    values: Mapping[str, float]
    invalid: str  # why it cannot be judged, '' when it can


@dataclass(frozen=True)
class Reference:
    """What history says about one objective's series."""

    baseline: Baseline | Missing
    recent: tuple[float, ...] = ()  # last values on the base branch, oldest first


@dataclass(frozen=True)
class Fired:
    """A budget limit that was crossed."""

    tier: Outcome  # warn or fail
    limit: str  # max, min, max_regression
    threshold: float
    message: str


@dataclass(frozen=True)
class ObjectiveVerdict:
    objective: ObjectivePlan
    status: Status
    outcome: Outcome  # what the status counts as for the budget
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

    @property
    def baseline(self) -> Baseline | None:
        ref = self.reference
        return ref.baseline if ref and isinstance(ref.baseline, Baseline) else None


@dataclass(frozen=True)
class Verdict:
    budget: str
    outcome: Outcome
    headline: str
    invalid: str  # why the head run(s) cannot be judged, '' when they can
    objectives: tuple[ObjectiveVerdict, ...]
    correction: str
    alpha: float
    min_effect: float
    runs: int
    notes: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == "fail" else 0


def _tiers(objective: ObjectivePlan) -> list[tuple[Outcome, Limits]]:
    tiers: list[tuple[Outcome, Limits]] = []
    if objective.fail is not None:
        tiers.append(("fail", objective.fail))
    if objective.warn is not None:
        tiers.append(("warn", objective.warn))
    return tiers


def has_regression_limit(objective: ObjectivePlan) -> bool:
    return any(limits.max_regression is not None for _, limits in _tiers(objective))


def _absolute(objective: ObjectivePlan, value: float) -> list[Fired]:
    fired = []
    for tier, limits in _tiers(objective):
        if limits.max is not None and value > limits.max:
            fired.append(Fired(tier, "max", limits.max, "above its maximum"))
        if limits.min is not None and value < limits.min:
            fired.append(Fired(tier, "min", limits.min, "below its minimum"))
    return fired


def _worst(outcomes: Sequence[Outcome]) -> Outcome:
    return max(outcomes, key=lambda o: _RANK[o], default="pass")


@dataclass
class _Draft:
    objective: ObjectivePlan
    value: float | None
    runs: tuple[float, ...]
    reference: Reference | None
    effect: float | None = None
    test: str = ""
    p_value: float | None = None


def _compare(draft: _Draft, head_runs: int) -> None:
    """Effect size and one-sided p-value of the head against the baseline."""
    ref = draft.reference
    if ref is None or not isinstance(ref.baseline, Baseline) or draft.value is None:
        return
    base = ref.baseline
    worse = "greater" if base.higher_is_worse else "less"
    if head_runs >= 2 and len(base.samples) >= 3 and len(draft.runs) >= 2:
        draft.p_value = rank_test(draft.runs, base.samples, worse)
        draft.effect = base.effect(float(statistics.median(draft.runs)))
        draft.test = f"Mann-Whitney U, {len(draft.runs)} head vs {len(base.samples)} base runs"
    else:
        draft.p_value = base.p_value(draft.value)
        draft.effect = base.effect(draft.value)
        draft.test = f"forecast bound at {base.confidence:.0%}"


def evaluate(
    budget: BudgetPlan,
    head: Sequence[HeadRun],
    merged: Mapping[str, float],
    references: Mapping[str, Reference],
) -> Verdict:
    """The verdict on ``head`` (its runs, and their exact merge) for every objective of
    ``budget``; ``references`` holds the history of each objective, keyed by its name."""
    policy = budget.policy
    alpha = 1.0 - policy.confidence
    invalid = "; ".join(dict.fromkeys(f"{r.name}: {r.invalid}" for r in head if r.invalid))
    if not head:
        invalid = "no result for the head commit"
    drafts = []
    for objective in budget.objectives:
        key = series_key(objective.step, objective.metric, objective.stat)
        runs = tuple(r.values[key] for r in head if key in r.values and not r.invalid)
        draft = _Draft(objective, merged.get(key), runs, references.get(objective.name))
        _compare(draft, len(head))
        drafts.append(draft)

    tested = [d for d in drafts if d.p_value is not None]
    adjusted = dict(
        zip(
            (id(d) for d in tested),
            adjust([d.p_value or 0.0 for d in tested], policy.correction),
            strict=True,
        )
    )
    verdicts = [_judge(d, adjusted.get(id(d)), budget, alpha) for d in drafts]

    outcome = _worst([v.outcome for v in verdicts])
    notes = []
    if invalid:
        notes.append(f"the run cannot be judged: {invalid} (invalid_run: {budget.invalid_run})")
        outcome = _worst([outcome, _as_outcome(budget.invalid_run)])
    key_failed = [v.objective.name for v in verdicts if v.objective.key and v.outcome == "fail"]
    headline = _headline(outcome, verdicts, invalid, key_failed)
    return Verdict(
        budget=budget.name,
        outcome=outcome,
        headline=headline,
        invalid=invalid,
        objectives=tuple(sorted(verdicts, key=lambda v: not v.objective.key)),
        correction=policy.correction,
        alpha=alpha,
        min_effect=policy.min_effect,
        runs=len(head),
        notes=tuple(notes),
    )


def _as_outcome(policy: str) -> Outcome:
    return "fail" if policy == "fail" else "warn" if policy == "warn" else "pass"


def _judge(
    draft: _Draft, p_adjusted: float | None, budget: BudgetPlan, alpha: float
) -> ObjectiveVerdict:
    objective, policy = draft.objective, budget.policy
    notes: list[str] = []
    if draft.value is None:
        where = f'step "{objective.step}"' if objective.step else "the run"
        status: Status = "invalid"
        notes.append(f"no value: {where} has nothing to measure {objective.metric} on")
        return ObjectiveVerdict(
            objective,
            status,
            _as_outcome(budget.invalid_run),
            None,
            draft.runs,
            draft.reference,
            notes=tuple(notes),
        )
    fired = _absolute(objective, draft.value)
    significant = p_adjusted is not None and p_adjusted < alpha
    base = draft.reference.baseline if draft.reference else None
    if isinstance(base, Baseline) and draft.effect is not None:
        for tier, limits in _tiers(objective):
            if limits.max_regression is None:
                continue
            threshold = max(limits.max_regression, policy.min_effect)
            if significant and draft.effect > threshold:
                fired.append(
                    Fired(tier, "max_regression", limits.max_regression, "worse than the baseline")
                )
        creep = _creep(base, policy.min_effect, alpha)
        if creep and has_regression_limit(objective):
            notes.append(creep)
            fired.append(Fired("warn", "max_regression", policy.min_effect, "creeping"))
    outcome = _worst([f.tier for f in fired])
    status = outcome
    if isinstance(base, Missing) and has_regression_limit(objective):
        notes.append(f"no baseline: {base.reason} (missing_baseline: {budget.missing_baseline})")
        if outcome == "pass" or _RANK[_as_outcome(budget.missing_baseline)] > _RANK[outcome]:
            status = "no-baseline"
            outcome = _worst([outcome, _as_outcome(budget.missing_baseline)])
    return ObjectiveVerdict(
        objective,
        status,
        outcome,
        draft.value,
        draft.runs,
        draft.reference,
        effect=draft.effect,
        test=draft.test,
        p_value=draft.p_value,
        p_adjusted=p_adjusted,
        significant=significant,
        fired=tuple(fired),
        notes=tuple(notes),
    )


def _creep(base: Baseline, min_effect: float, alpha: float) -> str:
    """A slow, steady worsening over the window that no single commit made significant."""
    worse = base.drift if base.higher_is_worse else -base.drift
    if base.since is not None or base.drift_p >= alpha or not min_effect < worse < math.inf:
        return ""
    return (
        f"creeping: {base.drift:+.1%} along the trend of the last {base.window} commits "
        f"(Mann-Kendall p={base.drift_p:.3f})"
    )


def _headline(
    outcome: Outcome, verdicts: Sequence[ObjectiveVerdict], invalid: str, key_failed: list[str]
) -> str:
    counts = {s: sum(v.status == s for v in verdicts) for s in ("fail", "warn", "no-baseline")}
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    detail = ", ".join(parts) if parts else f"all {len(verdicts)} objectives pass"
    text = f"{outcome.upper()}: {detail}"
    if key_failed:
        text += f"; key objective(s) failed: {', '.join(key_failed)}"
    if invalid:
        text += f"; run cannot be judged ({invalid})"
    return text
