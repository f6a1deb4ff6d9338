"""Baselines and the gate on synthetic series with fixed seeds: pure functions, no git.

Noise levels: 3 % (log-sd) is a quiet dedicated runner, 8 % a shared CI runner.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from peac.baseline import Baseline, Missing, baseline, diagnostics
from peac.gate import HeadRun, Reference, evaluate
from peac.history.series import Point
from peac.measures import series_key
from peac.spec.budget import RegressionPolicy
from peac.spec.plan import BudgetPlan, Limits, ObjectivePlan, ScenarioPlan, Source


def points(values: np.ndarray | list[float], runs: int = 1) -> list[Point]:
    return [
        Point(f"{i:040x}", 1_700_000_000 + i, f"change {i}", (float(v),) * runs)
        for i, v in enumerate(values)
    ]


def noisy(seed: int, n: int, sd: float, level: float = 0.2) -> np.ndarray:
    return level * np.exp(np.random.default_rng(seed).normal(0.0, sd, n))


def latency(values: np.ndarray | list[float]) -> Baseline | Missing:
    return baseline(points(values), higher_is_worse=True, log_scale=True)


def objective(name: str, *, fail_regression: float = 0.1, metric: str = "latency") -> ObjectivePlan:
    lower = metric == "throughput"
    return ObjectivePlan(
        name=name,
        metric=metric,
        stat="p95" if metric == "latency" else "rate",
        step=name,
        unit="duration" if metric == "latency" else "rate",
        higher_is_worse=not lower,
        key=False,
        weight=1.0,
        abort_on_fail=False,
        warn=None,
        fail=Limits(max_regression=fail_regression),
        source=Source("budgets/b.budget.yaml", 10, 7),
    )


def budget(objectives: list[ObjectivePlan], correction: str = "holm", **kw: str) -> BudgetPlan:
    policy = RegressionPolicy(min_effect="5%", correction=correction)  # type: ignore[arg-type]
    return BudgetPlan(
        name="b",
        source=Source("budgets/b.budget.yaml", 1, 1),
        digest="",
        scenario=cast(ScenarioPlan, None),
        policy=policy,
        invalid_run=kw.get("invalid_run", "fail"),
        missing_baseline=kw.get("missing_baseline", "warn"),
        objectives=tuple(objectives),
    )


def judge(plan: BudgetPlan, series: dict[str, np.ndarray], head: dict[str, float]):  # type: ignore[no-untyped-def]
    references, values = {}, {}
    for o in plan.objectives:
        base = baseline(
            points(series[o.name]),
            higher_is_worse=o.higher_is_worse,
            log_scale=True,
        )
        references[o.name] = Reference(base, tuple(series[o.name][-20:]))
        values[series_key(o.step, o.metric, o.stat)] = head[o.name]
    return evaluate(plan, [HeadRun("head.json", values, "")], values, references)


def test_no_change_false_alarms_stay_within_alpha() -> None:
    """One series, shared-runner noise: the share of unchanged heads beyond the 95 % bound."""
    alarms = 0
    seeds = 300
    for seed in range(seeds):
        values = noisy(seed, 31, 0.08)
        base = latency(values[:30])
        assert isinstance(base, Baseline)
        alarms += base.p_value(float(values[30])) < 0.05
    assert alarms / seeds <= 0.05 + 0.03


def test_no_change_family_wise_false_alarms_with_holm() -> None:
    """Three objectives judged together: Holm keeps the chance of any false fail near alpha."""
    plan = budget([objective(f"s{k}", fail_regression=0.01) for k in range(3)])
    failed = 0
    seeds = 200
    for seed in range(seeds):
        series = {f"s{k}": noisy(seed * 10 + k, 31, 0.08) for k in range(3)}
        verdict = judge(
            plan,
            {k: v[:30] for k, v in series.items()},
            {k: float(v[30]) for k, v in series.items()},
        )
        failed += verdict.outcome == "fail"
    assert failed / seeds <= 0.05 + 0.04


def test_a_ten_percent_step_on_quiet_noise_is_caught() -> None:
    plan = budget([objective("checkout", fail_regression=0.05)])
    caught = 0
    for seed in range(40):
        values = noisy(seed, 31, 0.03)
        verdict = judge(plan, {"checkout": values[:30]}, {"checkout": float(values[30] * 1.10)})
        caught += verdict.outcome == "fail"
    assert caught >= 38


def test_slow_drift_is_followed_and_reported_as_creep() -> None:
    """+0.5 % per commit: no single commit is a regression, the trend is (a warning)."""
    plan = budget([objective("checkout", fail_regression=0.05)])
    creeping = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        values = 0.2 * np.exp(np.arange(31) * 0.005 + rng.normal(0, 0.01, 31))
        verdict = judge(plan, {"checkout": values[:30]}, {"checkout": float(values[30])})
        v = verdict.objectives[0]
        assert v.baseline is not None and v.baseline.fit.name != "mean"
        creeping += verdict.outcome == "warn" and any("creeping" in n for n in v.notes)
    assert creeping >= 18


def test_isolated_outliers_are_left_out_and_say_so() -> None:
    values = noisy(7, 30, 0.03)
    values[[8, 21]] *= 3.0  # two runs on a noisy neighbour's machine
    base = latency(values)
    assert isinstance(base, Baseline)
    assert base.excluded == (points(values)[8].commit, points(values)[21].commit)
    assert "2 outlier(s) left out" in base.describe()
    assert base.since is None
    assert base.expected == pytest.approx(0.2, rel=0.03)
    assert base.p_value(0.2) > 0.2
    assert base.p_value(0.2 * 1.15) < 0.01


def test_a_level_shift_starts_a_new_baseline() -> None:
    values = np.r_[noisy(3, 20, 0.03), noisy(4, 10, 0.03, level=0.26)]  # merged +30 %
    base = latency(values)
    assert isinstance(base, Baseline)
    assert base.since == points(values)[20].commit
    assert base.n == 10
    assert base.expected == pytest.approx(0.26, rel=0.03)
    assert base.p_value(0.26) > 0.2  # the new level is the baseline now


@pytest.mark.parametrize(
    ("values", "reason"),
    [([], "no comparable runs"), ([0.2, 0.21], "2 usable commit(s)")],
)
def test_short_histories_have_no_baseline(values: list[float], reason: str) -> None:
    result = latency(values)
    assert isinstance(result, Missing)
    assert reason in result.reason


def test_a_short_history_gets_a_wide_bound() -> None:
    short = latency([0.2, 0.21, 0.19, 0.2])
    long = latency(noisy(1, 30, 0.04))
    assert isinstance(short, Baseline) and isinstance(long, Baseline)
    assert short.fit.name == "mean"
    assert "too few commits for a time-series model (4)" in short.describe()
    assert short.fit.df == 3
    assert short.bound / short.expected > long.bound / long.expected


def test_a_constant_series_flags_only_a_real_change() -> None:
    base = baseline(points([0.0] * 10), higher_is_worse=True, log_scale=False)
    assert isinstance(base, Baseline)
    assert base.fit.name == "constant"
    assert base.p_value(0.0) == 1.0
    assert base.p_value(0.01) == 0.0


def test_direction_lower_is_worse_for_throughput() -> None:
    plan = budget([objective("rps", metric="throughput", fail_regression=0.1)])
    history = 100 * np.exp(np.random.default_rng(2).normal(0, 0.02, 30))
    assert judge(plan, {"rps": history}, {"rps": 80.0}).outcome == "fail"
    assert judge(plan, {"rps": history}, {"rps": 125.0}).outcome == "pass"


def test_several_runs_per_commit_use_the_median_and_feed_the_rank_test() -> None:
    pts = [Point(f"{i:040x}", i, "c", (0.19, 0.2, 0.21)) for i in range(10)]
    base = baseline(pts, higher_is_worse=True, log_scale=True)
    assert isinstance(base, Baseline)
    assert base.expected == pytest.approx(0.2)
    assert len(base.samples) == 30


def test_missing_baseline_and_invalid_runs_follow_the_budget() -> None:
    o = objective("checkout")
    plan = budget([o], missing_baseline="fail")
    key = series_key(o.step, o.metric, o.stat)
    refs = {"checkout": Reference(Missing("no comparable runs"), ())}
    verdict = evaluate(plan, [HeadRun("h", {key: 0.2}, "")], {key: 0.2}, refs)
    assert verdict.outcome == "fail"
    assert verdict.objectives[0].status == "no-baseline"
    invalid = evaluate(
        budget([o], invalid_run="warn"),
        [HeadRun("h", {key: 0.2}, "partial run (interrupted)")],
        {key: 0.2},
        {"checkout": Reference(latency(noisy(1, 20, 0.03)), ())},
    )
    assert invalid.outcome == "warn"
    assert "run cannot be judged" in invalid.headline
    nothing = evaluate(budget([o]), [], {}, {})
    assert nothing.outcome == "fail"
    assert nothing.objectives[0].status == "invalid"


def test_diagnostics_backtest_the_forecast() -> None:
    values = noisy(5, 30, 0.05)
    checks = diagnostics(points(values), higher_is_worse=True, log_scale=True)
    assert checks is not None
    assert checks.forecasts == 20
    assert 0.01 < checks.mape < 0.1
    assert checks.alarm_rate <= 0.15
    assert diagnostics(points(values[:3]), higher_is_worse=True, log_scale=True) is None
