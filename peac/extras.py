"""What each command needs beyond the light core install, and the one line that says so.

``pip install peac`` (and the pre-commit hook's environment) holds only what ``peac validate``
and ``peac schema`` need. The load runner and the statistics come as extras (``peac[run]``,
``peac[stats]``, ``peac[all]``); a command whose extra is missing stops with one line naming the
``pip install`` to run, not an ImportError. Only finds modules, never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec


@dataclass(frozen=True)
class Need:
    what: str  # "the load runner", as the message says it
    extra: str  # the extra that installs it
    modules: tuple[str, ...]  # top-level modules that must be importable


RUNNER = Need(
    "the load runner",
    "run",
    ("httpx", "h2", "httptools", "hdrh", "numpy", "git", "prometheus_client", "psutil", "rich"),
)
DEMO_SERVER = Need("the demo server", "run", ("uvicorn", "httptools"))
RESULTS = Need("the result tools", "run", ("hdrh", "numpy"))  # in both extras
STATS = Need("the statistics", "stats", ("numpy", "scipy", "statsmodels", "hdrh", "git"))
GIT = Need("git access", "stats", ("git",))  # budgets and waivers as git revisions have them
GENERATOR = Need("the traffic generator", "generate", ("crawleruseragents", "jsonschema"))
EVERYTHING = Need(
    "the load runner and the statistics",
    "all",
    tuple(dict.fromkeys(RUNNER.modules + DEMO_SERVER.modules + STATS.modules + GENERATOR.modules)),
)

COMMANDS: dict[str, Need] = {
    "run": RUNNER,
    "demo-server": DEMO_SERVER,
    "merge": RESULTS,
    "record": STATS,
    "history": STATS,
    "gate": STATS,
    "diff": STATS,
    "recommend": STATS,
    "budget-diff": GIT,
    "waive": GIT,
    "report": STATS,
    "demo": EVERYTHING,
    "generate": GENERATOR,
}

OPTIONAL_MODULES = frozenset(EVERYTHING.modules) | {"uvloop", "scipy", "statsmodels"}


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or blocked package counts as absent
        return False


def missing(command: str) -> str:
    """The one-line message for ``peac COMMAND`` when a module it needs is absent, else ''."""
    need = COMMANDS.get(command)
    if need is None or all(_installed(m) for m in need.modules):
        return ""
    return f"peac {command} needs {need.what}: pip install 'peac[{need.extra}]'"


def missing_module(module: str) -> str:
    """The message for an optional module found missing only on import, else ''."""
    top = module.partition(".")[0]
    if top not in OPTIONAL_MODULES:
        return ""
    return f"peac: {top} is not installed: pip install 'peac[all]'"
