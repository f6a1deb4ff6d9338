"""The command line: output formats, exit codes, and the one error boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peac.errors import Problem
from peac.report.problems import as_github
from tests.cli_helpers import run_cli
from tests.conftest import EXAMPLES, REPO


def test_validate_defaults_to_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run_cli("validate")
    assert (code, err) == (0, "")
    assert out == "ok: 2 file(s), 1 scenario(s), 1 budget(s)\n"


def test_json_format(in_examples: Path) -> None:
    code, out, _ = run_cli("validate", "--root", ".", "--format", "json", "invalid/tabs.yaml")
    assert code == 2
    report = json.loads(out)
    assert report == {
        "valid": False,
        "files": ["invalid/tabs.yaml"],
        "problems": [
            {
                "path": "invalid/tabs.yaml",
                "line": 10,
                "col": 1,
                "message": "found a tab character: YAML indentation must use spaces",
            }
        ],
    }


def test_github_format(in_examples: Path) -> None:
    code, out, _ = run_cli(
        "validate", "--root", ".", "--format", "github", "invalid/unknown-kind.yaml"
    )
    assert code == 2
    assert out.splitlines() == [
        '::error file=invalid/unknown-kind.yaml,line=2,col=7::kind: expected one of "Budget", '
        '"Scenario", "Config", "Waiver", got "Scenaro" (did you mean "Scenario"?)',
        "1 problem in 1 of 1 file",
    ]


def test_github_annotations_escape_what_would_break_the_command() -> None:
    text = as_github([Problem("a,b:c.yaml", 1, 2, "50% done: 1, 2")], ["a,b:c.yaml"], "")
    assert text.splitlines()[0] == "::error file=a%2Cb%3Ac.yaml,line=1,col=2::50%25 done: 1, 2"


def test_a_key_with_line_breaks_is_reported_on_one_line(tmp_path: Path) -> None:
    # Found by the mutation tests: YAML keys may contain line breaks, and messages echo keys.
    (tmp_path / "s.yaml").write_text(
        'apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\n"odd\\nkey\\r\\x07": 1\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli("validate", "--root", str(tmp_path), str(tmp_path / "s.yaml"))
    assert code == 2
    first, summary = out.splitlines()[1], out.splitlines()[-1]
    assert first.endswith(
        'unknown key "odd\\nkey\\r\\x07": expected one of apiVersion, kind, metadata, spec'
    )
    assert len(out.splitlines()) == 3  # the missing "spec" problem, the unknown key, the summary
    assert summary == "2 problems in 1 of 1 file"


def test_missing_path_is_bad_input() -> None:
    code, out, _ = run_cli("validate", "does-not-exist.yaml")
    assert code == 2
    assert out.startswith("does-not-exist.yaml: no such file\n")


def test_usage_error_exits_2() -> None:
    code, _, err = run_cli("validate", "--format", "xml")
    assert code == 2
    assert "Invalid value for '--format'" in err


def test_unexpected_exception_is_an_internal_error_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The failure is injected on purpose: nothing real in peac is known to raise here.
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("peac.app.validate.compile_paths", explode)
    code, _, err = run_cli("validate", str(EXAMPLES / "valid"))
    assert code == 3
    assert "internal error: RuntimeError in peac/" in err
    assert "boom" not in err  # an exception's text may hold secrets: never shown
    assert "please report it" in err
    assert "Traceback" not in err


def test_version() -> None:
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.startswith("peac, version ")


def test_a_malformed_url_is_a_located_problem_not_a_crash(tmp_path: Path) -> None:
    """Found by the mutation tests: urllib raises on an unclosed IPv6 bracket."""
    scenario = tmp_path / "s.scenario.yaml"
    scenario.write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n"
        "  target: {base_url: 'http://[::1'}\n"
        "  load: {executor: constant-vus, vus: 1, duration: 1s}\n"
        "  flows:\n    - name: f\n      steps:\n        - {name: a, path: /}\n"
    )
    code, out, err = run_cli("validate", "--root", str(tmp_path), str(scenario))
    assert code == 2, out + err
    assert "s.scenario.yaml:5:" in out
    assert 'expected an absolute http(s) URL like "http://127.0.0.1:8080", got "http://[::1"' in out
    assert "internal error" not in err
