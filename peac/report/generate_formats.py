"""The report of ``peac generate``: what was kept, dropped and why, and (``--check``) how close
the generated traffic came to the recorded one. Text for people, JSON for tools; every string
that came from a log (endpoints, user agents, hosts, file names) is escaped."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from peac.core.traffic.analysis import Traffic
from peac.core.traffic.fidelity import TVD_TARGET, Comparison
from peac.report import escape

FORMATS = ("text", "json")


@dataclass(frozen=True)
class GenerateReport:
    traffic: Traffic
    files: tuple[str, ...]
    check: Comparison | None = None
    compression: float = 1.0  # think times were divided by this in the check run
    check_seconds: float = 0.0
    mock_status: int = 200


def _pct(value: float) -> str:
    return f"{100 * value:5.1f} %"


def _s(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f} s"


def text(report: GenerateReport) -> str:
    t = report.traffic
    lines = [
        f"read {t.lines:,} lines: {t.requests:,} requests, {t.malformed:,} malformed",
        f"kept {t.kept:,} requests of {len(t.top)} endpoints (of {len(t.endpoints):,} seen) in "
        f"{len(t.flows)} flows from {t.sessions:,} sessions",
    ]
    for reason, n in t.dropped.items():
        lines.append(f"  dropped {n:,}: {reason}")
    for agent, n in t.bot_agents:
        lines.append(f"    bot {n:,} x {agent[:100]}")
    for bad in t.malformed_lines:
        where = f"{bad.source}:{bad.line}" if bad.source else f"line {bad.line}"
        lines.append(f"  malformed {where}: {bad.reason}")
    if t.malformed > len(t.malformed_lines):
        lines.append(f"  ... and {t.malformed - len(t.malformed_lines):,} more malformed lines")
    p = t.profile
    lines.append(
        f"arrivals: mean {p.mean:.2f} req/s, peak {p.peak:.2f} req/s, peak-to-mean "
        f"{p.peak_to_mean:.1f}, {len(p.gaps)} gap(s) in the log cut out"
    )
    fit = t.think
    if fit.kind != "none":
        lines.append(
            f"think: {fit.kind} (KS {fit.distance:.2f}) over {fit.samples:,} sampled gaps, "
            f"p50 {_s(fit.p50)}, p90 {_s(fit.p90)}"
        )
    if t.hosts:
        lines.append("hosts in the log (not targeted): " + ", ".join(h for h, _ in t.hosts[:5]))
    lines += [f"wrote {f}" for f in report.files]
    if report.check is not None:
        lines += _check_lines(report)
    return escape.text_lines(lines)


def _check_lines(report: GenerateReport) -> list[str]:
    c = report.check
    assert c is not None
    verdict = "ok" if c.passed() else "too far"
    lines = [
        f"check: {c.requests:,} requests sent in {report.check_seconds:g} s to a loopback mock "
        f"answering {report.mock_status} (think times run {report.compression:.1f}x faster, "
        "gaps scaled back)",
        f"  endpoint mix TVD {c.endpoint_tvd:.3f} ({verdict}: target <= {TVD_TARGET})",
        f"  method mix TVD {c.method_tvd:.3f}, status class TVD {c.status_tvd:.3f} "
        "(the mock decides statuses)",
        "  endpoint                                         log     generated",
    ]
    for key, log, gen in c.rows:
        lines.append(f"  {key[:48]:<48} {_pct(log)}  {_pct(gen)}")
    lines.append(
        "  think quantiles: " + ", ".join(f"{k} {_s(a)} vs {_s(b)}" for k, a, b in c.think)
    )
    return lines


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def json_text(report: GenerateReport) -> str:
    t = report.traffic
    data: dict[str, object] = {
        "lines": t.lines,
        "requests": t.requests,
        "kept": t.kept,
        "dropped": t.dropped,
        "malformed": t.malformed,
        "malformed_lines": [
            {"source": m.source, "line": m.line, "reason": m.reason} for m in t.malformed_lines
        ],
        "bots": [{"user_agent": a, "requests": n} for a, n in t.bot_agents],
        "endpoints": {"seen": len(t.endpoints), "kept": [e.key for e in t.top]},
        "flows": len(t.flows),
        "sessions": t.sessions,
        "arrivals": {
            "mean_per_second": _number(t.profile.mean),
            "peak_per_second": _number(t.profile.peak),
            "peak_to_mean": _number(t.profile.peak_to_mean),
            "gaps": [{"start": g.start, "end": g.end} for g in t.profile.gaps],
        },
        "think": {
            "kind": t.think.kind,
            "values_seconds": list(t.think.values),
            "ks_distance": _number(t.think.distance),
            "samples": t.think.samples,
        },
        "hosts": [h for h, _ in t.hosts],
        "files": list(report.files),
    }
    if report.check is not None:
        c = report.check
        data["check"] = {
            "requests": c.requests,
            "endpoint_tvd": _number(c.endpoint_tvd),
            "method_tvd": _number(c.method_tvd),
            "status_tvd": _number(c.status_tvd),
            "passed": c.passed(),
            "endpoints": [
                {"endpoint": k, "log": _number(a), "generated": _number(b)} for k, a, b in c.rows
            ],
            "think": {k: {"log": _number(a), "generated": _number(b)} for k, a, b in c.think},
            "think_compression": report.compression,
        }
    # json.dumps escapes control characters; ensure_ascii also keeps terminals safe.
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def render(fmt: str, report: GenerateReport) -> str:
    return json_text(report) if fmt == "json" else text(report)
