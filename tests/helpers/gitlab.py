"""Running the GitLab template for real with gitlab-ci-local (npm, 4.55 runs on the Node here;
``.ci/run`` installs it into ``.ci/.tools/node``), in its shell executor, in a working copy laid
out the way GitLab Runner leaves one (``tests/helpers/checkouts.py``).

Stand-ins, and why: the GitLab API (the merge-request note) is ``tests/helpers/forges.py`` on
loopback, as ``CI_API_V4_URL``; the template's ``pip install "$PEAC_INSTALL"`` installs peac
from a wheel of this checkout into a virtual environment whose other packages are the test
environment's (nothing is downloaded).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / ".ci" / ".tools" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"


def gitlab_ci_local() -> str | None:
    if TOOL.exists():
        return str(TOOL)
    return shutil.which("gitlab-ci-local")


def prepared_venv(where: Path) -> Path:
    """A virtual environment with the test environment's packages but no peac: the
    template's venv step reuses it, and its pip installs peac from the wheel."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    pth = where / "lib" / "python3.11" / "site-packages" / "test-environment.pth"
    pth.write_text(site.getsitepackages()[0] + "\n", encoding="utf-8")
    return where


def run_pipeline(
    work: Path, variables: dict[str, str], jobs: tuple[str, ...] = (), unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The pipeline of ``work``'s .gitlab-ci.yml (or only ``jobs``) with these variables."""
    tool = gitlab_ci_local()
    assert tool, "gitlab-ci-local is installed by .ci/run (npm, into .ci/.tools/node)"
    command = [tool]  # run in the working copy itself (its --cwd takes relative paths only)
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    for key in unset:
        command += ["--unset-variable", key]
    command += list(jobs)
    env = {**os.environ, "FORCE_COLOR": "0", "NO_COLOR": "1"}
    return subprocess.run(
        command, cwd=work, capture_output=True, text=True, timeout=600, check=False, env=env
    )
