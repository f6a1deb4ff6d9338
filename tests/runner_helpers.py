"""Compiling small scenarios written inline, and running them in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hdrh.histogram import HdrHistogram

from peac.core import quantiles
from peac.load.engine import RunOptions, execute
from peac.load.schedule import Shard
from peac.model.results import RunResult
from peac.spec.compiler import compile_paths
from peac.spec.plan import ScenarioPlan


def scenario(tmp: Path, base_url: str, load: str, flows: str, extra: str = "") -> ScenarioPlan:
    (tmp / ".git").mkdir(exist_ok=True)
    path = tmp / "s.yaml"
    path.write_text(
        "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
        f"  target: {{base_url: '{base_url}'}}\n  load: {load}\n{extra}  flows:\n{flows}",
        encoding="utf-8",
    )
    compilation = compile_paths([path], root=tmp)
    assert compilation.problems == (), compilation.problems
    (plan,) = compilation.plan.scenarios
    return plan


def run(
    plan: ScenarioPlan,
    shard: Shard | None = None,
    environ: dict[str, str] | None = None,
    seed: int = 7,
) -> RunResult:
    options = RunOptions(shard=shard or Shard(), seed=seed, environ=environ or {})
    return asyncio.run(execute(plan, plan.scenario.spec.load, options))


def stat(histogram: HdrHistogram, name: str) -> float:
    """A statistic of a histogram that must have values, in seconds."""
    value = quantiles.stat_seconds(histogram, name)
    assert value is not None, f"no {name}: the histogram is empty"
    return value
