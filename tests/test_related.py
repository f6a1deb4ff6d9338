"""`peac validate FILE` checks what FILE belongs with: a scenario's budgets, a budget's scenario,
and a data file's scenarios and their budgets, so a pre-commit hook that passes only the changed
file sees what `peac validate budgets/` sees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.conftest import REPO, write


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "budgets", tmp_path / "budgets")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.replace(old, new)


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


BUDGET = "budgets/shop.budget.yaml"
SCENARIO = "budgets/shop.scenario.yaml"


def test_a_renamed_step_fails_through_the_budget_that_names_it(repo: Path) -> None:
    _edit(repo / SCENARIO, "        - name: checkout\n", "        - name: pay\n")
    budget = (repo / BUDGET).read_text(encoding="utf-8")
    code, out, err = run_cli("validate", SCENARIO)
    assert code == 2, out + err
    line = _line(budget, "- step: checkout")
    assert out.splitlines()[0].startswith(
        f'{BUDGET}:{line}:13: spec.objectives[6].step: scenario "shop" has no step "checkout"'
    ), out
    assert out.splitlines()[-1] == "1 problem in 1 of 2 files"


def test_a_valid_scenario_reports_its_budget_as_related(repo: Path) -> None:
    code, out, _ = run_cli("validate", SCENARIO, "--format", "json")
    assert code == 0
    assert '"budgets/shop.budget.yaml"' in out
    code, out, _ = run_cli("validate", SCENARIO)
    assert out == "ok: 2 file(s) (1 related), 1 scenario(s), 1 budget(s)\n"


def test_a_data_file_is_checked_through_its_scenario_and_budget(repo: Path) -> None:
    _edit(repo / "budgets/data/users.csv", "email,", "mail,")
    scenario = (repo / SCENARIO).read_text(encoding="utf-8")
    code, out, err = run_cli("validate", "budgets/data/users.csv")
    assert code == 2, out + err
    line = _line(scenario, "{{ users.email }}")
    assert out.splitlines() == [
        f"{SCENARIO}:{line}:25: spec.flows[3].steps[0].json.email: "
        'feeder "users" has no column "email" (did you mean "mail"?)',
        f"{BUDGET}:11:13: spec.scenario: the scenario in "
        '"shop.scenario.yaml" is invalid (see its own errors)',
        "2 problems in 2 of 3 files",
    ]


def test_a_budget_brings_its_scenario_and_unrelated_files_stay_out(repo: Path) -> None:
    # An unrelated broken budget in the same folder is not this commit's problem.
    write(repo / "budgets/other.budget.yaml", "apiVersion: peac/v1\nkind: Budget\nspec: 1\n")
    _edit(repo / SCENARIO, "rate: 40/s", "rate: 40")
    code, out, _ = run_cli("validate", BUDGET)
    assert code == 2
    assert all(not line.startswith("budgets/other") for line in out.splitlines()), out
    assert out.splitlines()[1].startswith(f"{SCENARIO}:19:11: spec.load.rate: "), out


def test_an_unused_data_file_and_a_budget_elsewhere(repo: Path) -> None:
    write(repo / "budgets/data/unused.json", "[1, 2]\n")
    code, out, _ = run_cli("validate", "budgets/data/unused.json")
    assert (code, out) == (0, "ok: 1 file(s), 0 scenario(s), 0 budget(s)\n")
    # A budget in another top-level folder is outside the folder of peac files: not looked for.
    write(
        repo / "perf/x.budget.yaml",
        (repo / BUDGET).read_text().replace("scenario: shop", "scenario: ../budgets/shop"),
    )
    code, out, _ = run_cli("validate", SCENARIO)
    assert code == 0, out
    assert "perf/" not in out
