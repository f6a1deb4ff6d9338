"""Where a result was measured: the commit and the machine, so only like is compared with like."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def fingerprint(label: str | None) -> dict[str, Any]:
    """CPU model, cores, Python and OS, plus the user's label (``--testbed``)."""
    cpu = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "label": label or "default",
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def git_state(path: Path) -> dict[str, Any] | None:
    """Commit and dirty flag of the repository containing ``path``, or None outside one."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=path, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}
