"""Absolute limits (``max``/``min``) recommended from a series' own history (pure: numbers in,
numbers and explanations out; no git, no files).

A budget's limit is a fixed number that every later commit is compared with, so it should be
crossed rarely while the service stays as it is now, and soon when it gets worse. The proposal
reads "as it is now" the way the gate does (``peac.core.baseline.baseline``): the window is
cleaned of isolated outliers and cut at its last level shift, and the calibrated one-sided
prediction bound of the current level is taken at the chosen false-alarm rate (fail) and at a
looser rate (warn). Where the current level has enough commits to read that quantile directly
(a conformal order statistic of its values), the limit is never tighter than it. A trend the
window shows in the worse direction gets headroom for ``HORIZON`` commits of it, so a limit is
not outgrown by the next few commits of a creep it was set on. The number is then rounded
outward to two significant digits (people edit budgets: 320ms, not 0.31174s) and kept at least
one step of the values' own grid from the expected value (a quantised series cannot show less).

The backtest applies the proposal and the budget's current limits to the last commits of the
window: how often each would have warned and failed, and which of the level shifts in that span
(``changes.change_points``) each would have caught.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from peac.core.baseline.changes import change_points
from peac.core.baseline.forecast import DEFAULT_FLOOR, baseline, resolution
from peac.model.baseline import Baseline
from peac.model.recommendation import Backtest, Change, Rates, Recommendation
from peac.model.series import Point

MIN_COMMITS = 3  # commits with values before a proposal is made (as the gate's baseline)
SETTLED = 20  # commits of the current level below which a proposal is provisional
CONFIRM = 0.90  # confidence of the false-alarm rate a short history can confirm
SIGNIFICANT = 2  # digits a proposed limit is rounded to
WARN_FACTOR = 5.0  # warn aims at this many times the fail limit's false-alarm rate
MAX_WARN_RATE = 0.5
HORIZON = 10  # commits of a worsening trend the proposal leaves headroom for
DRIFT_ALPHA = 0.05  # a trend must be this clear (Mann-Kendall) to get headroom
DRIFT_POINTS = 100  # the trend is read from this many latest commits (the baseline's span)
BACKTEST = 30  # commits of the default backtest
NO_LIMITS = Rates(None, None)


def round_outward(value: float, up: bool, *, integer: bool = False) -> float:
    """``value`` rounded to ``SIGNIFICANT`` digits, up (a ``max``) or down (a ``min``), so that
    rounding never makes a limit stricter than the history supports; whole numbers for
    counts."""
    if value == 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(abs(value))) - (SIGNIFICANT - 1)
    if integer:
        exponent = max(exponent, 0)
    step = 10.0**exponent
    quotient = value / step
    tolerance = 1e-9 * abs(quotient)  # 0.32 / 0.01 is 32.000000000000004 in floating point
    whole = math.ceil(quotient - tolerance) if up else math.floor(quotient + tolerance)
    return round(whole * step, max(0, -exponent))


def _step_inward(value: float, up: bool, *, integer: bool = False) -> float:
    """The next two-digit number stricter than ``value`` (below a ``max``, above a ``min``)."""
    if value == 0:
        return value
    exponent = math.floor(math.log10(abs(value))) - (SIGNIFICANT - 1)
    if integer:
        exponent = max(exponent, 0)
    step = 10.0**exponent
    return round(value - step if up else value + step, max(0, -exponent))


def _beyond(value: float, limit: float | None, higher_is_worse: bool) -> bool:
    """Whether ``value`` crosses ``limit`` (a value equal to its limit is within it, as the
    gate's ``core.limits.breaches`` has it)."""
    if limit is None:
        return False
    return value > limit if higher_is_worse else value < limit


def _rate(values: Sequence[float], limit: float | None, higher_is_worse: bool) -> float | None:
    if limit is None or not values:
        return None
    return sum(_beyond(v, limit, higher_is_worse) for v in values) / len(values)


def _changes(
    points: Sequence[Point],
    log_scale: bool,
    higher_is_worse: bool,
    window: int,
    limits: dict[str, float | None],
) -> tuple[Change, ...]:
    """Level shifts that start within the last ``window`` commits, found as the gate finds
    them, with the limits each new level crosses (while the old level did not)."""
    values = np.array([p.value for p in points], dtype=float)
    if len(values) < 2:
        return ()
    scale_log = log_scale and bool(np.all(values > 0))
    y = np.log(values) if scale_log else values
    step = resolution(values)
    median = float(np.median(values))
    if scale_log:
        quantum = math.log1p(step / median) if median > 0 else 0.0
        floor = max(math.log1p(DEFAULT_FLOOR), 2 * quantum)
    else:
        floor = max(DEFAULT_FLOOR * abs(median), 2 * step)
    starts = change_points(y, floor)
    bounds = [0, *starts, len(values)]
    found = []
    for (a, b), c in zip(pairwise(bounds), bounds[2:], strict=False):
        if b < len(values) - window:
            continue
        before = float(np.median(values[a:b]))
        after = float(np.median(values[b:c]))
        worse = after > before if higher_is_worse else after < before
        caught = tuple(
            name
            for name, limit in limits.items()
            if worse
            and _beyond(after, limit, higher_is_worse)
            and not _beyond(before, limit, higher_is_worse)
        )
        found.append(Change(points[b].commit, points[b].date, before, after, worse, caught))
    return tuple(found)


def _backtest(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    window: int,
    proposed: Rates,
    current: Rates,
    level_start: int | None = None,
) -> Backtest:
    last = [p.value for p in points[-window:]]
    start = len(points) if level_start is None else max(level_start, len(points) - window)
    level = [p.value for p in points[start:]]
    limits = {
        "proposed warn": proposed.warn,
        "proposed fail": proposed.fail,
        "current warn": current.warn,
        "current fail": current.fail,
    }
    return Backtest(
        commits=len(last),
        proposed=Rates(
            _rate(last, proposed.warn, higher_is_worse), _rate(last, proposed.fail, higher_is_worse)
        ),
        current=Rates(
            _rate(last, current.warn, higher_is_worse), _rate(last, current.fail, higher_is_worse)
        ),
        changes=_changes(points, log_scale, higher_is_worse, window, limits),
        level_commits=len(level),
        level=Rates(
            _rate(level, proposed.warn, higher_is_worse),
            _rate(level, proposed.fail, higher_is_worse),
        ),
    )


def _drift_per_commit(values: Sequence[float], log_scale: bool) -> tuple[float, float]:
    """Theil-Sen slope per commit (on the log scale for durations and rates) and the
    Mann-Kendall p-value of the trend, over the latest ``DRIFT_POINTS`` commits."""
    from scipy import stats

    y = np.asarray(values[-DRIFT_POINTS:], dtype=float)
    if log_scale:
        y = np.log(y)
    if len(y) < 4 or float(np.ptp(y)) == 0.0:
        return 0.0, 1.0
    x = np.arange(len(y), dtype=float)
    slope = float(stats.theilslopes(y, x).slope)
    p = float(stats.kendalltau(x, y).pvalue)
    return slope, p if math.isfinite(p) else 1.0


def _tier(
    base: Baseline,
    segment: Sequence[float],
    confidence: float,
    headroom: float,
    log_scale: bool,
    level: Sequence[float] = (),
) -> tuple[float, str]:
    """The unrounded limit of one tier and how it was made: the forecast bound, never tighter
    than the current level's own quantile when it has enough commits to read one, moved by
    the drift headroom (on the forecast's scale)."""
    from scipy import stats

    worse = 1.0 if base.higher_is_worse else -1.0
    limit, how = base.bound, f"forecast bound at {confidence:.1%}"
    n = len(segment)
    # The textbook prediction bound of the level's values (mean, standard deviation, Student-t
    # with n - 1 degrees of freedom): exact for a short level of independent normal values,
    # where the forecast's robust scale from a few backtest errors is too narrow in the far
    # tail a fail limit is set at.
    y = np.log(segment) if log_scale else np.asarray(segment, dtype=float)
    if n >= 3:
        # Degrees of freedom of half the commits: neighbouring commits of a CI history are
        # correlated (same runners, same week), so n of them carry about half as much news
        # about the spread as n independent values; it matters only while n is small.
        spread = float(np.std(y, ddof=1)) * math.sqrt(1.0 + 2.0 / n)
        df = max(1.0, (n - 1) / 2)
        textbook = float(np.mean(y)) + worse * float(stats.t.ppf(confidence, df)) * spread
        textbook = math.exp(textbook) if log_scale else textbook
        if worse * textbook > worse * limit:
            limit, how = textbook, f"prediction bound of the current level at {confidence:.1%}"
    # The conformal order statistic: the value a new commit of this level exceeds with
    # probability at most 1 - confidence. With too few commits to read it (rank beyond n), the
    # highest value is still a floor: a limit the level's own commits cross is one its own
    # backtest fires on. Read over every commit of the level (``level``), the isolated spikes
    # the forecast left out included: an absolute limit fails on them too.
    values = list(level) or list(segment)
    rank = math.ceil((len(values) + 1) * confidence)
    ordered = sorted(values, key=lambda v: worse * v)
    empirical = ordered[min(rank, len(values)) - 1]
    if worse * empirical > worse * limit:
        limit = empirical
        how = (
            f"the current level's {confidence:.1%} quantile"
            if rank <= len(values)
            else f"the current level's worst value (too few commits to read its {confidence:.1%}"
            " quantile)"
        )
    if headroom > 0:
        limit = limit * math.exp(worse * headroom) if log_scale else limit + worse * headroom
        how += f" + {HORIZON} commits of drift"
    return limit, how


def confirmable(commits: int) -> float:
    """The highest false-alarm rate that ``commits`` values, none beyond the limit, leave
    plausible: the one-sided Clopper-Pearson bound for 0 events in ``commits`` trials at
    ``CONFIRM``. A short history cannot show a 1 % rate; this says how far it does reach."""
    return 1.0 - (1.0 - CONFIRM) ** (1.0 / commits) if commits else 1.0


def recommend_points(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    false_alarm_rate: float = 0.01,
    warn_factor: float = WARN_FACTOR,
    window: int = BACKTEST,
    current: Rates = NO_LIMITS,
    integer: bool = False,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Recommendation:
    """Warn and fail limits for the series ``points`` (oldest first, one per commit with runs),
    in the worse direction (a ``max`` when ``higher_is_worse``), with the backtest of them and
    of the ``current`` limits over the last ``window`` commits. ``integer`` rounds to whole
    numbers (counts); ``bounds`` are the values a limit can take (0 to 100 % for shares)."""
    if not 0 < false_alarm_rate < 1:
        raise ValueError(f"false_alarm_rate must be between 0 and 1, got {false_alarm_rate}")
    valid = [p for p in points if p.values and all(math.isfinite(v) for v in p.values)]
    warn_rate = min(false_alarm_rate * warn_factor, MAX_WARN_RATE)
    limit = "max" if higher_is_worse else "min"

    def missing(reason: str, expected: float | None = None) -> Recommendation:
        back = _backtest(
            valid,
            higher_is_worse=higher_is_worse,
            log_scale=log_scale,
            window=window,
            proposed=Rates(None, None),
            current=current,
        )
        return Recommendation(
            limit, None, None, expected, false_alarm_rate, warn_rate, back, reason=reason
        )

    if len(valid) < MIN_COMMITS:
        return missing(
            f"{len(valid)} commit(s) with values; a recommendation needs at least {MIN_COMMITS} "
            f"({MIN_COMMITS - len(valid)} more)"
        )
    direction = {"higher_is_worse": higher_is_worse, "log_scale": log_scale}
    fail_base = baseline(valid, confidence=1 - false_alarm_rate, follow_recent=False, **direction)
    warn_base = baseline(valid, confidence=1 - warn_rate, follow_recent=False, **direction)
    if not isinstance(fail_base, Baseline) or not isinstance(warn_base, Baseline):
        missing_base = fail_base if not isinstance(fail_base, Baseline) else warn_base
        return missing(getattr(missing_base, "reason", "no baseline"))
    used = set(fail_base.commits)
    fitted = [p for p in valid if p.commit in used]
    segment = [p.value for p in fitted]
    expected = fail_base.expected
    if max(segment) == min(segment):
        return missing(
            f"the current level is constant ({len(segment)} commits at the same value): "
            "it shows no noise to size a limit by",
            expected,
        )
    scale_log = fail_base.log_scale  # baseline falls back to plain values at zeros
    slope, drift_p = _drift_per_commit([p.value for p in valid], scale_log)
    worse = 1.0 if higher_is_worse else -1.0
    headroom = max(worse * slope, 0.0) * HORIZON if drift_p < DRIFT_ALPHA else 0.0
    first = next(i for i, p in enumerate(valid) if p.commit in used)
    level = [p.value for p in valid[first:]]
    raw_fail, how_fail = _tier(fail_base, segment, 1 - false_alarm_rate, headroom, scale_log, level)
    raw_warn, how_warn = _tier(warn_base, segment, 1 - warn_rate, headroom, scale_log, level)
    step = fail_base.resolution
    nearest = expected + worse * step  # never tighter than one step of the values' grid
    raw_fail = max(raw_fail, nearest) if higher_is_worse else min(raw_fail, nearest)
    raw_warn = max(raw_warn, nearest) if higher_is_worse else min(raw_warn, nearest)
    low, high = bounds
    up = higher_is_worse
    fail = min(max(round_outward(raw_fail, up, integer=integer), low), high)
    warn: float | None = min(max(round_outward(raw_warn, up, integer=integer), low), high)
    warn_reason = ""
    assert warn is not None
    if not _beyond(fail, warn, higher_is_worse):  # warn must fire before fail
        warn = _step_inward(fail, up, integer=integer)
        if _beyond(nearest, warn, higher_is_worse) or warn == fail:
            warn, warn_reason = None, "warn and fail round to the same value"
    method = (
        f"fail: {how_fail}",
        f"warn: {how_warn}",
        fail_base.describe(),
    )
    provisional = ""
    if len(segment) < SETTLED:
        provisional = (
            f"provisional: fitted on {len(segment)} commit(s) of the current level, which can "
            f"only confirm a false-alarm rate below {confirmable(len(segment)):.0%} "
            f"({CONFIRM:.0%} confidence; {false_alarm_rate:.1%} is assumed from the noise's "
            f"shape); run again after {SETTLED} commits"
        )
    back = _backtest(
        valid,
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        window=window,
        proposed=Rates(warn, fail),
        current=current,
        level_start=first,
    )
    return Recommendation(
        limit=limit,
        warn=warn,
        fail=fail,
        expected=expected,
        false_alarm_rate=false_alarm_rate,
        warn_rate=warn_rate,
        backtest=back,
        warn_reason=warn_reason,
        method=method,
        raw_warn=raw_warn,
        raw_fail=raw_fail,
        commits=tuple(p.commit for p in fitted),
        first_date=fitted[0].date,
        last_date=fitted[-1].date,
        resolution=step,
        provisional=provisional,
    )
