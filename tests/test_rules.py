"""The base branch sets the rules: a pull request cannot send load or a secret to a host, or
relax how its runs are judged, beyond what peac.yaml and the budget on the base branch say."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.history.gitnotes import GitNotesStore
from tests.cli_helpers import run_cli
from tests.conftest import write
from tests.history_helpers import commit, git, make_repo
from tests.test_gate_cli import BUDGET, head_result, make_shop

CONFIG = """\
apiVersion: peac/v1
kind: Config
metadata: {name: shop}
spec:
  targets:
    hosts: [127.0.0.1]
    secrets:
      SHOP_KEY: {hosts: [127.0.0.1]}
  policy:
    invalid_run: fail
"""


def scenario(url: str = "http://127.0.0.1:9", allowed: str = "[]", env: str = "SHOP_KEY") -> str:
    return SCENARIO % {"url": url, "allowed": allowed, "env": env}


SCENARIO = """\
apiVersion: peac/v1
kind: Scenario
metadata: {name: s}
spec:
  target: {base_url: '%(url)s', allowed_hosts: %(allowed)s}
  load: {executor: shared-iterations, vus: 1, iterations: 1}
  secrets:
    key: {env: %(env)s}
  flows:
    - name: f
      steps:
        - path: /x
          headers: {X-Api-Key: '{{ secrets.key }}'}
"""


def repo_with_rules(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    make_repo(repo, 1)
    write(repo / "peac.yaml", CONFIG)
    git(repo, "add", "peac.yaml")
    git(repo, "commit", "-q", "-m", "rules")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


@pytest.mark.parametrize(
    ("url", "allowed", "env", "refused"),
    [
        ("http://127.0.0.2:9", "[]", "SHOP_KEY", 'host "127.0.0.2" is not in targets.hosts'),
        ("http://127.0.0.1:9", "[evil.example]", "SHOP_KEY", 'host "evil.example" is not in'),
        ("http://127.0.0.1:9", "[]", "GITHUB_TOKEN", "reads GITHUB_TOKEN, which targets.secrets"),
    ],
)
def test_a_pull_request_cannot_widen_its_own_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, allowed: str, env: str, refused: str
) -> None:
    repo = repo_with_rules(tmp_path)
    # the pull request tries to loosen the rules too: only main's peac.yaml counts
    write(repo / "peac.yaml", CONFIG.replace("[127.0.0.1]", "[127.0.0.1, 127.0.0.2, evil.example]"))
    write(repo / "s.yaml", scenario(url, allowed, env))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "point the load elsewhere")
    monkeypatch.setenv(env, "s3cr3t")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("run", "s.yaml", "--base", "main", "--out", "r.json")
    assert code == 2, out + err
    assert refused in err
    assert "peac.yaml on main" in err
    assert "s3cr3t" not in out + err
    assert not (repo / "r.json").exists()


def test_a_target_override_must_be_allowed_by_the_base_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with_rules(tmp_path)
    write(
        repo / "s.yaml",
        scenario(allowed="[localhost]"),
    )
    monkeypatch.setenv("SHOP_KEY", "k")
    monkeypatch.chdir(repo)
    code, _, err = run_cli(
        "run", "s.yaml", "--base", "main", "--target", "http://localhost:9", "--out", "r.json"
    )
    assert code == 2
    assert 'host "localhost" is not in targets.hosts of peac.yaml on main' in err


def test_without_a_base_the_local_files_rule_and_the_output_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with_rules(tmp_path)
    write(
        repo / "s.yaml",
        scenario(),
    )
    monkeypatch.setenv("SHOP_KEY", "k")
    monkeypatch.chdir(repo)
    code, _, err = run_cli("run", "s.yaml", "--out", "r.json")
    assert err.startswith("rules: peac.yaml of the working tree (no --base)")
    # Nothing listens on port 9: the run is written but measures nothing, so it fails.
    assert code == 1, err
    assert "nothing answered at http://127.0.0.1:9: is the service running?" in err


def test_the_gate_judges_by_the_base_branch_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request that sets invalid_run: pass for itself still fails a saturated run."""
    repo = make_shop(tmp_path, commits=10)
    write(repo / "budgets/shop.budget.yaml", BUDGET % {"missing": "pass", "invalid": "pass"})
    commit(repo, "relax the budget")
    result = head_result(repo, tmp_path / "h.json", saturated=True)
    monkeypatch.chdir(repo)
    code, out, _ = run_cli("gate", str(result), "--budget", "budgets/shop.budget.yaml")
    assert code == 1, out
    assert "invalid_run: fail from the budget on the base branch (this change says pass)" in out
    assert "run cannot be judged" in out


def test_peac_yaml_on_the_base_branch_overrides_every_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path, commits=10, invalid="pass")  # main's own budget says pass
    git(repo, "checkout", "-q", "main")
    write(repo / "peac.yaml", CONFIG)
    git(repo, "add", "peac.yaml")
    git(repo, "commit", "-q", "-m", "repository rules")
    store = GitNotesStore(repo)
    assert store.commits()  # history stays on the earlier commits
    git(repo, "checkout", "-q", "pr")
    git(repo, "rebase", "-q", "main")
    result = head_result(repo, tmp_path / "h.json", saturated=True)
    monkeypatch.chdir(repo)
    code, out, _ = run_cli("gate", str(result), "--budget", "budgets/shop.budget.yaml")
    assert code == 1, out
    assert "rules: peac.yaml on main" in out
    assert "invalid_run: fail from peac.yaml on main" in out


def test_a_broken_peac_yaml_on_the_base_branch_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, 1)
    write(repo / "peac.yaml", CONFIG.replace("hosts: [127.0.0.1]\n", "hostz: [127.0.0.1]\n", 1))
    git(repo, "add", "peac.yaml")
    git(repo, "commit", "-q", "-m", "typo")
    write(
        repo / "s.yaml",
        scenario(),
    )
    monkeypatch.setenv("SHOP_KEY", "k")
    monkeypatch.chdir(repo)
    code, _, err = run_cli("run", "s.yaml", "--base", "main", "--out", "r.json")
    assert code == 2
    assert err.startswith("peac.yaml on main:6:")
    assert "hostz" in err


def test_a_secret_goes_only_to_the_hosts_the_base_branch_binds_it_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, 1)
    write(
        repo / "peac.yaml",
        CONFIG.replace("hosts: [127.0.0.1]\n", "hosts: [127.0.0.1, localhost]\n", 1),
    )
    git(repo, "add", "peac.yaml")
    git(repo, "commit", "-q", "-m", "rules")
    text = scenario(allowed="[localhost]").replace("path: /x", "url: 'http://localhost:9/x'")
    write(repo / "s.yaml", text)
    monkeypatch.setenv("SHOP_KEY", "k")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("run", "s.yaml", "--base", "main", "--out", "r.json")
    assert code == 1, out + err  # the only request was blocked: the run measured nothing
    from peac.results.format import read

    counters = read(repo / "r.json").counters
    assert counters.failures["blocked_host"] == 1  # localhost may get load, not SHOP_KEY
    assert counters.requests == 0
