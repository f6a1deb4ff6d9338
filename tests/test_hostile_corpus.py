"""Hostile files, each with the exact outcome it must produce, and bounded fuzzing of the
validator and the result reader: exit 0 or 2 only; never a traceback, a signal, a hang or a
memory blow-up. Validation runs in a child process with limits (1 GiB of address space, 30 s),
so a crash in C (libyaml) or a runaway is seen as what it is."""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peac.results.format import to_json
from tests.cli_helpers import run_cli
from tests.history_helpers import make_result

MEMORY = 1 << 30
SECONDS = 30
HEAD = "apiVersion: peac/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n"
SPEC = (
    "  target: {base_url: 'http://127.0.0.1:8080'}\n"
    "  load: {executor: constant-vus, vus: 1, duration: 1s}\n"
)


FLOWS = "  flows:\n    - name: f\n      steps:\n        - path: '/x'\n"


def step(extra: str) -> str:
    """A valid scenario whose one step has ``extra`` settings."""
    return HEAD + SPEC + FLOWS + extra


def budget(scenario: str) -> str:
    return (
        "apiVersion: peac/v1\nkind: Budget\nmetadata: {name: b}\nspec:\n"
        f"  scenario: {scenario}\n  objectives:\n    - {{metric: error_rate, fail: {{max: 5%}}}}\n"
    )


def check(kind: str, expression: str) -> str:
    return step(f"          checks:\n            - {kind}: '{expression}'}}\n")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def validate(root: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peac", "validate", *names],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limits,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        check=False,
    )


CORPUS: dict[str, tuple[str, str]] = {
    "deep-flow": ("a: " + "[" * 28000 + "1" + "]" * 28000 + "\n", "nests deeper than 40"),
    "deep-block": ("a:\n" + "- " * 20000 + "1\n", "nests deeper than 40"),
    "alias-chars": (
        HEAD + "x: &a " + "v" * 500_000 + "\ny: [" + ", ".join(["*a"] * 40) + "]\n",
        "expands to more than",
    ),
    "alias-keys": (
        HEAD + SPEC + "  a: &k " + "k" * 4000 + "\n  *k : 1\n",
        "unknown key",
    ),
    "power": (step("          headers: {A: '{{ 9 ** (9 ** 9) }}'}\n"), "ok: 1 file"),
    "repeat": (step("          headers: {A: '{{ \"a\" * 4000000000 }}'}\n"), "ok: 1 file"),
    "include": (step("          headers: {A: '{% include \"/etc/passwd\" %}'}\n"), "include"),
    "macro": (step("          headers: {A: '{% macro m() %}{{ m() }}{% endmacro %}'}\n"), "macro"),
    "jmespath-deep": (
        step(
            "          checks:\n            - json: {path: '" + "(" * 490 + "a" + ")" * 490 + "'}\n"
        ),
        "nested too deeply",
    ),
    "regex-deep": (
        step(
            "          checks:\n            - body: {matches: '"
            + "(" * 490
            + "a"
            + ")" * 490
            + "'}\n"
        ),
        "expected a regular expression",
    ),
    "regex-huge-repeat": (
        check("body: {matches", "a{4294967296}"),
        "repetition number is too large",
    ),
    "regex-nested-repeat": (
        check("body: {matches", "(a+)+$"),
        "nested repeats",
    ),
    "kind-mapping": ("apiVersion: peac/v1\nkind: {a: 1}\n", "got a mapping"),
    "surrogate": (HEAD.replace("{name: s}", '{name: "\\ud800"}') + SPEC, "metadata.name"),
    "long-name": (HEAD.replace("{name: s}", "{name: " + "a" * 300 + "}") + SPEC, "1-80"),
    "rate-huge": (
        HEAD + "  target: {base_url: 'http://127.0.0.1:8080'}\n"
        "  load: {executor: constant-arrival-rate, rate: 1000000000/s, duration: 1s}\n",
        "at most 1,000,000/s",
    ),
    "duration-digits": (
        HEAD + "  target: {base_url: 'http://127.0.0.1:8080'}\n"
        "  load: {executor: constant-vus, vus: 1, duration: " + "9" * 400 + "s}\n",
        "duration with a unit",
    ),
    "unicode-digit": (
        HEAD + "  target: {base_url: 'http://127.0.0.1:8080'}\n"
        "  load: {executor: constant-vus, vus: 1, duration: ３s}\n",
        "duration with a unit",
    ),
    "max-body-digits": (
        HEAD + SPEC + "  defaults: {max_body: " + "9" * 309 + "B}\n",
        "a size like",
    ),
    "url-newline": (
        HEAD + SPEC + '  monitor:\n    - {url: "http://127.0.0.1:8080/m\\nx"}\n' + FLOWS,
        "absolute http",
    ),
    "header-crlf": (
        step('          headers: {X-Trace: "a\\r\\nGET /admin HTTP/1.1"}\n'),
        "headers.X-Trace: expected a header value without CR, LF or NUL",
    ),
    "header-nul-default": (
        HEAD + SPEC + '  defaults: {headers: {X-A: "a\\u0000"}}\n' + FLOWS,
        "defaults.headers.X-A: expected a header value without CR, LF or NUL",
    ),
    "header-name-space": (
        step("          headers: {'X A: b\\r\\nC': v}\n"),
        "expected a header name",
    ),
    "scenario-surrogate": (budget('"\\ud800"'), "printable characters"),
    "scenario-long-name": (budget("a" * 300 + ".yaml"), "longer than 255 bytes"),
    "scenario-deep-path": (budget("a/" * 3000 + "s.yaml"), "this system can open"),
    "many-unknown-keys": (
        HEAD + "".join(f"  k{i}: 1\n" for i in range(32_000)),
        "more problems in this file",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file(tmp_path: Path, name: str) -> None:
    text, expected = CORPUS[name]
    (tmp_path / ".git").mkdir()
    (tmp_path / "h.yaml").write_text(text, encoding="utf-8")
    done = validate(tmp_path, "h.yaml")
    assert done.returncode in (0, 2), (done.returncode, done.stdout[-500:], done.stderr[-500:])
    assert "Traceback" not in done.stdout + done.stderr
    assert expected in done.stdout, done.stdout[-1000:]
    assert len(done.stdout) < 200_000  # nothing is echoed in full


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{home}/.git-credentials", "leads outside the repository"),
        ("/dev/zero", "leads outside the repository"),
        ("loop.yaml", "cannot read file"),
    ],
)
def test_links_out_of_the_repository_are_not_read(
    tmp_path: Path, target: str, expected: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".git-credentials").write_text("https://user:s3cr3t-token@example.invalid\n")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "budgets").mkdir()
    link = root / "budgets" / ("loop.yaml" if target == "loop.yaml" else "leak.yaml")
    link.symlink_to(target.format(home=home))
    done = validate(root, str(link.relative_to(root)))
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stdout
    assert "s3cr3t" not in done.stdout + done.stderr


