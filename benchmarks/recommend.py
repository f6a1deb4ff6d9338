"""How the limits `peac recommend` proposes hold on later commits: on each real CI history in
../shared/data/histories/, fit on the first 70 % of commits, then count how often the proposed
warn and fail limits are crossed by the remaining 30 %, and how tight they are (the limit over
the median of the fitting window; for a ``min`` limit, the median over the limit), beside a
naive rule (the worst value of the window with 10 % more room).

    .venv/bin/python benchmarks/recommend.py [--quick]

Per series one compact line; then the median series. Targets checked (both modes): for the
median series, the fail limit is crossed by <= 5 % of later commits and is no looser than 1.5x
the fitting window's median; a proposal from only the first 5 or 10 commits is crossed by
<= 10 % of the next 20 (pooled: real histories hold regressions too). The quick mode uses every
third series.

Crossings on later commits are not all false alarms: a real regression after the fitting window
crosses a good limit too (that is its job), so the target allows 5 % where the fail limit aims
at 1 % per commit of an unchanged service.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Report, parser, run
from judgement import HISTORIES, real_series

from peac.recommend import recommend

FIT = 0.7
FIRST = (5, 10)  # the first few commits: a provisional proposal, fit on these alone
FIRST_LATER = 20  # judged on the next commits
MAX_FIRST_CROSSED = 0.10
NAIVE_ROOM = 0.10
MAX_CROSSED = 0.05
MAX_TIGHTNESS = 1.5


def crossed(later: np.ndarray, limit: float | None, higher_is_worse: bool) -> float:
    """Share of later commits beyond the limit (1.0 when there is no limit: nothing held)."""
    if limit is None:
        return math.nan
    beyond = later > limit if higher_is_worse else later < limit
    return float(np.mean(beyond))


def tightness(limit: float | None, median: float, higher_is_worse: bool) -> float:
    """How far the limit sits from the fitting window's median, as a ratio >= 1 when it is on
    the worse side."""
    if limit is None or limit <= 0 or median <= 0:
        return math.nan
    return limit / median if higher_is_worse else median / limit


def evaluate(report: Report, stride: int) -> None:
    if not HISTORIES.is_dir():
        report.check("real histories", "not found", str(HISTORIES), False)
        return
    rows = []
    start = time.perf_counter()
    missing = 0
    for number, (project, bench, values, higher_is_better) in enumerate(real_series()):
        if number % stride:
            continue
        higher_is_worse = not higher_is_better
        cut = int(len(values) * FIT)
        fit, later = values[:cut], values[cut:]
        proposal = recommend(list(fit), higher_is_worse=higher_is_worse)
        median = float(np.median(fit))
        worst = float(np.max(fit)) if higher_is_worse else float(np.min(fit))
        naive = worst * (1 + NAIVE_ROOM) if higher_is_worse else worst * (1 - NAIVE_ROOM)
        if proposal.fail is None:
            missing += 1
            print(f"  {project[:12]:<12} {bench[:44]:<44} no proposal: {proposal.reason}")
            continue
        row = {
            "warn": crossed(later, proposal.warn, higher_is_worse),
            "fail": crossed(later, proposal.fail, higher_is_worse),
            "tight": tightness(proposal.fail, median, higher_is_worse),
            "warn_tight": tightness(proposal.warn, median, higher_is_worse),
            "level_tight": tightness(
                proposal.fail,
                float(np.median([fit[int(c, 16)] for c in proposal.commits])),
                higher_is_worse,
            ),
            "naive": crossed(later, naive, higher_is_worse),
            "naive_tight": tightness(naive, median, higher_is_worse),
        }
        rows.append(row)
        print(
            f"  {project[:12]:<12} {bench[:44]:<44} n={len(values):<4} "
            f"warn {row['warn']:6.1%} fail {row['fail']:6.1%} x{row['tight']:.2f}  "
            f"naive {row['naive']:6.1%} x{row['naive_tight']:.2f}"
        )
    seconds = time.perf_counter() - start
    if not rows:
        report.check("series with a proposal", "0", ">= 1", False)
        return

    def median_of(key: str) -> float:
        found = [r[key] for r in rows if not math.isnan(r[key])]
        return statistics.median(found) if found else math.nan

    fail, warn, tight = median_of("fail"), median_of("warn"), median_of("tight")
    print(
        f"\n{len(rows)} series ({missing} without a proposal), fit on the first {FIT:.0%}, "
        f"judged on the rest; {seconds:.1f}s"
    )
    print(
        f"overall (median series): recommended warn crossed by {warn:.1%}, fail by {fail:.1%} "
        f"of later commits; fail x{tight:.2f}, warn x{median_of('warn_tight'):.2f} "
        f"the fitting window's median (fail x{median_of('level_tight'):.2f} the median of the "
        "current level it was fitted on)"
    )
    print(
        f"overall (median series): naive max+{NAIVE_ROOM:.0%} crossed by "
        f"{median_of('naive'):.1%} of later commits; x{median_of('naive_tight'):.2f} the median"
    )
    everything = [r["fail"] for r in rows]
    print(f"overall (all series pooled, mean): fail crossed by {float(np.mean(everything)):.1%}")
    report.check(
        "fail limit crossed by later commits, median series",
        f"{fail:.1%}",
        f"<= {MAX_CROSSED:.0%}",
        fail <= MAX_CROSSED,
    )
    report.check(
        "fail limit over the fitting window's median, median series",
        f"{tight:.2f}x",
        f"<= {MAX_TIGHTNESS}x",
        tight <= MAX_TIGHTNESS,
    )


def first_commits(report: Report, stride: int) -> None:
    """The project's first few commits with results: a proposal from them alone (marked
    provisional), judged on the next ``FIRST_LATER`` commits, pooled over the series."""
    for first in FIRST:
        crossings = judged = provisional = 0
        for number, (_, _, values, higher_is_better) in enumerate(real_series()):
            if number % stride or len(values) < first + FIRST_LATER:
                continue
            higher_is_worse = not higher_is_better
            proposal = recommend(list(values[:first]), higher_is_worse=higher_is_worse)
            if proposal.fail is None:
                continue
            provisional += bool(proposal.provisional)
            later = values[first : first + FIRST_LATER]
            beyond = later > proposal.fail if higher_is_worse else later < proposal.fail
            crossings += int(np.sum(beyond))
            judged += len(later)
        share = crossings / judged if judged else math.nan
        print(
            f"first {first} commits: fail crossed by {share:.1%} of the next {FIRST_LATER} "
            f"commits (pooled, {judged} commits; {provisional} proposals marked provisional)"
        )
        report.check(
            f"fail limit from the first {first} commits crossed by the next {FIRST_LATER}",
            f"{share:.1%}",
            f"<= {MAX_FIRST_CROSSED:.0%}",
            share <= MAX_FIRST_CROSSED,
        )


def main() -> int:
    args = parser(__doc__).parse_args()
    stride = 3 if args.quick else 1

    def both(report: Report) -> None:
        evaluate(report, stride)
        first_commits(report, stride)

    return run("recommend", args.quick, both)


if __name__ == "__main__":
    sys.exit(main())
