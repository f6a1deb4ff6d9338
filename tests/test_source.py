"""The YAML loader on hostile input: every case becomes a located problem, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.spec import source
from peac.spec.compiler import compile_paths
from tests.conftest import write


def test_positions_of_keys_and_values() -> None:
    documents, problems = source.parse_documents("a:\n  b: [1, {c: x}]\n", "f.yaml")
    assert problems == []
    doc = documents[0]
    assert doc.data == {"a": {"b": [1, {"c": "x"}]}}
    assert doc.position(("a", "b", 1, "c")) == (2, 14)
    assert doc.position(("a", "b", 1, "c"), key=True) == (2, 11)
    assert doc.position(("a", "missing", "deeper")) == (2, 3)


def test_yaml_1_2_scalars() -> None:
    documents, _ = source.parse_documents(
        "a: yes\nb: 0x10\nc: .inf\nd: ~\ne: 1_000\nf: 2026-01-01\ng: 1e3\n", "f.yaml"
    )
    data = documents[0].data
    assert data["a"] == "yes"  # YAML 1.2: only true/false are booleans
    assert data["b"] == 16
    assert data["c"] == float("inf")
    assert data["d"] is None
    assert data["e"] == 1000
    assert data["f"] == "2026-01-01"
    assert data["g"] == 1000.0


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write("a: " + "x" * (source.MAX_FILE_BYTES + 10) + "\n")
    documents, problems = source.load_file(big, "big.yaml")
    assert documents == []
    assert "expected at most 1,048,576 bytes" in problems[0].message


def test_directory_and_missing_file(tmp_path: Path) -> None:
    _, problems = source.load_file(tmp_path, "dir")
    assert problems[0].message == "is a directory: expected a YAML file"
    _, problems = source.load_file(tmp_path / "nope.yaml", "nope.yaml")
    assert problems[0].message == "no such file"


def test_unreadable_file(tmp_path: Path) -> None:
    # A symlink to itself fails to open with ELOOP, even for root (chmod 0 would not).
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    _, problems = source.load_file(loop, "loop.yaml")
    assert problems[0].message.startswith("cannot read file: Too many levels of symbolic links")


def test_recursive_alias_is_a_problem() -> None:
    _, problems = source.parse_documents("a: &a [*a]\n", "f.yaml")
    assert len(problems) == 1
    assert problems[0].line == 1


def test_merge_key_must_merge_a_mapping() -> None:
    _, problems = source.parse_documents("a: &a 1\nb:\n  <<: *a\n", "f.yaml")
    assert "expected a mapping (or list of mappings) to merge" in problems[0].message


def test_control_characters_are_refused() -> None:
    _, problems = source.parse_documents("a: b\x07c\n", "f.yaml")
    assert problems[0].message.startswith("expected printable text")


def test_complex_keys_are_refused() -> None:
    _, problems = source.parse_documents("? [a, b]\n: 1\n", "f.yaml")
    assert "expected a plain key" in problems[0].message


def test_symlink_out_of_the_repository_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    outside = write(tmp_path / "outside" / "users.csv", "email\na@b.c\n")
    (repo / ".git").mkdir(parents=True)
    (repo / "budgets" / "data").mkdir(parents=True)
    (repo / "budgets" / "data" / "users.csv").symlink_to(outside)
    write(
        repo / "budgets" / "s.yaml",
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n"
        "  target: {base_url: 'http://127.0.0.1:1'}\n"
        "  load: {executor: constant-vus, vus: 1, duration: 1s}\n"
        "  data:\n    feeders:\n      users: {file: data/users.csv}\n"
        "  flows: [{name: f, steps: [{path: '/{{ users.email }}'}]}]\n",
    )
    monkeypatch.chdir(repo)
    result = compile_paths([Path("budgets")])
    assert [str(p) for p in result.problems] == [
        "budgets/s.yaml:9:21: spec.data.feeders.users.file: expected a path inside the repository, "
        'got "data/users.csv" which leads outside it'
    ]


def test_feeder_columns_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "users.csv", "email,password\na@b.c,x\n")
    write(
        tmp_path / "s.yaml",
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n"
        "  target: {base_url: 'http://127.0.0.1:1'}\n"
        "  load: {executor: constant-vus, vus: 1, duration: 1s}\n"
        "  data:\n    feeders:\n      users: {file: users.csv}\n"
        "  flows: [{name: f, steps: [{path: '/{{ users.emial }}'}]}]\n",
    )
    monkeypatch.chdir(tmp_path)
    result = compile_paths([Path("s.yaml")])
    assert [p.message for p in result.problems] == [
        'spec.flows[0].steps[0].path: feeder "users" has no column "emial" (did you mean "email"?)'
    ]


def test_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "budgets").mkdir()
    result = compile_paths([Path("budgets")], root=tmp_path)
    assert [str(p) for p in result.problems] == [
        "budgets: no .yaml or .yml files in this directory"
    ]
