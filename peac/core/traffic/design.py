"""From what a log showed (``Traffic``) to a scenario draft: steps, flows and their weights,
parameter values, think time and the arrival profile, each with its provenance."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from peac.core.traffic.analysis import SHAREABLE, Endpoint, Traffic, status_class
from peac.core.traffic.draft import (
    BudgetDraft,
    FeederDraft,
    FlowDraft,
    ObjectiveDraft,
    ScenarioDraft,
    StepDraft,
)
from peac.core.traffic.profile import Profile, peak_window, stage_rates
from peac.core.traffic.templater import DATE, EMAIL, FED, HEX, INT, IP, UUID
from peac.errors import one_line
from peac.model.units import format_duration

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NAME_BAD = re.compile(r"[^A-Za-z0-9 ._/:-]")
_IDENT_BAD = re.compile(r"[^a-z0-9_]+")
_FORMULA = ("=", "+", "-", "@")
MAX_VUS = 100_000


@dataclass(frozen=True)
class DesignOptions:
    name: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    data_dir: str  # folder of the data files, relative to the scenario file
    sources: tuple[str, ...] = ()  # the logs' names, for the header comment
    scale: float = 1.0
    peak_hour: bool = False
    seed: int = 0


def count(n: float) -> str:
    """A count as comments write it: ``9,412``."""
    return f"{round(n):,}"


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "0 %"


def seconds(value: float) -> str:
    """A duration as comments write it: ``4.1 s``, ``350 ms``."""
    if math.isnan(value):
        return "-"
    return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def duration_text(value: float) -> str:
    """A duration as the file writes it (``4.12s``, ``350ms``, ``0s``), parsed back by the
    compiler to within a millisecond."""
    if value >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".") + "s"
    ms = round(value * 1000)
    return f"{ms}ms" if ms else "0s"


def rate_text(per_second: float) -> str:
    """A rate as the file writes it, in the unit that keeps it readable: ``12.5/s``,
    ``3.2/m``, ``0.5/h`` (four significant digits at most)."""
    for unit, factor in (("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        value = per_second * factor
        if value >= 0.1 or unit == "h":
            text = f"{value:.4g}"
            if "e" in text:
                text = f"{value:.6f}".rstrip("0").rstrip(".")
            return f"{text}/{unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def step_name(method: str, path: str) -> str:
    """``GET /api/items/:items_id``: a valid step name (placeholders as ``:name``)."""
    shown = _PLACEHOLDER.sub(r":\1", path)
    return _NAME_BAD.sub("_", f"{method} {shown}")[:80].rstrip()


def identifier(text: str, taken: set[str], prefix: str = "p") -> str:
    base = _IDENT_BAD.sub("_", text.lower()).strip("_")[:40] or prefix
    if base[0].isdigit():
        base = f"{prefix}_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def generated(kind: str) -> str:
    """A template making a value of the same shape as personal data, never the data itself;
    each shape templates back to a parameter (never a literal word) of the same endpoint."""
    if kind == EMAIL:
        return "user{{ random_int(10000, 99999) }}@example.test"
    if kind == IP:
        return "10.{{ random_int(0, 255) }}.{{ random_int(0, 255) }}.{{ random_int(1, 254) }}"
    return "{{ random_string(12) }}{{ random_int(100000, 999999) }}"


def _usable(value: str) -> bool:
    return (
        bool(value)
        and value.isprintable()
        and not value.startswith(_FORMULA)
        and (len(value) <= 200)
    )


def _step(endpoint: Endpoint, feeder: str, columns: dict[str, str]) -> StepDraft:
    """The step of one endpoint; ``columns`` (parameter -> feeder column) is filled in."""
    taken: set[str] = set()
    path_parts: list[str] = []
    last = 0
    for found in _PLACEHOLDER.finditer(endpoint.path):
        path_parts.append(endpoint.path[last : found.start()])
        name = found.group(1)
        kind = endpoint.kind_of(name)
        if kind in FED:
            column = identifier(name, taken)
            columns[name] = column
            path_parts.append("{{ " + feeder + "." + column + " }}")
        else:
            path_parts.append(generated(kind))
        last = found.end()
    path_parts.append(endpoint.path[last:])
    query: dict[str, str] = {}
    for key in endpoint.query_keys():
        kind = endpoint.query_kind(key)
        if kind in FED or (kind in SHAREABLE and _common_values(endpoint, key)):
            column = identifier("q_" + key, taken)
            columns["?" + key] = column
            query[key] = "{{ " + feeder + "." + column + " }}"
        else:
            query[key] = generated(kind)
    step = StepDraft(
        step_name(endpoint.method, endpoint.path), endpoint.method, "".join(path_parts)
    )
    step.query = query
    classes: dict[str, int] = {}
    for status, n in endpoint.statuses.items():
        classes[status_class(status)] = classes.get(status_class(status), 0) + n
    mix = ", ".join(
        f"{k} {percent(v, endpoint.count)}"
        for k, v in sorted(classes.items(), key=lambda kv: -kv[1])
    )
    if classes.get("2xx", 0) >= 0.95 * endpoint.count:
        step.checks.append({"status": "2xx"})
    step.comment = f"status seen: {mix}"
    return step


def _common_values(endpoint: Endpoint, key: str) -> list[str]:
    found = endpoint.query[key]
    return [v for v in found.clients if found.common(v) and _usable(v)]


def _feeder(
    endpoint: Endpoint, name: str, columns: dict[str, str], data_dir: str, seed: int
) -> FeederDraft:
    """The sampled values of the endpoint's fed parameters; a free-text value sent by fewer than
    K_ANONYMITY clients is replaced by a common one (it may be someone's)."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    keys = list(columns)
    for sample in endpoint.rows:
        row: list[str] = []
        for key in keys:
            value = sample.get(key, "")
            if key.startswith("?"):
                query_key = key[1:]
                if endpoint.query_kind(query_key) in SHAREABLE:  # never an uncommon one
                    common = _common_values(endpoint, query_key)
                    if value not in common:
                        value = rng.choice(common)
                elif not _usable(value):
                    value = ""
            row.append(value)
        if all(row):
            rows.append(row)
    if not rows:  # every sampled row lacked a value: keep one made of the first values seen
        rows = [[next((s[k] for s in endpoint.rows if s.get(k)), "1") for k in keys]]
    kinds = sorted(
        {endpoint.kind_of(k) for k in columns if not k.startswith("?")} & {INT, UUID, HEX, DATE}
    )
    return FeederDraft(
        name,
        f"{data_dir}/{name}.csv",
        [columns[k] for k in keys],
        rows,
        comment=f"{count(len(rows))} rows sampled from {count(endpoint.count)} requests"
        + (f" ({', '.join(kinds)} values)" if kinds else ""),
    )


def _think(traffic: Traffic) -> tuple[str | dict[str, object] | None, str]:
    fit = traffic.think
    if fit.kind == "none":
        return None, ""
    if fit.kind == "constant":
        value: str | dict[str, object] = duration_text(fit.values[0])
    elif fit.kind == "uniform":
        value = {"uniform": [duration_text(fit.values[0]), duration_text(fit.values[1])]}
    else:
        value = {"exponential": duration_text(max(fit.values[0], 0.001))}
    others = ", ".join(f"{k} {d:.2f}" for k, d in fit.others)
    comment = (
        f"think: {fit.kind} fits the {count(fit.samples)} sampled in-session gaps best "
        f"(KS distance {fit.distance:.2f}; {others}); p50 gap {seconds(fit.p50)}, "
        f"p90 {seconds(fit.p90)} over {count(traffic.sessions)} sessions"
    )
    return value, comment


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _load(
    traffic: Traffic, options: DesignOptions, think_mean: float
) -> tuple[dict[str, object], str, list[str]]:
    profile: Profile = traffic.profile
    whole = profile
    if options.peak_hour:
        profile = peak_window(profile)
    per_iteration = traffic.per_iteration or 1.0
    # The profile counts the requests of every endpoint; the scenario sends the kept ones.
    kept_share = traffic.kept / sum(whole.counts) if sum(whole.counts) else 1.0
    rates = stage_rates(profile, per_iteration, options.scale * kept_share)
    peak = max(rates) if rates else 0.0
    busy = (per_iteration - 1) * think_mean + 0.5 * per_iteration
    max_vus = max(10, min(MAX_VUS, math.ceil(2 * peak * busy) + 10))
    stages = [
        {"duration": format_duration(profile.resolution), "target": rate_text(r)} for r in rates
    ]
    if not stages:
        stages = [{"duration": "1m", "target": "1/s"}]
    load: dict[str, object] = {
        "executor": "ramping-arrival-rate",
        "start_rate": rate_text(rates[0]) if rates else "1/s",
        "stages": stages,
        "max_vus": max_vus,
    }
    parts = [
        f"replays {format_duration(profile.duration)} of the log"
        + (f" (its peak hour, from {_when(profile.start)})" if options.peak_hour else "")
        + f" at {format_duration(profile.resolution)} resolution",
        f"mean {whole.mean:.2f} req/s, peak {whole.peak:.2f} req/s at {_when(whole.peak_time)}: "
        f"peak-to-mean {whole.peak_to_mean:.1f}",
        f"iterations/s = requests/s x {100 * kept_share:.1f} % in the kept endpoints "
        f"/ {per_iteration:.2f} requests per iteration"
        + (f" x {options.scale:g} (--scale)" if options.scale != 1 else ""),
        f"max_vus: 2 x peak {peak:.2f}/s x {busy:.1f} s per iteration, + 10",
    ]
    if whole.coarsened > 1:
        parts.append(
            f"buckets merged {whole.coarsened} by {whole.coarsened} to stay within the stage cap"
        )
    for gap in whole.gaps:
        parts.append(
            f"gap in the log cut out: {_when(gap.start)} to {_when(gap.end)} "
            f"({count(gap.expected)} requests expected at the rate around it, none logged)"
        )
    per_stage = [
        f"{_when(t)}: {count(c)} requests"
        for t, c in zip(profile.times, profile.counts, strict=True)
    ]
    return load, "; ".join(parts), per_stage


def design_scenario(traffic: Traffic, options: DesignOptions) -> ScenarioDraft:
    """The scenario a log's traffic makes."""
    feeders: list[FeederDraft] = []
    steps: dict[str, StepDraft] = {}
    taken_names: set[str] = set()
    feeder_names: set[str] = set()
    for rank, endpoint in enumerate(traffic.top, start=1):
        feeder = identifier(f"ep{rank}", feeder_names)
        columns: dict[str, str] = {}
        step = _step(endpoint, feeder, columns)
        name, n = step.name, 2
        while name in taken_names:
            name, n = f"{step.name[:76]} {n}", n + 1
        taken_names.add(name)
        step.name = name
        step.comment = (
            f"{percent(endpoint.count, traffic.kept)} of {count(traffic.kept)} kept requests; "
            + step.comment
        )
        steps[endpoint.key] = step
        if columns:
            feeders.append(
                _feeder(endpoint, feeder, columns, options.data_dir, options.seed + rank)
            )
    think, think_comment = _think(traffic)
    think_mean = (
        sum(traffic.think.values) / len(traffic.think.values) if traffic.think.values else 0.0
    )
    flows: list[FlowDraft] = []
    total_iterations = sum(f.count for f in traffic.flows)
    for index, flow in enumerate(traffic.flows, start=1):
        flow_steps: list[StepDraft] = []
        in_flow: dict[str, int] = {}
        for position, key in enumerate(flow.steps):
            base = steps[key]
            # A step name is unique within a flow: a repeated endpoint is "NAME 2", "NAME 3".
            seen = in_flow[base.name] = in_flow.get(base.name, 0) + 1
            name = base.name if seen == 1 else f"{base.name[:76]} {seen}"
            copy = StepDraft(name, base.method, base.path, dict(base.query), list(base.checks))
            copy.comment = base.comment
            if position < len(flow.steps) - 1 and think is not None:
                copy.think = think
                copy.think_comment = think_comment if index == 1 and position == 0 else ""
            flow_steps.append(copy)
        if flow.residual:
            name = f"single {index}"
            comment = "one-step iterations: requests of this endpoint outside the common sequences"
        else:
            name = f"session {index}"
            comment = f"a common step sequence of the log's sessions ({len(flow.steps)} steps)"
        flows.append(
            FlowDraft(
                name,
                float(flow.count),
                flow_steps,
                f"{percent(flow.count, total_iterations)} of {count(total_iterations)} "
                f"iterations; {comment}",
            )
        )
    load, load_comment, stage_comments = _load(traffic, options, think_mean)
    header = _header(traffic, options)
    return ScenarioDraft(
        name=options.name,
        description=f"Generated by peac generate from-log from {len(options.sources)} log(s)",
        base_url=options.base_url,
        allowed_hosts=list(options.allowed_hosts),
        load=load,
        flows=flows,
        feeders=feeders,
        header=header,
        load_comment=load_comment,
        target_comment="never the log's own host: see the header",
        stage_comments=stage_comments,
    )


def _header(traffic: Traffic, options: DesignOptions) -> list[str]:
    sources = ", ".join(one_line(s) for s in options.sources[:5])
    if len(options.sources) > 5:
        sources += f" and {len(options.sources) - 5} more"
    lines = [
        f"Generated by `peac generate from-log` from {sources}.",
        f"{count(traffic.kept)} of {count(traffic.requests)} requests kept "
        f"({count(traffic.lines)} lines, {count(traffic.malformed)} malformed), "
        f"{count(len(traffic.top))} of {count(len(traffic.endpoints))} endpoints, "
        f"{count(traffic.sessions)} sessions.",
    ]
    if traffic.dropped:
        lines.append(
            "Dropped: "
            + "; ".join(f"{reason} {count(n)}" for reason, n in traffic.dropped.items())
            + "."
        )
    if traffic.requests:
        lines.append(f"The log's time: {_when(traffic.first)} to {_when(traffic.last)}.")
    if traffic.hosts:
        shown = ", ".join(one_line(h)[:100] for h, _ in traffic.hosts[:5])
        lines.append(f"Host(s) in the log: {shown}; load goes to the target below, never there.")
    lines.append(
        "Personal data (e-mail and IP addresses, tokens, long random strings) in paths and "
        "queries is replaced by generated values; ids are fed from the data files."
    )
    return lines


def design_budget(traffic: Traffic, name: str, scenario_file: str) -> BudgetDraft:
    """A starting budget: conservative absolute limits, to be tightened from history."""
    errors = sum(n for k, n in traffic.status_classes.items() if k in ("4xx", "5xx"))
    share = errors / traffic.kept if traffic.kept else 0.0
    budget = starting_budget(name, scenario_file, "from-log", share)
    budget.objectives[
        0
    ].comment = "the log has no response times: 1 s / 2 s are generous starting limits"
    budget.objectives[1].comment = (
        f"4xx and 5xx were {percent(errors, traffic.kept)} of the kept requests in the "
        "log; fail at twice that (at least 1 %)"
    )
    return budget


def starting_budget(name: str, scenario_file: str, command: str, error_share: float) -> BudgetDraft:
    """Conservative absolute limits (p95 latency, error rate at twice ``error_share``, at least
    1 %), to be replaced by ``peac recommend`` once runs are recorded."""
    fail = min(0.5, max(0.01, 2 * error_share))
    warn = fail / 2
    return BudgetDraft(
        name=name,
        scenario=scenario_file,
        objectives=[
            ObjectiveDraft(
                "latency",
                "p95",
                {"max": "1s"},
                {"max": "2s"},
                "1 s / 2 s are generous starting limits, to be set from recorded runs",
            ),
            ObjectiveDraft(
                "error_rate",
                "rate",
                {"max": _pct(warn)},
                {"max": _pct(fail)},
                "fail at twice the error share seen (at least 1 %)",
            ),
        ],
        header=[
            f"A starting budget for scenario {name}, generated by peac generate {command}.",
            "Its limits are conservative guesses: once a few runs are recorded "
            "(peac run, peac record), run `peac recommend` on this file to set them from history.",
        ],
    )


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"
