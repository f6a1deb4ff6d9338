"""Budget changes in review, decided purely: what a pull request did to a budget (``compare``),
which of it needs approval and who gave it (``review``), which waivers are in force
(``in_force``). No git, no files, no clock: the caller passes both budgets, the policy of the
base branch, what CI says about approval, and today's date.

What counts as loosening: a ``max`` or ``max_regression`` raised or dropped, a ``min`` lowered or
dropped, an objective's regression check lowered (fail -> warn -> off), its direction flipped,
an objective removed; for the whole budget: a higher ``confidence`` or ``min_effect``, a more
conservative ``correction`` (none -> bh -> holm), a lower ``check``, ``invalid_run`` or
``missing_baseline``. A new limit or objective is tightening. Objectives are matched by what
they measure (step, metric, statistic), so a rename is not a removal; budgets by the scenario
they judge (``pair``), so a moved budget is compared with itself, and the move is a change of
its own. Every setting is compared as the gate applies it, after defaults: an objective's own
regression check against the one it had, whatever the budget-wide check says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from peac.model.budget_changes import (
    Approval,
    BudgetAt,
    Change,
    ChangePolicy,
    Kind,
    Reviewed,
    Waiver,
)
from peac.model.objectives import Objective, Rules, Tier
from peac.model.units import written

NONE = "none"
_CHECK_RANK = {None: 0, Tier.PASS: 0, Tier.WARN: 1, Tier.FAIL: 2}
_CORRECTION_RANK = {"none": 0, "bh": 1, "holm": 2}  # higher: fewer regressions found
_TIER_RANK = {"pass": 0, "warn": 1, "fail": 2}
_EPSILON = 1e-9
# Settings of a whole file: never lenient or strict by themselves, but what a pull request
# uses to slip a budget out of its review (a move out of ci.budgets, a link to a copy).
FILE_SETTINGS = ("budget file", "scenario")


def _same_limit(before: float | None, after: float | None) -> bool:
    """Equal as the gate sees them: ``50ms`` and ``50000us`` are one limit."""
    if before is None or after is None:
        return before is after
    return math.isclose(before, after, rel_tol=_EPSILON, abs_tol=1e-15)


def _relative(before: float, after: float) -> float:
    if before == 0:
        return 0.0 if after == 0 else math.copysign(math.inf, after)
    return after / before - 1.0


def _limit_changes(old: Objective, new: Objective, path: str) -> list[Change]:
    changes = []
    ident = new.series_key
    for tier in (Tier.WARN, Tier.FAIL):
        old_limits = old.fail if tier is Tier.FAIL else old.warn
        new_limits = new.fail if tier is Tier.FAIL else new.warn
        for key in ("max", "min", "max_regression"):
            before = getattr(old_limits, key) if old_limits is not None else None
            after = getattr(new_limits, key) if new_limits is not None else None
            if _same_limit(before, after):
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
                    Change(path, line, new.name, setting, Kind.TIGHTENED, *shown, None, tier, ident)
                )
                continue
            if after is None:
                changes.append(
                    Change(
                        path, line, new.name, setting, Kind.LOOSENED, *shown, math.inf, tier, ident
                    )
                )
                continue
            relative = _relative(before, after)
            looser = after < before if key == "min" else after > before
            kind = Kind.LOOSENED if looser else Kind.TIGHTENED
            changes.append(
                Change(path, line, new.name, setting, kind, *shown, relative, tier, ident)
            )
    return changes


def _objective_changes(old: Objective, new: Objective, path: str) -> list[Change]:
    changes = _limit_changes(old, new, path)
    line = new.source.line
    ident = new.series_key
    # The effective check on both sides (the objective's own, else the budget's): lowering
    # every objective's check while raising the budget's is a loosening of each objective.
    if old.regression != new.regression:
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
                ident,
            )
        )
    if old.higher_is_worse != new.higher_is_worse:
        names = ("higher_is_worse", "lower_is_worse")
        shown = names if old.higher_is_worse else names[::-1]
        changes.append(
            Change(path, line, new.name, "direction", Kind.LOOSENED, *shown, math.inf, None, ident)
        )
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


def _objective(o: Objective, path: str, kind: Kind) -> Change:
    relative = math.inf if kind is Kind.REMOVED else None
    return Change(
        path, o.source.line, o.name, "objective", kind, NONE, NONE, relative, None, o.series_key
    )


def compare(
    base: Rules | None, head: Rules | None, path: str, base_path: str | None = None
) -> list[Change]:
    """What changed from ``base`` to ``head`` (either may be absent: a new or deleted budget),
    in the order of the head file; removed objectives at the end, at their lines in the base
    file (``base_path``, when the budget moved)."""
    old_path = base_path or path
    if base is None and head is None:
        return []
    if base is None:
        assert head is not None
        return [_objective(o, path, Kind.ADDED) for o in head.objectives]
    if head is None:
        return [_objective(o, old_path, Kind.REMOVED) for o in base.objectives]
    changes = _policy_changes(base, head, path)
    old = {o.series_key: o for o in base.objectives}
    new = {o.series_key: o for o in head.objectives}
    for key, objective in new.items():
        before = old.get(key)
        if before is None:
            changes.append(_objective(objective, path, Kind.ADDED))
        else:
            changes += _objective_changes(before, objective, path)
    changes.sort(key=lambda c: c.line)
    changes += [_objective(o, old_path, Kind.REMOVED) for key, o in old.items() if key not in new]
    return changes


def pair(
    base: Sequence[BudgetAt], head: Sequence[BudgetAt]
) -> list[tuple[BudgetAt | None, BudgetAt | None]]:
    """The budgets of two revisions matched by what they judge, not where they are written:
    the same file and name first, then the same scenario and name (a moved file), then the
    one budget of a scenario on each side (a moved and renamed one), then the same file (a
    budget pointed at another scenario). What is left is added or removed."""
    left, right = list(base), list(head)
    pairs: list[tuple[BudgetAt | None, BudgetAt | None]] = []
    rules: list[Callable[[BudgetAt, BudgetAt], bool]] = [
        lambda a, b: (a.path, a.name) == (b.path, b.name),
        lambda a, b: (a.scenario, a.name) == (b.scenario, b.name),
        lambda a, b: (
            a.scenario == b.scenario
            and sum(x.scenario == a.scenario for x in left) == 1
            and sum(y.scenario == b.scenario for y in right) == 1
        ),
        lambda a, b: (
            a.path == b.path
            and sum(x.path == a.path for x in left) == 1
            and sum(y.path == b.path for y in right) == 1
        ),
    ]
    for matches in rules:
        for a in list(left):
            found = next((b for b in right if matches(a, b)), None)
            if found is not None:
                pairs.append((a, found))
                left.remove(a)
                right.remove(found)
    pairs += [(None, b) for b in right]
    pairs += [(a, None) for a in left]
    return pairs


def compare_budgets(old: BudgetAt | None, new: BudgetAt | None) -> list[Change]:
    """The changes of one pair from ``pair``: its settings, and the move of its file or the
    change of the scenario it judges, each of which needs approval like a loosening."""
    if old is None and new is None:
        return []
    changes = compare(
        old.rules if old else None,
        new.rules if new else None,
        new.path if new else old.path if old else "",
        old.path if old else None,
    )
    if old is not None and new is not None:
        line = new.rules.line or 1
        if old.path != new.path:
            changes.insert(
                0,
                Change(new.path, line, None, "budget file", Kind.CHANGED, old.path, new.path),
            )
        if old.scenario != new.scenario:
            changes.insert(
                0,
                Change(
                    new.path,
                    new.rules.line_of("scenario"),
                    None,
                    "scenario",
                    Kind.CHANGED,
                    old.scenario,
                    new.scenario,
                ),
            )
    return changes


def linked(path: str, target: str) -> Change:
    """A budget read through a link: the file a reviewer sees in the diff is not the one
    judged, so it needs approval like a move."""
    return Change(path, 1, None, "budget file", Kind.CHANGED, path, f"a link to {target}")


def needs_approval(change: Change, policy: ChangePolicy) -> tuple[bool, str]:
    """Whether ``change`` needs approval under ``policy``, and why not when it does not."""
    if change.kind is Kind.REMOVED or change.setting in ("waiver", *FILE_SETTINGS):
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
    by_key = {w.key: w for w in waivers if w.key}
    out = []
    for change in changes:
        needed, why = needs_approval(change, policy)
        approved = ""
        if needed:
            waiver = by_key.get(change.key) if change.key else None
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
    waivers: dict[str, Waiver]  # by what the objective measures (``Objective.series_key``)
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
    applied = {w.key: w for w in base_current if w.key}
    if approval.by():
        applied.update({w.key: w for w in added_current if w.key})
    notes = tuple(
        f"waiver of {w.objective} expired on {w.expires.isoformat()} ({w.location}): "
        "not applied; remove it or renew it with peac waive"
        for w in [*base_expired, *added_expired]
    ) + tuple(
        f"waiver of {w.objective} ({w.location}): the budget has no objective of that name"
        + (" on the base branch" if not w.added else "")
        + "; not applied"
        for w in [*base_current, *added_current]
        if not w.key
    )
    return Settlement(reviewed, applied, notes)
