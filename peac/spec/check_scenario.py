"""Semantic checks of a Scenario beyond its schema, producing a ScenarioPlan."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from peac.errors import describe, did_you_mean
from peac.model.objectives import Source
from peac.model.urls import host_of
from peac.spec.plan import FeederPlan, ScenarioPlan
from peac.spec.regexes import nested_repeat
from peac.spec.scenario import Scenario, Spike, Step, Stress
from peac.spec.source import Loc
from peac.spec.templating import BUILTIN_NAMES, is_template, template_strings
from peac.spec.workspace import Loaded, Workspace, digest

Report = Callable[..., None]
_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))$")
_STATUS_CLASS = re.compile(r"^[1-5]xx$")
MAX_STRESS_STEPS = 1000


def check_scenario(loaded: Loaded, workspace: Workspace) -> ScenarioPlan | None:
    """The plan for a valid scenario; problems go to the workspace's report."""
    model = loaded.model
    assert isinstance(model, Scenario)
    report = workspace.reporter(loaded)
    before = len(workspace.problems[loaded.file])
    spec = model.spec
    allowed = _check_target(model, report)
    _check_load(model, report)
    feeders = _check_feeders(model, loaded.file, workspace, report)
    ca = _check_ca(model, loaded.file, workspace, report)
    _check_flows(model, allowed, feeders, report)
    if len(workspace.problems[loaded.file]) > before:
        return None
    document = loaded.document
    steps = tuple(dict.fromkeys(step.label for flow in spec.flows for step in flow.steps))
    return ScenarioPlan(
        name=model.metadata.name,
        source=Source(document.path, document.line, 1),
        digest=digest(model),
        scenario=model,
        steps=steps,
        allowed_hosts=frozenset(allowed),
        feeders=feeders,
        ca=ca,
    )


def _url_problem(url: str) -> str:
    if host_of(url) is None:
        return f'expected an absolute http(s) URL like "http://127.0.0.1:8080", got "{url}"'
    return ""


def _check_target(model: Scenario, report: Report) -> set[str]:
    target = model.spec.target
    loc: Loc = ("spec", "target")
    allowed: set[str] = set()
    if problem := _url_problem(target.base_url):
        report((*loc, "base_url"), problem)
    else:
        allowed.add(host_of(target.base_url) or "")
    for index, host in enumerate(target.allowed_hosts):
        if not _HOST.match(host):
            report(
                (*loc, "allowed_hosts", index),
                'expected a host name like "api.example.com" (no scheme, port or path), '
                f'got "{host}"',
            )
        allowed.add(host.strip("[]").lower())
    for index, monitor in enumerate(model.spec.monitor):
        _check_absolute_url(monitor.url, ("spec", "monitor", index, "url"), allowed, report)
    return allowed


def _check_absolute_url(url: str, loc: Loc, allowed: set[str], report: Report) -> None:
    if problem := _url_problem(url):
        report(loc, problem)
        return
    host = host_of(url) or ""
    if is_template(host):
        report(loc, "expected a literal host in the URL: the host decides where load goes")
    elif host not in allowed:
        listed = ", ".join(sorted(h for h in allowed if h)) or "none yet"
        report(
            loc,
            f'host "{host}" is not in target.allowed_hosts (allowed: {listed}); add it there '
            "if load may go to it",
        )


def _check_load(model: Scenario, report: Report) -> None:
    load = model.spec.load
    loc: Loc = ("spec", "load")
    if isinstance(load, Spike) and load.peak_rate <= load.base_rate:
        report((*loc, "peak_rate"), "expected peak_rate above base_rate for a spike")
    if isinstance(load, Stress):
        if load.max_rate <= load.start_rate:
            report((*loc, "max_rate"), "expected max_rate above start_rate for a stress test")
        elif (load.max_rate - load.start_rate) / load.step_rate > MAX_STRESS_STEPS:
            report(
                (*loc, "step_rate"),
                f"expected at most {MAX_STRESS_STEPS} steps from start_rate to max_rate; "
                "raise step_rate",
            )


def _check_feeders(
    model: Scenario, file: Path, workspace: Workspace, report: Report
) -> dict[str, FeederPlan]:
    from peac.spec.paths import resolve_reference

    plans: dict[str, FeederPlan] = {}
    for name, feeder in model.spec.data.feeders.items():
        loc: Loc = ("spec", "data", "feeders", name, "file")
        if name in model.spec.data.vars:
            report(
                ("spec", "data", "feeders", name),
                f'feeder "{name}" has the name of a variable',
                key=True,
            )
        path, why = resolve_reference(feeder.file, file, workspace.root)
        if path is None:
            report(loc, why)
            continue
        columns, why = _csv_columns(path)
        if why:
            report(loc, why)
            continue
        plans[name] = FeederPlan(path, columns, feeder.order)
    return plans


