"""`peac ci`, the pipeline stage, end to end: a real repository with a bare remote, the demo shop
on 127.0.0.1, the base branch building its history (record and push), then a pull-request
branch whose slower checkout fails the gate, with the Markdown and JUnit reports written."""

from __future__ import annotations

import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from peac.demo.shop.process import DemoService
from tests.cli_helpers import run_cli
from tests.history_helpers import git

BUDGETS = Path(__file__).resolve().parents[1] / "budgets"
CONFIG = """apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1, localhost]
    secrets: {SHOP_DEMO_API_KEY: {hosts: [127.0.0.1, localhost]}}
  policy:
    regression: {short_history: fail}  # five commits of history: fail on them all the same
  ci:
    base: main
    repetitions: 1
    testbed: ci-test
"""


def _ci(url: str, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        "ci", "--duration", "4s", "--target", url, "--workers", "1", "--progress", "off", *extra
    )


@pytest.mark.slow
def test_the_stage_records_on_main_and_fails_a_slow_pull_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    git(repo, "remote", "add", "origin", str(remote))
    shutil.copytree(BUDGETS, repo / "budgets")
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / ".gitignore").write_text("reports/\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SHOP_DEMO_API_KEY", "demo-key")
    with DemoService() as shop:
        # Five commits of history: the gate's t interval on so few commits is honest, so a
        # 3x slower p95 is significant after Holm over 9 objectives in all but a sliver of
        # runs (with 4 commits and a noisy run, p could reach 0.05 on one objective).
        for i in range(5):
            (repo / "CHANGELOG").write_text(f"change {i}\n", encoding="utf-8")
            git(repo, "add", ".")
            git(repo, "commit", "-q", "-m", f"change {i}")
            git(repo, "push", "-q", "origin", "main")
            code, out, err = _ci(shop.url)
            assert code == 0, out + err
            assert "== validate" in out and "== run shop-api (1 of 1)" in out
            assert (
                "== record on main" in out
                and "pushed refs/notes/peac and refs/notes/peac-results to origin" in out
            )
        git(repo, "checkout", "-q", "-b", "slow-checkout")
        (repo / "CHANGELOG").write_text("validate the cart on every checkout\n")
        git(repo, "commit", "-q", "-am", "slow checkout")
    with DemoService("--latency=checkout=150ms") as slow:
        code, out, err = _ci(slow.url, "--repetitions", "2")
    assert code == 1, out + err
    assert "== run shop-api (2 of 2)" in out
    assert "results not recorded (not on main)" in out
    assert "shop-api: FAIL" in out
    markdown = (repo / "reports/shop-api.md").read_text(encoding="utf-8")
    assert "peac gate FAIL" in markdown and "checkout latency p95" in markdown
    suite = ElementTree.parse(repo / "reports/shop-api.junit.xml").getroot()
    failures = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failures, "the JUnit report names the objectives that failed"
    assert set(failures) <= {"latency p95", "latency p99", "checkout latency p95"}
    # The pull request's site shows the pull request's verdict, not main's newest commit's.
    index = (repo / "reports/site/index.html").read_text(encoding="utf-8")
    head = git(repo, "rev-parse", "HEAD")
    assert head[:7] in index and "status-row-fail" in index


def test_invalid_budgets_stop_the_stage_before_any_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(BUDGETS, repo / "budgets")
    path = repo / "budgets/shop.budget.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stat: p95", "stat: p95th", 1))
    (repo / "peac.yaml").write_text(CONFIG.replace("repetitions: 1", "repetitions: 0"))
    monkeypatch.chdir(repo)
    code, out, err = run_cli("ci")
    assert code == 2
    assert "peac.yaml" in err and "repetitions" in err  # the settings are checked first
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    code, out, err = run_cli("ci")
    assert code == 2
    assert 'unknown statistic "p95th"' in out
    assert "== run" not in out


def test_a_pull_request_cannot_choose_what_is_gated_or_where_reports_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a pull request the ci settings are the base branch's: a PR that points ci.budgets
    away from its failing budget still has that budget validated (and gated)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    shutil.copytree(BUDGETS, repo / "budgets")
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "checkout", "-q", "-b", "sneaky")
    path = repo / "budgets/shop.budget.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stat: p95", "stat: p95th", 1))
    (repo / "elsewhere").mkdir()
    (repo / "peac.yaml").write_text(
        CONFIG.replace("    base: main\n", "    base: main\n    budgets: [elsewhere/]\n")
    )
    git(repo, "commit", "-q", "-am", "hide the budget")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("ci")
    assert code == 2, out + err
    assert "== validate budgets/" in out and 'unknown statistic "p95th"' in out
    # Paths in peac.yaml stay inside the repository.
    (repo / "peac.yaml").write_text(CONFIG.replace("    base: main\n", "    reports: ../x\n"))
    code, out, err = run_cli("validate", "peac.yaml")
    assert code == 2 and "expected a path inside the repository" in out


