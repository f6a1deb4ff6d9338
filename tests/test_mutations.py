"""Property-based tests: mutated valid files never crash peac and are reported with a place."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.cli_helpers import run_cli
from tests.conftest import REPO

SCENARIO = (REPO / "budgets" / "shop.scenario.yaml").read_text(encoding="utf-8")
BUDGET = (REPO / "budgets" / "shop.budget.yaml").read_text(encoding="utf-8")
LOCATED = re.compile(r"^(?P<path>[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): \S")
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def project(scenario: str | bytes, budget: str | bytes = BUDGET) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / "data").mkdir()
        shutil.copy(REPO / "budgets" / "data" / "users.csv", root / "data" / "users.csv")
        for name, content in (("shop.scenario.yaml", scenario), ("shop.budget.yaml", budget)):
            if isinstance(content, bytes):
                (root / name).write_bytes(content)
            else:
                (root / name).write_text(content, encoding="utf-8")
        yield root


def check_output(code: int, out: str, err: str) -> list[re.Match[str]]:
    """Exit 0 or 2, never a traceback; on 2 every problem line names a file and usually a place."""
    assert "Traceback" not in out + err
    assert code in (0, 2), (code, out, err)
    assert err == ""
    problems = out.splitlines()[:-1]
    if code == 0:
        assert problems == []
        return []
    assert problems, out
    located = [m for line in problems if (m := LOCATED.match(line))]
    for line in problems:
        assert line.split(":", 1)[0].endswith(".yaml"), line
    return located


def validate(root: Path, *names: str) -> tuple[int, str, str]:
    return run_cli("validate", "--root", str(root), *(str(root / n) for n in names))


@SETTINGS
@given(data=st.data())
def test_any_line_edit_is_reported_or_valid(data: st.DataObject) -> None:
    lines = SCENARIO.splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["delete", "duplicate", "replace", "indent", "dedent"]))
    if action == "delete":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, lines[index])
    elif action == "replace":
        lines[index] = data.draw(st.text(max_size=40)) + "\n"
    elif action == "indent":
        lines[index] = " " + lines[index]
    else:
        lines[index] = lines[index][1:]
    with project("".join(lines)) as root:
        check_output(*validate(root, "shop.scenario.yaml", "shop.budget.yaml"))


@SETTINGS
@given(cut=st.integers(0, len(SCENARIO.encode())), junk=st.binary(max_size=16))
def test_truncated_or_garbled_bytes_are_reported(cut: int, junk: bytes) -> None:
    raw = SCENARIO.encode()
    with project(raw[:cut] + junk + raw[cut + len(junk) :]) as root:
        check_output(*validate(root, "shop.scenario.yaml"))


_VALUE_LINES = [
    i
    for i, line in enumerate(SCENARIO.splitlines())
    if re.match(r"^\s+(duration|timeout|executor|rate|max_vus|weight|interval): ", line)
]


@SETTINGS
@given(index=st.sampled_from(_VALUE_LINES), value=st.from_regex(r"\A[a-z][a-z ]{0,12}\Z"))
def test_a_broken_setting_is_reported_at_its_line(index: int, value: str) -> None:
    lines = SCENARIO.splitlines()
    key = lines[index].split(":", 1)[0]
    lines[index] = f"{key}: '{value}'"
    with project("\n".join(lines) + "\n") as root:
        code, out, err = validate(root, "shop.scenario.yaml")
        located = check_output(code, out, err)
        assert code == 2
        assert any(int(m["line"]) == index + 1 for m in located), out


_KNOWN_MAPPINGS = [
    i for i, line in enumerate(BUDGET.splitlines()) if re.match(r"^\s+(metric|stat): ", line)
]


@SETTINGS
@given(index=st.sampled_from(_KNOWN_MAPPINGS), key=st.from_regex(r"\A[a-z]{3,12}\Z"))
def test_an_unknown_key_in_an_objective_is_reported_at_its_line(index: int, key: str) -> None:
    known = {
        "name",
        "metric",
        "stat",
        "step",
        "key",
        "weight",
        "abort_on_fail",
        "direction",
        "warn",
        "fail",
    }
    assume(key not in known)
    lines = BUDGET.splitlines()
    indent = re.match(r"^(\s*)", lines[index].replace("- ", "  "))
    assert indent is not None
    lines.insert(index + 1, f"{indent.group(1)}{key}: 1")
    with project(SCENARIO, "\n".join(lines) + "\n") as root:
        code, out, err = validate(root, "shop.budget.yaml")
        located = check_output(code, out, err)
        assert code == 2
        assert any(
            int(m["line"]) == index + 2 and f'unknown key "{key}"' in m.string for m in located
        ), out
