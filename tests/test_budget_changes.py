"""Budget changes in review and waivers, end to end on real repositories: a pull request that
loosens its budget fails the gate until approved (by a user, by a label) or covered by a waiver
on the base branch; removing an objective fails; tightening passes; `peac budget-diff` lists
each change at its line; a waiver is written, shown as waived by every format, and expires (a
fixed "today", never a sleep)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest

from peac.app.gate import GateRequest, gate
from peac.app.validate import ValidateRequest, validate
from peac.app.waive import WaiveRequest, waive
from peac.core.budget_changes import compare, review
from peac.model.budget_changes import Approval, ChangePolicy, Kind
from peac.model.objectives import Rules
from peac.spec.check_budget import budget_rules
from peac.spec.source import parse_documents
from tests.cli_helpers import run_cli
from tests.conftest import write
from tests.history_helpers import commit, git
from tests.test_gate_cli import BUDGET, head_result, make_shop

BUDGET_FILE = "budgets/shop.budget.yaml"
ORIGINAL = BUDGET % {"missing": "warn", "invalid": "fail"}
CONFIG = """\
apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  budget_changes:
    loosen_threshold: 10%
    approvers: [alice, bob]
    approval_labels: [perf-approved]
"""
TODAY = date(2026, 1, 1)


def rules(text: str) -> Rules:
    documents, problems = parse_documents(text, BUDGET_FILE)
    assert not problems
    found, invalid = budget_rules(documents[0])
    assert found is not None, invalid
    return found


# -- the pure comparison ------------------------------------------------------------------


def test_each_change_is_named_with_its_line_and_relative_change() -> None:
    head = ORIGINAL.replace("fail: {max: 5%}", "fail: {max: 15%}").replace(
        "warn: {max: 1%}", "warn: {max: 0.5%}"
    )
    changes = compare(rules(ORIGINAL), rules(head), BUDGET_FILE)
    texts = [(c.line, c.kind, c.text) for c in changes]
    assert texts == [
        (19, Kind.TIGHTENED, "error_rate rate: warn.max 1% -> 0.5% (-50%)"),
        (20, Kind.LOOSENED, "error_rate rate: fail.max 5% -> 15% (+200%)"),
    ]


def test_policy_loosening_and_removal_are_listed() -> None:
    head = ORIGINAL.replace("invalid_run: fail", "invalid_run: warn").replace(
        "    - metric: error_rate\n      warn: {max: 1%}\n      fail: {max: 5%}\n", ""
    )
    changes = compare(rules(ORIGINAL), rules(head), BUDGET_FILE)
    assert [(c.setting, c.kind, c.line) for c in changes] == [
        ("invalid_run", Kind.LOOSENED, 7),
        ("objective", Kind.REMOVED, 18),  # its line in the base file
    ]


def test_a_small_warn_loosening_is_within_the_threshold_a_fail_loosening_is_not() -> None:
    head = ORIGINAL.replace("warn: {max: 1%}", "warn: {max: 1.05%}").replace(
        "fail: {max: 5%}", "fail: {max: 5.1%}"
    )
    reviewed = review(
        compare(rules(ORIGINAL), rules(head), BUDGET_FILE), ChangePolicy(), Approval()
    )
    assert [(r.change.setting, r.needs_approval) for r in reviewed] == [
        ("warn.max", False),
        ("fail.max", True),
    ]
    assert reviewed[0].why == "within loosen_threshold 10%"


# -- the gate -----------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shop of test_gate_cli with budget_changes rules on main; ``pr`` checked out."""
    repo = make_shop(tmp_path)
    git(repo, "checkout", "-q", "main")
    write(repo / "peac.yaml", CONFIG)
    git(repo, "add", "peac.yaml")
    git(repo, "commit", "-q", "-m", "rules")
    git(repo, "checkout", "-q", "pr")
    git(repo, "merge", "-q", "main", "-m", "merge main")
    monkeypatch.chdir(repo)
    return repo


def change_budget(repo: Path, old: str, new: str) -> None:
    path = repo / BUDGET_FILE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    commit(repo, "change the budget")


def run_gate(repo: Path, tmp_path: Path, *args: str, errors: int = 0) -> tuple[int, str, str]:
    """The gate on a head run; ``errors=100`` (11 % of requests) fails only error_rate."""
    head = head_result(repo, tmp_path / "head.json", errors=errors)
    return run_cli("gate", "--budget", BUDGET_FILE, str(head), *args)


