"""What the base branch's history says the next commit should measure, with a prediction
interval whose coverage is checked on real CI histories (``benchmarks/judgement.py``).

The window is cleaned of isolated outliers, cut at its last level shift (``changes.py``), and
the next value forecast by the segment's recent level (a trimmed mean) or, when a trend is
clear, its Theil-Sen line. The interval is not a model's formula: it is read from the
forecaster's own one-step errors over the window (a rolling-origin backtest, each error from its
own segment's past), by a robust scale (Qn, from statsmodels) under a Student-t, never narrower
than the errors' own 85 % quantile carried to the confidence by the same Student-t, nor than the
values' measurement step (quantised series get a floor, not a zero-width interval).

Two things a one-value-per-commit series cannot tell apart are handled on purpose:

- A level that moved in the last few commits (beyond the earlier bound, too recent for a change
  point): the head is judged against the new level, so the commits after a regression that
  already landed are not blamed for it again.
- A one-commit blip: real CI histories jump for one commit (a noisy runner) far more often than
  a Student-t says, and most failed commits on them were such blips. The jumps the window has
  shown are kept; a head that jumps no further than one of them is not significant at 95 % in
  a 30-commit window: its p-value is at least the conformal rank ``(1 + m) / (n + 1)`` of the
  ``m`` jumps as large among ``n`` commits. A second jump in a row is no blip and is judged on
  the model alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from peac.core.baseline.changes import change_points, pooled_sd, short_step
from peac.core.baseline.cleaning import outliers
from peac.model.baseline import Baseline, Diagnostics, Fit, Missing
from peac.model.series import Point

MIN_POINTS = 3
MIN_TREND_POINTS = 12
MAX_MODEL_POINTS = 100  # the next commit's forecast needs the recent past, not all of it
LEVEL_POINTS = 20  # the level is the trimmed mean of this many latest values of the segment
TREND_ALPHA = 0.01  # a trend must be this clear before the forecast follows it
MIN_RESIDUALS = 8  # backtest errors needed before the interval is read from them
# The errors' quantile that bounds the interval: the 85 % order statistic varies far less than
# the largest of ~25 errors (the 95 % one), and one-commit blips are answered by their own
# p-value instead. Chosen on benchmarks/judgement.py (then with 8 degrees of freedom): real
# coverage 0.942, detection +2-4 points against the largest error.
FLOOR_QUANTILE = 0.85
MAX_TAIL = 4  # commits at a new level before a change point can take over (MIN_SEGMENT - 1)
# The predictive Student-t's degrees of freedom; a tail heavier still widens the interval
# through the backtest quantile. On benchmarks/judgement.py, 5 against 8: real coverage 0.940
# (0.935), fails per 100 commits 2.93 (3.16), median series 2.60 (3.04), for 1-1.5 points of
# detection of +10 % / +20 % steps on the generator.
TAIL_DF = 5.0
DEFAULT_FLOOR = 0.025  # half the default min_effect (5 %)
SCALE_FACTOR = 1.0  # calibration of the robust scale (benchmarks/judgement.py)


def p_value(base: Baseline, value: float) -> float:
    """Chance of a value at least this much worse than expected: under the forecast, and no
    less than the conformal rank of the window's one-commit jumps that went as far."""
    return max(model_p_value(base, value), blip_p_value(base, value))


def model_p_value(base: Baseline, value: float) -> float:
    """Chance, under the forecast's Student-t, of a value at least this much worse."""
    from scipy import stats

    if value <= 0 and base.log_scale:
        return 1.0 if base.higher_is_worse else 0.0
    z = base.transform(value) - base.fit.center
    if not base.higher_is_worse:
        z = -z
    if base.fit.scale <= 0:
        return 0.0 if z > 1e-12 else 1.0
    return float(stats.t.sf(z / base.fit.scale, base.fit.df))


def blip_p_value(base: Baseline, value: float) -> float:
    """The conformal p-value of a head among the window's one-commit jumps: ``(1 + m) /
    (n + 1)`` when ``m`` of the ``n`` commits jumped at least as far (0 when none did)."""
    m = base.jumps_as_far(value)
    return (1 + m) / (base.window + 1) if m else 0.0


