"""JSON Schemas of the file kinds, generated from the models (published in docs/schema/).

The models' own schema is then made as strict as JSON Schema can say (``tighten``): enums of the
metrics and their statistics, the unit pattern each metric's limits need, the executor chosen by
``executor`` (if/then, so ``rate: 40`` is reported against the rate of the executor named, not
against every executor), and "exactly one of" keys. What it cannot say (references between
files, templates, regular expressions, comparisons between values) only ``peac validate``
checks: ``VALIDATE_ONLY`` lists it, and the reference docs print that list.
"""

from __future__ import annotations

import json
from typing import Any

from peac.model.metrics import METRICS, Unit
from peac.model.units import written
from peac.spec.fields import DURATION_PATTERN, PERCENT_PATTERN, RATE_PATTERN

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

VALIDATE_ONLY = (
    "a budget's `scenario` file exists, stays inside the repository (no absolute path, `..` or "
    "symlink leading out) and holds the scenario named after `#`",
    "an objective's `step` is a step of that scenario, and no objective is written twice",
    "a warn limit is stricter than its fail limit, `min` is at most `max`, and `abort_on_fail` "
    "has an absolute fail limit",
    "scenario names are unique across the files checked together",
    "feeder files exist inside the repository, are UTF-8 CSV with a header and a data row, and "
    "have every column the templates use",
    "templates (`{{ ... }}`) parse, use only the sandbox's functions, and name only declared "
    "variables, captures, feeders and secrets, each captured before it is used",
    "regular expressions compile, are at most 1000 characters and have no nested unbounded "
    "repeat (catastrophic backtracking); a capture's regex has exactly one group",
    "JMESPath expressions in checks and captures parse",
    "URLs go only to allowed hosts; `allowed_hosts` are bare host names",
    "ordered values: `uniform: [shorter, longer]`, a spike's peak above its base, a stress "
    "test's `max_rate` above `start_rate` and a bounded number of steps",
    "a waiver's `budget` file exists inside the repository and has the `objective` named, and "
    "the waiver has not expired (`expires` is today or later, at most 366 days after `created`)",
    "the YAML itself: no duplicate keys, no tags, bounded size, nesting and alias expansion",
)

_PERCENTILE = r"^p[0-9]{1,2}(\.[0-9]+)?$"
_POSITIVE_PERCENT = r"^\s*\+?[0-9]+(\.[0-9]+)?\s*%\s*$"
_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://\S+$"
_UNIT_SCHEMAS: dict[Unit, dict[str, Any]] = {
    "duration": {"type": "string", "pattern": DURATION_PATTERN, "examples": ["300ms"]},
    "percent": {"type": "string", "pattern": PERCENT_PATTERN, "examples": ["1%"]},
    "rate": {"type": "string", "pattern": RATE_PATTERN, "examples": ["40/s"]},
    "count": {"type": "integer", "minimum": 0},
}
_NULL = {"type": "null"}


def _exactly_one(*keys: str) -> dict[str, Any]:
    return {"oneOf": [{"required": [key]} for key in keys]}


def _limits(unit: Unit) -> dict[str, Any]:
    """The tiers of an objective whose limits are in ``unit``."""
    tier = {"properties": {"max": _UNIT_SCHEMAS[unit], "min": _UNIT_SCHEMAS[unit]}}
    return {"properties": {"warn": tier, "fail": tier}}


def _metric_rules() -> list[dict[str, Any]]:
    """Per metric: its statistics, whether ``stat`` is required, the unit of its limits."""
    rules = []
    for metric in METRICS.values():
        stats: dict[str, Any] = {"enum": list(metric.stats)}
        if metric.unit == "duration":
            stats = {"anyOf": [stats, {"type": "string", "pattern": _PERCENTILE}]}
        then: dict[str, Any] = {"properties": {"stat": stats}}
        if metric.default_stat is None:
            then["required"] = ["stat"]
        if "count" in metric.stats:  # `stat: count` counts instead of taking a share
            then["if"] = {"properties": {"stat": {"const": "count"}}, "required": ["stat"]}
            then["then"] = _limits("count")
            then["else"] = _limits(metric.unit)
        else:
            then["properties"].update(_limits(metric.unit)["properties"])
        rules.append(
            {
                "if": {"properties": {"metric": {"const": metric.name}}, "required": ["metric"]},
                "then": then,
            }
        )
    return rules


def _executors(node: dict[str, Any]) -> dict[str, Any]:
    """A discriminated union as if/then on its discriminator: one branch's errors, not all."""
    key = node["discriminator"]["propertyName"]
    mapping: dict[str, str] = node["discriminator"]["mapping"]
    kept = {k: v for k, v in node.items() if k in ("title", "description")}
    return {
        **kept,
        "type": "object",
        "required": [key],
        "properties": {key: {"enum": list(mapping)}},
        "allOf": [
            {"if": {"properties": {key: {"const": name}}, "required": [key]}, "then": {"$ref": ref}}
            for name, ref in mapping.items()
        ],
    }


