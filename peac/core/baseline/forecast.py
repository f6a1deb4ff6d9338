"""Forecast models for one series and the baseline they give.

Candidates: the segment mean (white noise around a level), simple exponential smoothing
ETS(A,N,N) (a level that wanders) and damped-trend ETS(A,Ad,N) (a drift that fades), fitted with
statsmodels and compared by AICc; durations and rates are modelled on a log scale, where their
noise is closer to symmetric and changes are relative. Short segments borrow their noise level
from the whole window; a constant series gets a zero-width interval and says so.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from peac.core.baseline.cleaning import change_points, outliers
from peac.model.baseline import Baseline, Diagnostics, Fit, Missing
from peac.model.series import Point

MIN_POINTS = 3
MIN_MODEL_POINTS = 8  # below this only the mean model is fitted
MIN_TREND_POINTS = 12
AICC_MARGIN = 2.0
MAX_MODEL_POINTS = 100  # the next commit's forecast needs the recent past, not all of it


def p_value(base: Baseline, value: float) -> float:
    """Chance, under the forecast, of a value at least this much worse than expected."""
    from scipy import stats

    if value <= 0 and base.log_scale:
        return 1.0 if base.higher_is_worse else 0.0
    z = base.transform(value) - base.fit.center
    if not base.higher_is_worse:
        z = -z
    if base.fit.scale <= 0:
        return 0.0 if z > 1e-12 else 1.0
    return float(stats.t.sf(z / base.fit.scale, base.fit.df))


def _aicc(llf: float, k: int, n: int) -> float:
    if n - k - 1 <= 0:
        return math.inf
    return -2.0 * llf + 2.0 * k + 2.0 * k * (k + 1) / (n - k - 1)


def _gaussian_llf(residuals: NDArray[np.float64]) -> float:
    n = len(residuals)
    variance = max(float(np.mean(residuals**2)), 1e-300)
    return -0.5 * n * (math.log(2 * math.pi * variance) + 1.0)


def fit_mean(y: NDArray[np.float64], pooled: tuple[float, float] | None = None) -> Fit:
    """Level = the segment mean; with ``pooled`` (sd, df) the noise comes from the whole window."""
    n = len(y)
    center = float(np.mean(y))
    if pooled is not None:
        sd, df = pooled
        name = "mean (noise pooled over the window)"
    else:
        sd = float(np.std(y, ddof=1)) if n > 1 else 0.0
        df = n - 1
        name = "mean"
    return Fit(
        name, center, sd * math.sqrt(1 + 1 / n), max(df, 1), _aicc(_gaussian_llf(y - center), 2, n)
    )


def _fit_ets(y: NDArray[np.float64], trend: bool) -> Fit | None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(y)
    k = 5 if trend else 2  # smoothing, damping and initial states (sigma counted below)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = ETSModel(y, error="add", trend="add" if trend else None, damped_trend=trend)
            fitted = model.fit(disp=False)
            center = float(np.asarray(fitted.forecast(1))[0])
            residuals = np.asarray(fitted.resid, dtype=float)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not (math.isfinite(center) and np.all(np.isfinite(residuals))):
        return None
    sd = math.sqrt(float(np.sum(residuals**2)) / max(n - k, 1))
    name = "ETS(A,Ad,N)" if trend else "ETS(A,N,N)"
    return Fit(name, center, sd, max(n - k, 1), _aicc(float(fitted.llf), k + 1, n))


def fit_line(y: NDArray[np.float64]) -> Fit:
    """A straight trend line (OLS) and its exact one-step prediction interval."""
    n = len(y)
    x = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    sd = math.sqrt(float(np.sum(residuals**2)) / max(n - 2, 1))
    leverage = 1 + 1 / n + (n - x.mean()) ** 2 / float(np.sum((x - x.mean()) ** 2))
    center = float(intercept + slope * n)
    return Fit(
        "linear trend",
        center,
        sd * math.sqrt(leverage),
        max(n - 2, 1),
        _aicc(_gaussian_llf(residuals), 3, n),
    )


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


def _pooled_noise(y: NDArray[np.float64], starts: Sequence[int]) -> tuple[float, float]:
    """Within-segment standard deviation over all segments, and its degrees of freedom."""
    bounds = [0, *starts, len(y)]
    squares, df = 0.0, 0
    for a, b in itertools.pairwise(bounds):
        part = y[a:b]
        squares += float(np.sum((part - part.mean()) ** 2))
        df += len(part) - 1
    return (math.sqrt(squares / df) if df > 0 else 0.0), float(max(df, 1))


def _trend(y: NDArray[np.float64]) -> tuple[float, float]:
    """Total change along a Theil-Sen line over the series, and the Mann-Kendall p-value."""
    from scipy import stats

    if len(y) < 4 or float(np.ptp(y)) == 0.0:
        return 0.0, 1.0
    x = np.arange(len(y), dtype=float)
    slope = float(stats.theilslopes(y, x).slope)
    p = float(stats.kendalltau(x, y).pvalue)
    return slope * (len(y) - 1), p if math.isfinite(p) else 1.0


def baseline(
    points: Sequence[Point],
    *,
    higher_is_worse: bool,
    log_scale: bool,
    confidence: float = 0.95,
) -> Baseline | Missing:
    """The baseline for the commit after ``points`` (oldest first, one per commit with runs)."""
    from scipy import stats

    if not points:
        return Missing("no comparable runs recorded on the base branch in the window")
    values = np.array([p.value for p in points], dtype=float)
    if log_scale and np.any(values <= 0):
        log_scale = False
    y = np.log(values) if log_scale else values
    floor = 0.005 if log_scale else 0.005 * max(abs(float(np.median(y))), 1e-9)
    out = set(outliers(y, floor))
    kept = [i for i in range(len(points)) if i not in out]
    if len(kept) < MIN_POINTS:
        return Missing(
            f"{len(kept)} usable commit(s) with runs on the base branch; a baseline needs "
            f"{MIN_POINTS}",
            len(kept),
        )
    yk = y[kept]
    starts = change_points(yk, floor)
    notes: list[str] = []
    if len(starts) > 1 and _trend_beats_steps(yk, starts):
        starts = []
        notes.append("a steady trend explains the window better than level shifts")
    start = starts[-1] if starts else 0
    if len(yk) - start > MAX_MODEL_POINTS:
        start = len(yk) - MAX_MODEL_POINTS
        notes.append(f"models fitted on the last {MAX_MODEL_POINTS} commits")
    segment = yk[start:]
    considered: tuple[str, ...]
    if float(np.ptp(segment)) == 0.0 and (not starts or _pooled_noise(yk, starts)[0] == 0.0):
        fit = Fit("constant", float(segment[0]), 0.0, 1.0, math.inf)
        considered = ("constant",)
        notes.append("every value equal: any change beyond the minimum effect counts")
    elif len(segment) < MIN_MODEL_POINTS:
        pooled = _pooled_noise(yk, starts) if starts else None
        fit = fit_mean(segment, pooled)
        considered = ("mean",)
        if not starts:
            notes.append(f"too few commits for a time-series model ({len(segment)})")
    else:
        fits = [f for f in (fit_mean(segment), _fit_ets(segment, trend=False)) if f is not None]
        if len(segment) >= MIN_TREND_POINTS:
            line = fit_line(segment)
            fits.append(line)
            if line.aicc < fits[0].aicc:  # a damped trend is only worth fitting given a trend
                damped = _fit_ets(segment, trend=True)
                fits += [damped] if damped is not None else []
        # Candidates go from simple to complex; a more complex model must earn its place by
        # more than AICC_MARGIN, or noise alone makes trends appear (and false alarms follow).
        best = min(f.aicc for f in fits)
        fit = next(f for f in fits if f.aicc <= best + AICC_MARGIN)
        considered = tuple(f.name for f in fits)
    quantile = float(stats.t.ppf(confidence, fit.df)) if fit.scale > 0 else 0.0
    worse = 1.0 if higher_is_worse else -1.0
    bound = fit.center + worse * quantile * fit.scale
    back: Callable[[float], float] = math.exp if log_scale else float
    used = [points[kept[i]] for i in range(start, len(kept))]
    drift, drift_p = _trend(yk[-MAX_MODEL_POINTS:])
    median = float(np.median(yk))
    relative_drift = math.expm1(drift) if log_scale else drift / median if median else 0.0
    return Baseline(
        expected=back(fit.center),
        bound=back(bound),
        confidence=confidence,
        higher_is_worse=higher_is_worse,
        log_scale=log_scale,
        fit=fit,
        considered=considered,
        commits=tuple(p.commit for p in used),
        window=len(points),
        since=used[0].commit if starts else None,
        excluded=tuple(points[i].commit for i in sorted(out)),
        samples=tuple(v for p in used for v in p.values),
        drift=relative_drift,
        drift_p=drift_p,
        notes=tuple(notes),
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
    errors, squares, alarms = [], [], 0
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
    if not squares:
        return None
    return Diagnostics(
        forecasts=len(squares),
        mape=float(np.mean(errors)) if errors else 0.0,
        rmse=math.sqrt(float(np.mean(squares))),
        alarm_rate=alarms / len(squares),
    )
