"""Scenario and budget drafts to YAML text through ruamel, with their provenance comments, and
the data files (CSV) the scenario's feeders read.

ruamel, not text templates: it quotes every value that needs quoting (a path with ``{{ }}``,
a ``: `` or a ``#`` from a log stays one scalar), so nothing read from a log can change the
structure of the file. Comments, which ruamel writes as given, carry untrusted text (hosts,
file names) only through ``comment``, which makes them one printable line.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from peac.core.traffic.draft import BudgetDraft, FeederDraft, ScenarioDraft, StepDraft
from peac.errors import one_line, shorten

MAX_COMMENT = 400


def comment(text: str) -> str:
    """One printable line, safe after a ``#``: line breaks and control characters escaped."""
    return shorten(one_line(text), MAX_COMMENT)


def _flow(mapping: dict[str, Any]) -> CommentedMap:
    found = CommentedMap(mapping)
    found.fa.set_flow_style()
    return found


def _flow_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _flow({k: _flow_value(v) for k, v in value.items()})
    if isinstance(value, list):
        seq = CommentedSeq([_flow_value(v) for v in value])
        seq.fa.set_flow_style()
        return seq
    return value


def _step(step: StepDraft) -> CommentedMap:
    node = CommentedMap()
    node["name"] = step.name
    if step.comment:
        node.yaml_add_eol_comment(comment(step.comment), "name")
    if step.method != "GET":
        node["method"] = step.method
    node["path"] = step.path
    if step.query:
        node["query"] = CommentedMap(step.query)
    if step.headers:
        node["headers"] = CommentedMap(step.headers)
    if step.has_json:
        node["json"] = _block(step.json)
    if step.body is not None:
        node["body"] = step.body
    if step.checks:
        node["checks"] = CommentedSeq([_flow_value(c) for c in step.checks])
    if step.capture:
        node["capture"] = CommentedMap({k: _flow(v) for k, v in step.capture.items()})
        if step.capture_comment:
            node.yaml_add_eol_comment(comment(step.capture_comment), "capture")
    if step.think is not None:
        node["think"] = _flow_value(step.think)
        if step.think_comment:
            node.yaml_add_eol_comment(comment(step.think_comment), "think")
    return node


def _block(value: Any) -> Any:
    """A JSON body in block style (nested mappings and lists on their own lines)."""
    if isinstance(value, dict):
        return CommentedMap({k: _block(v) for k, v in value.items()})
    if isinstance(value, list):
        return CommentedSeq([_block(v) for v in value])
    return value


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(document: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def scenario_text(draft: ScenarioDraft) -> str:
    """The scenario file: one Scenario document, commented."""
    doc = CommentedMap()
    doc["apiVersion"] = "peac/v1"
    doc["kind"] = "Scenario"
    doc["metadata"] = CommentedMap(name=draft.name, description=draft.description)
    spec = doc["spec"] = CommentedMap()
    target = spec["target"] = CommentedMap()
    target["base_url"] = draft.base_url
    if draft.target_comment:
        target.yaml_add_eol_comment(comment(draft.target_comment), "base_url")
    target["allowed_hosts"] = _flow_value(list(draft.allowed_hosts))
    load = CommentedMap()
    for key, value in draft.load.items():
        if key == "stages":
            stages = CommentedSeq([_flow_value(s) for s in value])
            for index, note in enumerate(draft.stage_comments[: len(stages)]):
                stages.yaml_add_eol_comment(comment(note), index)
            load[key] = stages
        else:
            load[key] = _flow_value(value)
    spec["load"] = load
    if draft.load_comment:
        lines = [comment(part) for part in draft.load_comment.split("; ")]
        spec.yaml_set_comment_before_after_key("load", before="\n".join(lines), indent=2)
    if draft.secrets:
        spec["secrets"] = CommentedMap({k: _flow({"env": v}) for k, v in draft.secrets.items()})
        if draft.secrets_comment:
            spec.yaml_set_comment_before_after_key(
                "secrets", before=comment(draft.secrets_comment), indent=2
            )
    if draft.feeders:
        feeders = CommentedMap()
        for feeder in draft.feeders:
            feeders[feeder.name] = _flow({"file": feeder.file, "order": "random"})
            if feeder.comment:
                feeders.yaml_add_eol_comment(comment(feeder.comment), feeder.name)
        spec["data"] = CommentedMap(feeders=feeders)
    flows = CommentedSeq()
    for flow in draft.flows:
        node = CommentedMap()
        node["name"] = flow.name
        node["weight"] = int(flow.weight) if float(flow.weight).is_integer() else flow.weight
        if flow.comment:
            node.yaml_add_eol_comment(comment(flow.comment), "weight")
        node["steps"] = CommentedSeq([_step(s) for s in flow.steps])
        flows.append(node)
    spec["flows"] = flows
    if draft.header:
        doc.yaml_set_start_comment("\n".join(comment(line) for line in draft.header))
    return _dump(doc)


def feeder_csv(feeder: FeederDraft) -> str:
    """The data file of one feeder: a header row and the sampled rows."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(feeder.columns)
    writer.writerows(feeder.rows)
    return stream.getvalue()


def budget_text(draft: BudgetDraft) -> str:
    """The starting budget file, commented."""
    doc = CommentedMap()
    doc["apiVersion"] = "peac/v1"
    doc["kind"] = "Budget"
    doc["metadata"] = CommentedMap(name=draft.name)
    spec = doc["spec"] = CommentedMap()
    spec["scenario"] = draft.scenario
    objectives = CommentedSeq()
    for objective in draft.objectives:
        node = CommentedMap()
        node["metric"] = objective.metric
        node["stat"] = objective.stat
        if objective.comment:
            node.yaml_add_eol_comment(comment(objective.comment), "stat")
        if objective.warn:
            node["warn"] = _flow(objective.warn)
        node["fail"] = _flow(objective.fail)
        objectives.append(node)
    spec["objectives"] = objectives
    if draft.header:
        doc.yaml_set_start_comment("\n".join(comment(line) for line in draft.header))
    return _dump(doc)
