"""Budget changes in review, decided purely: what a pull request did to a budget (``compare``),
which of it needs approval and who gave it (``review``), which waivers are in force
(``in_force``). No git, no files, no clock: the caller passes both budgets, the policy of the
base branch, what CI says about approval, and today's date.

What counts as loosening: a ``max`` or ``max_regression`` raised or dropped, a ``min`` lowered or
dropped, an objective's regression check lowered (fail -> warn -> off), its direction flipped,
an objective removed; for the whole budget: a higher ``confidence`` or ``min_effect``, a more
conservative ``correction`` (none -> bh -> holm), a lower ``check``, ``invalid_run`` or
``missing_baseline``. A new limit or objective is tightening. Objectives are matched by what
they measure (step, metric, statistic), so a rename is not a removal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from peac.model.budget_changes import Approval, Change, ChangePolicy, Kind, Reviewed, Waiver
from peac.model.objectives import Objective, Rules, Tier
from peac.model.units import written

NONE = "none"
_CHECK_RANK = {None: 0, Tier.PASS: 0, Tier.WARN: 1, Tier.FAIL: 2}
_CORRECTION_RANK = {"none": 0, "bh": 1, "holm": 2}  # higher: fewer regressions found
_TIER_RANK = {"pass": 0, "warn": 1, "fail": 2}
_EPSILON = 1e-9


def _relative(before: float, after: float) -> float:
    if before == 0:
        return 0.0 if after == 0 else math.copysign(math.inf, after)
    return after / before - 1.0


def _limit_changes(old: Objective, new: Objective, path: str) -> list[Change]:
    changes = []
    for tier in (Tier.WARN, Tier.FAIL):
        old_limits = old.fail if tier is Tier.FAIL else old.warn
        new_limits = new.fail if tier is Tier.FAIL else new.warn
        for key in ("max", "min", "max_regression"):
            before = getattr(old_limits, key) if old_limits is not None else None
            after = getattr(new_limits, key) if new_limits is not None else None
            if before == after:
                continue
            setting = f"{tier}.{key}"
            unit = "percent" if key == "max_regression" else new.unit
            shown = (
                written(before, unit) if before is not None else NONE,
                written(after, unit) if after is not None else NONE,
            )
            line = new.line_of(setting) if after is not None else new.source.line
            if before is None:
                changes.append(
                    Change(path, line, new.name, setting, Kind.TIGHTENED, *shown, None, tier)
                )
                continue
            if after is None:
                changes.append(
                    Change(path, line, new.name, setting, Kind.LOOSENED, *shown, math.inf, tier)
                )
                continue
            relative = _relative(before, after)
            looser = after < before if key == "min" else after > before
            kind = Kind.LOOSENED if looser else Kind.TIGHTENED
            changes.append(Change(path, line, new.name, setting, kind, *shown, relative, tier))
    return changes


def _objective_changes(old: Objective, new: Objective, path: str, same_check: bool) -> list[Change]:
    changes = _limit_changes(old, new, path)
    line = new.source.line
    if same_check and old.regression != new.regression:
        lower = _CHECK_RANK[new.regression] < _CHECK_RANK[old.regression]
        kind = Kind.LOOSENED if lower else Kind.TIGHTENED
        changes.append(
            Change(
                path,
                line,
                new.name,
                "regression",
                kind,
                str(old.regression or "off"),
                str(new.regression or "off"),
                math.inf if kind is Kind.LOOSENED else None,
                old.regression if kind is Kind.LOOSENED else new.regression,
            )
        )
    if old.higher_is_worse != new.higher_is_worse:
        names = ("higher_is_worse", "lower_is_worse")
        shown = names if old.higher_is_worse else names[::-1]
        changes.append(Change(path, line, new.name, "direction", Kind.LOOSENED, *shown, math.inf))
    return changes


def _policy_changes(base: Rules, head: Rules, path: str) -> list[Change]:
    """The budget-wide settings: each listed with the way it moves the gate."""
    old, new = base.policy, head.policy
    # setting, before, after as ranks or numbers, and +1: a higher value is more lenient
    pairs: list[tuple[str, float, float, int]] = [
        ("regression.confidence", old.confidence, new.confidence, 1),
        ("regression.min_effect", old.min_effect, new.min_effect, 1),
        ("regression.window", old.window, new.window, 0),
        (
            "regression.correction",
            _CORRECTION_RANK[old.correction],
            _CORRECTION_RANK[new.correction],
            1,
        ),
        ("regression.check", _TIER_RANK.get(old.check, 0), _TIER_RANK.get(new.check, 0), -1),
        ("invalid_run", _TIER_RANK[base.invalid_run], _TIER_RANK[head.invalid_run], -1),
        (
            "missing_baseline",
            _TIER_RANK[base.missing_baseline],
            _TIER_RANK[head.missing_baseline],
            -1,
        ),
    ]
    shown = {
        "regression.confidence": (f"{old.confidence:.4g}", f"{new.confidence:.4g}"),
        "regression.min_effect": (
            written(old.min_effect, "percent"),
            written(new.min_effect, "percent"),
        ),
        "regression.window": (str(old.window), str(new.window)),
        "regression.correction": (old.correction, new.correction),
        "regression.check": (old.check, new.check),
        "invalid_run": (str(base.invalid_run), str(head.invalid_run)),
        "missing_baseline": (str(base.missing_baseline), str(head.missing_baseline)),
    }
    changes = []
    for setting, before, after, looser in pairs:
        if before == after:
            continue
        if looser == 0:
            kind = Kind.CHANGED
        else:
            kind = Kind.LOOSENED if (after - before) * looser > 0 else Kind.TIGHTENED
        relative = (
            _relative(float(before), float(after))
            if setting in ("regression.confidence", "regression.min_effect")
            else (math.inf if kind is Kind.LOOSENED else None)
        )
        changes.append(
            Change(
                path,
                head.line_of(setting),
                None,
                setting,
                kind,
                *shown[setting],
                relative,
                None,
            )
        )
    return changes


def compare(base: Rules | None, head: Rules | None, path: str) -> list[Change]:
    """What changed from ``base`` to ``head`` (either may be absent: a new or deleted budget),
    in the order of the head file; removed objectives at the end, at their base lines."""
    if base is None and head is None:
        return []
    if base is None:
        assert head is not None
        return [
            Change(path, o.source.line, o.name, "objective", Kind.ADDED, NONE, NONE)
            for o in head.objectives
        ]
    if head is None:
        return [
            Change(path, o.source.line, o.name, "objective", Kind.REMOVED, NONE, NONE, math.inf)
            for o in base.objectives
        ]
    changes = _policy_changes(base, head, path)
    old = {o.series_key: o for o in base.objectives}
    new = {o.series_key: o for o in head.objectives}
    same_check = base.policy.check == head.policy.check
    for key, objective in new.items():
        before = old.get(key)
        if before is None:
            changes.append(
                Change(
                    path, objective.source.line, objective.name, "objective", Kind.ADDED, NONE, NONE
                )
            )
        else:
            changes += _objective_changes(before, objective, path, same_check)
    changes.sort(key=lambda c: c.line)
    changes += [
        Change(path, o.source.line, o.name, "objective", Kind.REMOVED, NONE, NONE, math.inf)
        for key, o in old.items()
        if key not in new
    ]
    return changes


def needs_approval(change: Change, policy: ChangePolicy) -> tuple[bool, str]:
    """Whether ``change`` needs approval under ``policy``, and why not when it does not."""
    if change.kind is Kind.REMOVED or change.setting == "waiver":
        return True, ""
    if change.kind is not Kind.LOOSENED:
        return False, ""
    threshold = policy.warn_threshold if change.tier is Tier.WARN else policy.fail_threshold
    relative = change.relative
    if relative is not None and math.isfinite(relative) and abs(relative) <= threshold + _EPSILON:
        name = "loosen_threshold" if change.tier is Tier.WARN else "fail_loosen_threshold"
        return False, f"within {name} {written(threshold, 'percent')}"
    return True, ""


def review(
    changes: Iterable[Change],
    policy: ChangePolicy,
    approval: Approval,
    waivers: Sequence[Waiver] = (),
) -> tuple[Reviewed, ...]:
    """Each change with whether it needs approval and who gave it: an approver or label from
    CI approves every change; a waiver in force approves the loosening of its own objective
    (never a waiver added by the same pull request: that needs an approver or label)."""
    who = approval.by()
    by_objective = {w.objective: w for w in waivers}
    out = []
    for change in changes:
        needed, why = needs_approval(change, policy)
        approved = ""
        if needed:
            waiver = by_objective.get(change.objective or "")
            if who:
                approved = who
            elif waiver is not None and change.setting != "waiver":
                approved = (
                    f"waiver by {waiver.by} until {waiver.expires.isoformat()} ({waiver.location})"
                )
        out.append(Reviewed(change, needed, approved, why))
    return tuple(out)


def in_force(waivers: Iterable[Waiver], today: date) -> tuple[list[Waiver], list[Waiver]]:
    """The waivers that apply ``today`` (through their ``expires`` date), and those expired."""
    current: list[Waiver] = []
    expired: list[Waiver] = []
    for waiver in waivers:
        (current if today <= waiver.expires else expired).append(waiver)
    return current, expired


def _same(a: Waiver, b: Waiver) -> bool:
    return (a.budget, a.objective, a.reason, a.by, a.expires, a.created) == (
        b.budget,
        b.objective,
        b.reason,
        b.by,
        b.expires,
        b.created,
    )


@dataclass(frozen=True)
class Settlement:
    """What the gate applies: the reviewed changes, and the waivers in force by objective."""

    reviewed: tuple[Reviewed, ...]
    waivers: dict[str, Waiver]
    notes: tuple[str, ...]


def settle(
    changes: Sequence[Change],
    policy: ChangePolicy,
    approval: Approval,
    base_waivers: Sequence[Waiver],
    head_waivers: Sequence[Waiver],
    today: date,
) -> Settlement:
    """Changes and waivers of one budget as the gate applies them.

    Waivers on the base branch were reviewed when they merged: in force until they expire. A
    waiver only in the pull request (new or edited) is itself a loosening: listed as "waiver
    added in this pull request", it applies only when an approver or approval label approves
    the pull request.
    """
    added = [
        replace(w, added=True) for w in head_waivers if not any(_same(w, b) for b in base_waivers)
    ]
    base_current, base_expired = in_force(base_waivers, today)
    added_current, added_expired = in_force(added, today)
    waiver_changes = [
        Change(
            w.path,
            w.line,
            w.objective,
            "waiver",
            Kind.LOOSENED,
            NONE,
            f"waiver added in this pull request: waived by {w.by} until "
            f"{w.expires.isoformat()}: {w.reason}",
        )
        for w in added_current
    ]
    reviewed = review([*changes, *waiver_changes], policy, approval, base_current)
    applied = {w.objective: w for w in base_current}
    if approval.by():
        applied.update({w.objective: w for w in added_current})
    notes = tuple(
        f"waiver of {w.objective} expired on {w.expires.isoformat()} ({w.location}): "
        "not applied; remove it or renew it with peac waive"
        for w in [*base_expired, *added_expired]
    )
    return Settlement(reviewed, applied, notes)
