"""JSON Schemas of the file kinds, generated from the models (published in docs/schema/)."""

from __future__ import annotations

import json
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind (``Budget``, ``Scenario`` or ``Config``)."""
    from peac.spec.documents import KINDS

    schema = KINDS[kind].model_json_schema(by_alias=True)
    return {"$schema": SCHEMA_DIALECT, **schema}


def combined_schema() -> dict[str, Any]:
    """One schema for any peac file: the ``kind`` picks which model applies."""
    from pydantic.json_schema import models_json_schema

    from peac.spec.documents import KINDS

    refs, defs = models_json_schema(
        [(model, "validation") for model in KINDS.values()], by_alias=True
    )
    branches = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": refs[(model, "validation")],
        }
        for kind, model in KINDS.items()
    ]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "peac file (Budget, Scenario or Config)",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"kind": {"enum": list(KINDS)}, "apiVersion": {"const": "peac/v1"}},
        "allOf": branches,
        **defs,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, as published in docs/schema/."""
    return {
        "peac.schema.json": combined_schema(),
        "budget.schema.json": kind_schema("Budget"),
        "scenario.schema.json": kind_schema("Scenario"),
        "config.schema.json": kind_schema("Config"),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
