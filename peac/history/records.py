"""One recorded run as the history stores it: two self-contained text lines.

The summary line holds the run's identity (id, scenario, testbed) and a compressed summary of
every metric: it is what series and baselines read, so it is kept small. The result line holds
the compressed full RunResult, read only when a diff or an unusual statistic needs its
histograms. One run per line is what lets git's ``cat_sort_uniq`` notes merge be a lossless
union of concurrent writers, and makes recording the same result twice a no-op (the id is a
hash of the content).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from urllib.parse import quote, unquote

from peac.core.measures import (
    ALL_FAILED,
    STAT_ORDER,
    SUMMARIZED,
    WHOLE_RUN,
    all_failed,
    flatten,
    invalid_reason,
    parse_key,
    summary_table,
)
from peac.errors import DataError
from peac.model.metrics import METRICS
from peac.model.results import RunResult
from peac.results.format import loads, to_json

VERSION = "peac/1"
# A summary line ``peac/removed RUN_ID`` says that run was removed (``peac history rm``): notes
# merge as a union of lines, so a removed line can come back from another clone's copy; the
# tombstone comes with it and keeps it out.
REMOVED = "peac/removed"
Loader = Callable[[str, str], str]  # (commit, run id) -> packed full result, '' when absent


def find_payload(text: str, run_id: str) -> str:
    """The packed result of ``run_id`` in a note of result lines."""
    for line in text.splitlines():
        found, _, payload = line.partition(" ")
        if found == run_id:
            return payload.strip()
    return ""


@dataclass(frozen=True)
class RunRecord:
    """A run as the history knows it: plain values, with the full result available on demand."""

    run_id: str
    scenario: str
    testbed: str
    started_at: float
    requests: int
    invalid: str  # why the run cannot be judged, '' when it can
    dirty: bool  # measured on a work tree with uncommitted changes
    table: dict[str, dict[str, str]]  # step -> metric -> packed values in STAT_ORDER
    commit: str = ""
    load: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def result(self) -> RunResult:
        """The full RunResult, read from the store now (the one method here that does I/O)."""
        where = f"run {self.run_id} on {self.commit[:7]}"
        if self.load is None:
            raise DataError(f"{where}: its full result is not in this store")
        payload = self.load()
        if not payload:
            raise DataError(
                f"{where}: its full result is missing (was refs/notes/peac-results deleted or "
                "not fetched? peac history fetch)"
            )
        try:
            return loads(_unpack(payload))
        except (ValueError, zlib.error) as exc:
            raise DataError(f"{where}: its full result is damaged ({exc})") from None

    def value(self, key: str) -> float | None:
        """A value of the summary, or None (statistics a summary does not keep, like p99.99,
        come from the full result: ``peac.history.reader.computed_values``)."""
        step, metric, stat = parse_key(key)
        if (metric, stat) not in SUMMARIZED:
            return None
        packed = self.table.get(step or WHOLE_RUN, {}).get(metric)
        if packed is None:
            return None
        stored = unpack_values(packed)[STAT_ORDER[metric].index(stat)]
        return stored if math.isfinite(stored) else None

    @property
    def values(self) -> dict[str, float]:
        """Every summarised value, flat (``step|metric|stat``)."""
        return flatten(
            {
                step: {
                    metric: [None if math.isnan(v) else v for v in unpack_values(packed)]
                    for metric, packed in row.items()
                }
                for step, row in self.table.items()
            }
        )


def pack_values(values: list[float | None]) -> str:
    """Floats as base64 of little-endian doubles (NaN for none): parsing thousands of runs'
    summaries is then a few short strings each, not hundreds of JSON numbers."""
    numbers = [math.nan if v is None else float(v) for v in values]
    return base64.b64encode(struct.pack(f"<{len(numbers)}d", *numbers)).decode("ascii")


@lru_cache(maxsize=1 << 16)  # p50, p95 and p99 of one run share one packed list
def unpack_values(text: str) -> tuple[float, ...]:
    raw = base64.b64decode(text, validate=True)
    return struct.unpack(f"<{len(raw) // 8}d", raw)


# What a stored value can be: a duration, a share or a rate of a real run. A forged 1e308 would
# make every regression vanish in its noise, a negative p95 would drop a commit from the
# baseline without a word; either is damage, not data.
MAX_VALUE = 1e12  # seconds (31,000 years), requests per second, counts
MAX_SHARE = 1.0 + 1e-9
MAX_REQUESTS = 10**13
MAX_DECODED = 64 * 1024 * 1024  # bytes one note line may decode to (zlib is 1000:1 at best)


def _check_value(metric: str, value: float) -> None:
    if math.isnan(value):
        return
    if not 0.0 <= value <= MAX_VALUE:
        raise ValueError(f"{metric} value {value:.6g} is not a measurement")
    unit = METRICS[metric].unit if metric in METRICS else ""
    if unit == "percent" and metric != "dropped_arrivals" and value > MAX_SHARE:
        raise ValueError(f"{metric} value {value:.6g} is not a share")


def _checked_table(table: object) -> dict[str, dict[str, str]]:
    """The summary table, every packed list decoded once to prove it is whole: a damaged line
    is refused when read, never half-used later."""
    if not isinstance(table, dict):
        raise ValueError("the summary table is not a mapping")
    for step, row in table.items():
        if not isinstance(step, str) or not isinstance(row, dict):
            raise ValueError("a summary row is not a mapping")
        for metric, packed in row.items():
            if metric not in STAT_ORDER or not isinstance(packed, str):
                raise ValueError(f"unknown metric {str(metric)[:40]!r} in the summary")
            values = unpack_values(packed)
            if len(values) != len(STAT_ORDER[metric]):
                raise ValueError(f"the {metric} values of step {step[:40]!r} are cut short")
            for value in values:
                _check_value(metric, value)
    return table


def _failed_everything(requests: int, table: dict[str, dict[str, str]]) -> str:
    """ALL_FAILED for a run whose every request failed, from its summary: runs recorded before
    peac refused them (or with --force) say nothing of it in their ``invalid`` field."""
    packed = table.get("", {}).get("error_rate")
    rate = unpack_values(packed)[0] if packed is not None else None
    return ALL_FAILED if all_failed(requests, rate) else ""


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def _unpack(text: str) -> str:
    """The text of a packed line, decoded to at most ``MAX_DECODED`` bytes: a line of 1 MB can
    hold zlib of 1 GB, so a longer output is damage, refused before it is all in memory."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(base64.urlsafe_b64decode(text.encode("ascii")), MAX_DECODED)
    if inflater.unconsumed_tail:
        raise ValueError(f"it decodes to more than {MAX_DECODED // (1024 * 1024)} MiB")
    out += inflater.flush()
    return out.decode("utf-8")


