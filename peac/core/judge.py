"""The judge: a budget's rules, the head commit's runs and the base branch's series in; one
verdict with its evidence out. Pure: no git, no files, no printing, no clock.

Each objective is judged twice. Against the budget's absolute limits (``max``/``min``), and
against history: a regression counts only when it is significant (beyond the forecast's
prediction bound, and beyond the window's one-commit blips as far, after Holm or
Benjamini-Hochberg correction across the run's objectives; several runs are judged by their
median) AND larger than both the policy's ``min_effect`` and the
tier's ``max_regression``. A run that cannot be judged, a missing value or a missing baseline is
never a silent pass: the rules say what it counts as, and the verdict says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from peac.core.baseline.assess import Assessment, assess_points
from peac.core.limits import breaches
from peac.core.significance import adjust
from peac.model.baseline import Baseline, Missing
from peac.model.budget_changes import Reviewed, Waiver
from peac.model.metrics import tail_share
from peac.model.objectives import Objective, Policy, Rules, Tier, worst
from peac.model.series import Series
from peac.model.verdict import (
    Fired,
    HeadRun,
    Limit,
    ObjectiveVerdict,
    Reference,
    Status,
    Verdict,
)

RECENT = 20  # history values kept for the sparkline
SHORT_HISTORY = 8  # commits with runs below which a regression is at most the short_history tier
TAIL_SAMPLES = 5  # requests beyond a percentile below which it is too few to fail on


def has_regression_limit(objective: Objective) -> bool:
    return any(limits.max_regression is not None for _, limits in objective.tiers())


def reference(
    objective: Objective, series: Series | None, policy: Policy, head: Sequence[float]
) -> tuple[Reference, Assessment]:
    """The baseline of one objective's series and the default check of the head's runs
    against it; the runs left out of history are named when there is no baseline."""
    points = series.points if series is not None else []
    check = assess_points(
        points,
        head,
        higher_is_worse=objective.higher_is_worse,
        log_scale=objective.log_scale,
        confidence=policy.confidence,
        min_effect=policy.min_effect,
    )
    base = check.baseline
    if isinstance(base, Missing) and series is not None and series.skipped:
        base = Missing(f"{base.reason} (runs left out: {series.skipped_text()})", base.n)
    recent = tuple(series.values()[-RECENT:]) if series is not None else ()
    return Reference(base, recent), check


@dataclass
class _Draft:
    objective: Objective
    value: float | None
    runs: tuple[float, ...]
    reference: Reference
    effect: float | None = None
    test: str = ""
    p_value: float | None = None
    measurable: bool = False  # the change exceeds one step of the values' grid
    model_p: float | None = None  # the forecast's p-value before the blip rank
    blips: int = 0  # the window's one-commit jumps at least as far as the head
    requests: int | None = None  # the head's requests behind the value (None: unknown)


def _one(value: float | None) -> tuple[float, ...]:
    return () if value is None else (value,)


def judge(
    rules: Rules,
    head: Sequence[HeadRun],
    merged: Mapping[str, float],
    history: Mapping[str, Series],
    *,
    waivers: Mapping[str, Waiver] | None = None,
    changes: Sequence[Reviewed] = (),
) -> Verdict:
    """The verdict on ``head`` (its runs, and ``merged``: the values of their exact merge) for
    every objective of ``rules``; ``history`` holds the base branch's series of each
    objective, keyed by ``Objective.series_key``.

    ``waivers`` (by what the objective measures, its series key; already in force:
    ``peac.core.budget_changes.settle``) turn an objective's row into ``waived``, which counts
    as a pass; ``changes`` are the budget's reviewed changes: one that needs approval and has
    none fails the verdict."""
    policy = rules.policy
    invalid = "; ".join(dict.fromkeys(f"{r.name}: {r.invalid}" for r in head if r.invalid))
    if not head:
        invalid = "no result for the head commit"
    drafts = []
    for objective in rules.objectives:
        key = objective.series_key
        runs = tuple(r.values[key] for r in head if key in r.values and not r.invalid)
        value = merged.get(key)
        ref, check = reference(objective, history.get(key), policy, runs or _one(value))
        draft = _Draft(objective, value, runs, ref)
        # Each run's value rests on its own requests: the fewest is what a percentile stands on.
        where = objective.step or ""
        counts = [r.requests[where] for r in head if where in r.requests and not r.invalid]
        draft.requests = min(counts) if counts else None
        if check.p_value is not None:
            draft.p_value = check.p_value
            draft.effect = check.effect
            draft.measurable = check.measurable
            draft.model_p = check.model_p_value
            draft.blips = check.blips
            runs_note = f", median of {len(runs)} runs" if len(runs) > 1 else ""
            draft.test = f"forecast bound at {policy.confidence:.0%}{runs_note}"
        drafts.append(draft)

    tested = [d for d in drafts if d.p_value is not None]
    adjusted = _corrected(tested, [d.p_value or 0.0 for d in tested], policy)
    # The same correction on the forecast's p-values alone: a head that only a blip in the
    # window keeps from significance is still worth a warning.
    model = _corrected(tested, [d.model_p or 0.0 for d in tested], policy)
    verdicts = [
        _judge_one(d, adjusted.get(id(d)), rules, len(tested), model.get(id(d))) for d in drafts
    ]
    verdicts = [_waive(v, (waivers or {}).get(v.objective.series_key)) for v in verdicts]

    outcome = worst([v.outcome for v in verdicts])
    notes = []
    if invalid:
        notes.append(f"the run cannot be judged: {invalid} (invalid_run: {rules.invalid_run})")
        outcome = worst([outcome, rules.invalid_run])
    # An objective that just failed or warned showed its change: no excuse about power for it.
    weak = [v for v in verdicts if v.underpowered and v.outcome is Tier.PASS]
    advice = []
    if weak:
        names = ", ".join(v.objective.name for v in weak[:5]) + (", ..." if len(weak) > 5 else "")
        advice.append(
            f"{len(weak)} of {len(verdicts)} objectives ({names}) cannot show a regression of "
            f"their limit's size with one run per commit ({policy.correction} over "
            f"{len(tested)}): "
            "record 3 or more runs per commit (peac run several times, peac record each)"
        )
    key_failed = [v.objective.name for v in verdicts if v.objective.key and v.outcome is Tier.FAIL]
    blocked = [r for r in changes if r.blocked]
    if blocked:
        outcome = Tier.FAIL
    headline = _headline(outcome, verdicts, invalid, key_failed)
    if blocked:
        where = ", ".join(dict.fromkeys(r.change.location for r in blocked))
        headline += f"; budget loosened without approval ({where})"
    return Verdict(
        budget=rules.name,
        outcome=outcome,
        headline=headline,
        invalid=invalid,
        objectives=tuple(sorted(verdicts, key=lambda v: not v.objective.key)),
        correction=policy.correction,
        alpha=policy.alpha,
        min_effect=policy.min_effect,
        runs=len(head),
        notes=tuple(notes),
        advice=tuple(advice),
        changes=tuple(changes),
    )


def _corrected(
    tested: Sequence[_Draft], p_values: Sequence[float], policy: Policy
) -> dict[int, float]:
    """The p-values after the policy's correction over the tested objectives, by draft id."""
    return dict(zip((id(d) for d in tested), adjust(p_values, policy.correction), strict=True))


