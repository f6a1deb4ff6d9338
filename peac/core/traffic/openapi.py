"""From an API description (Swagger 2.0, OpenAPI 3.0, 3.1) to a scenario draft: one step per
operation, every parameter and JSON body filled from the spec's ``example``, ``examples``,
``default`` or ``enum``, else generated from its schema, and each value proven valid by the
spec's own schema (``check``, a JSON Schema validator the caller passes in) before it is used.

An operation that cannot be sent as the spec says (a file upload, a streaming response, a
required value no schema can produce, a remote ``$ref``) is skipped with its reason, never
guessed. Local ``$ref``s are followed lazily, so a spec of thousands of schemas costs only what
its operations use; a cycle (a tree of nodes) ends where a property is optional and makes the
operation skipped where it is required. Pure: the reader in ``peac.traffic.openapi`` parsed it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote, urlsplit

from peac.core.traffic.design import identifier, rate_text, step_name
from peac.core.traffic.draft import FlowDraft, ScenarioDraft, StepDraft
from peac.core.traffic.fidelity import Mix
from peac.core.traffic.templater import literal, template
from peac.core.traffic.values import literal_text
from peac.errors import InputError, one_line, shorten

Checker = Callable[[Any, Any], str]  # (schema, value) -> '' when valid, else why not

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
MAX_DEPTH = 12  # schema levels a generated value may have
OPTIONAL_DEPTH = 2  # optional properties are filled down to this depth only
STREAMING = ("text/event-stream", "application/x-ndjson", "application/stream+json")
_SERVER_VAR = re.compile(r"\{([^{}]{1,64})\}")
_FORMATS: dict[str, Any] = {
    "email": "user@example.test",
    "idn-email": "user@example.test",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "date": "2024-01-15",
    "date-time": "2024-01-15T09:30:00Z",
    "time": "09:30:00Z",
    "uri": "https://example.test/",
    "url": "https://example.test/",
    "uri-reference": "/example",
    "iri": "https://example.test/",
    "hostname": "example.test",
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::1",
    "byte": "cGVhYw==",
    "password": "peac-Passw0rd",
    "duration": "PT1M",
}
_CANDIDATES = ("peac", "abc", "ABC", "a", "A", "1", "123", "abc123", "ABC123", "a-b", "a_b",
               "Abc", "x1", "0", "2024-01-15", "peac@example.test", "AB12")  # fmt: skip


class Skip(Exception):
    """An operation cannot be sent as the spec says; the message says why."""


class _Cycle(Exception):
    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


@dataclass(frozen=True)
class OpenApiOptions:
    name: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    source: str = ""
    operations: tuple[str, ...] = ()  # operationIds, "METHOD /path" or tags; () is all


@dataclass
class OpenApiSummary:
    source: str = ""
    version: str = ""
    schemas: int = 0
    operations: int = 0
    kept: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # operation, reason
    servers: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OpenApiDesign:
    draft: ScenarioDraft
    summary: OpenApiSummary
    mix: Mix  # what the scenario sends, each operation once per pass, for --check


class Spec:
    """The document with ``$ref`` resolution (local only, chains followed, loops refused)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.version = "2.0" if str(data.get("swagger")) == "2.0" else str(data["openapi"])[:3]

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise Skip(f"remote $ref {shorten(one_line(ref), 80)} not followed (local ones only)")
        node: Any = self.data
        for raw in ref[1:].split("/")[1:]:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise Skip(f"$ref {shorten(one_line(ref), 80)} points at nothing")
        return node

    def deref(self, node: Any) -> tuple[Any, tuple[str, ...]]:
        """``node`` with its ``$ref`` chain followed, and the refs followed."""
        refs: list[str] = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in refs or len(refs) > 32:
                raise Skip(f"$ref {shorten(one_line(ref), 80)} refers to itself")
            refs.append(ref)
            target = self.pointer(ref)
            if self.version == "3.1" and isinstance(target, dict) and len(node) > 1:
                target = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            node = target
        return node, tuple(refs)


# -- values from schemas --------------------------------------------------------------------


