"""The report of ``peac generate``: what was kept, dropped and why, and (``--check``) how close
the generated traffic came to the recorded one. Text for people, JSON for tools; every string
that came from a log (endpoints, user agents, hosts, file names) is escaped."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from peac.core.traffic.analysis import Traffic
from peac.core.traffic.fidelity import REFUSED_TARGET, TVD_TARGET, Comparison
from peac.core.traffic.har import HarSummary
from peac.core.traffic.openapi import OpenApiSummary
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


def _check_lines(report: GenerateReport | SourceReport) -> list[str]:
    c = report.check
    assert c is not None
    verdict = "ok" if c.endpoint_tvd <= TVD_TARGET else "too far"
    lines = [
        f"check: {c.requests:,} requests sent in {report.check_seconds:g} s to a loopback mock "
        f"answering {report.mock_status} (think times run {report.compression:.1f}x faster, "
        "gaps scaled back)",
        f"  endpoint mix TVD {c.endpoint_tvd:.3f} ({verdict}: target <= {TVD_TARGET})",
        f"  method mix TVD {c.method_tvd:.3f}, status class TVD {c.status_tvd:.3f} "
        "(the mock decides statuses)",
        *_value_lines(c),
        "  endpoint                                         log     generated",
    ]
    for key, log, gen in c.rows:
        lines.append(f"  {key[:48]:<48} {_pct(log)}  {_pct(gen)}")
    lines.append(
        "  think quantiles: " + ", ".join(f"{k} {_s(a)} vs {_s(b)}" for k, a, b in c.think)
    )
    return lines


def _value_lines(c: Comparison) -> list[str]:
    """Whether the ids and parameters sent are ones the service knows, or that it cannot say."""
    if not c.values_checked:
        return [
            "  values: not checked: the mock accepts any id or parameter value (the source does "
            "not say which ones the service knows); run the scenario against a test instance"
        ]
    verdict = "ok" if c.refused_share <= REFUSED_TARGET else "too many"
    lines = [
        f"  values: {c.refused:,} of {c.requests:,} requests ({c.refused_share:.1%}) carried an "
        f"id or parameter value the log never held, answered 404 as the real service would "
        f"({verdict}: target <= {REFUSED_TARGET:.0%})"
    ]
    for refusal, n in c.refusals[:8]:
        if refusal.made_up:
            continue
        why = (
            f"{refusal.name} had a value the log never held"
            if refusal.name
            else "an endpoint the log never had"
        )
        lines.append(f"    {n:,} x {refusal.endpoint[:60]}: {why}")
    if c.unverified:
        made_up = [f"{r.name} of {r.endpoint[:60]}" for r, _ in c.refusals if r.made_up]
        lines.append(
            f"  not verified: {c.unverified:,} requests ({c.unverified / c.requests:.1%}) carry "
            "values made up for privacy (the log's were personal data): "
            + ", ".join(made_up[:5])
            + "; whether the service accepts them cannot be known from the log: if it checks "
            "them, give real test values in a feeder"
        )
    if c.open_names:
        lines.append(
            "  any value accepted (too many distinct ones in the log to track): "
            + ", ".join(name[:60] for name in c.open_names[:5])
        )
    return lines


def _refusals(c: Comparison) -> list[dict[str, object]]:
    return [
        {"endpoint": r.endpoint, "parameter": r.name, "made_up": r.made_up, "requests": n}
        for r, n in c.refusals
    ]


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
            "values_checked": c.values_checked,
            "refused": c.refused,
            "unverified": c.unverified,
            "refusals": _refusals(c),
            "endpoints": [
                {"endpoint": k, "log": _number(a), "generated": _number(b)} for k, a, b in c.rows
            ],
            "think": {k: {"log": _number(a), "generated": _number(b)} for k, a, b in c.think},
            "think_compression": report.compression,
        }
    # json.dumps escapes control characters; ensure_ascii also keeps terminals safe.
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def _check_data(report: GenerateReport | SourceReport) -> dict[str, object]:
    c = report.check
    assert c is not None
    return {
        "requests": c.requests,
        "endpoint_tvd": _number(c.endpoint_tvd),
        "method_tvd": _number(c.method_tvd),
        "status_tvd": _number(c.status_tvd),
        "passed": c.passed(),
        "values_checked": c.values_checked,
        "endpoints": [
            {"endpoint": k, "log": _number(a), "generated": _number(b)} for k, a, b in c.rows
        ],
        "think_compression": report.compression,
    }


@dataclass(frozen=True)
class SourceReport:
    """The report of ``from-har`` and ``from-openapi``: what the source held, what became
    steps, and what was dropped or skipped and why."""

    summary: HarSummary | OpenApiSummary
    files: tuple[str, ...]
    check: Comparison | None = None
    compression: float = 1.0
    check_seconds: float = 0.0
    mock_status: int = 200


def _har_lines(s: HarSummary) -> list[str]:
    lines = [
        f"read {s.entries:,} recorded requests from {len(s.files)} HAR file(s): kept {s.kept:,} "
        f"in {s.flows} flow(s)"
    ]
    lines += [f"  dropped {n:,}: {reason}" for reason, n in s.dropped.items()]
    lines += [f"    third-party {n:,} x {host[:100]}" for host, n in s.third_party.most_common(20)]
    if s.hosts:
        lines.append(
            "recorded on (not targeted): " + ", ".join(h for h, _ in s.hosts.most_common(5))
        )
    lines += [f"capture {c}" for c in s.captures[:50]]
    lines += [f"secret {c}" for c in s.secrets]
    if s.scrubbed:
        lines.append(
            "scrubbed (generated values sent instead of the recorded ones): "
            + ", ".join(f"{what} {n:,}" for what, n in s.scrubbed.most_common(20))
        )
    if s.headers_dropped:
        lines.append(
            "headers not kept (not standard, may hold a key; --keep-header NAME keeps one): "
            + ", ".join(f"{name[:64]} {n:,}" for name, n in s.headers_dropped.most_common(20))
        )
    lines += [f"note {n}" for n in s.notes[:50]]
    if len(s.notes) > 50:
        lines.append(f"  ... and {len(s.notes) - 50:,} more notes")
    return lines


def _openapi_lines(s: OpenApiSummary) -> list[str]:
    lines = [
        f"read {s.source} ({s.version}, {s.schemas:,} schemas): {s.operations:,} operations, "
        f"{len(s.kept):,} made into steps, {len(s.skipped):,} skipped"
    ]
    lines += [f"  skipped {op}: {why}" for op, why in s.skipped]
    if s.servers:
        lines.append("servers in the spec (not targeted): " + ", ".join(s.servers[:5]))
    lines += [f"secret {c}" for c in s.secrets]
    lines += [f"note {n}" for n in s.notes[:50]]
    return lines


def _summary_data(summary: HarSummary | OpenApiSummary) -> dict[str, object]:
    if isinstance(summary, HarSummary):
        return {
            "files": summary.files,
            "entries": summary.entries,
            "kept": summary.kept,
            "flows": summary.flows,
            "dropped": dict(summary.dropped),
            "third_party_hosts": dict(summary.third_party),
            "hosts": list(summary.hosts),
            "captures": summary.captures,
            "secrets": summary.secrets,
            "scrubbed": dict(summary.scrubbed),
            "headers_not_kept": dict(summary.headers_dropped),
            "notes": summary.notes,
        }
    return {
        "spec": summary.source,
        "version": summary.version,
        "schemas": summary.schemas,
        "operations": summary.operations,
        "kept": summary.kept,
        "skipped": [{"operation": op, "reason": why} for op, why in summary.skipped],
        "servers": summary.servers,
        "secrets": summary.secrets,
        "notes": summary.notes,
    }


def source_text(report: SourceReport) -> str:
    s = report.summary
    lines = _har_lines(s) if isinstance(s, HarSummary) else _openapi_lines(s)
    lines += [f"wrote {f}" for f in report.files]
    if report.check is not None:
        lines += [line for line in _check_lines(report) if "think quantiles" not in line]
    return escape.text_lines(lines)


def source_json(report: SourceReport) -> str:
    data = _summary_data(report.summary)
    data["files_written"] = list(report.files)
    if report.check is not None:
        data["check"] = _check_data(report)
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def render(fmt: str, report: GenerateReport | SourceReport) -> str:
    if isinstance(report, SourceReport):
        return source_json(report) if fmt == "json" else source_text(report)
    return json_text(report) if fmt == "json" else text(report)
