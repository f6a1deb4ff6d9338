"""HAR files (HTTP Archive 1.1 and 1.2, as browsers' developer tools, proxies and recorders
write them) read into ``Recording``s: pages and exchanges, every field checked.

A HAR file is untrusted input: its size is bounded before it is read, a byte-order mark is
allowed (some Windows tools write one), and anything not in the format is an ``InputError``
naming the field (``entries[12].request.url: expected a string, got a number``), never a
traceback. Fields a generator does not need (timings, cache, cookies lists) are not checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from peac.errors import InputError, one_line, shorten
from peac.model.traffic import Exchange, Page, Recording

MAX_BYTES = 100 * 1024 * 1024  # a HAR file bigger than this is refused before it is read
MAX_ENTRIES = 50_000
MAX_HEADERS = 200  # headers of one request or response kept
MAX_BODY = 1024 * 1024  # characters of a recorded body kept (larger ones are dropped)


class _Bad(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _get(obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj:
        raise _Bad(f"{where}.{key}" if where else key, "missing")
    return _typed(obj[key], f"{where}.{key}" if where else key, kind)


def _typed(value: Any, where: str, kind: type | tuple[type, ...]) -> Any:
    names = {str: "a string", int: "a number", float: "a number", dict: "an object", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        wanted = " or ".join(dict.fromkeys(names[k] for k in kinds))
        raise _Bad(where, f"expected {wanted}, got {_kind(value)}")
    return value


def _optional(
    obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any
) -> Any:
    if obj.get(key) is None:
        return default
    return _typed(obj[key], f"{where}.{key}", kind)


def _time(text: str, where: str) -> float:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _Bad(
            where, f'expected an ISO 8601 date and time, got "{shorten(text, 40)}"'
        ) from None


def _pairs(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    items = _typed(value, where, list)
    out: list[tuple[str, str]] = []
    for i, item in enumerate(items[:MAX_HEADERS]):
        at = f"{where}[{i}]"
        _typed(item, at, dict)
        name = _get(item, "name", at, str)
        raw = item.get("value", "")
        text = "" if raw is None else _typed(raw, f"{at}.value", (str, int, float))
        out.append((name, str(text)))
    return tuple(out)


def _content_text(content: dict[str, Any], where: str) -> str:
    text = _optional(content, "text", where, str, "")
    if len(text) > MAX_BODY:
        return ""
    if str(content.get("encoding", "")).lower() == "base64":
        try:
            return base64.b64decode(text, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ""
    return str(text)


def _entry(entry: Any, index: int, source: str) -> Exchange:
    where = f"entries[{index}]"
    _typed(entry, where, dict)
    started = _time(_get(entry, "startedDateTime", where, str), f"{where}.startedDateTime")
    duration = _optional(entry, "time", where, (int, float), 0)
    request = _get(entry, "request", where, dict)
    at = f"{where}.request"
    method = _get(request, "method", at, str).upper()
    url = _get(request, "url", at, str)
    if not url.lower().startswith(("http://", "https://")):
        raise _Bad(f"{at}.url", f'expected an absolute http(s) URL, got "{shorten(url, 60)}"')
    headers = _pairs(request.get("headers", []), f"{at}.headers")
    body_type, body = "", ""
    form: tuple[tuple[str, str], ...] = ()
    post = request.get("postData")
    if post is not None:
        _typed(post, f"{at}.postData", dict)
        body_type = _optional(post, "mimeType", f"{at}.postData", str, "")
        body = _optional(post, "text", f"{at}.postData", str, "")
        if len(body) > MAX_BODY:
            body = ""
        if post.get("params") is not None:
            form = _pairs(post["params"], f"{at}.postData.params")
    response = _get(entry, "response", where, dict)
    at = f"{where}.response"
    status = _get(response, "status", at, (int, float))
    content = response.get("content") or {}
    _typed(content, f"{at}.content", dict)
    return Exchange(
        index=index,
        page=str(_optional(entry, "pageref", where, str, "")),
        time=started,
        duration=max(0.0, float(duration)) / 1000.0,
        method=method,
        url=url,
        headers=headers,
        body_type=body_type,
        body=body,
        form=form,
        status=int(status),
        response_headers=_pairs(response.get("headers", []), f"{at}.headers"),
        response_type=str(_optional(content, "mimeType", f"{at}.content", str, "")),
        response_body=_content_text(content, f"{at}.content"),
        source=source,
    )


def parse_har(raw: bytes, source: str) -> Recording:
    """The recording in ``raw``, a HAR file's bytes; ``InputError`` naming the bad field."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start}): expected a HAR file"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: not JSON: {exc.msg} (line {exc.lineno} column {exc.colno}): "
            "expected a HAR file"
        ) from None
    except RecursionError:
        raise InputError(f"{source}: not a HAR file: nested too deeply") from None
    try:
        return _recording(data, source)
    except _Bad as exc:
        raise InputError(one_line(f"{source}: {exc}")) from None


def _recording(data: Any, source: str) -> Recording:
    _typed(data, "(top level)", dict)
    log = _get(data, "log", "", dict)
    version = str(_optional(log, "version", "log", str, "1.2"))
    creator = log.get("creator")
    name = ""
    if isinstance(creator, dict):
        name = f"{creator.get('name', '')} {creator.get('version', '')}".strip()
    pages: list[Page] = []
    for i, page in enumerate(_optional(log, "pages", "log", list, [])):
        where = f"pages[{i}]"
        _typed(page, where, dict)
        started = _optional(page, "startedDateTime", where, str, "")
        pages.append(
            Page(
                _get(page, "id", where, str),
                _time(started, f"{where}.startedDateTime") if started else 0.0,
            )
        )
    entries = _get(log, "entries", "log", list)
    if len(entries) > MAX_ENTRIES:
        raise _Bad("log.entries", f"{len(entries):,} entries: expected at most {MAX_ENTRIES:,}")
    exchanges = tuple(_entry(e, i, source) for i, e in enumerate(entries))
    return Recording(source, version, one_line(name)[:100], tuple(pages), exchanges)


def read_har(path: Path, display: str) -> Recording:
    """The HAR file at ``path``, size-checked before it is read."""
    try:
        if path.is_dir():
            raise InputError(f"{display}: is a folder: expected a HAR file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"{display}: {size:,} bytes: expected a HAR file of at most {MAX_BYTES:,} bytes"
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{display}: no such file") from None
    except OSError as exc:
        raise InputError(f"{display}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{display}: expected a HAR file of at most {MAX_BYTES:,} bytes")
    if not raw.strip():
        raise InputError(f"{display}: empty: expected a HAR file")
    return parse_har(raw, display)
