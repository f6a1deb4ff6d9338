"""Verdicts that explain themselves: a value past the forecast bound that passes says why,
every row names the budget's own limits, a warn limit is never printed as a failure, the
headline never contradicts the rows, and the gate says when one run per commit cannot show a
change of the configured size. Built from model objects (the judge is pure) and rendered by
the real reporters."""

from __future__ import annotations

import numpy as np

from peac.core.judge import judge
from peac.model.objectives import Limits, Objective, Tier
from peac.model.series import Series
from peac.model.verdict import HeadRun, Status
from peac.report.context import GateContext
from peac.report.registry import VERDICT, GateReport
from tests.test_baseline import noisy, objective, points, rules, verdict_for

CONTEXT = GateContext("a" * 40, "main", "b" * 40, "", "budgets/b.budget.yaml", 20, (), 20)


def test_past_the_bound_but_not_significant_after_holm_says_so() -> None:
    """Three objectives, one moved just past its own 95 % bound: Holm over 3 tests keeps it
    from being significant, and the row says exactly that instead of a silent PASS."""
    names = ["a", "b", "c"]
    budget = rules([objective(n, fail_regression=0.1) for n in names])
    series = {n: noisy(i, 30, 0.04) for i, n in enumerate(names)}
    verdict = verdict_for(budget, series, {"a": 0.2, "b": 0.2, "c": 0.2})
    base = verdict.objectives[0].baseline
    assert base is not None
    # Head just past the one-sided bound: p below 0.05 alone, above it after Holm (x3).
    head = base.bound * 1.01
    verdict = verdict_for(budget, series, {"a": head, "b": 0.2, "c": 0.2})
    row = next(v for v in verdict.objectives if v.objective.name == "a")
    assert row.status is Status.PASS
    assert row.p_value is not None and row.p_value < 0.05
    assert row.p_adjusted is not None and row.p_adjusted >= 0.05
    assert any("not significant after holm over 3 objectives" in n for n in row.notes), row.notes
    out = VERDICT.render("text", GateReport(verdict, CONTEXT))
    assert "note: a: beyond the forecast bound" in out


def test_a_five_fold_regression_that_one_run_cannot_prove_is_explained() -> None:
    """The issue's case: a very noisy short history, one run, Holm over 3: the 5x head passes
    only with the reason and the advice to record more runs per commit."""
    rng = np.random.default_rng(3)
    noisy_history = 0.015 * np.exp(rng.standard_t(2, 8) * 0.8)
    budget = rules([objective(n, fail_regression=0.1) for n in ("a", "b", "c")])
    series = {"a": noisy_history, "b": noisy(1, 8, 0.02), "c": noisy(2, 8, 0.02)}
    head = float(np.median(noisy_history)) * 5
    verdict = verdict_for(budget, series, {"a": head, "b": 0.2, "c": 0.2})
    row = next(v for v in verdict.objectives if v.objective.name == "a")
    if row.status is Status.PASS:
        assert any("the base branch's history varies this much" in n for n in row.notes)
        assert any("record 3 or more runs per commit" in n for n in row.notes)
        assert row.underpowered
        assert any("record 3 or more runs per commit" in a for a in verdict.advice)
    else:  # the history was quiet enough to catch it: then it must fail, not warn
        assert row.status is Status.FAIL


def test_every_row_names_its_limits_and_warn_lines_are_labelled_warn() -> None:
    o = Objective(
        name="checkout latency p95",
        metric="latency",
        stat="p95",
        step="checkout",
        unit="duration",
        higher_is_worse=True,
        key=True,
        weight=1.0,
        abort_on_fail=False,
        warn=Limits(max=0.25),
        fail=Limits(max=0.4, max_regression=0.25),
        source=objective("x").source,
    )
    budget = rules([o])
    history = {o.series_key: Series(o.series_key, points(noisy(5, 30, 0.03)))}
    values = {o.series_key: 0.3}  # over warn.max (250 ms), under fail.max (400 ms)
    verdict = judge(budget, [HeadRun("h.json", values)], values, history)
    out = VERDICT.render("text", GateReport(verdict, CONTEXT))
    assert "warn ≤ 250.0 ms, fail ≤ 400.0 ms +25% vs baseline" in out
    assert "warn: checkout latency p95: 300.0 ms is above its maximum warn.max" in out
    assert "fail: checkout latency p95: 300.0 ms is above" not in out
    markdown = VERDICT.render("markdown", GateReport(verdict, CONTEXT))
    assert "warn ≤ 250.0 ms" in markdown


def test_an_unjudgeable_run_never_heads_a_list_of_passes() -> None:
    budget = rules([objective("a")], invalid_run=Tier.FAIL)
    history = {budget.objectives[0].series_key: Series("k", points(noisy(1, 20, 0.03)))}
    values = {budget.objectives[0].series_key: 0.2}
    verdict = judge(budget, [HeadRun("h.json", values, "partial run")], values, history)
    assert verdict.headline.startswith("FAIL: the run cannot be judged (h.json: partial run")
    assert "pass" not in verdict.headline
    out = VERDICT.render("text", GateReport(verdict, CONTEXT))
    assert "fail: the run cannot be judged" in out
    assert "20 commits of history, 20 with runs of this scenario and testbed" in out


def test_a_value_equal_to_its_limit_is_within_it() -> None:
    from peac.core.limits import breaches, check_limits

    o = objective("a", fail_regression=None, fail_max=0.25)
    assert breaches(o, 0.25) == []
    assert [f.threshold for f in breaches(o, 0.2500001)] == [0.25]
    (check,) = check_limits(rules([o]), {o.series_key: 0.25})
    assert check.outcome is Tier.PASS
    # A missing value is never a pass: it counts as invalid_run says.
    (missing,) = check_limits(rules([o], invalid_run=Tier.FAIL), {})
    assert missing.outcome is Tier.FAIL and missing.value is None
