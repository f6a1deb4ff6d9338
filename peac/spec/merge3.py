"""Three-way merge of peac YAML files (budgets, scenarios) by meaning, not by line.

Two branches that edit different objectives, different keys or different steps of one budget
merge cleanly even when their lines touch. Lists whose items have an identity are merged item by
item: objectives by (step, metric, stat), flows, steps and other named items by ``name``. When
both sides change the same limit (``max``, ``min``, ``max_regression``), the stricter value wins
and a comment on the line records both; any other change of the same value by both sides is a
conflict, which the caller turns into git's usual conflict markers.

The merge edits "ours" in place (ruamel round-trip objects), so the comments, order and quoting
of everything that did not change are kept.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from peac.model import units

STRICTER_LOWER = ("max", "max_regression")  # a smaller value is stricter
STRICTER_HIGHER = ("min",)  # a larger value is stricter
MAX_DEPTH = 64


class Conflict(Exception):
    """Both sides changed the same thing in different ways, and no rule settles it."""

    def __init__(self, where: str, ours: object, theirs: object) -> None:
        super().__init__(f"{where or 'the document'}: ours {ours!r}, theirs {theirs!r}")
        self.where = where


@dataclass
class Outcome:
    """What the merge did beyond taking one side's change: for the driver's one-line report."""

    resolved: list[str] = field(default_factory=list)  # "spec.objectives[...].fail.max: ..."


def _plain(value: Any) -> Any:
    """The value without ruamel's comments and styles, for comparing sides."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value) if isinstance(value, float) else int(value)
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(_plain(a) == _plain(b))


def _identity(item: Any) -> Hashable | None:
    """What makes a list item the same item on every side, or None when it has no identity."""
    if not isinstance(item, dict):
        return None
    if "metric" in item:
        return ("objective", item.get("step"), item.get("metric"), item.get("stat"))
    if "name" in item and isinstance(item["name"], str):
        return ("name", item["name"])
    return None


def _identities(items: Any) -> dict[Hashable, Any] | None:
    """The items by identity, or None when the list cannot be merged item by item."""
    if not isinstance(items, list):
        return None
    found: dict[Hashable, Any] = {}
    for item in items:
        key = _identity(item)
        if key is None or key in found:
            return None
        found[key] = item
    return found