MAX_FEEDER_BYTES = 64 * 1024 * 1024
MAX_CA_BYTES = 1024 * 1024


def _check_ca(model: Scenario, file: Path, workspace: Workspace, report: Report) -> Path | None:
    """``target.ca`` as a confined path to a PEM file of CA certificates, or None (problems go
    to the report). Its content is never echoed."""
    import ssl

    from peac.spec.paths import resolve_reference

    reference = model.spec.target.ca
    if reference is None:
        return None
    loc: Loc = ("spec", "target", "ca")
    path, why = resolve_reference(reference, file, workspace.root)
    if path is None:
        report(loc, why)
        return None
    if not path.is_file():
        report(loc, f'{"not a regular file" if path.exists() else "no such file"} "{path.name}"')
        return None
    if path.stat().st_size > MAX_CA_BYTES:
        report(loc, f"expected a PEM file of at most {MAX_CA_BYTES >> 20} MiB")
        return None
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError, OSError):
        report(loc, "expected a PEM file of CA certificates")
        return None
    return path


def _csv_columns(path: Path) -> tuple[tuple[str, ...], str]:
    """The columns of a feeder file, read whole (every row must parse, as the runner reads
    them all), or why it cannot be used. Its content is never echoed: it may not be a CSV."""
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such file"
        return (), f'{what} "{path.name}"'
    if path.stat().st_size > MAX_FEEDER_BYTES:
        return (), f"expected a CSV file of at most {MAX_FEEDER_BYTES >> 20} MiB"
    rows = 0
    header: list[str] | None = None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                header = header or row
                rows += 1
    except UnicodeDecodeError:
        return (), "expected a UTF-8 CSV file"
    except csv.Error as exc:
        why = str(exc).split(":")[0][:80]
        return (), f"expected a CSV file, but row {rows + 1} cannot be read ({why})"
    if not header or not all(c.strip() for c in header):
        return (), "expected a CSV file whose first row names every column"
    if rows < 2:
        return (), "expected a CSV file with at least one data row after the header"
    return tuple(c.strip() for c in header), ""


def _check_flows(
    model: Scenario, allowed: set[str], feeders: dict[str, FeederPlan], report: Report
) -> None:
    spec = model.spec
    globals_ = set(spec.data.vars) | set(spec.data.feeders) | set(BUILTIN_NAMES)
    captured_in: dict[str, str] = {}
    for flow in spec.flows:
        for step in flow.steps:
            for name in step.capture:
                captured_in.setdefault(name, f'flow "{flow.name}", step "{step.label}"')
    context = _Names(globals_, captured_in, set(spec.secrets), feeders, report)
    for loc, text in template_strings(dict(spec.defaults.headers)):
        context.check(("spec", "defaults", "headers", *loc), text, set())
    seen_flows: set[str] = set()
    for f_index, flow in enumerate(spec.flows):
        f_loc: Loc = ("spec", "flows", f_index)
        if flow.name in seen_flows:
            report((*f_loc, "name"), f'duplicate flow name "{flow.name}"')
        seen_flows.add(flow.name)
        captured: set[str] = set()
        labels: set[str] = set()
        for s_index, step in enumerate(flow.steps):
            s_loc: Loc = (*f_loc, "steps", s_index)
            if step.label in labels:
                report(
                    (*s_loc, "name") if step.name else s_loc,
                    f'duplicate step name "{step.label}" in flow "{flow.name}": '
                    "give each step its own name (metrics are grouped by step name)",
                )
            labels.add(step.label)
            _check_step(step, s_loc, allowed, report)
            for loc, text in _step_templates(step):
                context.check((*s_loc, *loc), text, captured)
            for name in step.capture:
                if name in globals_:
                    report(
                        (*s_loc, "capture", name),
                        f'capture "{name}" hides a variable of the same name',
                        key=True,
                    )
            captured |= set(step.capture)


def _step_templates(step: Step) -> Iterable[tuple[Loc, str]]:
    for field_name in ("path", "url", "body"):
        value = getattr(step, field_name)
        if isinstance(value, str) and is_template(value):
            yield (field_name,), value
    for key, value in step.query.items():
        if isinstance(value, str) and is_template(value):
            yield ("query", key), value
    for loc, text in template_strings(dict(step.headers)):
        yield ("headers", *loc), text
    for loc, text in template_strings(step.json_):
        yield ("json", *loc), text


