"""A scenario prepared for running: templates compiled once, checks and captures compiled once,
feeder rows and declared secrets loaded once. Per-request work is only rendering and matching.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
from jinja2 import Template

from peac.errors import InputError
from peac.model.urls import host_of
from peac.spec.plan import ScenarioPlan
from peac.spec.scenario import Check, Step, ThinkTime
from peac.spec.templates import secrets_read
from peac.spec.templating import is_template, make_environment, render_text

Renderable = Any  # str | Template | list | dict of those, or plain JSON values


@dataclass(frozen=True)
class CompiledCheck:
    name: str
    check: Check
    json_path: Any = None
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class CompiledCapture:
    name: str
    json_path: Any = None
    header: str | None = None
    pattern: re.Pattern[str] | None = None
    default: Any = None


@dataclass(frozen=True)
class CompiledStep:
    label: str
    method: str
    url: Renderable
    query: tuple[tuple[str, Renderable], ...]
    headers: tuple[tuple[str, Renderable], ...]
    json_body: Renderable
    has_json: bool
    body: Renderable
    timeout: float
    checks: tuple[CompiledCheck, ...]
    captures: tuple[CompiledCapture, ...]
    think: ThinkTime | None
    templated: bool
    url_is_static: bool  # checked by the compiler; a templated URL is checked per request
    needs_body: bool
    accepted_status: Callable[[int], bool] | None
    secrets: frozenset[str] = frozenset()  # secrets its templates read (default headers too)


@dataclass(frozen=True)
class CompiledFlow:
    name: str
    weight: float
    steps: tuple[CompiledStep, ...]


@dataclass
class Runtime:
    plan: ScenarioPlan
    flows: tuple[CompiledFlow, ...]
    cumulative_weights: tuple[float, ...]
    variables: dict[str, Any]
    secrets: dict[str, str]
    feeders: dict[str, list[dict[str, str]]]
    feeder_order: dict[str, str]
    allowed_hosts: frozenset[str]
    default_headers: tuple[tuple[str, Renderable], ...]
    secret_hosts: dict[str, frozenset[str]] = field(default_factory=dict)  # where each may go
    _feeder_position: dict[str, int] = field(default_factory=dict)

    def choose_flow(self, rng: random.Random) -> CompiledFlow:
        if len(self.flows) == 1:
            return self.flows[0]
        return rng.choices(self.flows, cum_weights=self.cumulative_weights)[0]

    def feeder_rows(self, rng: random.Random) -> dict[str, dict[str, str]]:
        """One row of each feeder for an iteration (sequential rows wrap around)."""
        rows = {}
        for name, data in self.feeders.items():
            if self.feeder_order[name] == "random":
                rows[name] = rng.choice(data)
            else:
                position = self._feeder_position.get(name, 0)
                rows[name] = data[position % len(data)]
                self._feeder_position[name] = position + 1
        return rows


def _compile(value: Any, env: Any) -> tuple[Renderable, bool]:
    if isinstance(value, str):
        if is_template(value):
            return env.from_string(value), True
        return value, False
    if isinstance(value, dict):
        items = {k: _compile(v, env) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(t for _, t in items.values())
    if isinstance(value, list):
        compiled = [_compile(v, env) for v in value]
        return [v for v, _ in compiled], any(t for _, t in compiled)
    return value, False


def varies(value: Renderable) -> bool:
    """Whether rendering ``value`` can give a different result per request."""
    if isinstance(value, Template):
        return True
    if isinstance(value, dict):
        return any(varies(v) for v in value.values())
    if isinstance(value, list):
        return any(varies(v) for v in value)
    return False


def render(value: Renderable, context: dict[str, Any]) -> Any:
    if isinstance(value, Template):
        return render_text(value, context)
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    return value


def _status_matcher(checks: list[Check]) -> Callable[[int], bool] | None:
    specs: list[Any] = []
    for check in checks:
        if check.status is not None:
            specs.extend(check.status if isinstance(check.status, list) else [check.status])
    if not specs:
        return None
    codes = {s for s in specs if isinstance(s, int)}
    classes = {int(s[0]) for s in specs if isinstance(s, str)}
    return lambda code: code in codes or code // 100 in classes


MAX_LABEL = 80


def _check_label(check: Check, index: int) -> str:
    """How the run summary names a check: its name, else what it asserts (``status 200``,
    ``json items[0].id``), so that pass and fail counts per check read without the file."""
    if check.name:
        label = check.name
    elif check.status is not None:
        status = check.status
        label = "status " + (
            ", ".join(map(str, status)) if isinstance(status, list) else str(status)
        )
    elif check.json_ is not None:
        label = f"json {check.json_.path}"
    elif check.header is not None:
        label = f"header {check.header.name}"
    elif check.latency is not None:
        label = "latency"
    elif check.body is not None:
        label = "body"
    else:
        label = f"check {index + 1}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _compile_step(step: Step, plan: ScenarioPlan, env: Any) -> CompiledStep:
    scenario = plan.scenario.spec
    base = scenario.target.base_url.rstrip("/")
    url_text = step.url if step.url is not None else base + (step.path or "")
    url, t1 = _compile(url_text, env)
    query = tuple(
        (k, _compile(str(v) if not isinstance(v, str) else v, env)[0])
        for k, v in step.query.items()
    )
    headers = tuple((k, _compile(v, env)[0]) for k, v in step.headers.items())
    json_body, t2 = _compile(step.json_, env)
    body, t3 = _compile(step.body, env)
    templated = t1 or t2 or t3 or any(isinstance(v, Template) for _, v in query + headers)
    checks = []
    for index, check in enumerate(step.checks):
        json_path = jmespath.compile(check.json_.path) if check.json_ else None
        pattern_text = (
            (check.json_.matches if check.json_ else None)
            or (check.body.matches if check.body else None)
            or (check.header.matches if check.header else None)
        )
        checks.append(
            CompiledCheck(
                _check_label(check, index),
                check,
                json_path,
                re.compile(pattern_text) if pattern_text else None,
            )
        )
    captures = tuple(
        CompiledCapture(
            name,
            jmespath.compile(capture.json_) if capture.json_ else None,
            capture.header,
            re.compile(capture.regex) if capture.regex else None,
            capture.default,
        )
        for name, capture in step.capture.items()
    )
    needs_body = any(c.check.json_ or c.check.body for c in checks) or any(
        c.json_path is not None or c.pattern is not None for c in captures
    )
    return CompiledStep(
        label=step.label,
        method=step.method,
        url=url,
        query=query,
        headers=headers,
        json_body=json_body,
        has_json=step.json_ is not None,
        body=body,
        timeout=step.timeout or scenario.defaults.timeout,
        checks=tuple(checks),
        captures=captures,
        think=step.think,
        templated=templated,
        url_is_static=not t1,
        needs_body=needs_body,
        accepted_status=_status_matcher(list(step.checks)),
        secrets=secrets_read(
            [
                step.url or step.path,
                step.query,
                step.headers,
                step.json_,
                step.body,
                scenario.defaults.headers,
            ],
            scenario.secrets,
        ),
    )


def _read_feeder(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def prepare(plan: ScenarioPlan, environ: dict[str, str] | None = None) -> Runtime:
    """Compile a plan for running; a declared secret missing from the environment is an error."""
    environ = dict(os.environ) if environ is None else environ
    scenario = plan.scenario.spec
    missing = [s.env for s in scenario.secrets.values() if s.env not in environ]
    if missing:
        raise InputError(
            f"scenario {plan.name!r} declares secrets read from unset environment variables: "
            + ", ".join(missing)
        )
    env = make_environment()
    flows = tuple(
        CompiledFlow(f.name, f.weight, tuple(_compile_step(s, plan, env) for s in f.steps))
        for f in scenario.flows
    )
    total, cumulative = 0.0, []
    for flow in flows:
        total += flow.weight
        cumulative.append(total)
    feeders = {name: _read_feeder(f.path) for name, f in plan.feeders.items()}
    host = host_of(scenario.target.base_url) or ""
    return Runtime(
        plan=plan,
        flows=flows,
        cumulative_weights=tuple(cumulative),
        variables=dict(scenario.data.vars),
        secrets={name: environ[s.env] for name, s in scenario.secrets.items()},
        feeders=feeders,
        feeder_order={name: f.order for name, f in plan.feeders.items()},
        allowed_hosts=frozenset({host, *plan.allowed_hosts}),
        secret_hosts={
            name: plan.secret_hosts.get(name, frozenset({host, *plan.allowed_hosts}))
            for name in scenario.secrets
        },
        default_headers=tuple(
            (k, _compile(v, env)[0]) for k, v in scenario.defaults.headers.items()
        ),
    )