@pytest.mark.parametrize("sneaky_base", ["HEAD", "sneaky", "main~0"])
def test_a_pull_request_cannot_name_its_own_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sneaky_base: str
) -> None:
    """ci.base in the pull request's peac.yaml pointing at the pull request itself (or a
    revision expression) never makes its own files the base branch's (a hostile review found
    ci.base: HEAD did)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    shutil.copytree(BUDGETS, repo / "budgets")
    (repo / "peac.yaml").write_text(CONFIG, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "checkout", "-q", "-b", "sneaky")
    path = repo / "budgets/shop.budget.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stat: p95", "stat: p95th", 1))
    (repo / "elsewhere").mkdir()
    (repo / "peac.yaml").write_text(
        CONFIG.replace(
            "    base: main\n", f"    base: '{sneaky_base}'\n    budgets: [elsewhere/]\n"
        )
    )
    git(repo, "commit", "-q", "-am", "name my own base")
    git(repo, "checkout", "-q", "--detach")  # as a CI checkout of a pull request is
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    code, out, err = run_cli("ci")
    assert code == 2, out + err
    assert "elsewhere" not in out  # the PR's list of budgets was not used
    assert "base branch" in err or 'unknown statistic "p95th"' in out
    # With the base given by the CI platform, the base branch's settings apply.
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    code, out, err = run_cli("ci")
    assert code == 2 and "== validate budgets/" in out and 'unknown statistic "p95th"' in out


GOVERNED = """apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1, localhost]
    secrets: {SHOP_DEMO_API_KEY: {hosts: [127.0.0.1, localhost]}}
  budget_changes:
    approval_labels: [perf-approved]
  ci: {base: main, testbed: ci-test}
"""
SLO = """apiVersion: peac/v1
kind: Budget
metadata: {name: shop-slo}
spec:
  scenario: shop.scenario.yaml
  objectives:
    - {metric: latency, stat: p99, fail: {max: 3s}}
"""


@pytest.mark.slow
def test_a_pull_request_that_deletes_a_gated_budget_fails_until_approved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No gate sees a deleted budget (nothing of it runs): ci pairs the base branch's gated
    budgets with those it ran and refuses the rest without approval; a label of the pull
    request, as GitHub's event file gives it, approves."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    shutil.copytree(BUDGETS, repo / "budgets")
    (repo / "budgets/slo.budget.yaml").write_text(SLO, encoding="utf-8")
    (repo / "peac.yaml").write_text(GOVERNED, encoding="utf-8")
    (repo / ".gitignore").write_text("reports/\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "two budgets")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SHOP_DEMO_API_KEY", "demo-key")
    for name in ("GITHUB_BASE_REF", "GITHUB_EVENT_PATH", "CI_MERGE_REQUEST_LABELS"):
        monkeypatch.delenv(name, raising=False)
    with DemoService() as shop:
        code, out, err = run_cli(*CI_SHORT, "--target", shop.url, "--push", "--no-push")
        assert code == 0, out + err
        git(repo, "checkout", "-q", "-b", "drop-slo")
        git(repo, "rm", "-q", "budgets/slo.budget.yaml")
        git(repo, "commit", "-q", "-m", "drop the slo budget")
        monkeypatch.setenv("GITHUB_BASE_REF", "main")
        code, out, err = run_cli(*CI_SHORT, "--target", shop.url)
        assert code == 1, out + err
        assert (
            "note: to approve the budget changes: the pull request gets the label perf-approved"
            in out
        )
        assert (
            "fail: latency p99: no longer gated (budgets/slo.budget.yaml:7): "
            "removed without approval"
        ) in out
        assert "budgets no longer gated: FAIL" in out
        comment = (repo / "reports/comment.md").read_text(encoding="utf-8")
        assert "Budgets of the base branch no longer gated: **FAIL**" in comment
        event = tmp_path / "event.json"
        event.write_text('{"pull_request": {"labels": [{"name": "perf-approved"}]}}')
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        code, out, err = run_cli(*CI_SHORT, "--target", shop.url)
        assert code == 0, out + err
        assert "removed, approved by label perf-approved" in out


CI_SHORT = ("ci", "--duration", "2s", "--workers", "1", "--progress", "off", "--comment", "off")