def _trend_beats_steps(y: NDArray[np.float64], starts: Sequence[int]) -> bool:
    """Whether one straight line explains the window better (BIC) than the level shifts found:
    a steady drift looks like many small steps to a change-point detector."""
    n = len(y)
    x = np.arange(n, dtype=float)
    line = np.polyval(np.polyfit(x, y, 1), x)
    sse_line = max(float(np.sum((y - line) ** 2)), 1e-300)
    bounds = [0, *starts, n]
    sse_steps = max(
        sum(float(np.sum((y[a:b] - y[a:b].mean()) ** 2)) for a, b in pairwise(bounds)),
        1e-300,
    )
    bic_line = n * math.log(sse_line / n) + 3 * math.log(n)
    bic_steps = n * math.log(sse_steps / n) + (2 * len(starts) + 2) * math.log(n)
    return bic_line <= bic_steps


def _trend(y: NDArray[np.float64]) -> tuple[float, float]:
    """Total change along a Theil-Sen line over the series, and the Mann-Kendall p-value."""
    from scipy import stats

    if len(y) < 4 or float(np.ptp(y)) == 0.0:
        return 0.0, 1.0
    x = np.arange(len(y), dtype=float)
    slope = float(stats.theilslopes(y, x).slope)
    p = float(stats.kendalltau(x, y).pvalue)
    return slope * (len(y) - 1), p if math.isfinite(p) else 1.0


def resolution(values: NDArray[np.float64]) -> float:
    """The smallest step between distinct values (0 when there are fewer than two): a series
    read from quantised measurements (HDR buckets, millisecond timers) cannot show changes
    smaller than this, so none is ever a regression."""
    distinct = np.unique(values[np.isfinite(values)])
    if len(distinct) < 2:
        return 0.0
    return float(np.min(np.diff(distinct)))


def _mann_kendall(y: NDArray[np.float64]) -> float:
    """Two-sided p-value of a monotone trend (Mann-Kendall, no ties correction), in numpy."""
    n = len(y)
    s = float(np.sum(np.triu(np.sign(y[None, :] - y[:, None]), 1)))
    variance = n * (n - 1) * (2 * n + 5) / 18.0
    if variance <= 0 or s == 0:
        return 1.0
    z = (s - math.copysign(1.0, s)) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2.0))


def _level(segment: NDArray[np.float64]) -> tuple[float, str]:
    """The forecast of the value after ``segment``: its recent level (a 20 % trimmed mean of
    the last ``LEVEL_POINTS``), or the Theil-Sen line's next value when a trend is clear."""
    n = len(segment)
    if n >= MIN_TREND_POINTS and _mann_kendall(segment) < TREND_ALPHA:
        i, j = np.triu_indices(n, 1)
        slope = float(np.median((segment[j] - segment[i]) / (j - i)))
        x = np.arange(n, dtype=float)
        intercept = float(np.median(segment - slope * x))
        return intercept + slope * n, "trend (Theil-Sen)"
    recent = np.sort(segment[-LEVEL_POINTS:])
    cut = len(recent) // 5  # a 20 % trimmed mean: near the mean's efficiency, robust to blips
    return float(np.mean(recent[cut : len(recent) - cut])), "level"


def _residuals(y: NDArray[np.float64], starts: Sequence[int]) -> NDArray[np.float64]:
    """One-step-ahead errors of ``_level`` over the window, each from its own segment's past:
    the rolling-origin backtest the prediction interval is calibrated on."""
    found = []
    bounds = [0, *starts, len(y)]
    for a, b in pairwise(bounds):
        for t in range(a + MIN_POINTS, b):
            # Scaled to one noise unit: a level read from few values errs more.
            found.append((y[t] - _level(y[a:t])[0]) / _spread_of(t - a))
    return np.asarray(found, dtype=float)


def _spread_of(points: int) -> float:
    """How much wider a one-step error is than the noise, for a level read from ``points``
    values (the trimmed mean of at most ``LEVEL_POINTS``)."""
    return math.sqrt(1.0 + 1.0 / min(points, LEVEL_POINTS))