def _waive(verdict: ObjectiveVerdict, waiver: Waiver | None) -> ObjectiveVerdict:
    """The row of a waived objective: judged all the same (the reader sees what the waiver
    hides), but counted as a pass."""
    if waiver is None:
        return verdict
    notes = (f"{waiver.describe()}; would be {verdict.status} without it", *verdict.notes)
    return replace(
        verdict,
        status=Status.WAIVED,
        outcome=Tier.PASS,
        waiver=waiver,
        waived=verdict.status,
        notes=notes,
    )


def _judge_one(
    draft: _Draft,
    p_adjusted: float | None,
    rules: Rules,
    tests: int,
    model_adjusted: float | None = None,
) -> ObjectiveVerdict:
    objective, policy = draft.objective, rules.policy
    notes: list[str] = []
    underpowered = False
    trend = ""
    if draft.value is None or not math.isfinite(draft.value):
        where = f'step "{objective.step}"' if objective.step else "the run"
        if draft.value is None:
            notes.append(f"no value: {where} has nothing to measure {objective.metric} on")
        else:
            notes.append(f"no value: {objective.metric} of {where} is not a number")
        return ObjectiveVerdict(
            objective,
            Status.INVALID,
            rules.invalid_run,
            None,
            draft.runs,
            draft.reference,
            notes=tuple(notes),
        )
    fired = breaches(objective, draft.value)
    significant = p_adjusted is not None and p_adjusted < policy.alpha
    base = draft.reference.baseline
    if isinstance(base, Baseline) and draft.effect is not None:
        for tier, limits in objective.tiers():
            if limits.max_regression is None:
                continue
            threshold = max(limits.max_regression, policy.min_effect)
            # A change no bigger than one step of the values' own grid is not a change.
            if significant and draft.measurable and draft.effect > threshold:
                fired.append(
                    Fired(tier, Limit.REGRESSION, limits.max_regression, "worse than the baseline")
                )
        default_check = objective.regression if not has_regression_limit(objective) else None
        worse = significant and draft.measurable and draft.effect > policy.min_effect
        if default_check is not None and worse:
            message = "worse than the baseline (the default regression check)"
            fired.append(Fired(default_check, Limit.DEFAULT, policy.min_effect, message))
        fired = _capped_on_short_history(fired, draft, base, policy, notes)
        blip = _blip(draft, model_adjusted, policy)
        if blip and not any(f.limit in (Limit.REGRESSION, Limit.DEFAULT) for f in fired):
            fired.append(Fired(Tier.WARN, Limit.BLIP, policy.min_effect, blip))
        # The base branch's own slow trend is not this change's doing: said apart, once per
        # verdict, never as a warning on the pull request (every PR would carry it).
        creep = _creep(base, policy.min_effect, policy.alpha)
        if creep and (has_regression_limit(objective) or objective.regression is not None):
            trend = creep
    if isinstance(base, Baseline) and draft.effect is not None and draft.p_value is not None:
        regression_fired = any(f.limit in (Limit.REGRESSION, Limit.DEFAULT) for f in fired)
        if not regression_fired and not any(f.limit is Limit.BLIP for f in fired):
            notes += _why_no_regression(draft, p_adjusted, policy, tests)
        power = _power(draft, base, policy, tests)
        underpowered = bool(power)
        limit = _threshold(objective, policy)
        beyond = draft.p_value < policy.alpha or (limit is not None and draft.effect > limit[0])
        if power and beyond and not regression_fired:  # a caught change needs no excuse
            notes.append(power)
    outcome = worst([f.tier for f in fired])
    status = Status(outcome.value)
    if isinstance(base, Missing) and has_regression_limit(objective):
        notes.append(f"no baseline: {base.reason} (missing_baseline: {rules.missing_baseline})")
        if outcome is Tier.PASS or rules.missing_baseline.rank > outcome.rank:
            status = Status.NO_BASELINE
            outcome = worst([outcome, rules.missing_baseline])
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
        underpowered=underpowered,
        trend=trend,
    )


