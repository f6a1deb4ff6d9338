"""``peac history export``: one row per recorded run of a series, as CSV (for spreadsheets) or
JSON, with whether the series used the run and why not. Commit subjects, testbeds and scenario
names are untrusted: CSV cells are made safe against formula injection."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from peac.report import escape


@dataclass(frozen=True)
class ExportRow:
    commit: str
    date: int  # committer time, epoch seconds
    subject: str
    run_id: str
    scenario: str
    testbed: str
    value: float | None  # in the metric's canonical unit (seconds, fraction, per second)
    used: bool
    excluded: str  # why the series left the run out, '' when used


@dataclass(frozen=True)
class ExportReport:
    series: str  # step|metric|stat
    unit: str
    branch: str
    rows: Sequence[ExportRow]


COLUMNS = (
    "commit",
    "date",
    "subject",
    "run_id",
    "scenario",
    "testbed",
    "series",
    "value",
    "unit",
    "used",
    "excluded",
)


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_csv(report: ExportReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                escape.csv_cell(row.commit),
                _date(row.date),
                escape.csv_cell(row.subject),
                escape.csv_cell(row.run_id),
                escape.csv_cell(row.scenario),
                escape.csv_cell(row.testbed),
                escape.csv_cell(report.series),
                "" if row.value is None else repr(row.value),
                report.unit,
                "true" if row.used else "false",
                escape.csv_cell(row.excluded),
            ]
        )
    return buffer.getvalue()


def export_json(report: ExportReport) -> str:
    data = {
        "series": report.series,
        "unit": report.unit,
        "branch": report.branch,
        "runs": [{**asdict(row), "date": _date(row.date)} for row in report.rows],
    }
    return json.dumps(data, indent=2) + "\n"
