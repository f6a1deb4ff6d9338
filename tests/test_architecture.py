"""The layers of docs/architecture.md hold (import-linter), and a change that imports upward
fails the check; every command's output formats come from the one reporter registry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from peac.cli import cli
from peac.report import registry
from tests.conftest import REPO

LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.mark.slow
def test_the_layers_hold() -> None:
    done = _lint(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("peac/core/limits.py", "import peac.history.git"),  # the pure core reaching for git
        ("peac/model/series.py", "import peac.core.judge"),  # data importing decisions
        ("peac/report/escape.py", "import peac.app.gate"),  # a renderer importing a command
        ("peac/core/judge.py", "import subprocess"),  # the core starting processes
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    shutil.copytree(REPO / "peac", tmp_path / "peac")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{upward}  # noqa\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout


def _choices(command: click.Command, option: str = "fmt") -> tuple[str, ...]:
    param = next(p for p in command.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def _sub(group: str, name: str) -> click.Command:
    found = cli.commands[group]
    assert isinstance(found, click.Group)
    return found.commands[name]


@pytest.mark.parametrize(
    ("command", "reporters"),
    [
        (cli.commands["validate"], registry.VALIDATION),
        (cli.commands["gate"], registry.VERDICT),
        (cli.commands["diff"], registry.DIFF),
        (cli.commands["budget-diff"], registry.BUDGET_DIFF),
        (_sub("history", "show"), registry.SERIES),
        (_sub("history", "export"), registry.EXPORT),
    ],
)
def test_every_format_a_command_offers_has_a_reporter(
    command: click.Command, reporters: registry.Reporters[object]
) -> None:
    assert set(_choices(command)) == set(reporters.names)


def test_an_unknown_format_is_bad_input_not_a_crash() -> None:
    from peac.errors import InputError

    with pytest.raises(InputError, match="come as text, markdown"):
        registry.DIFF.render("html", registry.DiffReport([], "t", 0.05))
