"""The sandboxed jinja2 environment that renders paths, headers and bodies of steps.

Shared by the compiler (which parses every template and checks the names it uses) and the load
runner (which renders them), so both agree on which names exist. Scenario files are untrusted:
the sandbox blocks attribute access to Python internals, and nothing here reads the environment
or the file system; secrets reach templates only when declared in the scenario.
"""

from __future__ import annotations

import random
import string
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
)


def _random_string(length: int = 8, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return "".join(random.choices(alphabet, k=max(0, min(int(length), 4096))))


def make_environment() -> ImmutableSandboxedEnvironment:
    """A fresh sandbox with peac's helper functions; undefined names are errors, never ''.

    jinja2 is imported here, not at module level: `peac validate` only needs it for files that
    contain templates, and it runs on every commit.
    """
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.globals.update(
        uuid=lambda: str(uuid.uuid4()),
        random_int=lambda low, high: random.randint(int(low), int(high)),
        random_choice=lambda items: random.choice(list(items)),
        random_string=_random_string,
        timestamp=lambda: time.time(),
    )
    return env


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
