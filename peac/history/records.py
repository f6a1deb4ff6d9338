"""One recorded run as the history stores it: a single self-contained text line.

A line holds the run's identity (id, scenario, testbed), a compressed summary of every metric
(read for series and baselines) and the compressed full RunResult (decoded only when a diff or
an unusual statistic needs its histograms). One run per line is what lets git's
``cat_sort_uniq`` notes merge be a lossless union of concurrent writers, and makes recording the
same result twice a no-op (the id is a hash of the content).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from peac.measures import SUMMARIZED, invalid_reason, measure, summarize
from peac.results import RunResult, from_json, to_json

VERSION = "peac/1"


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
    values: dict[str, float]
    commit: str = ""
    payload: str = field(default="", repr=False, compare=False)

    def result(self) -> RunResult:
        return from_json(json.loads(_unpack(self.payload)))

    def value(self, key: str) -> float | None:
        """A value of the summary; statistics the summary does not hold are computed from the
        full result (once)."""
        if key in self.values:
            return self.values[key]
        step, metric, stat = key.split("|")
        if (metric, stat) in SUMMARIZED or not self.payload:
            return None
        value = measure(self.result(), metric, stat, step or None)
        if value is not None:
            self.values[key] = value
        return value


def testbed_key(testbed: dict[str, Any]) -> str:
    """The name runs are matched by: the user's label, or the CPU and cores when unlabelled.

    A label is the team's statement that machines are comparable (a CI runner pool whose CPU
    models vary); without one only the same hardware is.
    """
    label = str(testbed.get("label") or "default")
    if label != "default":
        return label
    return f"{testbed.get('cpu') or 'unknown cpu'} x{testbed.get('cores', '?')}"


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def _unpack(text: str) -> str:
    return zlib.decompress(base64.urlsafe_b64decode(text.encode("ascii"))).decode("utf-8")


def make_line(result: RunResult) -> tuple[str, str]:
    """(run id, line) of a result."""
    full = json.dumps(to_json(result), sort_keys=True, separators=(",", ":"))
    run_id = hashlib.sha256(full.encode("utf-8")).hexdigest()[:16]
    summary = {
        "started_at": result.started_at,
        "requests": result.requests(),
        "invalid": invalid_reason(result),
        "dirty": bool((result.git or {}).get("dirty")),
        "values": summarize(result),
    }
    fields = (
        VERSION,
        run_id,
        quote(result.scenario, safe=""),
        quote(testbed_key(result.testbed), safe=""),
        _pack(json.dumps(summary, separators=(",", ":"))),
        _pack(full),
    )
    return run_id, " ".join(fields)


class BadRecord(ValueError):
    """A line that is not a record this peac can read (newer format, damaged)."""


def parse_line(line: str, commit: str) -> RunRecord:
    parts = line.split(" ")
    if len(parts) != 6 or parts[0] != VERSION:
        raise BadRecord(f"not a {VERSION} record: {line[:40]!r}")
    try:
        summary = json.loads(_unpack(parts[4]))
        return RunRecord(
            run_id=parts[1],
            scenario=unquote(parts[2]),
            testbed=unquote(parts[3]),
            started_at=float(summary["started_at"]),
            requests=int(summary["requests"]),
            invalid=str(summary["invalid"]),
            dirty=bool(summary["dirty"]),
            values={str(k): float(v) for k, v in summary["values"].items()},
            commit=commit,
            payload=parts[5],
        )
    except (ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise BadRecord(f"damaged record {parts[1]!r}: {exc}") from None


def parse_note(text: str, commit: str, bad: list[str]) -> list[RunRecord]:
    """The records of one note; lines that cannot be read are named in ``bad``, never dropped
    from the store."""
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(parse_line(line.strip(), commit))
        except BadRecord as exc:
            bad.append(f"{commit[:12]}: {exc}")
    return records
