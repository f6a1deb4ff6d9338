"""Charts of the report site as geometry: scales, ticks and shapes with numeric coordinates,
which the site's template writes as inline SVG. Drawing in Python (no JavaScript, no library
fetched at view time) keeps the site working offline and from a file:// URL, and a page with a
strict Content-Security-Policy; every label stays text for the template to escape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from peac.model.site import Panel, Trend
from peac.model.units import show

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 40  # margins around the plot area
PALETTE = 6  # series-0 ... series-5 in the stylesheet


@dataclass(frozen=True)
class Mark:
    """A point (a circle), with the text shown when hovered."""

    x: float
    y: float
    css: str
    title: str
    r: float = 4.0


@dataclass(frozen=True)
class Shape:
    """A line (``path``) or a filled area (``polygon``) through points."""

    kind: str  # path or polygon
    points: str  # "x,y x,y ..." for a polygon, an SVG path's "M x y L x y ..." for a path
    css: str
    title: str = ""


@dataclass(frozen=True)
class Rule:
    """A straight line across the plot (a limit, a change point) with its label."""

    x1: float
    y1: float
    x2: float
    y2: float
    css: str
    label: str
    lx: float = 0.0  # where the label is written (0: only as the line's hover title)
    ly: float = 0.0


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    css: str  # trend or run
    width: int
    height: int
    left: int
    top: int
    right: int  # x of the plot's right edge
    bottom: int  # y of the plot's bottom edge
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    areas: tuple[Shape, ...] = ()
    lines: tuple[Shape, ...] = ()
    rules: tuple[Rule, ...] = ()
    marks: tuple[Mark, ...] = ()
    legend: tuple[tuple[str, str], ...] = field(default=())  # (css class, text)
    x_label: str = ""


def fmt(value: float | None, unit: str) -> str:
    """A value in its unit, as the pages show it."""
    if unit == "bytes" and value is not None:
        return f"{value / 1e6:.1f} MB"
    return show(value, unit)


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return float(multiple * power)
    return float(10 * power)


@dataclass(frozen=True)
class Scale:
    """A linear map from data to pixels."""

    low: float
    high: float
    start: float  # pixel of ``low``
    end: float  # pixel of ``high``

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        fraction = 0.5 if span <= 0 else (value - self.low) / span
        return round(self.start + fraction * (self.end - self.start), 2)


def _y_scale(values: Sequence[float], zero: bool) -> tuple[Scale, tuple[float, ...]]:
    """A y scale over ``values`` with round ticks (from zero when ``zero``)."""
    finite = [v for v in values if math.isfinite(v)] or [0.0, 1.0]
    low, high = min(finite), max(finite)
    if zero:
        low = min(low, 0.0)
    if high - low <= 0:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    else:
        pad = (high - low) * 0.08
        low, high = (low if zero and low == 0 else low - pad), high + pad
    step = _nice_step(high - low, 5)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    ticks: list[float] = []
    value = first
    while value <= last + step / 2 and len(ticks) < 12:
        ticks.append(round(value, 12))
        value += step
    return Scale(first, last, HEIGHT - BOTTOM, TOP), tuple(ticks)


def _path(xy: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.2f} {y:.2f}" for i, (x, y) in enumerate(xy))


def _plotted(limit: float, values: Sequence[float]) -> bool:
    """Whether a limit is near enough to the data to draw without flattening it."""
    low, high = min(values), max(values)
    span = max(high - low, abs(high) * 0.05, 1e-12)
    return low - 2 * span <= limit <= high + 2 * span


def trend_chart(trend: Trend) -> Chart:
    """An objective over commits: a point per commit (each run's value faint behind it), the
    forecast of each commit from its past as a line with its interval as a band, the next
    commit's forecast, the budget's limits, change points, outliers and regressions."""
    objective, points = trend.objective, trend.points
    unit = objective.unit
    values = [p.value for p in points] + [v for p in points for v in p.values]
    forecast_values = [
        v for p in points for v in (p.expected, p.bound) if v is not None and math.isfinite(v)
    ]
    if trend.forecast is not None:
        forecast_values += [trend.forecast.expected, trend.forecast.bound]
    limits: list[tuple[str, float, str]] = []
    off_chart: list[tuple[str, float, str]] = []
    for tier, lim in objective.tiers():
        for kind, value in (("max", lim.max), ("min", lim.min)):
            if value is None:
                continue
            sign = "≤" if kind == "max" else "≥"
            label = f"{tier} {sign} {fmt(value, unit)}"
            (limits if values and _plotted(value, values) else off_chart).append(
                (str(tier), value, label)
            )
    scale_values = values + forecast_values + [v for _, v, _ in limits]
    y, ticks = _y_scale(scale_values, zero=False)
    count = len(points) + 1  # one more slot: the next commit's forecast
    x = Scale(0, max(count - 1, 1), LEFT + 10, WIDTH - RIGHT - 10)
    marks: list[Mark] = []
    for i, p in enumerate(points):
        if len(p.values) > 1:
            for v in p.values:
                marks.append(Mark(x(i), y(v), "run", f"{p.commit[:7]} run: {fmt(v, unit)}", 2.0))
    for i, p in enumerate(points):
        css = ["point", p.tier]
        if p.regression:
            css.append("regression")
        if p.outlier:
            css.append("outlier")
        detail = [fmt(p.value, unit)]
        if p.expected is not None:
            detail.append(f"expected {fmt(p.expected, unit)}, bound {fmt(p.bound, unit)}")
        if p.regression:
            detail.append("regression")
        if p.transient:
            detail.append("a regression that did not last (the commits after it came back)")
        if p.outlier:
            detail.append("outlier")
        title = f"{p.commit[:7]} {p.subject[:80]}: " + "; ".join(detail)
        marks.append(Mark(x(i), y(p.value), " ".join(css), title, 5.0 if p.regression else 4.0))
    areas, lines = [], []
    runs: list[list[tuple[int, float, float]]] = []
    for i, p in enumerate(points):
        if p.expected is None or p.bound is None:
            runs.append([])
            continue
        if not runs or not runs[-1]:
            runs.append([])
        runs[-1].append((i, p.expected, p.bound))
    if trend.forecast is not None:
        nxt = (len(points), trend.forecast.expected, trend.forecast.bound)
        if runs and runs[-1] and runs[-1][-1][0] == len(points) - 1:
            runs[-1].append(nxt)
        else:
            runs.append([nxt])
    for run in (r for r in runs if r):
        top = [(x(i), y(b)) for i, _, b in run]
        bottom = [(x(i), y(e)) for i, e, _ in reversed(run)]
        if len(run) == 1:  # one forecast alone: a narrow band around its slot
            (cx, _), (_, ey) = top[0], bottom[0]
            top = [(cx - 6, top[0][1]), (cx + 6, top[0][1])]
            bottom = [(cx + 6, ey), (cx - 6, ey)]
        polygon = " ".join(f"{px:.2f},{py:.2f}" for px, py in top + bottom)
        areas.append(Shape("polygon", polygon, "band", "forecast interval"))
        middle = [(x(i), y(e)) for i, e, _ in run]
        if len(middle) == 1:
            middle = [(middle[0][0] - 6, middle[0][1]), (middle[0][0] + 6, middle[0][1])]
        lines.append(Shape("path", _path(middle), "forecast", "forecast"))
    if len(points) > 1:
        lines.append(
            Shape("path", _path([(x(i), y(p.value)) for i, p in enumerate(points)]), "values")
        )
    if trend.forecast is not None:
        marks.append(
            Mark(
                x(len(points)),
                y(trend.forecast.expected),
                "next",
                f"next commit: expected {fmt(trend.forecast.expected, unit)}, "
                f"bound {fmt(trend.forecast.bound, unit)}",
            )
        )
    rules = [
        Rule(LEFT, y(v), WIDTH - RIGHT, y(v), f"limit {tier}", label, WIDTH - RIGHT - 4, y(v) - 4)
        for tier, v, label in limits
    ]
    for i, p in enumerate(points):
        if p.change_point:
            rules.append(
                Rule(
                    x(i) - 0.5 * (x(1) - x(0)) if len(points) > 1 else x(i),
                    TOP,
                    x(i) - 0.5 * (x(1) - x(0)) if len(points) > 1 else x(i),
                    HEIGHT - BOTTOM,
                    "change",
                    f"level shift at {p.commit[:7]}",  # a hover title: labels would overlap
                )
            )
    step = max(1, math.ceil(len(points) / 8))
    x_ticks = tuple(Tick(x(i), points[i].commit[:7]) for i in range(0, len(points), step))
    legend = [("point", "value per commit"), ("forecast", "forecast from the commits before")]
    legend += [("band", "forecast interval (to the prediction bound)")]
    legend += [(f"limit {tier}", label) for tier, _, label in limits]
    legend += [("off", f"{label} (off the chart)") for _, _, label in off_chart]
    if any(p.change_point for p in points):
        legend.append(("change", "level shift (change point)"))
    if any(p.outlier for p in points):
        legend.append(("outlier", "outlier left out of the forecast"))
    if any(p.regression for p in points):
        legend.append(("regression", "regression: beyond the forecast, significant"))
    return Chart(
        title=f"{objective.name} over commits",
        css="trend",
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        x_ticks=x_ticks,
        y_ticks=tuple(Tick(y(t), fmt(t, unit)) for t in ticks),
        areas=tuple(areas),
        lines=tuple(lines),
        rules=tuple(rules),
        marks=tuple(marks),
        legend=tuple(legend),
        x_label="commit (oldest left)",
    )


def panel_chart(panel: Panel) -> Chart:
    """Lines over a run's seconds, from zero up."""
    values = [v for line in panel.lines for _, v in line.points]
    times = [t for line in panel.lines for t, _ in line.points] or [0.0, 1.0]
    y, ticks = _y_scale(values, zero=True)
    x = Scale(min(times), max(max(times), min(times) + 1), LEFT, WIDTH - RIGHT)
    lines = []
    legend = []
    for n, line in enumerate(panel.lines):
        css = f"series series-{n % PALETTE}"
        lines.append(Shape("path", _path([(x(t), y(v)) for t, v in line.points]), css, line.name))
        legend.append((css, line.name))
    step = _nice_step(x.high - x.low, 6)
    x_ticks: list[Tick] = []
    t = math.ceil(x.low / step) * step
    while t <= x.high and len(x_ticks) < 12:
        x_ticks.append(Tick(x(t), f"{t:g}s"))
        t += step
    return Chart(
        title=panel.title,
        css="run",
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        x_ticks=tuple(x_ticks),
        y_ticks=tuple(Tick(y(v), fmt(v, panel.unit)) for v in ticks),
        lines=tuple(lines),
        legend=tuple(legend),
        x_label="seconds since the start of the run",
    )
