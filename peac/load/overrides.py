"""Command-line overrides of a scenario's load (``--duration``, ``--rate``, ``--vus``,
``--target``), applied to the compiled plan so the file itself stays the reviewed truth."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from peac.errors import InputError
from peac.load.executors import Overrides, executor_of
from peac.model.urls import host_of
from peac.spec.plan import ScenarioPlan
from peac.spec.scenario import Load


def override_load(load: Load, changes: Overrides) -> Load:
    """``load`` with the command-line changes that apply to its executor."""
    return executor_of(load).override(load, changes)


def override_target(plan: ScenarioPlan, base_url: str | None) -> ScenarioPlan:
    """Point the plan at another base URL; its host must be one the scenario allows. Monitor
    URLs on the same origin as the old base URL move with it (same path, new origin)."""
    if base_url is None:
        return plan
    host = host_of(base_url)
    if host is None:
        raise InputError(f'--target: expected an absolute http(s) URL, got "{base_url}"')
    original = host_of(plan.scenario.spec.target.base_url) or ""
    if host != original and host not in plan.allowed_hosts:
        raise InputError(
            f'--target: host "{host}" is not allowed by scenario {plan.name!r} '
            f"(allowed: {', '.join(sorted({original, *plan.allowed_hosts}))})"
        )
    spec = plan.scenario.spec
    target = spec.target.model_copy(update={"base_url": base_url})
    old_origin, new_origin = _origin(spec.target.base_url), _origin(base_url)
    monitors = [
        m.model_copy(update={"url": new_origin + m.url[len(old_origin) :]})
        if _origin(m.url) == old_origin
        else m
        for m in spec.monitor
    ]
    scenario = plan.scenario.model_copy(
        update={"spec": spec.model_copy(update={"target": target, "monitor": monitors})}
    )
    return dataclasses.replace(plan, scenario=scenario)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