HOSTILE_SNIPPETS = [
    "[" * 200,
    "{{ 9 ** 9 ** 9 }}",
    "{% include 'x' %}",
    "*a",
    "&a x",
    "!!python/object:os.system",
    "\x00",
    "\t",
    "'" * 50,
    "9" * 400,
    "(a+)+$",
    "\ud7ff",
    ": : :",
    "- - - - - -",
]


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.floats(min_value=0, max_value=1),
    snippet=st.sampled_from(HOSTILE_SNIPPETS),
    noise=st.text(max_size=40),
)
def test_fuzzed_files_are_exit_0_or_2(position: float, snippet: str, noise: str) -> None:
    import tempfile

    base = step("          headers: {A: '{{ vu }}'}\n")  # a valid file to break
    at = int(position * len(base))
    text = base[:at] + snippet + noise + base[at:]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / "f.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        done = validate(root, "f.yaml")
    assert done.returncode in (0, 2), (done.returncode, text, done.stdout[-300:], done.stderr)
    assert "Traceback" not in done.stdout + done.stderr


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
# Deferred rather than st.recursive: hypothesis 6.170 warns (an error here) when an example of a
# recursive strategy happens not to recurse.
JSON_VALUES: st.SearchStrategy[Any] = st.deferred(
    lambda: (
        SCALARS
        | st.lists(JSON_VALUES, max_size=3)
        | st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3)
    )
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data[:3]):
            found += _paths(value, (*prefix, index))
    return found


VALID = to_json(make_result({"home": [0.1, 0.2, 0.3]}, errors=1))
PATHS = _paths(VALID)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(PATHS), value=JSON_VALUES)
def test_fuzzed_results_are_exit_0_or_2(tmp_path_factory: Any, where: Any, value: Any) -> None:
    data = json.loads(json.dumps(VALID))
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "r.json"
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    code, out, err = run_cli("merge", str(path), "--out", str(folder / "m.json"))
    assert code in (0, 2), (where, value, err)
    assert "Traceback" not in out + err
    assert err.count("\n") <= 1


def test_a_histogram_that_inflates_to_a_gigabyte_is_refused_in_bounded_memory(
    tmp_path: Path,
) -> None:
    # Hostile: a result whose latency histogram is an HDR header and zlib of 256 MiB (a few
    # hundred kB in the file). peac merge refuses it in one line after inflating 4 MiB, in a
    # child under the 1 GiB limit.
    data = json.loads(json.dumps(VALID))
    header = base64.b64decode(data["series"][0]["latency"])[:8]
    bomb = header + zlib.compress(b"\0" * (1 << 28), 9)
    data["series"][0]["latency"] = base64.b64encode(bomb).decode("ascii")
    (tmp_path / "r.json").write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "peac", "merge", "r.json", "--out", "m.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limits,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-500:]
    assert "latency: the histogram decodes to more than 4 MiB (damaged or forged)" in done.stderr
    assert done.stderr.count("\n") == 1
