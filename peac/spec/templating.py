"""The sandboxed jinja2 environment that renders paths, headers and bodies of steps.

Shared by the compiler (which parses every template, checks the constructs and names it uses)
and the load runner (which renders them), so both agree on what a template may do. Scenario
files come from pull requests, so a template is untrusted code; the defences, each bounded:

- the jinja2 sandbox (no attribute access to Python internals), with only harmless globals
  and filters (no ``lipsum``, ``namespace``, ``format``, ``center``, ``indent``...);
- a small language: expressions, ``if`` and ``for``; no ``set``, macros, blocks, includes or
  imports (``check_constructs``), so nothing accumulates and nothing reaches other files;
- arithmetic that cannot explode: ``*``, ``**``, ``+`` and ``%`` on strings, lists and big
  numbers are checked before they are computed (``MAX_TEXT``, ``MAX_BITS``);
- loops that cannot run away: ``range`` charges every render a budget of iterations;
- rendering that stops: output is streamed and cut at ``MAX_RENDER`` characters or
  ``MAX_RENDER_SECONDS`` of time (``render_text``).

Nothing here reads the environment or the file system; secrets reach templates only when
declared in the scenario. Static analysis never evaluates anything (jinja2's own
``meta.find_undeclared_variables`` folds constants, which ran ``9 ** 9 ** 9`` in ``validate``).
"""

from __future__ import annotations

import contextvars
import math
import operator
import random
import string
import time
import types
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

BUILTIN_NAMES = (
    "vu",
    "iteration",
    "uuid",
    "random_int",
    "random_choice",
    "random_string",
    "timestamp",
    "secrets",
    "range",
    "dict",
)
MAX_TEXT = 1 << 20  # characters (or items) one operation may produce
MAX_BITS = 4096  # size of an integer a power may produce
MAX_ITERATIONS = 1_000_000  # range() items one render may loop over, all loops together
MAX_RENDER = 1 << 20  # characters one rendered template may have
MAX_RENDER_SECONDS = 0.25
SAFE_FILTERS = frozenset(
    {
        "abs", "attr", "batch", "capitalize", "count", "d", "default", "dictsort", "e",
        "escape", "first", "float", "forceescape", "int", "items", "join", "last", "length",
        "list", "lower", "map", "max", "min", "random", "reject", "rejectattr", "replace",
        "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string",
        "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper",
        "urlencode", "wordcount",
    }
)  # fmt: skip
# Methods a template may call on values (strings, lists, dicts): the ones whose result is no
# bigger than their input. ``"a".ljust(10**9)`` and friends are refused.
SAFE_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
        "startswith", "endswith", "find", "rfind", "index", "count", "partition",
        "rpartition", "title", "capitalize", "casefold", "swapcase", "isdigit", "isalpha",
        "isalnum", "isspace", "islower", "isupper", "removeprefix", "removesuffix", "replace",
        "get", "keys", "values", "items",
    }
)  # fmt: skip
_BUDGET: contextvars.ContextVar[list[int]] = contextvars.ContextVar("template_budget")


class TemplateLimit(Exception):
    """A template tried to do more than a scenario template may (size, loops, time)."""


def _random_string(length: int = 8, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return "".join(random.choices(alphabet, k=max(0, min(int(length), 4096))))


def _range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    budget = _BUDGET.get(None)
    if budget is None:  # outside render_text (a test rendering directly): one range's worth
        budget = [MAX_ITERATIONS]
    budget[0] -= len(numbers)
    if budget[0] < 0:
        raise TemplateLimit(f"loops over more than {MAX_ITERATIONS:,} items in one render")
    return iter(numbers)


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple | bytes) else 0


def _bounded_binop(op: str, left: Any, right: Any) -> Any:
    """``*``, ``**``, ``+`` and ``%`` with their result size checked before computing it."""
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if _size(seq) and isinstance(times, int) and _size(seq) * times > MAX_TEXT:
                raise TemplateLimit(f"a repetition longer than {MAX_TEXT:,} items")
        return operator.mul(left, right)
    if op == "**":
        whole = isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
        if whole and right * math.log2(abs(left)) > MAX_BITS:
            raise TemplateLimit(f"a power larger than {MAX_BITS} bits")
        return operator.pow(left, right)
    if op == "+":
        if _size(left) + _size(right) > MAX_TEXT:
            raise TemplateLimit(f"a concatenation longer than {MAX_TEXT:,} items")
        return operator.add(left, right)
    if op == "%":
        if isinstance(left, str):
            raise TemplateLimit("printf-style % formatting is not available in templates")
        return operator.mod(left, right)
    raise TemplateLimit(f"operator {op} is not available")  # pragma: no cover


