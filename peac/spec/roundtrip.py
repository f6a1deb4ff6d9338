"""Round-trip editing of budget files: load, change a value, dump, with everything else kept.

The recommender and merge tooling rewrite files that humans wrote and review, so a dump of an
unchanged file must give back the same bytes: comments, key order, quoting, flow style and the
file's own indentation. ruamel's round-trip mode keeps most of that; the indentation is sniffed
from the text because ruamel cannot detect it for multi-document files.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

from ruamel.yaml import YAML

_BLOCK_KEY = re.compile(r"^(\s*)(-\s+)?[^\s#-][^:#]*:\s*(#.*)?$")
_INDENT = re.compile(r"^(\s*)(-\s+)?")


def sniff_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, sequence dash offset) used by the text."""
    mapping = offset = None
    dash = 2
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "---", "..."))
    ]
    for line, following in itertools.pairwise(lines):
        parent = _BLOCK_KEY.match(line)
        if not parent:
            continue
        parent_col = len(parent.group(1)) + len(parent.group(2) or "")
        child = _INDENT.match(following)
        assert child is not None
        delta = len(child.group(1)) - parent_col
        if delta < 0:
            continue
        if child.group(2) and offset is None:
            offset, dash = delta, len(child.group(2))
        elif not child.group(2) and mapping is None and delta > 0:
            mapping = delta
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + dash, offset


def _yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = sniff_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def load(text: str) -> tuple[list[Any], YAML]:
    """The documents as ruamel round-trip objects, and the YAML instance that dumps them back."""
    yaml = _yaml(text)
    return list(yaml.load_all(text)), yaml


def dump(documents: list[Any], yaml: YAML) -> str:
    stream = io.StringIO()
    yaml.dump_all(documents, stream)
    return stream.getvalue()


def roundtrip(text: str) -> str:
    """Load and dump without changes; equal to ``text`` for files in peac's supported style."""
    documents, yaml = load(text)
    return dump(documents, yaml)


def set_scalar(mapping: Any, key: str, value: str | int) -> None:
    """Set ``mapping[key]`` to ``value`` in the quoting style of the value it replaces (a
    ``"300ms"`` stays double-quoted), so an edit changes the value and nothing around it."""
    from ruamel.yaml.scalarstring import ScalarString

    old = mapping.get(key)
    if isinstance(value, str) and isinstance(old, ScalarString):
        mapping[key] = type(old)(value)
    else:
        mapping[key] = value
