"""terraform/, checked offline: `terraform fmt`, parsing with python-hcl2, the Kubernetes
manifests validated as terraform renders them (kubernetes-validate), a checkov scan of both
(findings fixed or justified inline), and the commands the Job's pods and merge step run, as N
local processes, compared with one unsharded run.

Providers cannot be downloaded here, so there is no `terraform init`/`validate`/`plan`: the
templates use plain ``${name}`` interpolation only, which this test renders the same way
terraform's ``templatefile`` does, and refuses anything else."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from peac.demo.shop.process import DemoService
from peac.results.format import read
from tests.cli_helpers import run_cli
from tests.history_helpers import git

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
TOOLS = ROOT / ".ci/.tools/bin"  # checkov lives in a venv of its own (.ci/run makes it)
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")

LOAD_VALUES: dict[str, Any] = {
    "name": "shop-load",
    "namespace": "peac-test",
    "image": "registry.example.org/peac:0.1.0",
    "shards": 4,
    "scenario": "shop.scenario.yaml",
    "budget": "shop.budget.yaml",
    "target": "http://service-under-test.peac-test.svc.cluster.local",
    "start_at": "2026-11-25T12:00:00Z",
    "results_claim": "peac-results",
    "cpu": "1",
    "memory": "512Mi",
    "deadline_seconds": 3600,
    "base": "main",
    "repository_url": "https://git.example.org/shop.git",
}
ENV_VALUES: dict[str, Any] = {
    "namespace": "peac-test",
    "image": "registry.example.org/peac:0.1.0",
    "command": json.dumps(["peac", "demo-server", "--host", "0.0.0.0", "--in-container"]),
    "port": 8080,
    "replicas": 1,
    "readiness_path": "/api/products",
    "metrics_path": "/metrics",
    "cpu": "1",
    "memory": "256Mi",
}


def render(template: Path, values: dict[str, Any]) -> str:
    """``templatefile`` for templates that use only ``${name}`` (checked: no directives)."""
    text = template.read_text(encoding="utf-8")
    assert "%{" not in text, f"{template}: directives are not rendered by this test"
    names = set(PLACEHOLDER.findall(text))
    assert names <= set(values), f"{template}: no value for {names - set(values)}"
    rendered = PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
    assert "${" not in rendered, f"{template}: an interpolation this test cannot render"
    return rendered


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for module, values in (("load", LOAD_VALUES), ("test-env", ENV_VALUES)):
        for template in sorted((TERRAFORM / "modules" / module / "templates").glob("*.tftpl")):
            for doc in yaml.safe_load_all(render(template, values)):
                found.append((f"{module}/{template.name}", doc))
    return found


def test_terraform_fmt_is_clean() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("the terraform binary is not installed on this machine")
    done = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_tf_file_parses_and_declares_documented_variables_and_outputs() -> None:
    import hcl2

    files = sorted(TERRAFORM.rglob("*.tf"))
    assert len(files) >= 9
    for path in files:
        with path.open(encoding="utf-8") as handle:
            tree = hcl2.load(handle)
        for block in tree.get("variable", []) + tree.get("output", []):
            ((name, body),) = block.items()
            assert body.get("description"), f"{path}: {name} has no description"
    for module in ("load", "test-env"):
        readme = (TERRAFORM / "modules" / module / "README.md").read_text(encoding="utf-8")
        with (TERRAFORM / "modules" / module / "variables.tf").open(encoding="utf-8") as handle:
            variables = [next(iter(b)).strip('"') for b in hcl2.load(handle)["variable"]]
        missing = [v for v in variables if f"`{v}`" not in readme]
        assert not missing, f"modules/{module}/README.md does not document {missing}"


def test_the_rendered_manifests_are_valid_kubernetes() -> None:
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version

    kinds = []
    for where, doc in manifests():
        kubernetes_validate.validate(doc, latest_version(), strict=True)
        kinds.append(f"{where}:{doc['kind']}")
    assert sorted(k.split(":")[1] for k in kinds) == sorted(
        ["Job", "Job", "Deployment", "Service", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy"]
    )
    job = next(doc for _, doc in manifests() if doc["metadata"]["name"] == "shop-load-shards")
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["completions"] == job["spec"]["parallelism"] == 4


def test_a_broken_manifest_is_caught(tmp_path: Path) -> None:
    """The validation is real: a Job with a misspelt field fails it."""
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version

    _, job = manifests()[0]
    job["spec"]["completionz"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, latest_version(), strict=True)


def test_checkov_finds_nothing_unjustified(tmp_path: Path) -> None:
    checkov = TOOLS / "checkov"
    if not checkov.exists():
        pytest.skip(f"checkov is installed by .ci/run into {TOOLS.parent} (not here)")
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for i, (where, doc) in enumerate(manifests()):
        (rendered / f"{i}-{where.replace('/', '-')}.yaml").write_text(yaml.safe_dump(doc))
    for args in (
        ["-d", str(TERRAFORM), "--framework", "terraform"],
        ["-d", str(rendered), "--framework", "kubernetes"],
    ):
        done = subprocess.run(
            [str(checkov), *args, "--skip-download", "--quiet", "--compact", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        report = json.loads(done.stdout or "{}")
        reports = report if isinstance(report, list) else [report]
        failed = [
            f"{c['check_id']} {c['resource']} {c['file_path']}"
            for r in reports
            for c in r.get("results", {}).get("failed_checks", [])
        ]
        assert not failed, "\n".join(failed)


@pytest.mark.slow
def test_the_pods_commands_as_local_processes_equal_one_unsharded_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the Indexed Job's N pods and the merge step run, here: N `peac run --shard K/N
    --start-at T` processes at once, `peac merge`, then the gate reads the merged result."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    scenario = repo / "s.yaml"
    with DemoService() as shop:
        scenario.write_text(
            "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
            f"  target: {{base_url: '{shop.url}'}}\n"
            "  load: {executor: constant-arrival-rate, rate: 40/s, duration: 3s, max_vus: 40}\n"
            "  flows:\n    - name: f\n      steps:\n        - path: /api/products\n",
            encoding="utf-8",
        )
        monkeypatch.chdir(repo)
        start = time.time() + 4
        shards = 3
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "peac",
                    "run",
                    str(scenario),
                    "--shard",
                    f"{k}/{shards}",
                    "--start-at",
                    f"{start}",
                    "--workers",
                    "1",
                    "--progress",
                    "off",
                    "--out",
                    str(tmp_path / f"shard-{k}.json"),
                ],
                cwd=repo,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ},
            )
            for k in range(1, shards + 1)
        ]
        for proc in procs:
            _, errors = proc.communicate(timeout=120)
            assert proc.returncode == 0, errors.decode(errors="replace")
        code, out, err = run_cli(
            "merge", *(str(tmp_path / f"shard-{k}.json") for k in range(1, shards + 1)),
            "--out", str(tmp_path / "merged.json"),
        )  # fmt: skip
        assert code == 0, out + err
        code, out, err = run_cli(
            "run", str(scenario), "--workers", "1", "--progress", "off",
            "--out", str(tmp_path / "whole.json"),
        )  # fmt: skip
        assert code == 0, out + err
    merged, whole = read(tmp_path / "merged.json"), read(tmp_path / "whole.json")
    assert merged.counters.scheduled_arrivals == whole.counters.scheduled_arrivals == 120
    assert merged.counters.requests == whole.counters.requests == 120
    assert merged.shards == ["1/3", "2/3", "3/3"] or len(merged.shards) == 3
    # The gate reads the merged result like any other (no history: the absolute limits judge).
    budget = repo / "b.yaml"
    budget.write_text(
        "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: b}\nspec:\n  scenario: s.yaml\n"
        "  objectives:\n    - metric: error_rate\n      fail: {max: 1%}\n",
        encoding="utf-8",
    )
    git(repo, "add", ".")
    git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q", "-m", "s")
    code, out, err = run_cli("gate", "--budget", str(budget), str(tmp_path / "merged.json"))
    assert "error_rate" in out + err
