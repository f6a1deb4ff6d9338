"""Generated docs and schemas match the code; the published schema accepts the examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from peac.docgen import generated_files
from peac.spec.source import load_file
from tests.cli_helpers import run_cli
from tests.conftest import EXAMPLES, REPO


@pytest.mark.parametrize("relative", sorted(generated_files()))
def test_generated_doc_is_current(relative: str) -> None:
    committed = REPO / "docs" / relative
    assert committed.exists(), f"docs/{relative} is missing: run python -m peac.docgen"
    assert committed.read_text(encoding="utf-8") == generated_files()[relative], (
        f"docs/{relative} is stale: run python -m peac.docgen"
    )


@pytest.mark.parametrize("name", ["peac.schema.json", "budget.schema.json", "scenario.schema.json"])
def test_schema_command_writes_the_published_files(tmp_path: Path, name: str) -> None:
    code, out, _ = run_cli("schema", "--out", str(tmp_path))
    assert code == 0
    written = (tmp_path / name).read_text(encoding="utf-8")
    assert written == (REPO / "docs" / "schema" / name).read_text(encoding="utf-8")
    assert name in out


def test_schema_of_one_kind_to_stdout() -> None:
    code, out, _ = run_cli("schema", "--kind", "Budget")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Budget"
    assert "objectives" in json.dumps(schema)


def _documents(path: Path) -> list[object]:
    documents, problems = load_file(path, path.name)
    assert problems == []
    return [d.data for d in documents]


@pytest.fixture(scope="module")
def schema_errors() -> Callable[[object], list[object]]:
    """What the published schema finds wrong with one document."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "docs" / "schema" / "peac.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)

    def errors(document: object) -> list[object]:
        return list(validator.iter_errors(document))

    return errors


@pytest.mark.parametrize(
    "path",
    sorted([*(REPO / "budgets").glob("*.yaml"), *(EXAMPLES / "valid").glob("*.yaml")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_published_schema_accepts_valid_files(
    path: Path, schema_errors: Callable[[object], list[object]]
) -> None:
    for document in _documents(path):
        errors = schema_errors(document)
        assert errors == [], (path, errors[:1])


@pytest.mark.parametrize(
    "name", ["unknown-key", "duration-word", "unknown-executor", "budget-bad-correction"]
)
def test_published_schema_rejects_invalid_files(
    name: str, schema_errors: Callable[[object], list[object]]
) -> None:
    (document,) = _documents(EXAMPLES / "invalid" / f"{name}.yaml")
    assert schema_errors(document), name


def test_getting_started_examples_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    scenario = next(b for b in blocks if "kind: Scenario" in b)
    budget = next(b for b in blocks if "kind: Budget" in b)
    (tmp_path / ".git").mkdir()
    (tmp_path / "budgets").mkdir()
    (tmp_path / "budgets" / "api.scenario.yaml").write_text(scenario, encoding="utf-8")
    (tmp_path / "budgets" / "api.budget.yaml").write_text(budget, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("validate", "budgets/")
    assert (code, out) == (0, "ok: 2 file(s), 1 scenario(s), 1 budget(s)\n")

    broken = budget.replace("stat: p95\n", "stat: p95th\n")
    (tmp_path / "budgets" / "api.budget.yaml").write_text(broken, encoding="utf-8")
    code, out, _ = run_cli("validate", "budgets/")
    shown = text.split("```\nbudgets/api.budget.yaml")[1].split("```")[0]
    assert code == 2
    assert out == "budgets/api.budget.yaml" + shown
