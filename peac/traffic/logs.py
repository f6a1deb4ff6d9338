"""Reading access logs as a stream of requests: Apache/nginx combined and common formats and
JSON lines, plain or gzip-compressed, one line at a time.

Logs are multi-GB and come from production, so the reader holds one line at a time (a line is
cut at ``MAX_LINE``: a file without line breaks cannot fill memory), never stops on a line it
cannot parse (it becomes a ``Malformed`` with its number and the reason, and the next line is
read on its own: a broken line is never merged into its neighbour), and refuses at once a file
that is not text (a binary file, a wrong name).
"""

from __future__ import annotations

import calendar
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from peac.errors import InputError
from peac.model.traffic import Malformed, Request

FORMATS = ("combined", "common", "json")
MAX_LINE = 64 * 1024
PROGRESS_EVERY = 50_000  # lines between progress callbacks

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_COMMON = re.compile(
    r"^(\S+) \S+ \S+ \[([^\]]+)\] " + _QUOTED + r" ([0-9]{3}|-) (?:[0-9]+|-)(?:\s|$)"
)
_COMBINED = re.compile(
    r"^(\S+) \S+ \S+ \[([^\]]+)\] "
    + _QUOTED
    + r" ([0-9]{3}|-) (?:[0-9]+|-) "
    + _QUOTED
    + " "
    + _QUOTED
)
_CLF_TIME = re.compile(
    r"^([0-9]{2})/([A-Za-z]{3})/([0-9]{4}):([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?: ([+-])([0-9]{2})([0-9]{2}))?$"
)
_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}
_METHOD = re.compile(r"^[A-Z][A-Z0-9_-]{0,19}$")

# JSON fields: what each is called in common log shippers (nginx's escape=json templates,
# Caddy, Traefik, ELB-like exports); ``--json-fields`` names others.
JSON_FIELDS: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "@timestamp", "ts", "time_local", "time_iso8601", "date"),
    "method": ("method", "request_method", "verb"),
    "path": ("path", "uri", "request_uri", "url", "target"),
    "request": ("request",),
    "status": ("status", "status_code", "response_status", "code"),
    "client": ("remote_addr", "client_ip", "ip", "client", "remote_ip"),
    "user_agent": ("user_agent", "http_user_agent", "agent", "ua", "userAgent"),
    "host": ("host", "http_host", "server_name"),
}


