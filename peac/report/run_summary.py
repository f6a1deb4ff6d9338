"""The end-of-run summary: one line per step with its latency quantiles, rate and errors."""

from __future__ import annotations

from peac.core import quantiles
from peac.core.hints import hints
from peac.model.results import RunResult
from peac.model.units import format_duration
from peac.report import escape


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.1f}"


MAX_CHECK_LINES = 30


def _check_lines(checks: dict[str, list[int]]) -> list[str]:
    """Pass and fail counts per check (``step: check``), failing ones first, like k6's."""
    ordered = sorted(checks.items(), key=lambda item: (item[1][1] == 0, item[0]))
    width = max((len(label) for label, _ in ordered[:MAX_CHECK_LINES]), default=0)
    lines = [
        f"  {'✓' if failed == 0 else '✗'} {label.ljust(width)}  {passed}/{passed + failed}"
        + (f"  ({failed} failed)" if failed else "")
        for label, (passed, failed) in ordered[:MAX_CHECK_LINES]
    ]
    if len(ordered) > MAX_CHECK_LINES:
        lines.append(f"  ... and {len(ordered) - MAX_CHECK_LINES} more checks")
    return lines


def summary(result: RunResult, *, local_server: bool = False, workers: int = 1) -> str:
    c = result.counters
    rows: list[tuple[str, ...]] = [
        ("step", "reqs", "req/s", "errors", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms")
    ]
    for label in [*sorted(result.steps()), None]:  # the same order in every run
        latency = result.latency(label)
        requests = result.requests(label)
        errors = result.errors(label)
        rows.append(
            (
                label or "all steps",
                str(requests),
                f"{requests / result.duration:.1f}",
                f"{errors} ({errors / requests:.1%})" if requests else "0",
                *(
                    _ms(quantiles.stat_seconds(latency, s))
                    for s in ("p50", "p90", "p95", "p99", "max")
                ),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    checks = c.checks_passed + c.checks_failed
    failures = ", ".join(f"{k} {v}" for k, v in c.failures.items() if v) or "none"
    lines += [
        "",
        f"scenario {result.scenario}: {format_duration(result.duration)}, "
        f"{c.iterations} iterations, {c.requests} requests, "
        f"{c.bytes_received / 1e6:.1f} MB in, {c.bytes_sent / 1e6:.1f} MB out",
        f"checks: {c.checks_passed}/{checks} passed"
        + (f" ({c.checks_passed / checks:.1%})" if checks else ""),
        *_check_lines(c.checks),
        f"failures: {failures}",
        *(
            f"  first {kind}: {message}"
            for kind, message in c.first_errors.items()
            if c.failures.get(kind)
        ),
    ]
    if c.cookies_dropped:
        lines.append(
            f"cookies: {c.cookies_dropped} set by the server were dropped (over a browser's "
            "limits: 4096 bytes each, 50 per domain, 3000 in all)"
        )
    if c.scheduled_arrivals:
        lines.append(
            f"arrivals: {c.scheduled_arrivals} scheduled, {c.dropped_arrivals} dropped "
            "(max_vus iterations were in flight)"
        )
    health = result.health
    if health.saturated and health.cause == "machine":
        lines.append(
            f"MACHINE BUSY: other work on this machine, not the server, limited these "
            f"numbers: {health.reason}"
        )
    elif health.saturated:
        lines.append(
            f"GENERATOR SATURATED: the load generator, not the server, limited these "
            f"numbers: {health.reason}"
        )
    else:
        lines.append(
            f"generator: ok (CPU {health.cpu_percent:.0f}% of a core, schedule lag p99 "
            f"{health.schedule_lag_p99 * 1e3:.1f}ms)"
        )
        if health.note:
            lines.append(f"generator note: {health.note}")
    if result.partial:
        lines.append(f"PARTIAL RESULT: {result.stop_reason}")
    for monitor in result.server.monitors:
        lines.append(
            f"monitor {monitor.name}: {len(monitor.samples)} scrapes, {monitor.errors} failed"
            + (f" ({monitor.last_error})" if monitor.errors else "")
        )
    lines += [f"hint: {hint}" for hint in hints(result, local_server=local_server, workers=workers)]
    return escape.text_lines(lines)
