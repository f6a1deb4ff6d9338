"""Reading YAML files from pull requests safely, keeping the position of every key and value.

Files are composed (not constructed) into ruamel's node graph, which keeps a position on every
node, and converted to plain Python here, so the limits that untrusted input needs are enforced
in one place: size, binary and encoding checks, only standard tags, no duplicate keys, bounded
nesting and bounded alias expansion ("billion laughs"). Every failure becomes a located
``Problem``, never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from peac.errors import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 40
MAX_VALUES = 100_000
MAX_EXPANDED = 2 * MAX_FILE_BYTES  # characters of scalars after aliases are expanded

Loc = tuple[str | int, ...]
Position = tuple[int, int]

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_STD}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MERGE_TAG = f"{_STD}merge"


@dataclass
class Document:
    """One YAML document of a file, as plain data with positions for every loc."""

    path: str
    index: int
    line: int
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """Where ``loc`` (or its nearest ancestor that exists) is written in the file."""
        table = self.keys if key else self.values
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in table:
                return table[prefix]
            if key and prefix in self.values:
                return self.values[prefix]
        return (self.line, 1)


class _Stop(Exception):
    """Abandons converting a document; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The file's text, or the one problem that keeps it from being read as YAML text."""

    def fail(message: str, line: int = 0, col: int = 0) -> tuple[None, list[Problem]]:
        return None, [Problem(display, line, col, message)]

    try:
        if path.is_dir():
            return fail("is a directory: expected a YAML file")
        if path.exists() and not path.is_file():
            return fail("is not a regular file (a device or pipe?): expected a YAML file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return fail(
                f"file is {size:,} bytes: expected at most {MAX_FILE_BYTES:,} bytes "
                "for a budget or scenario file"
            )
        with path.open("rb") as handle:  # bounded even if the file grows while read
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return fail(f"file is larger than {MAX_FILE_BYTES:,} bytes")
    except FileNotFoundError:
        return fail("no such file")
    except OSError as exc:
        return fail(f"cannot read file: {exc.strerror or exc}")
    if b"\x00" in raw:
        line, col = _line_col(raw, raw.index(b"\x00"))
        return fail("expected a UTF-8 text file, found binary data (a NUL byte)", line, col)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        return fail(f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x}", line, col)
    return text, []


def _line_col(raw: bytes, offset: int) -> Position:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def parse_documents(text: str, display: str) -> tuple[list[Document], list[Problem]]:
    """Every document of the text as plain data, and the problems found on the way.

    The C composer (ruamel.yaml.clib, when installed) is tried first for speed; libyaml follows
    YAML 1.1 in a few corners (``{url: http://host:80}`` is refused), so on any parse error the
    pure-Python YAML 1.2 composer decides. Valid files never pay for the second parse.
    """
    if nesting_estimate(text) > MAX_DEPTH:
        # libyaml recurses in C without a bound: 28,000 open brackets crash the process.
        # The pure-Python composer stops at the interpreter's recursion limit instead.
        return _parse(text, display, YAML(typ="safe", pure=True))
    fast = YAML(typ="safe", pure=False)
    try:
        nodes = list(fast.compose_all(text))
    except (YAMLError, RecursionError):
        return _parse(text, display, YAML(typ="safe", pure=True))
    return _convert_all(nodes, display)


def nesting_estimate(text: str) -> int:
    """An upper bound, cheap to compute, of how deeply the text may nest: open flow brackets
    plus block indentation and "- " entries on a line (quotes and comments are not parsed, so
    it can only overestimate)."""
    deepest = depth = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        dashes = 0
        while stripped.startswith(("- ", "? ", ": ")):
            dashes += 1
            stripped = stripped[2:].lstrip(" ")
        depth += stripped.count("[") + stripped.count("{")
        deepest = max(deepest, depth + indent // 2 + dashes)
        depth = max(0, depth - stripped.count("]") - stripped.count("}"))
    return deepest


def _parse(text: str, display: str, yaml: YAML) -> tuple[list[Document], list[Problem]]:
    try:
        nodes = list(yaml.compose_all(text))
    except MarkedYAMLError as exc:
        return [], [_syntax_problem(display, exc)]
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        )
        message = f"expected printable text, found the control character U+{code:04X}"
        return [], [Problem(display, line, col, message)]
    except RecursionError:
        return [], [Problem(display, 1, 1, f"the document nests deeper than {MAX_DEPTH} levels")]
    except YAMLError as exc:  # pragma: no cover - ruamel raises marked errors for known cases
        return [], [Problem(display, 1, 1, f"invalid YAML: {exc}")]
    return _convert_all(nodes, display)


