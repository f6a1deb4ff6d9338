"""Every command's outputs, chosen by name from one registry per kind of report.

A command builds one report object (plain data) and asks the registry for the format the user
chose; adding a format is one entry here, and the CLI's choices are checked against these names
by a test. Renderers decide nothing: every number and word of judgement comes from the core.

The renderers of runs and diffs are imported when used: they need numpy and HdrHistogram, which
the light install that ``peac validate`` runs in (``pip install peac``, the pre-commit hook) has
not got.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from peac.errors import InputError, Problem
from peac.model.verdict import Verdict
from peac.report import (
    budget_diff_formats,
    gate_formats,
    markdown,
    problems,
    recommend_formats,
    series_formats,
)
from peac.report.budget_diff_formats import BudgetDiffReport as BudgetDiffReport
from peac.report.context import GateContext
from peac.report.export_formats import ExportReport
from peac.report.recommend_formats import RecommendReport
from peac.report.series_formats import SeriesReport

if TYPE_CHECKING:
    from peac.core.diff import Row
    from peac.model.results import RunResult

R = TypeVar("R")


class Reporters(Generic[R]):
    """The formats one kind of report can be rendered in."""

    def __init__(self, kind: str, formats: Mapping[str, Callable[[R], str]]) -> None:
        self.kind = kind
        self.formats = dict(formats)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.formats)

    def render(self, fmt: str, report: R) -> str:
        renderer = self.formats.get(fmt)
        if renderer is None:
            raise InputError(
                f"--format: {self.kind} reports come as {', '.join(self.names)}, not {fmt!r}"
            )
        return renderer(report)


@dataclass(frozen=True)
class ValidationReport:
    problems: Sequence[Problem]
    files: Sequence[str]
    summary: str  # shown when there is no problem


@dataclass(frozen=True)
class GateReport:
    verdict: Verdict
    context: GateContext


@dataclass(frozen=True)
class DiffReport:
    rows: Sequence[Row]
    title: str
    alpha: float
    notes: Sequence[str] = ()  # runs left out, ...


@dataclass(frozen=True)
class RunReport:
    result: RunResult
    local_server: bool = False  # the target is on this machine (loopback)
    workers: int = 1


VALIDATION: Reporters[ValidationReport] = Reporters(
    "validation",
    {
        "text": lambda r: problems.as_text(r.problems, r.files, r.summary),
        "json": lambda r: problems.as_json(r.problems, r.files, r.summary),
        "github": lambda r: problems.as_github(r.problems, r.files, r.summary),
    },
)
VERDICT: Reporters[GateReport] = Reporters(
    "gate",
    {
        "text": lambda r: gate_formats.verdict_text(r.verdict, r.context),
        "markdown": lambda r: markdown.verdict_markdown(r.verdict, r.context),
        "json": lambda r: gate_formats.verdict_json(r.verdict, r.context),
        "junit": lambda r: gate_formats.verdict_junit(r.verdict, r.context),
        "github": lambda r: gate_formats.verdict_github(r.verdict, r.context),
    },
)


def _diff_text(r: DiffReport) -> str:
    from peac.report import diff_formats

    return diff_formats.diff_text(r.rows, r.title, r.alpha, r.notes)


def _diff_markdown(r: DiffReport) -> str:
    from peac.report import diff_formats

    return diff_formats.diff_markdown(r.rows, r.title, r.alpha, r.notes)


def _run_text(r: RunReport) -> str:
    from peac.report import run_summary

    return run_summary.summary(r.result, local_server=r.local_server, workers=r.workers)


def _export_csv(r: ExportReport) -> str:
    from peac.report import export_formats

    return export_formats.export_csv(r)


def _export_json(r: ExportReport) -> str:
    from peac.report import export_formats

    return export_formats.export_json(r)


DIFF: Reporters[DiffReport] = Reporters("diff", {"text": _diff_text, "markdown": _diff_markdown})
SERIES: Reporters[SeriesReport] = Reporters(
    "history", {"text": series_formats.series_text, "json": series_formats.series_json}
)
EXPORT: Reporters[ExportReport] = Reporters(
    "history export", {"csv": _export_csv, "json": _export_json}
)
RUN: Reporters[RunReport] = Reporters("run", {"text": _run_text})
RECOMMEND: Reporters[RecommendReport] = Reporters(
    "recommend",
    {
        "text": recommend_formats.recommend_text,
        "json": recommend_formats.recommend_json,
        "markdown": recommend_formats.recommend_markdown,
    },
)
BUDGET_DIFF: Reporters[BudgetDiffReport] = Reporters(
    "budget-diff",
    {
        "text": budget_diff_formats.budget_diff_text,
        "markdown": budget_diff_formats.budget_diff_markdown,
        "json": budget_diff_formats.budget_diff_json,
    },
)