def baseline(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    confidence: float = 0.95,
    floor: float = DEFAULT_FLOOR,
    follow_recent: bool = True,
) -> Baseline | Missing:
    """The baseline for the commit after ``points`` (oldest first, one per commit with runs).
    ``floor`` is the smallest relative shift worth a change point (half the policy's
    min_effect). When the last commits moved beyond the earlier bound, the head is judged
    against their level (see the module's docstring) unless ``follow_recent`` is off (a limit
    sized for the months ahead must not follow one commit)."""
    options = {"higher_is_worse": higher_is_worse, "log_scale": log_scale}
    full = _fit(points, **options, confidence=confidence, floor=floor)
    if not isinstance(full, Baseline) or not follow_recent:
        return full
    valid = [p for p in points if p.values and all(math.isfinite(v) for v in p.values)]
    moved: tuple[int, Baseline] | None = None
    for k in range(1, MAX_TAIL + 1):
        if len(valid) - k < MIN_POINTS + 2:
            break
        prior = _fit(valid[:-k], **options, confidence=confidence, floor=floor)
        if (
            not isinstance(prior, Baseline)
            or prior.log_scale != full.log_scale
            or not all(_beyond(prior, p.value) for p in valid[-k:])
        ):
            break
        moved = (k, prior)
    if moved is None:
        return full
    k, prior = moved
    tail = valid[-k:]
    if k == 1:
        return _one_jump(full, prior, tail[0], confidence)
    if not _agree(prior, tail):
        return full  # unlike values (a blip among them?) make no level to follow
    return _moved(full, prior, tail, confidence)


def _exp(x: float) -> float:
    """``exp`` that saturates at the largest float instead of raising (a window of 1e-300
    beside 1 has a log-scale bound beyond any float)."""
    return math.exp(min(x, 709.0))


def _beyond(base: Baseline, value: float) -> bool:
    """Whether ``value`` is past ``base``'s bound on the worse side (a value the log scale
    cannot take makes no level to follow)."""
    if base.log_scale and value <= 0:
        return False
    return value > base.bound if base.higher_is_worse else value < base.bound


def _noise(base: Baseline) -> float:
    """One commit's noise on the model scale (the bound's scale less the level's error)."""
    return base.fit.scale / _spread_of(base.n)


def _agree(prior: Baseline, tail: Sequence[Point]) -> bool:
    """Whether the tail's values sit at one level: within the earlier noise's two-sided
    95 % range of each other (a blip among them is judged as one, not followed)."""
    values = [prior.transform(p.value) for p in tail]
    return max(values) - min(values) <= 2 * 1.96 * _noise(prior) * math.sqrt(2.0)


def _one_jump(full: Baseline, prior: Baseline, last: Point, confidence: float) -> Baseline:
    """The last commit alone went beyond the bound: one commit makes no level. Judged against
    the earlier level, with the last commit counted among the window's jumps, as far as it
    went plus one commit's noise (a head at its level may be the same change, which was
    judged when it was the head: it warns; a head clearly further out fails), unless the
    window had already shown such jumps: then the last commit was let pass as a possible
    blip, and a head out there again is a level that moved, judged on the forecast alone."""
    from scipy import stats

    if prior.jumps_as_far(last.value):
        note = (
            f"{last.commit[:7]}, the last commit, jumped as far as the window's blips did; "
            "the head out there again is no blip"
        )
        return replace(full, jumps=(), notes=(*full.notes, note))
    worse = 1.0 if prior.higher_is_worse else -1.0
    margin = float(stats.t.ppf(confidence, prior.fit.df)) * _noise(prior) * math.sqrt(2.0)
    jump = worse * (prior.transform(last.value) - prior.fit.center) + margin
    note = f"{last.commit[:7]} went beyond the bound alone: counted as a jump, not a level"
    return replace(full, jumps=tuple(sorted((*prior.jumps, jump))), notes=(*full.notes, note))


def _moved(full: Baseline, prior: Baseline, tail: Sequence[Point], confidence: float) -> Baseline:
    """The baseline at the level of the last ``tail`` commits, which all sit beyond the
    earlier bound on the worse side and agree with each other: a regression that already
    landed on the base branch, too recent for a change point, and judged when it came. The
    noise is the earlier segment's."""
    from scipy import stats

    center = float(np.median([prior.transform(p.value) for p in tail]))
    scale = _noise(prior) * _spread_of(len(tail))
    worse = 1.0 if prior.higher_is_worse else -1.0
    bound = center + worse * float(stats.t.ppf(confidence, prior.fit.df)) * scale
    back: Callable[[float], float] = _exp if prior.log_scale else float
    if (full.expected - prior.bound) * worse > 0 and (back(bound) - full.bound) * worse <= 0:
        # The whole window's forecast already sits at the new level (a change point took it
        # over) and its bound is as far out: nothing to follow. A forecast still at the old
        # level is not kept for its width: that width is the step, not noise.
        return full
    note = (
        f"the last {len(tail)} commit(s) moved beyond the earlier bound "
        f"({prior.bound:.6g}) since {tail[0].commit[:7]}: judged against their level, the "
        "change is already on the base branch"
    )
    return replace(
        full,
        expected=back(center),
        bound=back(bound),
        fit=Fit(f"level of the last {len(tail)} commit(s)", center, scale, prior.fit.df),
        commits=tuple(p.commit for p in tail),
        since=tail[0].commit,
        samples=tuple(v for p in tail for v in p.values),
        notes=(*prior.notes, note),
        jumps=prior.jumps,
    )