def _convert_all(nodes: list[Node | None], display: str) -> tuple[list[Document], list[Problem]]:
    documents: list[Document] = []
    problems: list[Problem] = []
    for index, node in enumerate(nodes):
        if node is None:
            continue
        converter = _Converter(display, node.start_mark.line + 1)
        try:
            data = converter.convert(node, (), 0)
        except _Stop as stop:
            problems.append(stop.problem)
            continue
        except RecursionError:
            problems.append(_too_deep(display, node))
            continue
        problems.extend(converter.problems)
        documents.append(
            Document(display, index, converter.start, data, converter.values, converter.keys)
        )
    return documents, problems


def _too_deep(display: str, node: Node) -> Problem:
    mark = node.start_mark
    return Problem(
        display,
        mark.line + 1,
        mark.column + 1,
        f"the document nests deeper than {MAX_DEPTH} levels",
    )


def _syntax_problem(display: str, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = (exc.problem or "").strip()
    if "'\\t'" in problem:
        message = "found a tab character: YAML indentation must use spaces"
    else:
        context = (exc.context or "").strip()
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem(display, line, col, message)


class _Converter:
    """Turns a node graph into plain data with positions, within the safety limits."""

    def __init__(self, display: str, start: int) -> None:
        self.display = display
        self.start = start
        self.count = 0
        self.chars = 0
        self.values: dict[Loc, Position] = {}
        self.keys: dict[Loc, Position] = {}
        self.problems: list[Problem] = []

    def _pos(self, node: Node) -> Position:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _stop(self, node: Node, message: str) -> _Stop:
        line, col = self._pos(node)
        return _Stop(Problem(self.display, line, col, message))

    def convert(self, node: Node, loc: Loc, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Stop(
                Problem(
                    self.display,
                    self.start,
                    1,
                    f"the document expands to more than {MAX_VALUES:,} values "
                    "(aliases repeated too often?)",
                )
            )
        if depth > MAX_DEPTH:
            raise self._stop(node, f"the document nests deeper than {MAX_DEPTH} levels")
        self.values.setdefault(loc, self._pos(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            self._check_tag(node, f"{_STD}seq")
            return [self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self._check_tag(node, f"{_STD}map")
            return self._mapping(node, loc, depth)
        raise self._stop(node, "unsupported YAML node")  # pragma: no cover

    def _check_tag(self, node: Node, expected: str) -> None:
        if str(node.tag) != expected:
            raise self._stop(node, _tag_message(str(node.tag)))

    def _mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if str(key_node.tag) == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self._stop(key_node, "expected a plain key, found a mapping or list as key")
            key = str(key_node.value)
            if key in seen:
                line, col = self._pos(key_node)
                self.problems.append(
                    Problem(
                        self.display,
                        line,
                        col,
                        f'duplicate key "{key}" (first written on line {seen[key]})',
                    )
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            self.keys[(*loc, key)] = self._pos(key_node)
            result[key] = self.convert(value_node, (*loc, key), depth + 1)
        for source in merged:
            for key, value in self._mapping(source, loc, depth).items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: Node) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            return list(node.value)
        raise self._stop(node, "expected a mapping (or list of mappings) to merge with <<")

    def _scalar(self, node: ScalarNode) -> Any:
        tag, text = str(node.tag), str(node.value)
        self.chars += len(text)
        if self.chars > MAX_EXPANDED:
            raise _Stop(
                Problem(
                    self.display,
                    self.start,
                    1,
                    f"the document expands to more than {MAX_EXPANDED:,} characters "
                    "(aliases repeated too often?)",
                )
            )
        if tag not in _SCALAR_TAGS:
            raise self._stop(node, _tag_message(tag))
        if tag == f"{_STD}null":
            return None
        if tag == f"{_STD}bool":
            return text.lower() == "true"
        if tag == f"{_STD}int":
            try:
                return int(text.replace("_", ""), 0)
            except ValueError:
                return text
        if tag == f"{_STD}float":
            lowered = text.lower().replace("_", "")
            if lowered.endswith(".inf"):
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered == ".nan":
                return math.nan
            try:
                return float(lowered)
            except ValueError:
                return text
        return text


def _tag_message(tag: str) -> str:
    shown = "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag
    return f'expected plain YAML, found the tag "{shown}" (tags are not allowed)'


def load_file(path: Path, display: str) -> tuple[list[Document], list[Problem]]:
    """Read and parse one file; problems instead of exceptions for anything a user can cause."""
    text, problems = read_text(path, display)
    if text is None:
        return [], problems
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return [], [
            Problem(
                display, 1, 1, "the file is empty: expected a document with apiVersion and kind"
            )
        ]
    return parse_documents(text, display)
