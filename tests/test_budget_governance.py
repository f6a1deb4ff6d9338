"""A pull request cannot loosen or drop a budget by moving it, linking it, deleting it,
renaming its objectives or changing which defaults apply (issue 22, item 3): each case of the
hostile tester's report, on a real repository, with the exact outcome. The gate matches the
base budget by what it judges (scenario, then step, metric and statistic), never by file path
or display name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from peac.core.budget_changes import compare
from peac.spec.waiver import WaiverSpec, date_problems
from tests.cli_helpers import run_cli
from tests.history_helpers import commit, git
from tests.test_budget_changes import BUDGET_FILE, ORIGINAL, rules, run_gate, shop, waive_on_main
from tests.test_gate_cli import head_result

__all__ = ["shop"]  # the fixture, used by name

MOVED = "budgets/api.budget.yaml"


def test_a_moved_and_loosened_budget_is_compared_with_itself(shop: Path, tmp_path: Path) -> None:
    git(shop, "mv", BUDGET_FILE, MOVED)
    moved = shop / MOVED
    moved.write_text(moved.read_text().replace("fail: {max: 5%}", "fail: {max: 100%}"))
    commit(shop, "move and loosen")
    head = str(head_result(shop, tmp_path / "head.json"))
    code, out, err = run_cli("gate", "--budget", MOVED, head)
    assert code == 1, out + err
    assert "objective added" not in out
    assert "budget file budgets/shop.budget.yaml -> budgets/api.budget.yaml" in out
    assert "error_rate rate: fail.max 5% -> 100% (+1900%)" in out
    assert "budget loosened without approval" in out.splitlines()[-1]
    code, out, _ = run_cli("gate", "--budget", MOVED, head, "--approved-by", "alice")
    assert code == 0, out
    code, out, _ = run_cli("budget-diff", "main")
    assert "objective added" not in out and "objective removed" not in out
    assert "budget file budgets/shop.budget.yaml -> budgets/api.budget.yaml" in out


def test_a_pure_move_needs_approval_and_says_how(shop: Path, tmp_path: Path) -> None:
    git(shop, "mv", BUDGET_FILE, MOVED)
    commit(shop, "move")
    head = str(head_result(shop, tmp_path / "head.json"))
    code, out, _ = run_cli("gate", "--budget", MOVED, head)
    assert code == 1, out
    assert "budget file budgets/shop.budget.yaml -> budgets/api.budget.yaml" in out
    assert "fail.max" not in out  # nothing else changed
    code, out, _ = run_cli("gate", "--budget", MOVED, head, "--label", "perf-approved")
    assert code == 0, out
    assert "approved by label perf-approved" in out


def test_a_budget_replaced_by_a_link_to_a_loosened_copy_fails(shop: Path, tmp_path: Path) -> None:
    copy = shop / "budgets/copy.budget.yaml"
    copy.write_text((shop / BUDGET_FILE).read_text().replace("fail: {max: 5%}", "fail: {max: 50%}"))
    (shop / BUDGET_FILE).unlink()
    (shop / BUDGET_FILE).symlink_to("copy.budget.yaml")
    commit(shop, "link to a copy")
    code, out, err = run_gate(shop, tmp_path)
    assert code == 1, out + err
    assert "budget file budgets/shop.budget.yaml -> a link to budgets/copy.budget.yaml" in out
    assert "error_rate rate: fail.max 5% -> 50% (+900%)" in out
    code, out, _ = run_cli("budget-diff", "main")
    assert "a link to copy.budget.yaml  [needs approval]" in out, out


SECOND = """\
apiVersion: peac/v1
kind: Budget
metadata: {name: shop-slo}
spec:
  scenario: shop.scenario.yaml
  objectives:
    - {metric: latency, stat: p99, fail: {max: 3s}}
"""


def test_deleting_one_of_two_budgets_of_a_scenario_fails_the_other_s_gate(
    shop: Path, tmp_path: Path
) -> None:
    git(shop, "checkout", "-q", "main")
    (shop / "budgets/slo.budget.yaml").write_text(SECOND)
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "a second budget")
    git(shop, "checkout", "-q", "pr")
    git(shop, "merge", "-q", "main", "-m", "merge main")
    git(shop, "rm", "-q", "budgets/slo.budget.yaml")
    commit(shop, "drop the slo")
    code, out, _ = run_gate(shop, tmp_path)
    assert code == 1, out
    assert (
        "latency p99: objective removed (budgets/slo.budget.yaml:7): "
        "objective removed without approval"
    ) in out
    code, out, _ = run_cli("budget-diff", "main")
    assert "budgets/slo.budget.yaml (budget shop-slo)" in out


def test_renamed_objectives_do_not_carry_a_waiver_to_another(shop: Path, tmp_path: Path) -> None:
    """The waiver on main is for latency p95; the pull request gives that name to the error
    rate and loosens it to 100 %: the waiver stays with latency p95."""
    waive_on_main(shop, "latency p95")
    path = shop / BUDGET_FILE
    text = path.read_text()
    text = text.replace(
        "    - metric: latency\n      stat: p95\n",
        "    - name: old p95\n      metric: latency\n      stat: p95\n",
    )
    text = text.replace(
        "    - metric: error_rate\n      warn: {max: 1%}\n      fail: {max: 5%}\n",
        "    - name: latency p95\n      metric: error_rate\n      fail: {max: 100%}\n",
    )
    path.write_text(text)
    commit(shop, "swap the names")
    code, out, _ = run_gate(shop, tmp_path, errors=100)
    assert code == 1, out
    assert "approved by waiver" not in out
    assert "latency p95: fail.max 5% -> 100% (+1900%)" in out
    assert "budget loosened without approval" in out
    assert "WAIVED  old p95" in out  # the waiver follows what it waived


def test_lowering_every_objective_s_check_while_raising_the_budget_s_is_loosening(
    shop: Path, tmp_path: Path
) -> None:
    path = shop / BUDGET_FILE
    text = path.read_text().replace(
        "  objectives:\n", "  regression: {check: fail}\n  objectives:\n"
    )
    text = text.replace("      stat: p95\n", '      stat: p95\n      regression: "off"\n')
    text = text.replace(
        "    - metric: error_rate\n", '    - metric: error_rate\n      regression: "off"\n'
    )
    path.write_text(text)
    commit(shop, "check fail, every objective off")
    code, out, _ = run_gate(shop, tmp_path)
    assert code == 1, out
    assert "latency p95: regression warn -> off" in out
    assert "error_rate rate: regression warn -> off" in out
    assert "budget loosened without approval" in out


def test_the_same_limit_in_another_unit_is_no_change() -> None:
    assert compare(rules(ORIGINAL), rules(ORIGINAL.replace("max: 2s", "max: 2000000us")), "b") == []
    assert compare(rules(ORIGINAL), rules(ORIGINAL.replace("max: 5%", "max: 5.000%")), "b") == []


@pytest.mark.parametrize(
    ("created", "problem"),
    [
        (date(2099, 1, 1), "expected a date on or before today (2026-01-01), got 2099-01-01"),
        (date(2026, 1, 2), None),  # a day's slack: written east of UTC
        (date(2026, 1, 1), None),
    ],
)
def test_a_waiver_created_in_the_future_is_refused(created: date, problem: str | None) -> None:
    spec = WaiverSpec(
        budget="b.yaml", objective="o", reason="r", by="a", created=created, expires=created
    )
    found = date_problems(spec, date(2026, 1, 1))
    assert [m for _, m in found] == ([problem] if problem else [])
