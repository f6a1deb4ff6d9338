"""Escaping for untrusted text (names from pull requests, commit subjects, server answers)
before it goes into Markdown, a terminal or CI log, or a GitHub workflow command: one place,
one function per output format."""

from __future__ import annotations

import html
import re

from peac.errors import one_line

# Enough to stop emphasis, code, links and images (no [ ]), table breaks and strikethrough;
# HTML is escaped as entities, and values never start a line, so no block syntax can begin.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


_JOINER = "\u2060"  # WORD JOINER: invisible, and breaks what GitHub would turn into a link
_AUTOLINKS = (("@", "@" + _JOINER), ("://", ":" + _JOINER + "//"), ("www.", "www" + _JOINER + "."))


def markdown(value: object) -> str:
    """Literal text in Markdown: no HTML, no links (autolinked URLs included), no @mentions,
    no formatting, no table breaks; one line."""
    text = html.escape(one_line(str(value).replace("\n", " ").replace("\r", " ")), quote=False)
    for found, replaced in _AUTOLINKS:
        text = text.replace(found, replaced)
    return _MARKDOWN.sub(r"\\\1", text)


def terminal(value: object) -> str:
    """One line of plain text for a terminal or CI log: control characters (line breaks, ANSI
    escapes) written as visible escapes, so untrusted text cannot forge log lines or colours."""
    return one_line(str(value))


def text_lines(lines: list[str]) -> str:
    """Lines of a report for a terminal or log, each escaped by ``terminal``."""
    return "".join(terminal(line) + "\n" for line in lines)


def workflow_data(text: str) -> str:
    """The message part of a GitHub workflow command (``::error ...::MESSAGE``)."""
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (``file=...,title=...``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula: untrusted text that
    starts like one (``=HYPERLINK(...)``, ``@SUM``, ``-1+1``) gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text