def _capped_on_short_history(
    fired: list[Fired], draft: _Draft, base: Baseline, policy: Policy, notes: list[str]
) -> list[Fired]:
    """A regression found on a few commits of history, or on a percentile that a handful of
    the head's requests decide, is too likely to be noise to block a merge by itself: it is
    at most ``policy.short_history`` (warn unless the budget says fail). Absolute limits are
    a human's statement and are never capped."""
    cap = Tier(policy.short_history)
    regression = [f for f in fired if f.limit in (Limit.REGRESSION, Limit.DEFAULT)]
    if cap is Tier.FAIL or not any(f.tier.rank > cap.rank for f in regression):
        return fired
    why = []
    if base.window < SHORT_HISTORY:
        why.append(f"{base.window} commits of history (fewer than {SHORT_HISTORY})")
    share = tail_share(draft.objective.stat)
    if draft.requests is not None and share is not None:
        beyond = draft.requests * share
        if beyond < TAIL_SAMPLES:
            why.append(
                f"{draft.requests} requests, {beyond:.1f} beyond its {draft.objective.stat} "
                f"(fewer than {TAIL_SAMPLES})"
            )
    if not why:
        return fired
    notes.append(
        f"a regression on {' and '.join(why)} is at most a {cap} "
        f"(regression.short_history: {policy.short_history}; set it to fail to fail on it)"
    )
    return [
        replace(f, tier=cap) if f in regression and f.tier.rank > cap.rank else f for f in fired
    ]


def _threshold(objective: Objective, policy: Policy) -> tuple[float, str] | None:
    """The smallest regression any check of ``objective`` acts on, and the setting that says
    so (None when no regression check applies)."""
    found = [
        (max(limits.max_regression, policy.min_effect), f"{tier}.max_regression")
        for tier, limits in objective.tiers()
        if limits.max_regression is not None
    ]
    if not found and objective.regression is not None:
        found.append((policy.min_effect, "min_effect"))
    return min(found) if found else None