def _starts_level(y: NDArray[np.float64], i: int, residual: float) -> bool:
    """Whether the outlier at ``i`` is the first commit of a level the next two commits
    share (each nearer to it than to the level before): a step, not a blip, so it says
    nothing about how far this series jumps for one commit."""
    after = y[i + 1 : i + 3]
    return len(after) == 2 and bool(np.all(np.abs(after - y[i]) < abs(residual) / 2.0))


def _events(found: dict[int, float], worse: float) -> tuple[float, ...]:
    """The worse-side jumps of the outliers, one per run of consecutive commits (a change
    that lasted three commits and was reverted is one event, not three blips), sorted."""
    events: list[float] = []
    last = -2
    for i in sorted(found):
        jump = worse * found[i]
        if i == last + 1 and events:
            events[-1] = max(events[-1], jump)
        else:
            events.append(jump)
        last = i
    return tuple(sorted(j for j in events if j > 0))


def _fit(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    confidence: float,
    floor: float,
) -> Baseline | Missing:
    """The baseline of the whole window: cleaned, cut at its last change point, forecast."""
    from scipy import stats

    usable = [bool(p.values) and all(math.isfinite(v) for v in p.values) for p in points]
    valid = [p for p, ok in zip(points, usable, strict=True) if ok]
    invalid = [p.commit for p, ok in zip(points, usable, strict=True) if not ok]
    if not valid:
        reason = (
            "no comparable runs recorded on the base branch in the window yet; the baseline "
            f"applies once {MIN_POINTS} commits have runs"
        )
        if invalid:
            reason += f" ({len(invalid)} with values that are not numbers left out)"
        return Missing(reason)
    points = valid
    values = np.array([p.value for p in points], dtype=float)
    nonpositive: list[str] = []
    if log_scale and np.any(values <= 0):
        if 2 * int(np.sum(values <= 0)) < len(values):
            # A few commits at 0 on a log-scale metric (nothing answered) are broken runs,
            # left out and named; they would otherwise turn the whole window to the plain
            # scale with a value grid as coarse as the level itself.
            nonpositive = [p.commit for p, v in zip(points, values, strict=True) if v <= 0]
            points = [p for p, v in zip(points, values, strict=True) if v > 0]
            values = values[values > 0]
        else:
            log_scale = False
    y = np.log(values) if log_scale else values
    step = resolution(values)
    median = float(np.median(values))
    quantum = (math.log1p(step / median) if median > 0 else 0.0) if log_scale else step
    noise_floor = 0.002 if log_scale else 0.002 * max(abs(float(np.median(y))), 1e-12)
    found = outliers(y, max(noise_floor, quantum))
    out = set(found)
    blips = {i: r for i, r in found.items() if not _starts_level(y, i, r)}
    jumps = _events(blips, 1.0 if higher_is_worse else -1.0)
    kept = [i for i in range(len(points)) if i not in out]
    if len(kept) < MIN_POINTS:
        return Missing(
            f"{len(kept)} usable commit(s) with runs on the base branch; the baseline applies "
            f"once {MIN_POINTS} have runs ({MIN_POINTS - len(kept)} more)",
            len(kept),
        )
    yk = y[kept][-MAX_MODEL_POINTS:]
    offset = len(kept) - len(yk)
    shift_floor = math.log1p(floor) if log_scale else floor * abs(float(np.median(yk)))
    starts = change_points(yk, max(shift_floor, 2 * quantum))
    if not starts:
        step_at = short_step(yk, max(shift_floor, 2 * quantum))
        starts = [step_at] if step_at is not None else []
    notes: list[str] = []
    if len(kept) > MAX_MODEL_POINTS:
        notes.append(f"modelled on the last {MAX_MODEL_POINTS} commits")
    if invalid:
        notes.append(
            f"{len(invalid)} commit(s) with values that are not numbers left out "
            f"({', '.join(c[:7] for c in invalid[:5])})"
        )
    if nonpositive:
        notes.append(
            f"{len(nonpositive)} commit(s) with values <= 0 left out on the log scale "
            f"({', '.join(c[:7] for c in nonpositive[:5])})"
        )
    if len(starts) > 1 and _trend_beats_steps(yk, starts):
        starts = []
        notes.append("a steady trend explains the window better than level shifts")
    start = starts[-1] if starts else 0
    segment = yk[start:]
    center, name = _level(segment)
    residuals = _residuals(yk, starts)
    if len(residuals) >= MIN_RESIDUALS:
        df = TAIL_DF
        # Qn (statsmodels): a robust scale with 82 % of the standard deviation's efficiency,
        # where the MAD has 37 %; blips in the history do not widen it.
        from statsmodels.robust.scale import qn_scale

        spread = float(qn_scale(residuals))
        # Enough errors to read the one-sided quantile itself (a conformal order
        # statistic): a tail heavier than the Student-t's widens the interval to it.
        worse_errors = np.sort(residuals * (1.0 if higher_is_worse else -1.0))
        level = min(FLOOR_QUANTILE, confidence)
        rank = min(math.ceil((len(worse_errors) + 1) * level), len(worse_errors)) - 1
        spread = max(spread, float(worse_errors[rank]) / float(stats.t.ppf(level, df)))
        scale = SCALE_FACTOR * spread * _spread_of(len(segment))
        how = f"interval from {len(residuals)} one-step backtest errors"
    else:
        # The textbook prediction interval of a few commits: the pooled standard deviation
        # within the window's levels, Student-t with its degrees of freedom. A robust scale
        # read from 3-10 first differences is too erratic here (the bound of 4 commits with
        # 15 % noise reached 7x the level); on benchmarks/judgement.py's generator this one
        # fails fewer unchanged heads at 3-6 commits and catches 82 % of +20 % steps at 8
        # commits where the robust scale caught 61 %.
        scale, df = pooled_sd(yk, starts)
        scale *= math.sqrt(1.0 + 1.0 / len(segment)) * SCALE_FACTOR
        how = f"too few commits to backtest ({len(yk)}): interval from the window's noise"
    scale = max(scale, quantum / 2.0, noise_floor / 4.0)
    fit = Fit(name, center, scale, df)
    notes.append(how)
    if quantum > 0 and quantum >= scale:
        notes.append("values are quantised: changes of one step or less are never a regression")
    quantile = float(stats.t.ppf(confidence, df))
    worse = 1.0 if higher_is_worse else -1.0
    bound = center + worse * quantile * scale
    back: Callable[[float], float] = _exp if log_scale else float
    first = kept[offset + start]
    used = [points[i] for i in kept[offset + start :]]
    drift, drift_p = _trend(yk)
    level = float(np.median(yk))
    relative_drift = math.expm1(min(drift, 709.0)) if log_scale else drift / level if level else 0.0
    return Baseline(
        expected=back(center),
        bound=back(bound),
        confidence=confidence,
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        fit=fit,
        commits=tuple(p.commit for p in used),
        window=len(points) + len(invalid) + len(nonpositive),
        since=points[first].commit if starts else None,
        excluded=tuple(points[i].commit for i in sorted(out)),
        samples=tuple(v for p in used for v in p.values),
        drift=relative_drift,
        drift_p=drift_p,
        notes=tuple(notes),
        resolution=step,
        jumps=jumps,
    )


def diagnostics(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    confidence: float = 0.95,
    last: int = 20,
) -> Diagnostics | None:
    """Rolling-origin backtest over the last ``last`` commits (None when too short)."""
    errors, squares, alarms, covered, widths = [], [], 0, 0, []
    for t in range(max(MIN_POINTS, len(points) - last), len(points)):
        result = baseline(
            points[:t], higher_is_worse=higher_is_worse, log_scale=log_scale, confidence=confidence
        )
        if isinstance(result, Missing):
            continue
        actual = points[t].value
        if actual != 0:
            errors.append(abs(result.expected - actual) / abs(actual))
        squares.append((result.expected - actual) ** 2)
        alarms += p_value(result, actual) < 1 - confidence
        covered += actual <= result.bound if higher_is_worse else actual >= result.bound
        if result.expected:
            widths.append(abs(result.bound / result.expected - 1.0))
    if not squares:
        return None
    return Diagnostics(
        forecasts=len(squares),
        mape=float(np.mean(errors)) if errors else 0.0,
        rmse=math.sqrt(float(np.mean(squares))),
        alarm_rate=alarms / len(squares),
        coverage=covered / len(squares),
        width=float(np.median(widths)) if widths else 0.0,
    )