def _bounded_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, int(count))
    if len(text) + hits * (len(new) - len(old)) > MAX_TEXT:
        raise TemplateLimit(f"a replacement longer than {MAX_TEXT:,} characters")
    return text.replace(old, new, -1 if count is None else int(count))


def make_environment() -> ImmutableSandboxedEnvironment:
    """A fresh sandbox with peac's helper functions; undefined names are errors, never ''.

    jinja2 is imported here, not at module level: `peac validate` only needs it for files that
    contain templates, and it runs on every commit.
    """
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return _bounded_binop(operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            owner = getattr(__obj, "__self__", None)
            if isinstance(__obj, types.BuiltinMethodType) and not isinstance(
                owner, types.ModuleType | type(None)
            ):
                name = __obj.__name__
                if name not in SAFE_METHODS:
                    raise TemplateLimit(f"the method .{name}() is not available in templates")
                if name == "replace" and isinstance(owner, str):
                    return _bounded_replace(owner, *args, **kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    env = Sandbox(undefined=StrictUndefined, autoescape=False)
    env.filters = {k: v for k, v in env.filters.items() if k in SAFE_FILTERS}
    env.filters["replace"] = _bounded_replace
    env.globals = {
        "range": _range,
        "dict": dict,
        "uuid": lambda: str(uuid.uuid4()),
        "random_int": lambda low, high: random.randint(int(low), int(high)),
        "random_choice": lambda items: random.choice(list(items)),
        "random_string": _random_string,
        "timestamp": lambda: time.time(),
    }
    return env


def render_text(
    template: Template, context: dict[str, Any], clock: Callable[[], float] = time.perf_counter
) -> str:
    """Render within the limits: at most ``MAX_RENDER`` characters, ``MAX_RENDER_SECONDS``
    and ``MAX_ITERATIONS`` loop items. Any failure raises (the runner counts it as a
    ``template`` failure); its text is never shown, since it may hold rendered secrets."""
    token = _BUDGET.set([MAX_ITERATIONS])
    try:
        deadline = clock() + MAX_RENDER_SECONDS
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_RENDER:
                raise TemplateLimit(f"rendered to more than {MAX_RENDER:,} characters")
            if clock() > deadline:
                raise TemplateLimit(f"took more than {MAX_RENDER_SECONDS:g}s to render")
            parts.append(chunk)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)


# -- static checks (the compiler) -------------------------------------------------------------

_ALLOWED_NODES = frozenset(
    {
        "Template", "Output", "TemplateData", "Name", "Const", "Getattr", "Getitem", "Slice",
        "Filter", "Test", "Call", "Keyword", "Compare", "Operand", "And", "Or", "Not", "Neg",
        "Pos", "CondExpr", "Concat", "Add", "Sub", "Mul", "Div", "FloorDiv", "Mod", "Pow",
        "List", "Tuple", "Dict", "Pair", "If", "For",
    }
)  # fmt: skip
_STATEMENTS = {
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Include": "{% include %}",
    "Extends": "{% extends %}",
    "Import": "{% import %}",
    "FromImport": "{% from ... import %}",
    "Block": "{% block %}",
    "FilterBlock": "{% filter %}",
    "With": "{% with %}",
    "Scope": "a scope",
}


def check_constructs(tree: nodes.Template) -> str:
    """Why the template uses something scenario templates may not, or ''."""
    from jinja2 import nodes

    for node in tree.find_all(nodes.Node):
        kind = type(node).__name__
        if kind not in _ALLOWED_NODES:
            what = _STATEMENTS.get(kind, kind)
            return (
                f"templates may use expressions, if and for; {what} is not available in "
                "scenario templates"
            )
        if isinstance(node, nodes.Filter | nodes.Test) and node.name is None:
            return "templates may not use filter blocks"
        if isinstance(node, nodes.Filter) and node.name not in SAFE_FILTERS:
            return f'the filter "{node.name}" is not available in scenario templates'
    return ""


def free_names(tree: nodes.Template) -> frozenset[str]:
    """Names a template reads that it does not bind itself (loop variables), found by walking
    the tree: nothing is compiled or evaluated."""
    from jinja2 import nodes

    stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    loaded = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}
    return frozenset(loaded - stored - {"loop"})


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def template_strings(value: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string inside a JSON-like value that uses template syntax, with its relative loc."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(value, str):
        if is_template(value):
            found.append(((), value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(((key, *loc), text) for loc, text in template_strings(item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(((index, *loc), text) for loc, text in template_strings(item))
    return found
