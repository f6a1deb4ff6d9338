"""Turning pydantic's validation errors into located, actionable problems.

pydantic reports a ``loc`` tuple that may contain union tags (``"constant-vus"``) and type names
next to real keys and indices; the real ones are kept by walking the document's data alongside
it, then mapped onto the positions the YAML loader recorded.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from peac.errors import Problem, describe, did_you_mean
from peac.spec.source import Document, Loc

M = TypeVar("M", bound=BaseModel)

_TYPE_NOUNS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
}


def dotted(loc: Loc) -> str:
    """``spec.flows[0].steps[2]`` from ``("spec", "flows", 0, "steps", 2)``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate(
    model: type[M], document: Document, data: Any = None
) -> tuple[M | None, list[Problem]]:
    """The validated model, or every problem pydantic found, each pointing at its place."""
    try:
        return model.model_validate(document.data if data is None else data), []
    except ValidationError as exc:
        problems = [_problem(model, document, error) for error in exc.errors(include_url=False)]
        return None, sorted(set(problems), key=lambda p: (p.line, p.col, p.message))


def _real_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Loc, bool]:
    """Keys and indices of ``loc`` that exist in ``data``; True when the last one was a dict key
    error (pydantic's ``[key]`` marker)."""
    real: list[str | int] = []
    node = data
    key_error = False
    for part in loc:
        if part == "[key]":
            key_error = True
            continue
        if _has(node, part):
            real.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            real.append(part)  # a missing key: keep it for the message
            node = None
    return tuple(real), key_error


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return False


def _problem(model: type[BaseModel], document: Document, error: ErrorDetails) -> Problem:
    kind = error["type"]
    loc, key_error = _real_loc(document.data, tuple(error["loc"]))
    found = error.get("input")
    ctx = error.get("ctx") or {}
    where = dotted(loc)
    position = document.position(loc, key=key_error or kind == "extra_forbidden")
    if kind == "missing":
        parent = loc[:-1]
        position = document.position(parent)
        message = f'missing required key "{loc[-1]}"'
        where = dotted(parent)
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, tuple(error["loc"][:-1]))
        key = str(loc[-1])
        hint = did_you_mean(key, allowed)
        if not hint and allowed:
            hint = ": expected one of " + ", ".join(allowed)
        message = f'unknown key "{key}"{hint}'
    elif kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message = _choice_message(options, found)
    elif kind == "union_tag_invalid":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        discriminator = str(ctx.get("discriminator", "")).strip("'")
        loc = (*loc, discriminator)
        where = dotted(loc)
        position = document.position(loc)
        message = _choice_message(options, ctx.get("tag"))
    elif kind == "union_tag_not_found":
        discriminator = str(ctx.get("discriminator", "")).strip("'")
        message = f'missing required key "{discriminator}"'
    elif kind in _TYPE_NOUNS:
        message = f"expected {_TYPE_NOUNS[kind]}, got {describe(found)}"
    elif kind == "too_short":
        message = (
            f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
        )
    elif kind == "too_long":
        message = (
            f"expected at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
        )
    elif kind == "string_pattern_mismatch":
        message = f"expected text matching {ctx.get('pattern')}, got {describe(found)}"
    else:
        text = error["msg"]
        text = text[0].lower() + text[1:] if text else kind
        if isinstance(found, dict | list) and kind not in ("value_error", "assertion_error"):
            message = text
        else:
            message = (
                f"{text}, got {describe(found)}" if not isinstance(found, dict | list) else text
            )
    line, col = position
    return Problem(document.path, line, col, f"{where}: {message}" if where else message)


def _choice_message(options: list[str], found: object) -> str:
    listed = ", ".join(f'"{o}"' for o in options)
    hint = did_you_mean(found, options) if isinstance(found, str) else ""
    return f"expected one of {listed}, got {describe(found)}{hint}"


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any]:
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(tp) if a is not type(None)]
    return [tp]


def _tag_of(member: Any) -> set[str]:
    names = {getattr(member, "__name__", "")}
    if isinstance(member, type) and issubclass(member, BaseModel):
        for field in member.model_fields.values():
            if get_origin(field.annotation) is not None and str(
                get_origin(field.annotation)
            ).endswith("Literal"):
                names.update(str(a) for a in get_args(field.annotation))
    return names


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts (for did-you-mean on unknown keys)."""
    tp: Any = root
    for part in loc:
        members = _union_members(_unwrap(tp))
        if len(members) > 1:
            chosen = [m for m in members if part in _tag_of(m)]
            if chosen:
                tp = chosen[0]
                continue
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = models[0] if models else members[0]
        else:
            tp = members[0]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return []
            tp = field.annotation
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return []
    members = [
        m for m in _union_members(_unwrap(tp)) if isinstance(m, type) and issubclass(m, BaseModel)
    ]
    if not members:
        return []
    return [f.alias or n for n, f in members[0].model_fields.items()]
