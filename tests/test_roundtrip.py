"""Round trip: an unchanged file dumps to the same bytes; an edit changes only its own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from peac.spec.roundtrip import dump, load, roundtrip, sniff_indent
from tests.conftest import EXAMPLES, REPO

FILES = sorted([*(REPO / "budgets").glob("*.yaml"), *(EXAMPLES / "valid").glob("*.yaml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_unchanged_file_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert roundtrip(text) == text


def test_editing_one_limit_changes_one_line() -> None:
    text = (REPO / "budgets" / "shop.budget.yaml").read_text(encoding="utf-8")
    documents, yaml = load(text)
    documents[0]["spec"]["objectives"][0]["fail"]["max"] = "450ms"
    edited = dump(documents, yaml)
    changed = [
        (a, b) for a, b in zip(text.splitlines(), edited.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "      fail: {max: 400ms, max_regression: 25%}",
            "      fail: {max: 450ms, max_regression: 25%}",
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:\n  b:\n    - c: 1\n", (2, 4, 2)),
        ("a:\n    b:\n    -   c\n", (4, 4, 0)),
        ("a:\n- b\n", (2, 2, 0)),
        ("a: 1\n", (2, 4, 2)),
    ],
)
def test_sniff_indent(text: str, expected: tuple[int, int, int]) -> None:
    assert sniff_indent(text) == expected


def test_other_indentation_styles_round_trip() -> None:
    text = (
        "# keep me\nspec:\n    objectives:\n    -   metric: latency  # and me\n        stat: p95\n"
    )
    assert roundtrip(text) == text