class _Names:
    """Checks that templates only read names that exist at that point of a flow."""

    def __init__(
        self,
        globals_: set[str],
        captured_in: dict[str, str],
        secrets: set[str],
        feeders: dict[str, FeederPlan],
        report: Report,
    ) -> None:
        self.globals = globals_
        self.captured_in = captured_in
        self.secrets = secrets
        self.feeders = feeders
        self.report = report

    def check(self, loc: Loc, text: str, captured: set[str]) -> None:
        from peac.spec.templates import analyse

        use = analyse(text)
        if use.error:
            self.report(loc, use.error)
            return
        available = self.globals | captured
        for name in sorted(use.names - available):
            if name in self.captured_in:
                self.report(
                    loc,
                    f'variable "{name}" is used before any step captures it '
                    f"(captured by {self.captured_in[name]})",
                )
            else:
                hint = did_you_mean(name, available)
                self.report(
                    loc,
                    f'unknown variable "{name}"{hint}: '
                    "declare it in data.vars, a feeder, a capture or secrets",
                )
        for attribute in sorted(use.attributes.get("secrets", ())):
            if attribute not in self.secrets:
                hint = did_you_mean(attribute, self.secrets)
                self.report(
                    loc, f'unknown secret "{attribute}"{hint}: declare it under spec.secrets'
                )
        for feeder, plan in self.feeders.items():
            for column in sorted(use.attributes.get(feeder, set()) - set(plan.columns)):
                hint = did_you_mean(column, plan.columns)
                self.report(loc, f'feeder "{feeder}" has no column "{column}"{hint}')


def _check_step(step: Step, loc: Loc, allowed: set[str], report: Report) -> None:
    if step.path is not None and not step.path.startswith("/") and not step.path.startswith("{{"):
        report((*loc, "path"), f'expected a path starting with "/", got "{step.path}"')
    if step.url is not None:
        _check_absolute_url(step.url, (*loc, "url"), allowed, report)
    for index, check in enumerate(step.checks):
        c_loc: Loc = (*loc, "checks", index)
        if check.status is not None:
            _check_status(check.status, (*c_loc, "status"), report)
        if check.json_ is not None:
            _check_jmespath(check.json_.path, (*c_loc, "json", "path"), report)
            _check_regex(check.json_.matches, (*c_loc, "json", "matches"), report)
        if check.body is not None:
            if all(
                v is None
                for v in (check.body.contains, check.body.not_contains, check.body.matches)
            ):
                report((*c_loc, "body"), 'expected one of "contains", "not_contains", "matches"')
            _check_regex(check.body.matches, (*c_loc, "body", "matches"), report)
        if check.header is not None:
            _check_regex(check.header.matches, (*c_loc, "header", "matches"), report)
    for name, capture in step.capture.items():
        c_loc = (*loc, "capture", name)
        if capture.json_ is not None:
            _check_jmespath(capture.json_, (*c_loc, "json"), report)
        if capture.regex is not None:
            compiled = _check_regex(capture.regex, (*c_loc, "regex"), report)
            if compiled is not None and compiled.groups != 1:
                report(
                    (*c_loc, "regex"),
                    f"expected a regex with exactly one group (...), found {compiled.groups}",
                )


def _check_status(status: Any, loc: Loc, report: Report) -> None:
    codes = status if isinstance(status, list) else [status]
    for code in codes:
        if isinstance(code, int) and 100 <= code <= 599:
            continue
        if isinstance(code, str) and _STATUS_CLASS.match(code):
            continue
        report(loc, f'expected an HTTP status (100-599) or a class like "2xx", got {code!r}')


MAX_EXPRESSION = 1000  # characters of a JMESPath expression or a regular expression


def _check_jmespath(expression: str, loc: Loc, report: Report) -> None:
    import jmespath
    from jmespath.exceptions import JMESPathError

    expected = "expected a JMESPath expression like items[0].id"
    if len(expression) > MAX_EXPRESSION:
        report(loc, f"{expected} of at most {MAX_EXPRESSION} characters, got {len(expression)}")
        return
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        report(loc, f"{expected}, got {describe(expression)} ({_jmespath_reason(exc)})")
    except RecursionError:
        report(loc, f"{expected}, got one nested too deeply")


def _jmespath_reason(exc: Exception) -> str:
    position = getattr(exc, "lex_position", None)
    reason = str(getattr(exc, "msg", "") or exc).splitlines()[0]
    return f"{reason} at column {position + 1}" if isinstance(position, int) else reason


def _check_regex(pattern: str | None, loc: Loc, report: Report) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if len(pattern) > MAX_EXPRESSION:
        report(
            loc,
            f"expected a regular expression of at most {MAX_EXPRESSION} characters, "
            f"got {len(pattern)}",
        )
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        report(loc, f"expected a regular expression, got {describe(pattern)} ({exc})")
        return None
    except (RecursionError, OverflowError, ValueError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:80]
        report(loc, f"expected a regular expression, got {describe(pattern)} ({why})")
        return None
    if nested_repeat(pattern):
        report(
            loc,
            f"expected a regular expression without nested repeats like (a+)+, got "
            f"{describe(pattern)}: on an unlucky response it takes exponential time",
        )
        return None
    return compiled
