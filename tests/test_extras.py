"""The light core install: `peac validate` and `peac schema` never import the runner's or the
statistics' modules, and a command whose extra is missing says which `pip install` to run.

Each check runs peac in a fresh interpreter, so what one test imported cannot hide another's
imports. A missing extra is made the way Python documents for it: ``sys.modules[name] = None``
makes ``import name`` fail and ``find_spec(name)`` return None, as in an environment without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from peac import extras
from tests.conftest import REPO

HEAVY = (
    *("numpy", "scipy", "statsmodels", "hdrh"),
    *("httpx", "h2", "anyio", "uvicorn", "httptools", "uvloop"),
    *("git", "psutil", "prometheus_client"),
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env, timeout=60
    )


def _peac(args: list[str], *, blocked: tuple[str, ...] = ()) -> str:
    """Python code that runs ``peac ARGS`` with ``blocked`` modules absent, then prints which
    heavy modules were imported on stderr's last line."""
    return (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from peac.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        f"    loaded = sorted(m for m in {HEAVY!r} if sys.modules.get(m) is not None)\n"
        "    print('loaded:', ','.join(loaded), file=sys.stderr)\n"
        "    raise\n"
    )


@pytest.mark.parametrize(
    "args", [["validate", "budgets/"], ["schema"], ["validate", "tests/example-files/invalid/"]]
)
def test_validate_and_schema_import_nothing_heavy(args: list[str]) -> None:
    done = _python(_peac(args))
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == "loaded: ", done.stderr


@pytest.mark.parametrize(
    ("args", "blocked", "message"),
    [
        (["run", "budgets/shop.scenario.yaml"], ("httpx",), "peac run needs the load runner"),
        (["gate", "r.json", "--budget", "b.yaml"], ("scipy",), "peac gate needs the statistics"),
        (["demo"], ("statsmodels",), "peac demo needs the load runner and the statistics"),
        (
            ["generate", "from-log", "a.log"],
            ("crawleruseragents",),
            "peac generate needs the traffic generator",
        ),
    ],
)
def test_a_command_without_its_extra_says_what_to_install(
    args: list[str], blocked: tuple[str, ...], message: str
) -> None:
    done = _python(_peac(args, blocked=blocked))
    assert done.returncode == 2, done.stderr
    extra = extras.COMMANDS[args[0]].extra
    assert done.stderr.splitlines()[0] == f"{message}: pip install 'peac[{extra}]'", done.stderr
    assert "Traceback" not in done.stderr


def test_the_core_install_holds_only_what_validation_needs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {d.split(";")[0].split(">")[0].split("[")[0].strip() for d in project["dependencies"]}
    assert core == {"click", "pydantic", "ruamel.yaml", "ruamel.yaml.clib", "jinja2", "jmespath"}
    optional = project["optional-dependencies"]
    assert optional["all"] == ["peac[run,stats,generate]"]
    assert "peac[all]" in optional["dev"]
    assert {need.extra for need in extras.COMMANDS.values()} <= set(optional)
