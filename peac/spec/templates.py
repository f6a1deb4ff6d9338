"""Static analysis of step templates: syntax, and which variables each template reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from peac.errors import one_line
from peac.spec.templating import check_constructs, free_names, make_environment


@dataclass(frozen=True)
class TemplateUse:
    """What one template reads: free names, and attributes read from each name."""

    names: frozenset[str] = frozenset()
    attributes: dict[str, frozenset[str]] = field(default_factory=dict)
    error: str = ""


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
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            attributes.setdefault(node.node.name, set()).add(node.attr)
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.node, nodes.Name) and isinstance(item.arg, nodes.Const):
            attributes.setdefault(item.node.name, set()).add(str(item.arg.value))
    return TemplateUse(names, {k: frozenset(v) for k, v in attributes.items()})
