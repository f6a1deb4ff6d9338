"""Regular expressions from pull requests run against server responses in the load runner's
hot path, where Python's ``re`` cannot be interrupted. A nested unbounded repeat such as
``(a+)+$`` can backtrack for exponential time on an unlucky body, so the compiler refuses it.

The check walks the pattern as the standard library's own parser (``re._parser``) reads it: an
unbounded repeat with another unbounded repeat inside it is refused. That is the classic cause
of catastrophic backtracking; the few harmless patterns it also refuses are easily written
without the outer repeat.
"""

from __future__ import annotations

import importlib
from typing import Any


def nested_repeat(pattern: str) -> bool:
    """Whether ``pattern`` repeats, without bound, something that itself repeats without bound."""
    try:  # private modules, typed by nothing: looked up by name
        constants: Any = importlib.import_module("re._constants")
        parser: Any = importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - other Pythons: no check rather than a crash
        return False
    try:
        parsed = parser.parse(pattern)
    except Exception:  # the compiler already reported what re thought of it
        return False
    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT}

    def walk(node: Any, inside: bool) -> bool:
        if isinstance(node, parser.SubPattern):
            return any(walk(item, inside) for item in node.data)
        if isinstance(node, tuple) and len(node) == 2 and node[0] in repeats:
            _, high, body = node[1]
            open_ended = high == constants.MAXREPEAT
            return (open_ended and inside) or walk(body, inside or open_ended)
        if isinstance(node, tuple | list):
            return any(walk(item, inside) for item in node)
        return False

    return walk(parsed, False)