def _as_written(prop: dict[str, Any]) -> dict[str, Any]:
    """A property whose default is the parsed number of a unit string (``30.0`` for
    ``graceful_stop``) with the default spelled as a file writes it (``30s``): an editor
    completing the default must complete a value the file accepts."""
    default = prop.get("default")
    if isinstance(default, bool) or not isinstance(default, int | float):
        return prop
    unit = {
        DURATION_PATTERN: "duration",
        PERCENT_PATTERN: "percent",
        RATE_PATTERN: "rate",
    }.get(prop.get("pattern", ""))
    if unit is None:
        return prop
    return {**prop, "default": written(float(default), unit)}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        if "discriminator" in node and "oneOf" in node:
            return _executors(node)
        if "pattern" in node and "default" in node:
            node = _as_written(node)
        return {key: _walk(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item) for item in node]
    return node


def _set(defs: dict[str, Any], name: str, key: str, value: dict[str, Any]) -> None:
    if name in defs:
        defs[name]["properties"][key] = {**defs[name]["properties"][key], **value}


def tighten(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a model's JSON Schema with its ``$defs``) with every rule JSON Schema can
    state that the models check in code."""
    schema = _walk(schema)
    defs: dict[str, Any] = schema.get("$defs", {})
    if "Objective" in defs:
        objective = defs["Objective"]
        named = sorted({stat for m in METRICS.values() for stat in m.stats})
        objective["properties"]["metric"] = {
            **objective["properties"]["metric"],
            "enum": list(METRICS),
        }
        objective["properties"]["stat"] = {
            "anyOf": [{"enum": named}, {"type": "string", "pattern": _PERCENTILE}, _NULL],
            "default": None,
            "description": objective["properties"]["stat"].get("description", ""),
        }
        objective["allOf"] = _metric_rules()
        objective["anyOf"] = [{"required": ["warn"]}, {"required": ["fail"]}]
    if "Tier" in defs:
        tier = defs["Tier"]
        any_unit = {"anyOf": [*_UNIT_SCHEMAS.values(), _NULL]}
        for key in ("max", "min"):
            tier["properties"][key] = {**any_unit, **_described(tier["properties"][key])}
        tier["properties"]["max_regression"] = {
            "anyOf": [{"type": "string", "pattern": _POSITIVE_PERCENT}, _NULL],
            **_described(tier["properties"]["max_regression"]),
        }
        tier["anyOf"] = [{"required": [key]} for key in ("max", "min", "max_regression")]
    for name, keys in (
        ("Check", ("status", "json", "body", "header", "latency")),
        ("Capture", ("json", "header", "regex")),
        ("ThinkTime", ("constant", "uniform", "exponential")),
        ("Step", ("path", "url")),
    ):
        if name in defs:
            defs[name].update(_exactly_one(*keys))
    if "Step" in defs:
        defs["Step"]["not"] = {"required": ["json", "body"]}
        _set(defs, "Step", "path", {"anyOf": [{"type": "string", "pattern": "^(/|\\{\\{)"}, _NULL]})
        _set(defs, "Step", "url", {"anyOf": [{"type": "string", "pattern": _URL}, _NULL]})
    if "BodyCheck" in defs:
        defs["BodyCheck"]["minProperties"] = 1
    code = {"type": "integer", "minimum": 100, "maximum": 599}
    status_class = {"type": "string", "pattern": "^[1-5]xx$"}
    _set(
        defs,
        "Check",
        "status",
        {"anyOf": [code, {"type": "array", "items": code, "minItems": 1}, status_class, _NULL]},
    )
    _set(defs, "Target", "base_url", {"pattern": _URL})
    _set(defs, "Monitor", "url", {"pattern": _URL})
    _set(defs, "BudgetSpec", "scenario", {"minLength": 1})
    return schema


def _described(prop: dict[str, Any]) -> dict[str, Any]:
    return {k: prop[k] for k in ("default", "description", "title") if k in prop}


def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind (``Budget``, ``Scenario``, ``Config`` or ``Waiver``)."""
    from peac.spec.documents import KINDS

    schema = tighten(KINDS[kind].model_json_schema(by_alias=True))
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
    return tighten(
        {
            "$schema": SCHEMA_DIALECT,
            "title": "peac file (Budget, Scenario, Config or Waiver)",
            "type": "object",
            "required": ["apiVersion", "kind"],
            "properties": {"kind": {"enum": list(KINDS)}, "apiVersion": {"const": "peac/v1"}},
            "allOf": branches,
            **defs,
        }
    )


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, as published in docs/schema/."""
    return {
        "peac.schema.json": combined_schema(),
        "budget.schema.json": kind_schema("Budget"),
        "scenario.schema.json": kind_schema("Scenario"),
        "config.schema.json": kind_schema("Config"),
        "waiver.schema.json": kind_schema("Waiver"),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
