"""The RunResult file: versioned JSON (``format``) with HdrHistograms in their standard compressed
encoding, so other HDR tools can read the histograms too.

Result files travel between machines (CI artifacts, shards, git notes) and may be damaged or
hand-edited, so reading checks every field's type and the invariants the rest of peac relies on
(counts never negative, time moving forward, histograms that decode) and names the field that
is wrong: a bad file is a ``DataError`` (exit 2), never an internal error or a silent PASS.
"""

from __future__ import annotations

import enum
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Final, TypeVar, overload

from hdrh.histogram import HdrHistogram

from peac.errors import DataError, InputError
from peac.model import histogram as hist
from peac.model.results import (
    ERROR_MESSAGE,
    FAILURE_KINDS,
    Counters,
    GitState,
    Health,
    LoadWindow,
    MonitorSeries,
    ProcessSample,
    ProcessSeries,
    RunResult,
    ScrapeSample,
    Second,
    Series,
    ServerSide,
    Testbed,
)

FORMAT = "peac.run-result/v1"
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TEXT = 1000  # characters kept of a free-text field (a reason, an error)

T = TypeVar("T")
D = TypeVar("D")


class _Required(enum.Enum):
    """Marks a field without a default; a type of its own, so that ``_Reader.get`` is typed."""

    REQUIRED = enum.auto()


_REQUIRED: Final = _Required.REQUIRED


def to_json(result: RunResult) -> dict[str, Any]:
    """The result as JSON-ready data (the file's content)."""
    return {
        "format": FORMAT,
        "scenario": result.scenario,
        "scenario_digest": result.scenario_digest,
        "executor": result.executor,
        "started_at": result.started_at,
        "ended_at": result.ended_at,
        "peac_version": result.peac_version,
        "testbed": asdict(result.testbed),
        "git": None if result.git is None else asdict(result.git),
        "shards": result.shards,
        "partial": result.partial,
        "stop_reason": result.stop_reason,
        "counters": asdict(result.counters),
        "health": asdict(result.health),
        "series": [
            {
                "step": s.step,
                "method": s.method,
                "status": s.status,
                "count": s.count,
                "latency": hist.encode(s.latency),
                "service_time": hist.encode(s.service_time),
            }
            for s in result.series.values()
        ],
        "iteration_duration": hist.encode(result.iteration_duration),
        "timeline": [asdict(second) for second in result.timeline],
        "server": _server_json(result.server),
        "load": {"seconds": result.load.seconds, "requests": dict(result.load.requests)},
    }


def _server_json(server: ServerSide) -> dict[str, Any]:
    data: dict[str, Any] = {"monitors": [asdict(m) for m in server.monitors]}
    if server.process is not None:
        data["process"] = asdict(server.process)
    return data


