"""The published JSON Schema through the real check-jsonschema, as editors and CI use it: every
valid example passes, and invalid files are refused with a message about what is wrong (the rate
of the executor named, not a complaint from every other executor)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from peac.spec.source import load_file
from tests.conftest import EXAMPLES, REPO, write

CHECK = Path(sys.executable).parent / "check-jsonschema"
SCHEMA = REPO / "docs" / "schema" / "peac.schema.json"


def check(*files: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(CHECK), "-o", "JSON", "--schemafile", str(SCHEMA), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    assert report.get("parse_errors", []) == [], report
    return report


def test_every_valid_example_passes(tmp_path: Path) -> None:
    files: list[Path] = []
    for path in sorted([*(REPO / "budgets").glob("*.yaml"), *(EXAMPLES / "valid").glob("*.yaml")]):
        documents, problems = load_file(path, path.name)
        assert problems == []
        if len(documents) == 1:
            files.append(path)
            continue
        for document in documents:  # check-jsonschema reads one document per file
            files.append(write(tmp_path / f"{path.stem}-{document.index}.json", "{}"))
            files[-1].write_text(json.dumps(document.data), encoding="utf-8")
    assert len(files) > 8
    report = check(*files)
    assert (report["status"], report["errors"]) == ("ok", [])


SCENARIO = (
    "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n"
    "  target: {base_url: 'http://127.0.0.1:1'}\n"
    "  load: {LOAD}\n"
    "  flows: [{name: f, steps: [{STEP}]}]\n"
)
BUDGET = (
    "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: b}\nspec:\n"
    "  scenario: s.yaml\n  objectives: [{OBJECTIVE}]\n"
)


def _scenario(
    load: str = "executor: constant-vus, vus: 1, duration: 1s", step: str = "path: /"
) -> str:
    return SCENARIO.replace("{LOAD}", "{" + load + "}").replace("{STEP}", "{" + step + "}")


def _budget(objective: str) -> str:
    return BUDGET.replace("{OBJECTIVE}", "{" + objective + "}")


INVALID = {
    # The executor picks the branch: a bare rate is reported as a rate, nothing else.
    "rate-without-unit": (
        _scenario("executor: constant-arrival-rate, rate: 40, duration: 10s"),
        [("$.spec.load.rate", "40 is not of type 'string'")],
    ),
    "unknown-executor": (
        _scenario("executor: constant-vu, vus: 1, duration: 1s"),
        [("$.spec.load.executor", "'constant-vu' is not one of [")],
    ),
    "key-of-another-executor": (
        _scenario("executor: constant-vus, vus: 1, duration: 1s, rate: 5/s"),
        [("$.spec.load", "Additional properties are not allowed ('rate' was unexpected)")],
    ),
    "duration-word": (
        _scenario(step="path: /, timeout: 5 seconds"),
        [("$.spec.flows[0].steps[0].timeout", "'5 seconds' is not valid under any")],
    ),
    "two-kinds-of-check": (
        _scenario(step="path: /, checks: [{status: 200, latency: {max: 1s}}]"),
        [("$.spec.flows[0].steps[0].checks[0]", "is valid under each of")],
    ),
    "status-out-of-range": (
        _scenario(step="path: /, checks: [{status: 700}]"),
        [("$.spec.flows[0].steps[0].checks[0].status", "700 is not valid under any")],
    ),
    "unknown-metric": (
        _budget("metric: latncy, stat: p95, fail: {max: 1s}"),
        [("$.spec.objectives[0].metric", "'latncy' is not one of ['latency',")],
    ),
    "stat-of-another-metric": (
        _budget("metric: error_rate, stat: p95, fail: {max: 1%}"),
        [("$.spec.objectives[0].stat", "'p95' is not one of ['rate']")],
    ),
    "percentage-for-a-latency": (
        _budget("metric: latency, stat: p95, fail: {max: 5%}"),
        [("$.spec.objectives[0].fail.max", "'5%' does not match")],
    ),
    "rate-for-a-throughput": (
        _budget("metric: throughput, fail: {min: 40}"),
        [("$.spec.objectives[0].fail.min", "40 is not of type 'string'")],
    ),
    "latency-without-stat": (
        _budget("metric: latency, fail: {max: 1s}"),
        [("$.spec.objectives[0]", "'stat' is a required property")],
    ),
}


def test_invalid_files_are_refused_for_the_right_reason(tmp_path: Path) -> None:
    files = {name: write(tmp_path / f"{name}.yaml", text) for name, (text, _) in INVALID.items()}
    report = check(*files.values())
    assert report["status"] == "fail"
    found: dict[str, list[tuple[str, str]]] = {}
    for error in report["errors"]:
        found.setdefault(Path(error["filename"]).stem, []).append((error["path"], error["message"]))
    for name, (_, expected) in INVALID.items():
        got = found.get(name, [])
        assert len(got) == len(expected), (name, got)
        for (path, message), (want_path, want_message) in zip(got, expected, strict=True):
            assert path == want_path and want_message in message, (name, got)


@pytest.mark.parametrize("kind", ["budget", "scenario"])
def test_models_that_forbid_extra_keys_say_so_in_the_schema(kind: str) -> None:
    schema = json.loads((REPO / "docs" / "schema" / f"{kind}.schema.json").read_text())
    objects = [
        d for d in schema["$defs"].values() if d.get("type") == "object" and "properties" in d
    ]
    assert objects
    assert all(d.get("additionalProperties") is False for d in objects), [
        d.get("title") for d in objects if d.get("additionalProperties") is not False
    ]
