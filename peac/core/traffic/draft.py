"""A generated scenario as plain data, every number with the comment that says where it came
from: what the generators (``from-log``, and others on recorded traffic) produce and the writer
turns into YAML. Nothing here knows YAML or files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepDraft:
    name: str
    method: str
    path: str  # a step path template (Jinja), literals percent-encoded
    query: dict[str, str] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    think: str | dict[str, Any] | None = None
    comment: str = ""  # after the step's name
    think_comment: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None  # a JSON body (has_json says whether there is one: null is a body too)
    has_json: bool = False
    body: str | None = None  # a raw body (form fields)
    capture: dict[str, dict[str, Any]] = field(default_factory=dict)
    capture_comment: str = ""


@dataclass
class FlowDraft:
    name: str
    weight: float
    steps: list[StepDraft]
    comment: str = ""


@dataclass
class FeederDraft:
    name: str  # identifier, read as {{ name.column }}
    file: str  # relative to the scenario file
    columns: list[str]
    rows: list[list[str]]
    comment: str = ""


@dataclass
class ScenarioDraft:
    name: str
    description: str
    base_url: str
    allowed_hosts: list[str]
    load: dict[str, Any]  # the executor's keys, values as a file writes them
    flows: list[FlowDraft]
    feeders: list[FeederDraft] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # comment lines at the top
    load_comment: str = ""
    target_comment: str = ""
    stage_comments: list[str] = field(default_factory=list)  # one per stage, if any
    secrets: dict[str, str] = field(default_factory=dict)  # name -> environment variable
    secrets_comment: str = ""


@dataclass
class ObjectiveDraft:
    metric: str
    stat: str
    warn: dict[str, str] | None
    fail: dict[str, str]
    comment: str = ""


@dataclass
class BudgetDraft:
    name: str
    scenario: str  # file relative to the budget
    objectives: list[ObjectiveDraft]
    header: list[str] = field(default_factory=list)
