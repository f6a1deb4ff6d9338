"""Static analysis of step templates: syntax, and which variables each template reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from peac.errors import one_line
from peac.spec.templating import (
    check_constructs,
    free_names,
    make_environment,
    template_strings,
)


@dataclass(frozen=True)
class TemplateUse:
    """What one template reads: free names, and attributes read from each name."""

    names: frozenset[str] = frozenset()
    attributes: dict[str, frozenset[str]] = field(default_factory=dict)
    error: str = ""
    whole: frozenset[str] = frozenset()  # names also read whole, or with a computed key


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return make_environment()


@cache
def analyse(text: str) -> TemplateUse:
    """Parse ``text`` (never compile or evaluate it); a syntax error or a construct scenario
    templates may not use comes back as a message, never raised."""
    env = _environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return TemplateUse(
            error=f"template syntax error: {one_line(str(exc.message))[:200]} "
            f"(template line {exc.lineno})"
        )
    except RecursionError:
        return TemplateUse(error="template syntax error: nested too deeply")
    refused = check_constructs(tree)
    if refused:
        return TemplateUse(error=refused)
    names = free_names(tree)
    attributes: dict[str, set[str]] = {}
    covered: dict[str, int] = {}
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            attributes.setdefault(node.node.name, set()).add(node.attr)
            covered[node.node.name] = covered.get(node.node.name, 0) + 1
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.node, nodes.Name) and isinstance(item.arg, nodes.Const):
            attributes.setdefault(item.node.name, set()).add(str(item.arg.value))
            covered[item.node.name] = covered.get(item.node.name, 0) + 1
    loads: dict[str, int] = {}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load":
            loads[name.name] = loads.get(name.name, 0) + 1
    whole = frozenset(n for n, count in loads.items() if count > covered.get(n, 0))
    return TemplateUse(names, {k: frozenset(v) for k, v in attributes.items()}, whole=whole)


def secrets_read(values: Iterable[Any], declared: Iterable[str]) -> frozenset[str]:
    """The secrets the templates among ``values`` (strings, JSON-like bodies) read: by name, or
    all of them when one reads ``secrets`` whole or with a computed key."""
    found: set[str] = set()
    for value in values:
        for _, text in template_strings(value):
            use = analyse(text)
            if "secrets" in use.whole:
                return frozenset(declared)
            found |= use.attributes.get("secrets", frozenset())
    return frozenset(found)
