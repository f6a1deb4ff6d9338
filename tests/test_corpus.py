"""The example corpus: every valid file compiles, every invalid file gives its exact message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from peac.report.problems import as_text
from peac.spec.compiler import compile_paths
from tests.conftest import EXAMPLES

INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))
VALID = sorted((EXAMPLES / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_file_compiles(path: Path, in_examples: Path) -> None:
    result = compile_paths([path.relative_to(EXAMPLES)], root=EXAMPLES)
    assert result.problems == ()
    assert result.plan.scenarios or result.plan.budgets


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_file_gives_its_message(path: Path, in_examples: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8")
    result = compile_paths([path.relative_to(EXAMPLES)], root=EXAMPLES)
    assert result.problems, "an invalid file must produce at least one problem"
    assert as_text(result.problems, result.files, "") == expected
    for problem in result.problems:
        assert problem.path == f"invalid/{path.name}"


def test_every_invalid_file_has_an_expected_message() -> None:
    expected = {p.stem for p in (EXAMPLES / "invalid").glob("*.expected")}
    assert expected == {p.stem for p in INVALID}


def test_whole_invalid_directory_reports_all_problems_in_file_order(in_examples: Path) -> None:
    result = compile_paths([Path("invalid")], root=EXAMPLES)
    paths = [p.path for p in result.problems]
    assert sorted(set(paths)) == sorted({f"invalid/{p.name}" for p in INVALID})
    order = [paths.index(f"invalid/{p.name}") for p in INVALID]
    assert order == sorted(order), "problems must come in file order"


def test_cli_exit_codes_and_no_traceback(in_examples: Path) -> None:
    run = [sys.executable, "-m", "peac", "validate", "--root", "."]
    good = subprocess.run([*run, "valid"], capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("ok: 6 file(s)")
    bad = subprocess.run([*run, "invalid"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stdout + bad.stderr
    assert bad.stdout.count("\n") >= len(INVALID)
