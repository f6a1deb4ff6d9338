"""API descriptions (Swagger 2.0, OpenAPI 3.0 and 3.1; YAML or JSON) read safely, and the
JSON Schema validator that proves each generated value valid.

A spec file is untrusted: its size is bounded before it is read, YAML is loaded by ruamel's
safe loader (no tags that build objects; duplicate keys refused) and then copied into plain
data by a walk that counts every value as it would be expanded, so an alias bomb ("billion
laughs") or a recursive alias stops at ``MAX_VALUES`` instead of filling memory. The copy also
turns YAML dates into the ISO strings JSON would have had, writes OpenAPI 3.0's ``nullable``
as the JSON Schema type list the validator understands, and (before 3.1) drops read-only
properties from ``required`` (what a request must send).

Validation is the ``jsonschema`` library's (Draft 4 for 2.0 and 3.0 schemas, 2020-12 for 3.1),
with formats checked, and ``referencing`` resolving the spec's local ``$ref``s: a well-kept
validator of the specification rather than our own reading of it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peac.errors import InputError, one_line, shorten

MAX_BYTES = 32 * 1024 * 1024
MAX_VALUES = 5_000_000  # values after aliases are expanded
MAX_DEPTH = 200
SPEC_URI = "urn:peac:spec"


@dataclass(frozen=True)
class SpecDocument:
    source: str
    version: str  # "2.0", "3.0" or "3.1"
    data: dict[str, Any]


class _TooBig(Exception):
    pass


def _plain(value: Any, depth: int, budget: list[int], nullable: bool) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(f"expands to more than {MAX_VALUES:,} values (aliases?)")
    if depth > MAX_DEPTH:
        raise _TooBig(f"nests deeper than {MAX_DEPTH} levels (a recursive alias?)")
    if isinstance(value, dict):
        out = {str(k): _plain(v, depth + 1, budget, nullable) for k, v in value.items()}
        required, properties = out.get("required"), out.get("properties")
        if nullable and isinstance(required, list) and isinstance(properties, dict):
            # A read-only property is the server's to send: a request omits it (OpenAPI 2.0
            # and 3.0 say so; JSON Schema, and so 3.1, does not), so it is not required of one.
            out["required"] = [
                r
                for r in required
                if not (isinstance(properties.get(r), dict) and properties[r].get("readOnly"))
            ]
        if nullable and (out.get("nullable") is True or out.get("x-nullable") is True):
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1, budget, nullable) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _load_yaml(text: str, display: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="safe").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1} column {mark.column + 1})" if mark is not None else ""
        raise InputError(
            one_line(f"{display}: not YAML: {exc.problem or exc.context}{where}")
        ) from None
    except (YAMLError, RecursionError) as exc:
        raise InputError(one_line(f"{display}: not YAML: {shorten(str(exc), 200)}")) from None


def parse_spec(raw: bytes, display: str) -> SpecDocument:
    """The API description in ``raw``; ``InputError`` with one line when it is not one."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{display}: not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
            ) from None
        except RecursionError:
            raise InputError(f"{display}: nests too deeply") from None
    else:
        data = _load_yaml(text, display)
    if not isinstance(data, dict):
        raise InputError(f"{display}: expected an OpenAPI or Swagger document (a mapping)")
    openapi, swagger = data.get("openapi"), data.get("swagger")
    if isinstance(openapi, str) and openapi.startswith(("3.0", "3.1")):
        version = openapi[:3]
    elif str(swagger) == "2.0":
        version = "2.0"
    else:
        found = openapi if openapi is not None else swagger
        raise InputError(
            f"{display}: expected OpenAPI 3.0 or 3.1 or Swagger 2.0 (an `openapi: 3.x` or "
            f"`swagger: '2.0'` field), got {shorten(one_line(repr(found)), 40)}"
        )
    try:
        plain = _plain(data, 0, [MAX_VALUES], nullable=version != "3.1")
    except _TooBig as exc:
        raise InputError(f"{display}: the document {exc}") from None
    paths = plain.get("paths", {})
    if not isinstance(paths, dict):
        raise InputError(f"{display}: paths: expected a mapping of paths to operations")
    return SpecDocument(display, version, plain)


def read_spec(path: Path, display: str) -> SpecDocument:
    """The API description at ``path``, size-checked before it is read."""
    try:
        if path.is_dir():
            raise InputError(f"{display}: is a folder: expected an OpenAPI file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{display}: {size:,} bytes: expected at most {MAX_BYTES:,} bytes")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{display}: no such file") from None
    except OSError as exc:
        raise InputError(f"{display}: cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(f"{display}: empty: expected an OpenAPI file")
    return parse_spec(raw, display)


def _rebase(value: Any) -> Any:
    """A schema taken out of the document, its local ``$ref``s pointing into the document."""
    if isinstance(value, dict):
        out = {k: _rebase(v) for k, v in value.items()}
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = SPEC_URI + ref
        return out
    if isinstance(value, list):
        return [_rebase(v) for v in value]
    return value


def schema_checker(document: SpecDocument) -> Callable[[Any, Any], str]:
    """A function of (schema, value): '' when the value is valid, else why not (one line)."""
    from jsonschema import Draft4Validator, Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from referencing import Registry, Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT4, DRAFT202012

    modern = document.version == "3.1"
    validator_class: Any = Draft202012Validator if modern else Draft4Validator
    specification = DRAFT202012 if modern else DRAFT4
    resource = Resource.from_contents(document.data, default_specification=specification)
    registry: Any = Registry().with_resource(SPEC_URI, resource)
    checker = validator_class.FORMAT_CHECKER

    def check(schema: Any, value: Any) -> str:
        try:
            validator = validator_class(_rebase(schema), registry=registry, format_checker=checker)
            error = next(iter(validator.iter_errors(value)), None)
        except (SchemaError, RecursionError, LookupError, ValueError, TypeError) as exc:
            return one_line(f"the schema cannot be checked: {shorten(str(exc), 120)}")
        except Unresolvable as exc:  # a $ref that points nowhere
            return one_line(f"the schema cannot be checked: {shorten(str(exc), 120)}")
        if error is None:
            return ""
        where = "/".join(str(p) for p in error.absolute_path)
        return one_line(f"{where + ': ' if where else ''}{shorten(error.message, 160)}")

    return check