class _Reader:
    """Typed access to one JSON object, naming the field (``counters.requests``) on error."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise DataError(f"{where or 'the result'}: expected an object, got {_kind(data)}")
        self.data: dict[str, Any] = data
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    @overload
    def get(self, key: str, check: Callable[[object, str], T]) -> T: ...

    @overload
    def get(self, key: str, check: Callable[[object, str], T], default: D) -> T | D: ...

    def get(
        self, key: str, check: Callable[[object, str], T], default: D | _Required = _REQUIRED
    ) -> T | D:
        """The checked value of ``key``; ``default`` when absent (required without one)."""
        if key not in self.data or (default is not _REQUIRED and self.data[key] is None):
            if default is _REQUIRED:
                raise DataError(f"{self._name(key)}: missing")
            return default
        return check(self.data[key], self._name(key))

    def sub(self, key: str) -> _Reader:
        return _Reader(self.data.get(key, {}), self._name(key))


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise DataError(f"{name}: expected a string, got {_kind(value)}")
    return value[:MAX_TEXT] if len(value) > MAX_TEXT else value


def flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"{name}: expected true or false, got {_kind(value)}")
    return value


def count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{name}: expected a whole number, got {_kind(value)}")
    if value < 0:
        raise DataError(f"{name}: expected a count of 0 or more, got {value}")
    return value


def number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{name}: expected a number, got {_kind(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise DataError(f"{name}: expected a finite number, got {value}")
    return result


def nonnegative(value: object, name: str) -> float:
    result = number(value, name)
    if result < 0:
        raise DataError(f"{name}: expected 0 or more, got {result:g}")
    return result


def optional_number(value: object, name: str) -> float | None:
    return None if value is None else nonnegative(value, name)


def share(value: object, name: str) -> float:
    result = nonnegative(value, name)
    if result > 1:
        raise DataError(f"{name}: expected a share from 0 to 1, got {result:g}")
    return result


def optional_share(value: object, name: str) -> float | None:
    return None if value is None else share(value, name)


CAUSES = ("", "generator", "machine", "blocked")


def cause(value: object, name: str) -> str:
    if value not in CAUSES:
        raise DataError(f"{name}: expected one of generator, machine, blocked, got {_kind(value)}")
    return str(value)


def histogram(value: object, name: str) -> HdrHistogram:
    if not isinstance(value, str):
        raise DataError(f"{name}: expected an encoded histogram, got {_kind(value)}")
    try:
        return hist.decode(value)
    except hist.TooLarge as exc:
        raise DataError(f"{name}: the histogram {exc} (damaged or forged)") from None
    except Exception:  # hdrh raises many kinds (zlib, struct, its own) for a damaged encoding
        raise DataError(f"{name}: not an HdrHistogram in the compressed encoding") from None


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise DataError(f"{name}: expected a list, got {_kind(value)}")
    return value


def _mapping(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError(f"{name}: expected an object, got {_kind(value)}")
    return value


def from_json(data: object) -> RunResult:
    """A RunResult from the file's JSON data; a ``DataError`` naming the first bad field."""
    top = _Reader(data, "")
    found = top.data.get("format")
    if found != FORMAT:
        shown = found if isinstance(found, str) and len(found) < 60 else _kind(found)
        raise DataError(f'format: expected "{FORMAT}", got {shown!r}')
    started = top.get("started_at", number)
    ended = top.get("ended_at", number)
    if ended <= started:
        raise DataError(
            f"ended_at: expected a time after started_at ({started:.3f}), got {ended:.3f}"
        )
    result = RunResult(
        scenario=top.get("scenario", text),
        scenario_digest=top.get("scenario_digest", text),
        executor=top.get("executor", _mapping),
        started_at=started,
        ended_at=ended,
        peac_version=top.get("peac_version", text),
        testbed=_testbed(top.sub("testbed")),
        git=None if top.data.get("git") is None else _git(top.sub("git")),
        shards=[text(s, "shards[]") for s in top.get("shards", _list, ["1/1"])],
        partial=top.get("partial", flag, False),
        stop_reason=top.get("stop_reason", text, ""),
        counters=_counters(top.sub("counters")),
        iteration_duration=top.get("iteration_duration", histogram),
        timeline=[
            _second(_Reader(s, f"timeline[{i}]"))
            for i, s in enumerate(top.get("timeline", _list, []))
        ],
        health=_health(top.sub("health")),
        server=_server(top.sub("server")),
        load=_load(top.sub("load")),
    )
    for i, item in enumerate(top.get("series", _list)):
        row = _Reader(item, f"series[{i}]")
        series = Series(
            row.get("step", text),
            row.get("method", text),
            row.get("status", text),
            row.get("latency", histogram),
            row.get("service_time", histogram),
        )
        result.series[series.key] = series
    return result


def _testbed(r: _Reader) -> Testbed:
    return Testbed(
        label=r.get("label", text, "default"),
        cpu=r.get("cpu", text, ""),
        cores=r.get("cores", count, 0),
        python=r.get("python", text, ""),
        system=r.get("system", text, ""),
    )


def _git(r: _Reader) -> GitState:
    return GitState(commit=r.get("commit", text), dirty=r.get("dirty", flag, False))


MAX_CHECKS = 10_000  # labels come from the scenario file: bounded when read back


def _counters(r: _Reader) -> Counters:
    values = {
        f.name: r.get(f.name, count, 0)
        for f in fields(Counters)
        if f.name not in ("failures", "checks", "first_errors")
    }
    failures = dict.fromkeys(FAILURE_KINDS, 0)
    for kind, value in r.get("failures", _mapping, {}).items():
        failures[kind[:40]] = count(value, f"{r.where}.failures.{kind[:40]}")
    checks: dict[str, list[int]] = {}
    for label, value in list(r.get("checks", _mapping, {}).items())[:MAX_CHECKS]:
        where = f"{r.where}.checks[{len(checks)}]"
        pair = _list(value, where)
        if len(pair) != 2:
            raise DataError(f"{where}: expected [passed, failed], got {len(pair)} item(s)")
        checks[str(label)[:200]] = [count(pair[0], where), count(pair[1], where)]
    first_errors = {
        str(kind)[:40]: text(message, f"{r.where}.first_errors.{str(kind)[:40]}")[:ERROR_MESSAGE]
        for kind, message in list(r.get("first_errors", _mapping, {}).items())[:40]
    }
    return Counters(**values, failures=failures, checks=checks, first_errors=first_errors)