def test_loosening_a_fail_limit_fails_the_gate_naming_the_line(shop: Path, tmp_path: Path) -> None:
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 15%}")
    code, out, err = run_gate(shop, tmp_path)
    assert code == 1, out + err
    assert (
        "fail: budget change: error_rate rate: fail.max 5% -> 15% (+200%) "
        "(budgets/shop.budget.yaml:20): budget loosened without approval"
    ) in out
    assert "budget loosened without approval (budgets/shop.budget.yaml:20)" in out.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "who"),
    [
        (("--approved-by", "alice"), "approved by alice"),
        (("--approved-by", "Bob"), "approved by bob"),  # logins are case-insensitive
        (("--label", "docs", "--label", "perf-approved"), "approved by label perf-approved"),
    ],
)
def test_an_approved_loosening_passes_and_says_who_approved(
    shop: Path, tmp_path: Path, args: tuple[str, ...], who: str
) -> None:
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 15%}")
    code, out, err = run_gate(shop, tmp_path, *args)
    assert code == 0, out + err
    assert f"fail.max 5% -> 15% (+200%) (budgets/shop.budget.yaml:20): loosened, {who}" in out


def test_a_label_the_policy_does_not_name_approves_nothing(shop: Path, tmp_path: Path) -> None:
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 15%}")
    code, out, _ = run_gate(shop, tmp_path, "--label", "perf approved")
    assert code == 1, out


def test_an_unknown_approver_is_bad_input(shop: Path, tmp_path: Path) -> None:
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 15%}")
    code, out, err = run_gate(shop, tmp_path, "--approved-by", "alicee")
    assert code == 2, out + err
    assert err.strip().splitlines() == [
        "peac: --approved-by: expected one of the approvers in peac.yaml on main "
        f'({git(shop, "rev-parse", "--short=7", "main")}) (alice, bob), got "alicee" '
        '(did you mean "alice"?)'
    ]


def test_removing_an_objective_fails_the_gate(shop: Path, tmp_path: Path) -> None:
    change_budget(
        shop, "    - metric: error_rate\n      warn: {max: 1%}\n      fail: {max: 5%}\n", ""
    )
    code, out, _ = run_gate(shop, tmp_path)
    assert code == 1, out
    assert (
        "error_rate rate: objective removed (budgets/shop.budget.yaml:18): "
        "objective removed without approval"
    ) in out


def test_tightening_passes_and_is_noted(shop: Path, tmp_path: Path) -> None:
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 4%}")
    code, out, _ = run_gate(shop, tmp_path)
    assert code == 0, out
    assert "note: budget change: error_rate rate: fail.max 5% -> 4% (-20%)" in out


def test_budget_diff_lists_each_change_at_its_line(shop: Path) -> None:
    path = shop / BUDGET_FILE
    path.write_text(
        path.read_text()
        .replace("fail: {max: 5%}", "fail: {max: 15%}")
        .replace("fail: {max: 2s, max_regression: 40%}", "fail: {max: 1s, max_regression: 40%}")
    )
    code, out, err = run_cli("budget-diff", "main")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "budget changes from main to the working tree",
        "budgets/shop.budget.yaml (budget shop-api)",
        "  budgets/shop.budget.yaml:12  tightened  latency p95: fail.max 2s -> 1s (-50%)",
        "  budgets/shop.budget.yaml:20  loosened   error_rate rate: fail.max 5% -> 15% (+200%)"
        "  [needs approval]",
    ]
    code, out, _ = run_cli("budget-diff", "main", "--format", "json")
    data = json.loads(out)
    assert [c["location"] for c in data["budgets"][0]["changes"]] == [
        "budgets/shop.budget.yaml:12",
        "budgets/shop.budget.yaml:20",
    ]
    code, out, _ = run_cli("budget-diff", "main", "--format", "markdown")
    assert (
        "| 20 | loosened | error\\_rate rate: fail.max 5% -&gt; 15% (+200%) | needs approval |"
        in out
    )
    commit(shop, "loosen")
    code, out, _ = run_cli("budget-diff", "main", "HEAD")
    assert "loosened   error_rate rate" in out
    code, out, _ = run_cli("budget-diff", "HEAD", "HEAD")
    assert out.splitlines()[-1] == "no budget changes"


# -- waivers ------------------------------------------------------------------------------


def waive_cli(objective: str, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        "waive",
        "--budget",
        BUDGET_FILE,
        "--objective",
        objective,
        "--reason",
        "the new cache lands next sprint",
        "--expires",
        "14d",
        "--by",
        "alice",
        *extra,
    )


def waive_on_main(repo: Path, objective: str) -> None:
    git(repo, "checkout", "-q", "main")
    code, out, err = waive_cli(objective)
    assert code == 0, out + err
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "waive")
    git(repo, "checkout", "-q", "pr")


