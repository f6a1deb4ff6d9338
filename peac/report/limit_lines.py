"""A budget's absolute limits at the end of ``peac run --budget``: one line per objective with
a mark (k6 prints its thresholds the same way), then a count; and the limits of an objective as
one phrase, which the gate's rows also show so that a reader sees what applied."""

from __future__ import annotations

from collections.abc import Sequence

from peac.core.limits import LimitCheck
from peac.model.objectives import Objective, Tier
from peac.model.verdict import Limit
from peac.report import escape
from peac.report.values import show

MARKS = {Tier.PASS: "✓", Tier.WARN: "!", Tier.FAIL: "✗"}


def limits_text(objective: Objective) -> str:
    """``warn ≤ 250 ms, fail ≤ 400 ms``: the limits the budget sets for ``objective``, least
    severe first, regression limits as a relative change."""
    parts = []
    for tier, limits in reversed(objective.tiers()):
        sign = "+" if objective.higher_is_worse else "-"
        settings = [
            *([f"≤ {show(limits.max, objective.unit)}"] if limits.max is not None else []),
            *([f"≥ {show(limits.min, objective.unit)}"] if limits.min is not None else []),
            *(
                [f"{sign}{limits.max_regression * 100:g}% vs baseline"]
                if limits.max_regression is not None
                else []
            ),
        ]
        if settings:
            parts.append(f"{tier} {' '.join(settings)}")
    return ", ".join(parts) or "no limits"


def limit_lines(name: str, path: str, checks: Sequence[LimitCheck], invalid: str) -> str:
    """What the run comes to against the budget's own limits; ``invalid`` says why the run
    cannot be judged at all ('' when it can)."""
    rows = []
    for check in checks:
        o = check.objective
        label = o.name + (" (key)" if o.key else "")
        value = "no value" if check.value is None else show(check.value, o.unit)
        detail = limits_text(o)
        crossed = [f for f in check.fired if f.tier is check.outcome]
        if crossed:
            fired = crossed[0]
            where = f"{path}:{o.line_of(fired.setting)}"
            sign = "≤" if fired.limit is Limit.MAX else "≥"
            detail = (
                f"{fired.tier} {sign} {show(fired.threshold, o.unit)}: {fired.message} ({where})"
            )
        elif check.value is None:
            detail = f"nothing to measure it on (invalid_run: {check.outcome})"
        mark = MARKS[check.outcome]
        if invalid and check.outcome is Tier.PASS:
            # A refused connection's "latency" within a limit says nothing about the service.
            mark, detail = "?", f"{detail} (not judged: the run cannot be judged)"
        rows.append((mark, label, value, detail))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    lines = [f"budget {name} ({path}): absolute limits"]
    lines += [
        f"  {mark} {label.ljust(widths[1])}  {value.rjust(widths[2])}  {detail}"
        for mark, label, value, detail in rows
    ]
    counts = {t: sum(c.outcome is t for c in checks) for t in (Tier.FAIL, Tier.WARN, Tier.PASS)}
    words = {Tier.FAIL: "failed", Tier.WARN: "warned", Tier.PASS: "passed"}
    summary = ", ".join(f"{n} {words[t]}" for t, n in counts.items() if n) or "no objectives"
    if invalid:
        lines.append(f"  ✗ the run cannot be judged: {invalid}")
    lines.append(f"limits: {summary}; history is judged by `peac gate`")
    return escape.text_lines(lines)
