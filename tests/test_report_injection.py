"""Untrusted strings (names from pull requests, commit subjects, server answers) cannot forge
CI log lines, workflow commands, links or mentions in any output format."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from peac.core.judge import judge
from peac.model.objectives import Limits, Objective, Rules, Source
from peac.model.results import MonitorSeries, ServerSide
from peac.model.verdict import HeadRun, Verdict
from peac.report.context import GateContext
from peac.report.registry import RUN, VERDICT, GateReport, RunReport
from tests.history_helpers import make_result

FORGED = "x\n::error file=README.md,line=1::pwned\r\n\x1b[31mred"
LINK = "see https://evil.example/login and www.evil.example, ping @org/team"


def _verdict() -> Verdict:
    objectives = [
        Objective(
            name=name,
            metric="latency",
            stat="p95",
            step=name,
            unit="duration",
            higher_is_worse=True,
            key=False,
            weight=1.0,
            abort_on_fail=False,
            warn=None,
            fail=Limits(max=0.1),
            source=Source(FORGED, 3, 5),
        )
        for name in (FORGED, LINK)
    ]
    values = {o.series_key: 0.5 for o in objectives}
    return judge(Rules(FORGED, tuple(objectives)), [HeadRun(FORGED, values)], values, {})


def _report() -> GateReport:
    context = GateContext(FORGED, FORGED, "", FORGED, FORGED, 3, (FORGED,))
    return GateReport(_verdict(), context)


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "json"])
def test_no_forged_line_in_logs(fmt: str) -> None:
    out = VERDICT.render(fmt, _report())
    forged = [line for line in out.splitlines() if line.startswith("::") and "pwned" in line]
    assert forged == [] or fmt == "github"
    if fmt == "github":  # our own annotations carry the name, escaped inside them
        for line in out.splitlines():
            if line.startswith("::"):
                command, _, _ = line[2:].partition("::")
                level, _, properties = command.partition(" ")
                assert level in ("error", "warning")
                keys = {item.split("=", 1)[0] for item in properties.split(",") if item}
                assert keys <= {"file", "line", "col", "title"}, line
    assert "\x1b" not in out and "\r" not in out
    if fmt == "junit":
        ET.fromstring(out.split("\n", 1)[1])  # well-formed XML
    if fmt == "json":
        assert json.loads(out)["budget"] == FORGED  # data formats keep the value exactly


def test_no_links_or_mentions_in_markdown() -> None:
    out = VERDICT.render("markdown", _report())
    assert "https://evil" not in out
    assert "www.evil" not in out
    assert "@org" not in out
    assert "\n::" not in out
    assert "pwned" in out  # the text is there, harmless


def test_no_forged_line_in_the_run_summary() -> None:
    result = make_result({FORGED: [0.1, 0.2]}, scenario=FORGED)
    result.server = ServerSide(
        monitors=[MonitorSeries(FORGED, "http://127.0.0.1/m", 1.0, 1, FORGED)]
    )
    out = RUN.render("text", RunReport(result))
    assert not any(line.startswith("::") for line in out.splitlines())
    assert "\x1b" not in out