def test_a_waiver_on_the_base_branch_shows_the_objective_as_waived_in_every_format(
    shop: Path, tmp_path: Path
) -> None:
    waive_on_main(shop, "error_rate rate")
    code, out, _ = run_gate(shop, tmp_path, errors=100)  # fails without the waiver
    assert code == 0, out
    assert "WAIVED  error_rate rate" in out
    assert "waived: error_rate rate: waived by alice until " in out
    assert "the new cache lands next sprint (budgets/waivers.yaml:6); would be fail" in out
    head = str(tmp_path / "head.json")
    code, md, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "markdown")
    assert code == 0 and "| 🔕 | error\\_rate rate |" in md
    code, js, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "json")
    row = next(o for o in json.loads(js)["objectives"] if o["name"] == "error_rate rate")
    assert row["status"] == "waived" and row["status_without_waiver"] == "fail"
    assert row["waiver"]["by"] == "alice" and row["waiver"]["reason"].startswith("the new cache")
    code, xml, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "junit")
    suite = ElementTree.fromstring(xml).find("testsuite")
    assert suite is not None and suite.get("skipped") == "1" and suite.get("failures") == "0"
    code, gh, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "github")
    assert (
        "::notice file=budgets/shop.budget.yaml,line=18,title=peac%3A error_rate rate waived::"
        in gh
    )


def test_a_waiver_on_the_base_branch_approves_loosening_its_objective(
    shop: Path, tmp_path: Path
) -> None:
    waive_on_main(shop, "error_rate rate")
    change_budget(shop, "fail: {max: 5%}", "fail: {max: 15%}")
    code, out, _ = run_gate(shop, tmp_path)
    assert code == 0, out
    assert "loosened, approved by waiver by alice until" in out


def test_a_waiver_added_by_the_pull_request_needs_approval(shop: Path, tmp_path: Path) -> None:
    code, out, err = waive_cli("error_rate rate")
    assert code == 0, out + err
    commit(shop, "waive it myself")
    code, out, _ = run_gate(shop, tmp_path, errors=100)
    assert code == 1, out
    assert "waiver added in this pull request: waived by alice" in out
    assert "not applied without approval" in out
    assert "FAIL  error_rate rate" in out
    code, out, _ = run_gate(shop, tmp_path, "--approved-by", "bob", errors=100)
    assert code == 0, out
    assert "WAIVED  error_rate rate" in out
    assert "added in this pull request" in out


def test_waiver_lifecycle_with_a_fixed_today(shop: Path, tmp_path: Path) -> None:
    """Written on day 0 for 14 days: valid on day 14, an error located at its line on day 15;
    the gate stops applying it the same day."""
    out = tmp_path / "out.txt"
    git(shop, "checkout", "-q", "main")
    request = WaiveRequest(
        root=shop,
        budget=shop / BUDGET_FILE,
        objective="error_rate rate",
        reason="known slow",
        expires="14d",
        by="alice",
        today=TODAY,
    )
    with out.open("w") as handle:
        assert waive(request, handle) == 0
    assert "until 2026-01-15 (by alice): budgets/waivers.yaml:1" in out.read_text()
    text = (shop / "budgets/waivers.yaml").read_text()
    assert 'expires: "2026-01-15"' in text and 'created: "2026-01-01"' in text
    assert f'commit: "{git(shop, "rev-parse", "HEAD")}"' in text
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "waive")
    paths = (shop / "budgets",)
    with out.open("w") as handle:
        assert (
            validate(ValidateRequest(paths=paths, root=shop, today=date(2026, 1, 15)), handle) == 0
        )
    with out.open("w") as handle:
        assert (
            validate(ValidateRequest(paths=paths, root=shop, today=date(2026, 1, 16)), handle) == 2
        )
    assert (
        out.read_text()
        .splitlines()[0]
        .startswith(
            'budgets/waivers.yaml:10:12: spec.expires: the waiver of "error_rate rate" expired on '
            "2026-01-15 (today is 2026-01-16): remove it, or renew it with peac waive"
        )
    )
    git(shop, "checkout", "-q", "pr")
    result = head_result(shop, tmp_path / "head.json", errors=100)
    for day, expected in ((date(2026, 1, 15), 0), (date(2026, 1, 16), 1)):
        request_gate = GateRequest(
            root=shop, budget=shop / BUDGET_FILE, results=(result,), today=day
        )
        with out.open("w") as handle:
            assert gate(request_gate, handle) == expected
    assert "waiver of error_rate rate expired on 2026-01-15 (budgets/waivers.yaml:6)" in (
        out.read_text()
    )