def _why_no_regression(
    draft: _Draft, p_adjusted: float | None, policy: Policy, tests: int
) -> list[str]:
    """Why a head beyond the forecast bound is still no regression: a value past the bound
    that passes without a word reads as a broken gate."""
    p, effect = draft.p_value, draft.effect
    threshold = _threshold(draft.objective, policy)
    if p is None or effect is None:
        return []
    if p >= policy.alpha:
        if threshold is None or effect <= threshold[0]:
            return []
        return [
            f"{effect:+.1%} is beyond {threshold[1]} {threshold[0]:.0%} but within the "
            f"forecast bound (p={p:.3g}): the base branch's history varies this much"
        ]
    if threshold is None:
        return [
            f"beyond the forecast bound ({effect:+.1%}), but no regression check applies "
            "(regression: off and no max_regression)"
        ]
    if p_adjusted is not None and p_adjusted >= policy.alpha:
        return [
            f"beyond the forecast bound ({effect:+.1%}), but not significant after "
            f"{policy.correction} over {tests} objectives (p={p_adjusted:.3g}; {p:.3g} alone)"
        ]
    if not draft.measurable:
        return [f"{effect:+.1%} is within one step of the values' own grid: not a change"]
    limit, setting = threshold
    if effect <= limit:
        return [f"significant, but {effect:+.1%} is within {setting} {limit:.0%}"]
    return []


def _power(draft: _Draft, base: Baseline, policy: Policy, tests: int) -> str:
    """Say so when a change of the configured size could not be significant at all: with the
    noise of one run per commit and the correction over ``tests`` objectives, the smallest
    significant change can exceed the limit the budget sets."""
    from scipy import stats

    threshold = _threshold(draft.objective, policy)
    if threshold is None or len(draft.runs) > 1 or base.fit.scale <= 0:
        return ""
    alpha = policy.alpha / max(tests, 1) if policy.correction != "none" else policy.alpha
    worse = 1.0 if base.higher_is_worse else -1.0
    edge = base.fit.center + worse * float(stats.t.ppf(1 - alpha, base.fit.df)) * base.fit.scale
    value = math.exp(edge) if base.log_scale else edge
    smallest = base.effect(value)
    limit, setting = threshold
    if not smallest > limit:
        return ""
    return (
        f"with one run per commit and {policy.correction} over {tests} objectives, only a "
        f"change beyond {smallest:+.0%} can be significant ({setting} is {limit:.0%}): record "
        "3 or more runs per commit for power"
    )


def _blip(draft: _Draft, model_adjusted: float | None, policy: Policy) -> str:
    """A head beyond the forecast bound, significant and beyond the smallest regression checked,
    that is no regression only because the window shows one-commit jumps at least as far: it
    may be one more blip, or a step; one run per commit cannot tell which."""
    threshold = _threshold(draft.objective, policy)
    if (
        not draft.blips
        or model_adjusted is None
        or model_adjusted >= policy.alpha
        or draft.effect is None
        or threshold is None
        or draft.effect <= threshold[0]
        or not draft.measurable
    ):
        return ""
    return (
        f"{draft.effect:+.1%} is beyond the forecast bound (p={model_adjusted:.3g} after "
        f"{policy.correction}), but {draft.blips} commit(s) in the window jumped this far for "
        f"one commit (p={draft.p_value:.3g} counting them): a blip or a step; if the next "
        "commit stays there it is judged a regression (re-running this commit's job on "
        "another runner tells sooner)"
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
    outcome: Tier, verdicts: Sequence[ObjectiveVerdict], invalid: str, key_failed: list[str]
) -> str:
    """One line that never contradicts the rows: an unjudgeable run leads, then the counts."""
    counts = {
        s: sum(v.status is s for v in verdicts)
        for s in (Status.FAIL, Status.WARN, Status.NO_BASELINE, Status.INVALID, Status.WAIVED)
    }
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    if invalid:
        text = f"{outcome.upper()}: the run cannot be judged ({invalid})"
        if parts:
            text += "; objectives: " + ", ".join(parts)
    else:
        detail = ", ".join(parts) if parts else f"all {len(verdicts)} objectives pass"
        text = f"{outcome.upper()}: {detail}"
    if key_failed:
        text += f"; key objective(s) failed: {', '.join(key_failed)}"
    return text