def _parse_limit(value: Any) -> float | None:
    """A limit in any of the units a budget writes (``250ms``, ``5%``, ``40/s``, a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    for parse in (units.parse_duration, units.parse_percent, units.parse_rate):
        try:
            return float(parse(value))
        except (units.UnitError, ValueError, TypeError):
            continue
    return None


def _stricter(key: str, ours: Any, theirs: Any) -> Any | None:
    """The stricter of two values of the same limit, None when they are not comparable."""
    a, b = _parse_limit(ours), _parse_limit(theirs)
    if a is None or b is None:
        return None
    if key in STRICTER_LOWER:
        return ours if a <= b else theirs
    if key in STRICTER_HIGHER:
        return ours if a >= b else theirs
    return None


def merge_documents(
    base: Any, ours: Any, theirs: Any, *, stricter_wins: bool = True
) -> tuple[Any, Outcome]:
    """``ours`` with the changes ``theirs`` made since ``base`` (edited in place when it is a
    mapping or a list); raises Conflict when both changed the same value differently."""
    outcome = Outcome()
    merged = _merge(base, ours, theirs, "", 0, outcome, stricter_wins)
    return merged, outcome


def _merge(
    base: Any,
    ours: Any,
    theirs: Any,
    where: str,
    depth: int,
    outcome: Outcome,
    stricter: bool,
    holder: tuple[Any, Any] | None = None,
) -> Any:
    """``holder`` is the mapping and key that hold ``ours`` (where a comment can go)."""
    if depth > MAX_DEPTH:
        raise Conflict(where, "...", "...")
    if _same(ours, theirs) or _same(base, theirs):
        return ours
    if _same(base, ours):
        return theirs
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _merge_maps(
            base if isinstance(base, dict) else {},
            ours,
            theirs,
            where,
            depth,
            outcome,
            stricter,
            holder,
        )
    if isinstance(ours, list) and isinstance(theirs, list):
        merged = _merge_lists(base, ours, theirs, where, depth, outcome, stricter)
        if merged is not None:
            return merged
    raise Conflict(where, _plain(ours), _plain(theirs))


def _merge_maps(
    base: dict[Any, Any],
    ours: dict[Any, Any],
    theirs: dict[Any, Any],
    where: str,
    depth: int,
    outcome: Outcome,
    stricter: bool,
    holder: tuple[Any, Any] | None = None,
) -> dict[Any, Any]:
    missing = object()
    keys = list(dict.fromkeys([*ours, *theirs, *base]))
    for key in keys:
        o, a, b = base.get(key, missing), ours.get(key, missing), theirs.get(key, missing)
        path = f"{where}.{key}" if where else str(key)
        if a is missing and b is missing:
            continue
        if b is missing:  # theirs removed it (or never had it)
            if o is missing:
                continue  # ours added it
            if _same(o, a):
                del ours[key]
                continue
            raise Conflict(path, _plain(a), "(removed)")
        if a is missing:
            if o is missing:
                _insert(ours, theirs, key, b)  # theirs added it
                continue
            if _same(o, b):
                continue  # ours removed it, theirs left it alone
            raise Conflict(path, "(removed)", _plain(b))
        base_value = None if o is missing else o
        if not (_same(a, b) or _same(base_value, b)) and not _same(base_value, a):
            chosen = _stricter(str(key), a, b) if stricter else None
            if chosen is not None and not isinstance(a, dict | list):
                ours[key] = chosen
                _comment(ours, key, holder, f"merged: ours {a}, theirs {b}; the stricter kept")
                outcome.resolved.append(f"{path}: ours {a}, theirs {b}, kept {chosen}")
                continue
        merged = _merge(base_value, a, b, path, depth + 1, outcome, stricter, (ours, key))
        if merged is not a:
            ours[key] = merged
    return ours


def _comment(ours: Any, key: Any, holder: tuple[Any, Any] | None, note: str) -> None:
    """A comment at the end of the value's line: on the key itself in a block mapping, after
    the whole mapping when it is written in flow style (``{max: 300ms, ...}``), where a comment
    inside would break the braces."""
    if not isinstance(ours, CommentedMap):
        return
    if ours.fa.flow_style() and holder is not None and isinstance(holder[0], CommentedMap):
        holder[0].yaml_add_eol_comment(note, holder[1])
    elif not ours.fa.flow_style():
        ours.yaml_add_eol_comment(note, key)


def _insert(ours: dict[Any, Any], theirs: dict[Any, Any], key: Any, value: Any) -> None:
    """Add ``key`` to ours near where theirs has it (after the key before it)."""
    order = list(theirs)
    at = order.index(key)
    before = next((k for k in reversed(order[:at]) if k in ours), None)
    if isinstance(ours, CommentedMap):
        position = 0 if before is None else list(ours).index(before) + 1
        ours.insert(position, key, value)
    else:
        ours[key] = value


def _merge_lists(
    base: Any,
    ours: list[Any],
    theirs: list[Any],
    where: str,
    depth: int,
    outcome: Outcome,
    stricter: bool,
) -> list[Any] | None:
    """Item by item when every item has an identity on every side, else None."""
    by_ours, by_theirs = _identities(ours), _identities(theirs)
    by_base = _identities(base) if isinstance(base, list) else {}
    if by_ours is None or by_theirs is None or by_base is None:
        return None

    def label(key: Hashable) -> str:
        parts = key if isinstance(key, tuple) else (key,)
        return f"{where}[{'/'.join(str(p) for p in parts[1:] if p is not None)}]"

    keep: list[tuple[Hashable, Any]] = []
    for key, a in by_ours.items():
        o, b = by_base.get(key), by_theirs.get(key)
        if b is None:
            if o is None:
                keep.append((key, a))  # ours added it
            elif not _same(o, a):
                raise Conflict(label(key), _plain(a), "(removed)")
            continue  # theirs removed it, ours left it alone
        keep.append((key, _merge(o, a, b, label(key), depth + 1, outcome, stricter)))
    for index, (key, b) in enumerate(by_theirs.items()):
        if key in by_ours:
            continue
        o = by_base.get(key)
        if o is not None:
            if not _same(o, b):
                raise Conflict(label(key), "(removed)", _plain(b))
            continue  # ours removed it
        # theirs added it: after the item that precedes it in theirs, if ours has that one
        previous = list(by_theirs)[:index]
        anchor = next((k for k in reversed(previous) if k in by_ours), None)
        kept = [k for k, _ in keep]
        position = kept.index(anchor) + 1 if anchor in kept else len(keep) if anchor else 0
        keep.insert(position, (key, b))
    if not isinstance(ours, CommentedSeq):
        return [value for _, value in keep]
    # Edit ours in place, item by item: ruamel keeps each item's comments with its index, which
    # a wholesale replacement would lose.
    current = list(by_ours)
    wanted = [key for key, _ in keep]
    for index in reversed(range(len(current))):
        if current[index] not in wanted:
            del ours[index]
            del current[index]
    for index, key in enumerate(wanted):
        if index >= len(current) or current[index] != key:
            ours.insert(index, dict(keep)[key])
            current.insert(index, key)
    for index, (_, value) in enumerate(keep):
        if ours[index] is not value:
            ours[index] = value
    return ours