def test_appending_a_second_waiver_keeps_the_first(shop: Path) -> None:
    assert waive_cli("error_rate rate")[0] == 0
    code, out, _ = waive_cli("latency p95")
    assert code == 0
    assert "budgets/waivers.yaml:13" in out
    code, out, err = run_cli("validate", "budgets")
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--objective", "checkout latency p5"),
            '--objective: expected an objective of budget "shop-api" ("latency p95", '
            '"checkout latency p50", "error_rate rate"), got "checkout latency p5" '
            '(did you mean "checkout latency p50"?)',
        ),
        (
            ("--objective", "latency p95", "--expires", "soon"),
            "--expires: expected a number of days or weeks like 14d or 2w, or a date like "
            '2025-07-01, got "soon"',
        ),
        (
            ("--objective", "latency p95", "--expires", "2000-01-01"),
            "--expires: expected today",
        ),
        (
            ("--objective", "latency p95", "--expires", "900d"),
            "--expires: expected at most 366 days from today",
        ),
        (("--objective", "latency p95", "--reason", " "), "--reason: expected one line of text"),
    ],
)
def test_bad_waive_input_is_one_line_exit_2(
    shop: Path, args: tuple[str, ...], message: str
) -> None:
    base = {"--objective": "", "--reason": "why", "--expires": "14d"}
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    merged = {**base, **pairs}
    code, out, err = run_cli(
        "waive", "--budget", BUDGET_FILE, "--by", "alice", *[x for kv in merged.items() for x in kv]
    )
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("peac: " + message), lines
    assert not (shop / "budgets/waivers.yaml").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "objective: checkout latency p5",
            'budgets/waivers.yaml:7:14: spec.objective: "shop.budget.yaml" has no objective '
            '"checkout latency p5" (did you mean "checkout latency p50"?)',
        ),
        (
            'expires: "someday"',
            "budgets/waivers.yaml:11:12: spec.expires: expected a date like 2025-07-01",
        ),
        (
            "budget: nothing.yaml",
            "budgets/waivers.yaml:6:11: spec.budget: expected a budget file, "
            'but "nothing.yaml" does not exist',
        ),
        ("by: null", "budgets/waivers.yaml:9:7: spec.by: expected"),
    ],
)
def test_a_bad_waiver_file_is_a_located_validate_error(shop: Path, spec: str, message: str) -> None:
    key = spec.split(":")[0]
    lines = {
        "budget": "shop.budget.yaml",
        "objective": "error_rate rate",
        "reason": "why",
        "by": "alice",
        "created": '"2026-01-01"',
        "expires": '"2099-01-01"',
    }
    body = "\n".join(f"  {spec}" if k == key else f"  {k}: {v}" for k, v in lines.items())
    # created and expires far apart is itself an error: keep the dates in range unless tested
    body = body.replace('"2099-01-01"', '"2026-12-31"')
    write(
        shop / "budgets/waivers.yaml",
        "apiVersion: peac/v1\nkind: Waiver\nmetadata: {name: w}\n# a comment\nspec:\n"
        + body
        + "\n",
    )
    out = shop / "out.txt"
    with out.open("w") as handle:
        code = validate(ValidateRequest(paths=(shop / "budgets",), root=shop, today=TODAY), handle)
    assert code == 2
    assert out.read_text().splitlines()[0].startswith(message), out.read_text()


def test_untrusted_waiver_text_is_escaped_in_every_format(shop: Path, tmp_path: Path) -> None:
    git(shop, "checkout", "-q", "main")
    reason = "ping @everyone <img src=x> [x](http://evil.example) %0A::error::forged"
    code, out, err = run_cli(
        "waive",
        "--budget",
        BUDGET_FILE,
        "--objective",
        "error_rate rate",
        "--reason",
        reason,
        "--expires",
        "2w",
        "--by",
        "mallory`s <b>",
    )
    assert code == 0, out + err
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "waive")
    git(shop, "checkout", "-q", "pr")
    head = str(head_result(shop, tmp_path / "head.json", errors=100))
    _, md, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "markdown")
    assert "<img" not in md and "<b>" not in md and "[x](http" not in md
    assert "@everyone" not in md  # a word joiner keeps GitHub from mentioning
    _, gh, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "github")
    assert "\n::error::forged" not in gh and "%250A::error::forged" in gh
    _, xml, _ = run_cli("gate", "--budget", BUDGET_FILE, head, "--format", "junit")
    ElementTree.fromstring(xml)  # well-formed
