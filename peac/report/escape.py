"""Escaping for text that came from pull requests (objective and step names) before it goes
into Markdown or an annotation."""

from __future__ import annotations

import html
import re

# Enough to stop emphasis, code, links and images (no [ ]), table breaks and strikethrough;
# HTML is escaped as entities, and values never start a line, so no block syntax can begin.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


def markdown(value: object) -> str:
    """Literal text in Markdown: no HTML, no links, no formatting, no table breaks."""
    text = html.escape(str(value), quote=False).replace("\n", " ").replace("\r", " ")
    return _MARKDOWN.sub(r"\\\1", text)
