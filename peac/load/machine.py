"""The machine a run is measured on, so only like is compared with like."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from peac.model.results import Testbed


def fingerprint(label: str | None) -> Testbed:
    """CPU model, cores, Python and OS, plus the user's label (``--testbed``)."""
    cpu = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return Testbed(
        label=label or "default",
        cpu=cpu,
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        system=f"{platform.system()} {platform.machine()}",
    )