def make_lines(result: RunResult) -> tuple[str, str, str]:
    """(run id, summary line, result line) of a result."""
    full = json.dumps(to_json(result), sort_keys=True, separators=(",", ":"))
    run_id = hashlib.sha256(full.encode("utf-8")).hexdigest()[:16]
    summary = {
        "started_at": result.started_at,
        "requests": result.requests(),
        "invalid": invalid_reason(result),
        "dirty": result.git is not None and result.git.dirty,
        "table": {
            step: {metric: pack_values(values) for metric, values in row.items()}
            for step, row in summary_table(result).items()
        },
    }
    fields = (
        VERSION,
        run_id,
        quote(result.scenario, safe=""),
        quote(result.testbed.key, safe=""),
        _pack(json.dumps(summary, separators=(",", ":"))),
    )
    return run_id, " ".join(fields), f"{run_id} {_pack(full)}"


class BadRecord(DataError):
    """A line that is not a record this peac can read (newer format, damaged)."""


def parse_line(line: str, commit: str, load: Loader | None = None) -> RunRecord:
    parts = line.split(" ")
    if len(parts) != 5 or parts[0] != VERSION:
        raise BadRecord(f"not a {VERSION} record: {line[:40]!r}")
    try:
        summary = json.loads(_unpack(parts[4]))
        started_at = float(summary["started_at"])
        if not math.isfinite(started_at):
            raise ValueError("started_at is not a finite time")
        requests = int(summary["requests"])
        if not 0 <= requests <= MAX_REQUESTS:
            raise ValueError(f"requests {requests} is not a count")
        table = _checked_table(summary["table"])
        return RunRecord(
            run_id=parts[1],
            scenario=unquote(parts[2]),
            testbed=unquote(parts[3]),
            started_at=started_at,
            requests=requests,
            invalid=str(summary["invalid"]) or _failed_everything(requests, table),
            dirty=bool(summary["dirty"]),
            table=table,
            commit=commit,
            load=None if load is None else partial(load, commit, parts[1]),
        )
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OverflowError,
        zlib.error,
        struct.error,
    ) as exc:
        raise BadRecord(f"damaged record {parts[1][:20]!r}: {str(exc)[:120]}") from None


def parse_note(
    text: str, commit: str, bad: list[str], load: Loader | None = None
) -> list[RunRecord]:
    """The records of one note; lines that cannot be read are named in ``bad``, never dropped
    from the store."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    removed = {line.split(" ")[1] for line in lines if line.startswith(REMOVED + " ")}
    records = []
    for line in lines:
        if line.startswith(REMOVED + " "):
            continue
        try:
            record = parse_line(line, commit, load)
        except BadRecord as exc:
            bad.append(f"{commit[:12]}: {exc}")
            continue
        if record.run_id not in removed:
            records.append(record)
    return records


def line_id(line: str) -> str:
    """The run id a summary or result line belongs to ('' for none)."""
    parts = line.split(" ")
    if parts[0] in (VERSION, REMOVED):
        return parts[1] if len(parts) > 1 else ""
    return parts[0]
