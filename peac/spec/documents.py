"""Recognising a document's kind and validating it against that kind's model."""

from __future__ import annotations

import difflib
from typing import Any

from peac.errors import Problem, describe, did_you_mean
from peac.spec.budget import Budget
from peac.spec.config import Config
from peac.spec.fields import StrictModel
from peac.spec.locate import validate
from peac.spec.scenario import Scenario
from peac.spec.source import Document
from peac.spec.waiver import Waiver

API_VERSIONS = ("peac/v1",)
KINDS: dict[str, type[StrictModel]] = {
    "Budget": Budget,
    "Scenario": Scenario,
    "Config": Config,
    "Waiver": Waiver,
}


def check_document(document: Document) -> tuple[StrictModel | None, list[Problem]]:
    """The document as its kind's model, or the problems that keep it from being one."""
    data: Any = document.data
    path = document.path

    def problem(loc: tuple[str, ...], message: str) -> list[Problem]:
        line, col = document.position(loc)
        return [Problem(path, line, col, message)]

    if not isinstance(data, dict):
        return None, problem(
            (), f"expected a mapping with apiVersion and kind, got {describe(data)}"
        )
    supported = ", ".join(f'"{v}"' for v in API_VERSIONS)
    if "apiVersion" not in data:
        return None, _missing(document, "apiVersion", f"expected {supported}")
    api = data["apiVersion"]
    if api not in API_VERSIONS:
        return None, problem(
            ("apiVersion",),
            f"apiVersion: unsupported version {describe(api)}: supported are {supported}",
        )
    kinds = ", ".join(f'"{k}"' for k in KINDS)
    if "kind" not in data:
        return None, _missing(document, "kind", f"expected one of {kinds}")
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        hint = did_you_mean(kind, KINDS) if isinstance(kind, str) else ""
        return None, problem(
            ("kind",), f"kind: expected one of {kinds}, got {describe(kind)}{hint}"
        )
    return validate(KINDS[kind], document)


def _missing(document: Document, key: str, expected: str) -> list[Problem]:
    """A missing top-level key, pointed at a misspelling of it when the file has one
    (``apiversion:``), else at the document's start."""
    keys = [k for k in document.data if isinstance(k, str)]
    close = [k for k in keys if k.lower() == key.lower()] or difflib.get_close_matches(
        key, keys, n=1, cutoff=0.75
    )
    if close:
        line, col = document.position((close[0],), key=True)
        return [
            Problem(
                document.path,
                line,
                col,
                f'unknown key "{close[0]}": did you mean "{key}"? ({key}: {expected})',
            )
        ]
    line, col = document.position(())
    return [Problem(document.path, line, col, f'missing required key "{key}": {expected}')]