def parse_json_fields(text: str) -> dict[str, tuple[str, ...]]:
    """``time=ts,path=uri`` as overrides of ``JSON_FIELDS`` (one name each)."""
    fields = dict(JSON_FIELDS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, name = part.partition("=")
        if not sep or key.strip() not in JSON_FIELDS or not name.strip():
            raise InputError(
                f"--json-fields: expected FIELD=NAME pairs separated by commas with FIELD one "
                f"of {', '.join(JSON_FIELDS)}, got {json.dumps(part)}"
            )
        fields[key.strip()] = (name.strip(),)
    return fields


class _TimeParser:
    """Apache's ``10/Oct/2000:13:55:36 -0700`` to epoch seconds, one calendar computation per
    day seen (strptime costs more than the rest of a line's parsing)."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, str, str], int] = {}

    def __call__(self, text: str) -> float | None:
        found = _CLF_TIME.match(text)
        if not found:
            return None
        day, month, year, hh, mm, ss, sign, tzh, tzm = found.groups()
        key = (day, month, year)
        base = self.days.get(key)
        if base is None:
            number = _MONTHS.get(month.title())
            if number is None:
                return None
            try:
                base = calendar.timegm((int(year), number, int(day), 0, 0, 0))
                datetime(int(year), number, int(day))
            except ValueError:
                return None
            if len(self.days) < 100_000:
                self.days[key] = base
        seconds = base + int(hh) * 3600 + int(mm) * 60 + int(ss)
        if sign:
            offset = int(tzh) * 3600 + int(tzm) * 60
            seconds -= offset if sign == "+" else -offset
        return float(seconds)


def _time_value(value: Any, clf: _TimeParser) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        return seconds / 1000.0 if seconds > 1e11 else seconds
    if isinstance(value, str):
        parsed = clf(value)
        if parsed is not None:
            return parsed
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if moment.tzinfo is None:
            return calendar.timegm(moment.timetuple()) + moment.microsecond / 1e6
        return moment.timestamp()
    return None


def _request_line(text: str) -> tuple[str, str] | None:
    parts = text.split(" ")
    if len(parts) not in (2, 3) or not _METHOD.match(parts[0]) or not parts[1]:
        return None
    return parts[0], parts[1]


class LineParser:
    """One log line (text) to a Request or a Malformed with the reason."""

    def __init__(self, fmt: str, fields: Mapping[str, tuple[str, ...]] | None = None) -> None:
        if fmt not in FORMATS:
            raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
        self.fmt = fmt
        self.fields = dict(fields or JSON_FIELDS)
        self.clf = _TimeParser()
        self.pattern = _COMBINED if fmt == "combined" else _COMMON

    def __call__(self, number: int, text: str) -> Request | Malformed:
        if self.fmt == "json":
            return self._json(number, text)
        found = self.pattern.match(text)
        if not found:
            return Malformed(number, f"not a line of the {self.fmt} log format")
        client, when, request, status = found.group(1), found.group(2), found.group(3), found[4]
        moment = self.clf(when)
        if moment is None:
            return Malformed(number, "time not like 10/Oct/2000:13:55:36 -0700")
        line = _request_line(request)
        if line is None:
            return Malformed(number, "request not like GET /path HTTP/1.1")
        agent = found.group(6) if self.fmt == "combined" else ""
        return Request(
            line=number,
            time=moment,
            method=line[0],
            target=line[1],
            status=0 if status == "-" else int(status),
            client=client,
            user_agent=agent,
        )

    def _field(self, record: Mapping[str, Any], name: str) -> Any:
        for key in self.fields[name]:
            if key in record:
                return record[key]
        return None

    def _json(self, number: int, text: str) -> Request | Malformed:
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):
            return Malformed(number, "not a JSON object")
        if not isinstance(record, dict):
            return Malformed(number, "not a JSON object")
        moment = _time_value(self._field(record, "time"), self.clf)
        if moment is None:
            return Malformed(number, "no time (epoch seconds or ISO 8601) in the time field")
        method, target = self._field(record, "method"), self._field(record, "path")
        if not (isinstance(method, str) and isinstance(target, str)):
            request = self._field(record, "request")
            line = _request_line(request) if isinstance(request, str) else None
            if line is None:
                return Malformed(number, "no method and path (or request line)")
            method, target = line
        if not _METHOD.match(method.upper()) or not target:
            return Malformed(number, "no method and path (or request line)")
        status = self._field(record, "status")
        try:
            code = int(status) if status is not None and not isinstance(status, bool) else 0
        except (TypeError, ValueError):
            code = 0
        agent, client, host = (self._field(record, k) for k in ("user_agent", "client", "host"))
        return Request(
            line=number,
            time=moment,
            method=method.upper(),
            target=target,
            status=code,
            client=str(client or ""),
            user_agent=str(agent or ""),
            host=str(host) if isinstance(host, str) else "",
        )


def _reader(path: Path, gzipped: bool) -> io.BufferedIOBase:
    if gzipped:
        return gzip.open(path, "rb")
    return path.open("rb")


def _open(path: Path) -> io.BufferedIOBase:
    """The file as bytes, decompressed when it is gzip; refuses what is not a text log."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        with _reader(path, gzipped) as probe:
            head = probe.read(8192)
        handle = _reader(path, gzipped)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    if b"\x00" in head:
        handle.close()
        raise InputError(f"{path}: not a text log (binary data)")
    return handle


def _position(handle: io.BufferedIOBase) -> Callable[[], int]:
    """Bytes of the file read so far (of the compressed file for gzip)."""
    raw = getattr(handle, "fileobj", None)
    if raw is not None:
        return lambda: int(raw.tell())
    return lambda: int(handle.tell())


def read_requests(
    paths: list[Path],
    parser: LineParser,
    progress: Callable[[int, int, int], None] | None = None,
) -> Iterator[Request | Malformed]:
    """Every line of ``paths`` in order, parsed; ``progress(bytes read, bytes in all, lines)``
    is called every ``PROGRESS_EVERY`` lines and at the end."""
    for path in paths:  # every file is checked before the first line is read
        _open(path).close()
    total = sum(p.stat().st_size for p in paths)
    done = 0
    lines = 0
    for path in paths:
        source = str(path) if len(paths) > 1 else ""
        handle = _open(path)
        where = _position(handle)
        try:
            number = 0
            while True:
                try:
                    raw = handle.readline(MAX_LINE)
                except (OSError, EOFError) as exc:
                    yield Malformed(number + 1, f"the file is damaged: {exc}", source)
                    break
                if not raw:
                    break
                number += 1
                lines += 1
                if not raw.endswith(b"\n") and len(raw) >= MAX_LINE:
                    while True:  # skip the rest of the overlong line
                        rest = handle.readline(MAX_LINE)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield Malformed(number, f"longer than {MAX_LINE // 1024} KiB", source)
                    continue
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if not text.strip():
                    yield Malformed(number, "empty line", source)
                    continue
                parsed = parser(number, text)
                if isinstance(parsed, Malformed) and source:
                    parsed = Malformed(parsed.line, parsed.reason, source)
                yield parsed
                if progress is not None and lines % PROGRESS_EVERY == 0:
                    progress(done + where(), total, lines)
            done += path.stat().st_size
        finally:
            handle.close()
    if progress is not None:
        progress(total, total, lines)