def _second(r: _Reader) -> Second:
    return Second(
        t=r.get("t", count),
        requests=r.get("requests", count, 0),
        errors=r.get("errors", count, 0),
        active_vus=r.get("active_vus", count, 0),
        p50=r.get("p50", optional_number, None),
        p95=r.get("p95", optional_number, None),
        p99=r.get("p99", optional_number, None),
    )


def _health(r: _Reader) -> Health:
    return Health(
        saturated=r.get("saturated", flag, False),
        reason=r.get("reason", text, ""),
        cpu_percent=r.get("cpu_percent", nonnegative, 0.0),
        loop_lag_p99=r.get("loop_lag_p99", nonnegative, 0.0),
        schedule_lag_p99=r.get("schedule_lag_p99", nonnegative, 0.0),
        schedule_lag_max=r.get("schedule_lag_max", nonnegative, 0.0),
        seconds=r.get("seconds", nonnegative, 0.0),
        cause=r.get("cause", cause, ""),
        note=r.get("note", text, ""),
        late_share=r.get("late_share", share, 0.0),
        stalled_share=r.get("stalled_share", share, 0.0),
        behind_seconds=r.get("behind_seconds", count, 0),
        cpu_behind=r.get("cpu_behind", nonnegative, 0.0),
        waited_behind=r.get("waited_behind", optional_share, None),
        late=r.get("late", count, 0),
        waited=r.get("waited", optional_share, None),
    )


def _load(r: _Reader) -> LoadWindow:
    requests: dict[str, int] = {}
    for name, value in list(r.get("requests", _mapping, {}).items())[:MAX_CHECKS]:
        requests[str(name)[:200]] = count(value, f"{r.where}.requests")
    return LoadWindow(seconds=r.get("seconds", nonnegative, 0.0), requests=requests)


def _server(r: _Reader) -> ServerSide:
    monitors = []
    for i, item in enumerate(r.get("monitors", _list, [])):
        m = _Reader(item, f"{r.where}.monitors[{i}]")
        samples = []
        for j, sample in enumerate(m.get("samples", _list, [])):
            s = _Reader(sample, f"{m.where}.samples[{j}]")
            values = {
                str(k)[:200]: number(v, f"{s.where}.values")
                for k, v in s.get("values", _mapping, {}).items()
            }
            samples.append(ScrapeSample(s.get("t", number), values))
        monitors.append(
            MonitorSeries(
                name=m.get("name", text),
                url=m.get("url", text),
                interval=m.get("interval", nonnegative),
                errors=m.get("errors", count, 0),
                last_error=m.get("last_error", text, ""),
                samples=samples,
            )
        )
    process = None
    if r.data.get("process") is not None:
        p = r.sub("process")
        process = ProcessSeries(
            pid=p.get("pid", count),
            samples=[
                ProcessSample(
                    t=s.get("t", number),
                    cpu_percent=s.get("cpu_percent", nonnegative),
                    rss_bytes=s.get("rss_bytes", count),
                )
                for s in (
                    _Reader(x, f"{p.where}.samples[{j}]")
                    for j, x in enumerate(p.get("samples", _list, []))
                )
            ],
            error=p.get("error", text, ""),
        )
    return ServerSide(monitors, process)


def dumps(result: RunResult) -> str:
    return json.dumps(to_json(result), indent=1) + "\n"


def check_writable(path: Path) -> None:
    """Fail before a long run, not after it, when ``path`` cannot be written."""
    folder = path.parent
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the result")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK):
        raise InputError(f"{path}: {existing} is not writable")


def write(result: RunResult, path: Path) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(dumps(result), encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_or_keep(result: RunResult, path: Path) -> Path | None:
    """Write the result; when ``path`` cannot be written (full disk, a size limit, a file
    where a folder should be), keep it in the system's temporary folder instead and return
    where, so a long run is never lost. None when ``path`` was written."""
    import tempfile

    try:
        write(result, path)
        return None
    except OSError:
        handle, kept = tempfile.mkstemp(prefix="peac-result-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(dumps(result))
        return Path(kept)


def read(path: Path) -> RunResult:
    """A result file, or a ``DataError`` saying why it is not one."""
    try:
        if not path.is_file():
            raise InputError(f"{path}: no such result file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB; not a result file")
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DataError(
            f"{path}: not a peac result file (not JSON: {type(exc).__name__})"
        ) from None
    try:
        return from_json(data)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def loads(payload: Mapping[str, Any] | str) -> RunResult:
    """A result from JSON text or data (as stored in a history note)."""
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"not a peac result (not JSON: {type(exc).__name__})") from None
    return from_json(data)