class _Generator:
    def __init__(self, spec: Spec, check: Checker) -> None:
        self.spec = spec
        self.check = check

    def value(self, schema: Any, what: str, examples: list[Any] | None = None) -> tuple[Any, str]:
        """A value valid for ``schema`` and where it came from; ``Skip`` when none is found."""
        tried: list[str] = []
        for source, candidate in examples or []:
            error = self.check(schema, candidate)
            if not error:
                return candidate, source
            tried.append(f"the {source} is invalid ({error})")
        for use_examples in (True, False):
            try:
                found = self.make(schema, 0, (), use_examples)
            except _Cycle as cycle:
                raise Skip(f"{what}: its schema requires itself ({cycle.ref})") from None
            error = self.check(schema, found)
            if not error:
                return found, (
                    "from the schema's examples, defaults or enums"
                    if use_examples
                    else "generated from the schema"
                )
            tried.append(error)
        raise Skip(f"{what}: no valid value found ({'; '.join(tried)[:200]})")

    def make(self, node: Any, depth: int, refs: tuple[str, ...], examples: bool) -> Any:
        if depth > MAX_DEPTH:
            raise Skip(f"the schema nests deeper than {MAX_DEPTH} levels")
        node, followed = self.spec.deref(node)
        for ref in followed:
            if ref in refs:
                raise _Cycle(ref)
        refs = refs + followed
        if node is True or node == {} or node is None:
            return "peac"
        if node is False or not isinstance(node, dict):
            raise Skip("a schema no value satisfies")
        if "const" in node:
            return node["const"]
        if examples:
            if "example" in node:
                return node["example"]
            if isinstance(node.get("examples"), list) and node["examples"]:
                return node["examples"][0]
        if "default" in node:
            return node["default"]
        if isinstance(node.get("enum"), list) and node["enum"]:
            return next((v for v in node["enum"] if v is not None), None)
        if isinstance(node.get("allOf"), list):
            return self.make(self._merged(node), depth + 1, refs, examples)
        for key in ("oneOf", "anyOf"):
            options = node.get(key)
            if isinstance(options, list) and options:
                last: Exception = Skip(f"no option of {key} could be generated")
                for option in options:
                    try:
                        found = self.make(option, depth + 1, refs, examples)
                    except (Skip, _Cycle) as exc:
                        last = exc
                        continue
                    rest = {k: v for k, v in node.items() if k not in (key, "discriminator")}
                    if not self.check({"allOf": [option, rest]} if rest else option, found):
                        return found
                raise last
        return self._typed(node, depth, refs, examples)

    def _merged(self, node: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties", {}))
        required: list[str] = list(merged.get("required", []))
        for part in node["allOf"]:
            sub, _ = self.spec.deref(part)
            if not isinstance(sub, dict):
                continue
            if isinstance(sub.get("allOf"), list):
                sub = self._merged(sub)
            properties.update(sub.get("properties", {}))
            required += [r for r in sub.get("required", []) if r not in required]
            for key, value in sub.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        return merged

    def _typed(
        self, node: dict[str, Any], depth: int, refs: tuple[str, ...], examples: bool
    ) -> Any:
        kinds = node.get("type")
        if isinstance(kinds, list):
            kinds = next((k for k in kinds if k != "null"), "null")
        if kinds is None:
            if "properties" in node or "required" in node:
                kinds = "object"
            elif "items" in node:
                kinds = "array"
            else:
                kinds = "string"
        if kinds == "object":
            return self._object(node, depth, refs, examples)
        if kinds == "array":
            return self._array(node, depth, refs, examples)
        if kinds in ("integer", "number"):
            return _number(node, kinds == "integer")
        if kinds == "boolean":
            return True
        if kinds == "null":
            return None
        if kinds == "file":
            raise Skip("a file")
        return _string(node)

    def _object(
        self, node: dict[str, Any], depth: int, refs: tuple[str, ...], examples: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(node.get("required", []) or [])
        properties = node.get("properties", {}) or {}
        for name, sub in properties.items():
            needed = name in required
            if not needed and depth >= OPTIONAL_DEPTH:
                continue
            resolved, _ = self.spec.deref(sub) if isinstance(sub, dict) else (sub, ())
            read_only = isinstance(resolved, dict) and resolved.get("readOnly")
            if read_only and not (needed and self.spec.version == "3.1"):  # 3.1: annotation
                continue
            try:
                out[name] = self.make(sub, depth + 1, refs, examples)
            except (Skip, _Cycle):
                if needed:
                    raise
        extra = node.get("additionalProperties", True)
        for name in sorted(required - set(out)):
            if name in properties:
                continue  # read-only
            out[name] = self.make(
                extra if isinstance(extra, dict) else {}, depth + 1, refs, examples
            )
        return out

    def _array(
        self, node: dict[str, Any], depth: int, refs: tuple[str, ...], examples: bool
    ) -> list[Any]:
        low = int(node.get("minItems", 0) or 0)
        high = node.get("maxItems")
        n = max(1, low) if high is None else min(max(1, low), int(high))
        if n > 1 and node.get("uniqueItems"):
            raise Skip(f"an array of {n} unique items")
        try:
            item = self.make(node.get("items", {}), depth + 1, refs, examples)
        except _Cycle:
            if low == 0:
                return []
            raise
        return [item] * n


def _bounds(node: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    low, high = node.get("minimum"), node.get("maximum")
    low_open = high_open = False
    if isinstance(node.get("exclusiveMinimum"), bool):
        low_open = node["exclusiveMinimum"]
    elif isinstance(node.get("exclusiveMinimum"), int | float):
        low, low_open = node["exclusiveMinimum"], True
    if isinstance(node.get("exclusiveMaximum"), bool):
        high_open = node["exclusiveMaximum"]
    elif isinstance(node.get("exclusiveMaximum"), int | float):
        high, high_open = node["exclusiveMaximum"], True
    return low, low_open, high, high_open


def _number(node: dict[str, Any], integer: bool) -> int | float:
    low, low_open, high, high_open = _bounds(node)
    step = node.get("multipleOf")
    value: float = 1
    if isinstance(low, int | float) and (value < low or (low_open and value <= low)):
        value = math.floor(low) + 1 if low_open or low != math.floor(low) else low
    if isinstance(high, int | float) and (value > high or (high_open and value >= high)):
        value = math.ceil(high) - 1 if high_open or high != math.ceil(high) else high
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
        if not integer:
            value = round(value, 10)
    if integer:
        return int(value)
    return int(value) if float(value).is_integer() else value


def _string(node: dict[str, Any]) -> str:
    fmt = node.get("format")
    if fmt == "binary":
        raise Skip("a binary string (a file)")
    text = _FORMATS.get(str(fmt), "peac") if fmt else "peac"
    low = int(node.get("minLength", 0) or 0)
    high = node.get("maxLength")
    pattern = node.get("pattern")
    if fmt not in _FORMATS:
        if len(text) < low:
            text += "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except (re.error, RecursionError):
            raise Skip(f"a pattern Python cannot read ({shorten(one_line(pattern), 60)})") from None
        if not compiled.search(text):
            for candidate in _CANDIDATES:
                padded = candidate + "x" * max(0, low - len(candidate))
                if compiled.search(padded) and (not isinstance(high, int) or len(padded) <= high):
                    return padded
            raise Skip(f"a string matching {shorten(one_line(pattern), 60)} without an example")
    return text


# -- operations -----------------------------------------------------------------------------


def _server(spec: Spec, *levels: Any) -> tuple[str, str]:
    """(base path, host) of the first server of the innermost level that lists servers."""
    if spec.version == "2.0":
        return str(spec.data.get("basePath", "") or "").rstrip("/"), str(spec.data.get("host", ""))
    for servers in levels:
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url", ""))
            variables = servers[0].get("variables", {}) or {}

            def value(match: re.Match[str], variables: Any = variables) -> str:
                var = variables.get(match.group(1), {}) if isinstance(variables, dict) else {}
                if isinstance(var, dict) and "default" in var:
                    return str(var["default"])
                enum = var.get("enum") if isinstance(var, dict) else None
                return str(enum[0]) if isinstance(enum, list) and enum else ""

            url = _SERVER_VAR.sub(value, url)
            try:
                parts = urlsplit(url)
            except ValueError:
                return "", ""
            return parts.path.rstrip("/"), parts.hostname or ""
    return "", ""


def server_hosts(data: dict[str, Any]) -> set[str]:
    """Every host the spec's servers name (a --target may be none of them)."""
    spec = Spec(data)
    hosts: set[str] = set()
    levels: list[Any] = [data.get("servers")]
    for item in (data.get("paths") or {}).values():
        if isinstance(item, dict):
            levels.append(item.get("servers"))
            levels += [op.get("servers") for op in item.values() if isinstance(op, dict)]
    for level in levels:
        host = _server(spec, level)[1]
        if host:
            hosts.add(host.lower().split(":")[0])
    return hosts


def _selected(label: str, operation_id: str, tags: list[str], wanted: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    return any(
        w in (operation_id, label) or w in tags or w.upper() == label.upper() for w in wanted
    )


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


@dataclass
class _Parameters:
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    form: list[tuple[str, Any]] = field(default_factory=list)
    body: tuple[Any, str] | None = None  # (value, where from), swagger 2.0 ``in: body``
    sources: list[str] = field(default_factory=list)


class _Operations:
    def __init__(self, spec: Spec, check: Checker, summary: OpenApiSummary) -> None:
        self.spec = spec
        self.gen = _Generator(spec, check)
        self.summary = summary
        self.secrets: dict[str, str] = {}

    def _examples(self, holder: dict[str, Any]) -> list[Any]:
        found: list[Any] = []
        if "example" in holder:
            found.append(("example", holder["example"]))
        examples = holder.get("examples")
        if isinstance(examples, dict):
            for name, example in list(examples.items())[:3]:
                resolved, _ = self.spec.deref(example)
                if isinstance(resolved, dict) and "value" in resolved:
                    found.append((f"example {name}", resolved["value"]))
        elif isinstance(examples, list) and examples:
            found.append(("example", examples[0]))
        if "x-example" in holder:
            found.append(("example", holder["x-example"]))
        return found

    def _parameters(self, item: dict[str, Any], operation: dict[str, Any]) -> _Parameters:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
            param, _ = self.spec.deref(raw)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                raise Skip("a parameter without a name")
            merged[(param["name"], str(param.get("in")))] = param
        out = _Parameters()
        for (name, where), param in merged.items():
            self._parameter(name, where, param, out)
        return out

    def _parameter(self, name: str, where: str, param: dict[str, Any], out: _Parameters) -> None:
        required = bool(param.get("required")) or where == "path"
        if where == "body":
            schema = param.get("schema", {})
            out.body = self.gen.value(schema, "the body", self._examples(param))
            return
        if self.spec.version == "2.0":
            schema = {
                k: v
                for k, v in param.items()
                if k not in ("name", "in", "required", "description", "allowEmptyValue",
                             "collectionFormat", "x-example")
            }  # fmt: skip
            if param.get("type") == "file":
                raise Skip(f"the {where} parameter {name} is a file (multipart)")
        else:
            if "schema" not in param:
                if required:
                    raise Skip(f"the {where} parameter {name} has content, not a schema")
                return
            schema = param["schema"]
        has_example = bool(self._examples(param)) or _has_default(self.spec, schema)
        if not required and not has_example:
            return  # optional and nothing documented to send
        value, source = self.gen.value(
            schema, f"the {where} parameter {name}", self._examples(param)
        )
        out.sources.append(f"{name} {source}")
        if isinstance(value, dict):
            if required:
                raise Skip(f"the {where} parameter {name} is an object")
            return
        if isinstance(value, list):
            explode = param.get("explode", param.get("style", "form") == "form")
            if self.spec.version == "2.0":
                explode = param.get("collectionFormat") == "multi"
            if explode and len(value) > 1 and where == "query":
                raise Skip(f"the query parameter {name} needs {len(value)} repeated values")
            text = ",".join(_scalar(v) for v in value)
        else:
            text = _scalar(value)
        if where == "path":
            if param.get("style", "simple") != "simple":
                raise Skip(f"the path parameter {name} has style {param.get('style')}")
            out.path[name] = text
        elif where == "query":
            out.query[name] = text
        elif where == "header":
            if name.lower() not in ("accept", "content-type", "authorization"):
                out.headers[name] = text
        elif where == "cookie":
            out.cookies.append(f"{name}={text}")
        elif where == "formData":
            out.form.append((name, value))

    def _security(self, operation: dict[str, Any], step: StepDraft, label: str) -> None:
        requirements = operation.get("security", self.spec.data.get("security"))
        if not isinstance(requirements, list) or not requirements:
            return
        if any(r == {} for r in requirements):
            return  # anonymous access is one of the alternatives
        first = requirements[0]
        if not isinstance(first, dict):
            return
        if self.spec.version == "2.0":
            schemes = self.spec.data.get("securityDefinitions", {}) or {}
        else:
            schemes = (self.spec.data.get("components", {}) or {}).get("securitySchemes", {}) or {}
        for name in first:
            scheme, _ = self.spec.deref(schemes.get(name))
            if not isinstance(scheme, dict):
                raise Skip(f"the security scheme {name} is not defined")
            secret = self._secret(name, label)
            kind = str(scheme.get("type", "")).lower()
            if kind == "apikey":
                key, where = str(scheme.get("name", name)), scheme.get("in")
                if where == "query":
                    step.query[key] = secret
                elif where == "cookie":
                    step.headers["cookie"] = f"{literal_text(key)}={secret}"
                else:
                    step.headers[key.lower()] = secret
            elif kind == "basic" or (
                kind == "http" and str(scheme.get("scheme")).lower() == "basic"
            ):
                step.headers["authorization"] = "Basic " + secret
            elif kind == "http" and str(scheme.get("scheme", "")).lower() not in ("bearer", ""):
                step.headers["authorization"] = literal_text(str(scheme["scheme"])) + " " + secret
            else:  # http bearer, oauth2, openIdConnect: a bearer token
                step.headers["authorization"] = "Bearer " + secret

    def _secret(self, scheme: str, label: str) -> str:
        name = identifier(scheme, set(), "secret")
        if name not in self.secrets:
            env = "PEAC_" + name.upper()
            self.secrets[name] = env
            self.summary.secrets.append(
                f"{name} (from ${env}): security scheme {one_line(scheme)[:60]}"
            )
        return "{{ secrets." + name + " }}"

    def _body(self, operation: dict[str, Any], step: StepDraft, params: _Parameters) -> str:
        if self.spec.version == "2.0":
            consumes = operation.get("consumes", self.spec.data.get("consumes", [])) or []
            if params.body is not None:
                step.json, source = params.body
                step.has_json = True
                return f"body {source}"
            if params.form:
                if any("multipart" in str(c) for c in consumes) and not any(
                    "urlencoded" in str(c) for c in consumes
                ):
                    raise Skip("a multipart/form-data body")
                step.body = "&".join(
                    f"{quote_plus(k)}={quote_plus(_scalar(v))}" for k, v in params.form
                )
                step.headers["content-type"] = "application/x-www-form-urlencoded"
                return "form fields"
            return ""
        raw = operation.get("requestBody")
        if raw is None:
            return ""
        body, _ = self.spec.deref(raw)
        if not isinstance(body, dict):
            return ""
        content = body.get("content", {}) or {}
        required = bool(body.get("required"))
        json_type = next(
            (t for t in content if t.split(";")[0].strip().lower().endswith(("/json", "+json"))),
            None,
        )
        if json_type is not None:
            media = content[json_type] or {}
            step.json, source = self.gen.value(
                media.get("schema", {}), "the body", self._examples(media)
            )
            step.has_json = True
            if json_type.lower() != "application/json":
                step.headers["content-type"] = literal_text(json_type)
            return f"body {source}"
        if "application/x-www-form-urlencoded" in content:
            media = content["application/x-www-form-urlencoded"] or {}
            value, source = self.gen.value(
                media.get("schema", {}), "the form", self._examples(media)
            )
            if not isinstance(value, dict) or any(
                isinstance(v, dict | list) for v in value.values()
            ):
                raise Skip("a form body with nested fields")
            step.body = "&".join(
                f"{quote_plus(k)}={quote_plus(_scalar(v))}" for k, v in value.items()
            )
            step.headers["content-type"] = "application/x-www-form-urlencoded"
            return f"form {source}"
        types = ", ".join(one_line(t)[:40] for t in content) or "no content type"
        if required:
            kind = "multipart" if any("multipart" in t for t in content) else "binary or streaming"
            what = (
                f"a {kind} body ({types})"
                if kind == "multipart" or "octet" in types
                else f"a body only as {types}"
            )
            raise Skip(what)
        self.summary.notes.append(f"{step.name}: the optional body ({types}) is not sent")
        return ""

    def step(
        self, path: str, method: str, item: dict[str, Any], operation: dict[str, Any]
    ) -> tuple[StepDraft, str]:
        """The step of one operation and the target it sends (for the mix); ``Skip`` if none."""
        responses = operation.get("responses", {}) or {}
        produces = operation.get("produces", self.spec.data.get("produces", [])) or []
        for code, raw in responses.items():
            response, _ = self.spec.deref(raw)
            types = list((response.get("content") or {}) if isinstance(response, dict) else [])
            if str(code).startswith("2") and any(
                t.split(";")[0] in STREAMING for t in types + list(produces)
            ):
                raise Skip(
                    "a streaming response ("
                    + ", ".join(t for t in types + list(produces) if t.split(";")[0] in STREAMING)[
                        :60
                    ]
                    + ")"
                )
        params = self._parameters(item, operation)
        base, _ = _server(
            self.spec, operation.get("servers"), item.get("servers"), self.spec.data.get("servers")
        )
        segments: list[str] = []
        for segment in path.split("/"):

            def fill(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in params.path:
                    raise Skip(f"the path parameter {name} is not described")
                return params.path[name]

            filled = re.sub(r"\{([^{}]+)\}", fill, segment)
            segments.append(literal(filled) if filled else "")
        sent = base + "/".join(segments)
        shown = step_name(
            method.upper(),
            re.sub(r"\{([^{}]+)\}", lambda m: ":" + re.sub(r"\W", "_", m.group(1)), base + path),
        )
        step = StepDraft(shown, method.upper(), sent or "/")
        step.query = {k: literal_text(v) for k, v in params.query.items()}
        step.headers = {k.lower(): literal_text(v) for k, v in params.headers.items()}
        if params.cookies:
            step.headers["cookie"] = literal_text("; ".join(params.cookies))
        body_source = self._body(operation, step, params)
        if step.has_json:
            step.json = _template_safe(step.json)
        self._security(operation, step, shown)
        codes = sorted(int(c) for c in responses if str(c).isdigit() and 200 <= int(c) < 300)
        if len(codes) == 1:
            step.checks.append({"status": codes[0]})
        elif codes:
            step.checks.append({"status": codes})
        elif any(str(c).upper() == "2XX" for c in responses):
            step.checks.append({"status": "2xx"})
        documented = ", ".join(str(c) for c in list(responses)[:8]) or "none"
        operation_id = operation.get("operationId")
        parts = [
            f"operationId {one_line(str(operation_id))[:60]}"
            if operation_id
            else f"{method.upper()} {path}"
        ]
        parts.append(f"documented responses: {documented}")
        if params.sources:
            parts.append("parameters: " + ", ".join(params.sources))
        if body_source:
            parts.append(body_source)
        step.comment = "; ".join(parts)
        query = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in params.query.items())
        return step, sent + (f"?{query}" if query else "")


def _has_default(spec: Spec, schema: Any) -> bool:
    try:
        resolved, _ = spec.deref(schema)
    except Skip:
        return False
    return isinstance(resolved, dict) and any(
        k in resolved for k in ("example", "examples", "default", "enum")
    )


def _template_safe(value: Any) -> Any:
    """A JSON body whose strings render as themselves (no ``{{`` runs as a template)."""
    if isinstance(value, dict):
        return {str(k): _template_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_template_safe(v) for v in value]
    if isinstance(value, str):
        return literal_text(value)
    return value


def design_openapi(data: dict[str, Any], options: OpenApiOptions, check: Checker) -> OpenApiDesign:
    """The scenario of an API description: see the module's docstring."""
    spec = Spec(data)
    summary = OpenApiSummary(
        source=options.source,
        version=f"{'Swagger' if spec.version == '2.0' else 'OpenAPI'} {spec.version}",
    )
    schemas = (
        data.get("definitions")
        if spec.version == "2.0"
        else (data.get("components") or {}).get("schemas")
    )
    summary.schemas = len(schemas) if isinstance(schemas, dict) else 0
    summary.servers = sorted(server_hosts(data))
    operations = _Operations(spec, check, summary)
    by_tag: dict[str, list[StepDraft]] = {}
    endpoints: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    matched: set[str] = set()
    for path, raw_item in (data.get("paths") or {}).items():
        try:
            item, _ = spec.deref(raw_item)
        except Skip as exc:
            summary.skipped.append((one_line(str(path))[:100], str(exc)))
            continue
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            label = f"{method.upper()} {path}"
            operation_id = str(operation.get("operationId", ""))
            tags = [str(t) for t in operation.get("tags", []) or []]
            if not _selected(label, operation_id, tags, options.operations):
                continue
            matched |= {w for w in options.operations if w in (label, operation_id) or w in tags}
            summary.operations += 1
            name = one_line(operation_id or label)[:100]
            try:
                step, sent = operations.step(str(path), method, item, operation)
            except (Skip, RecursionError) as exc:
                reason = str(exc) if isinstance(exc, Skip) else "its schemas nest too deeply"
                summary.skipped.append((name, reason))
                continue
            summary.kept.append(name)
            by_tag.setdefault(tags[0] if tags else "operations", []).append(step)
            endpoints[f"{step.method} {template(sent).path}"] += 1
            methods[step.method] += 1
    unknown = [w for w in options.operations if w not in matched]
    if unknown and not summary.operations:
        raise InputError(
            f"--operations: no operation is named {', '.join(unknown[:5])} "
            '(an operationId, "METHOD /path" or a tag)'
        )
    flows: list[FlowDraft] = []
    taken: set[str] = set()
    for tag, steps in by_tag.items():
        seen: Counter[str] = Counter()
        for step in steps:
            seen[step.name] += 1
            if seen[step.name] > 1:
                step.name = f"{step.name[:74]} {seen[step.name]}"
        flow_name = one_line(tag)[:60] or "operations"
        name, n = flow_name, 2
        while name in taken:
            name, n = f"{flow_name} {n}", n + 1
        taken.add(name)
        flows.append(
            FlowDraft(
                name,
                1.0,
                steps,
                f"the {len(steps)} operation(s) tagged {one_line(tag)[:60]}, in the spec's order",
            )
        )
    worst = max((0.5 * len(f.steps) for f in flows), default=1.0)
    header = [
        f"Generated by `peac generate from-openapi` from {one_line(options.source)[:100]} "
        f"({summary.version}).",
        f"{len(summary.kept)} of {summary.operations} operations made into steps; "
        f"{len(summary.skipped)} skipped (see the report for why).",
        "Every parameter and body is the spec's example, default or enum, or generated from its "
        "schema, and checked valid against that schema.",
    ]
    if summary.servers:
        header.append(
            f"Servers in the spec: {', '.join(summary.servers[:5])}; load goes to the target "
            "below, never there."
        )
    draft = ScenarioDraft(
        name=options.name,
        description="Generated by peac generate from-openapi from "
        + one_line(options.source)[:100],
        base_url=options.base_url,
        allowed_hosts=list(options.allowed_hosts),
        load={
            "executor": "constant-arrival-rate",
            "rate": rate_text(1.0),
            "duration": "1m",
            "max_vus": max(10, math.ceil(2 * worst) + 10),
        },
        flows=flows,
        header=header,
        load_comment="a spec says nothing of load: 1 iteration/s for 1 minute is a starting "
        f"point to set; max_vus: 2 x 1/s x {worst:.1f} s per iteration, + 10",
        target_comment="never a server of the spec: see the header",
        secrets=dict(sorted(operations.secrets.items())),
        secrets_comment=(
            "credentials of the security schemes, read from these environment variables when "
            "the scenario runs"
        )
        if operations.secrets
        else "",
    )
    mix = Mix(dict(endpoints), dict(methods), {"2xx": sum(endpoints.values())}, {})
    return OpenApiDesign(draft, summary, mix)
