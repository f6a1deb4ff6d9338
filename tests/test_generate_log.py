"""peac generate from-log on logs made up by the tests: the scenario it writes is valid,
commented, free of personal data, and sends the log's endpoint mix; bad input is one line."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from peac.core.traffic.analysis import Analyzer, Options
from peac.model.traffic import Request
from tests import traffic_fixtures
from tests.cli_helpers import run_cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _generate(*args: str) -> tuple[int, str, str]:
    return run_cli("generate", "from-log", *args)


def _load(path: Path) -> dict[str, object]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_combined_log_gives_a_valid_commented_scenario(repo: Path) -> None:
    log = traffic_fixtures.log_text(sessions=600, gap=(1500, 2100))
    (repo / "access.log").write_text(log + "not a log line\n" + log.splitlines()[0] + "\n")
    code, out, err = _generate(
        "access.log", "--out", "budgets/shop.scenario.yaml", "--budget", "budgets/shop.budget.yaml"
    )
    assert code == 0, err
    assert run_cli("validate", "budgets/")[0] == 0
    text = (repo / "budgets" / "shop.scenario.yaml").read_text()
    assert "# " in text and "% of" in text and "over" in text  # provenance comments
    assert "gap in the log cut out" in text
    assert "think: exponential" in text  # the fixture's think is exponential
    scenario = _load(repo / "budgets" / "shop.scenario.yaml")
    spec = scenario["spec"]
    assert isinstance(spec, dict)
    assert spec["target"] == {"base_url": "http://127.0.0.1:8080", "allowed_hosts": ["127.0.0.1"]}
    assert spec["load"]["executor"] == "ramping-arrival-rate"
    names = {s["name"] for f in spec["flows"] for s in f["steps"]}
    assert "GET /api/products/:products_id" in names
    assert not any("static" in n for n in names)
    assert "malformed line" in out and f"line {len(log.splitlines()) + 1}:" in out
    assert "bot or crawler" in out and "Googlebot" in out
    assert "static asset" in out
    assert "peac recommend" in (repo / "budgets" / "shop.budget.yaml").read_text()


def test_personal_data_never_reaches_the_files(repo: Path) -> None:
    (repo / "access.log").write_text(traffic_fixtures.log_text(sessions=300))
    assert _generate("access.log", "--out", "s.scenario.yaml")[0] == 0
    written = "".join(p.read_text() for p in [repo / "s.scenario.yaml", *repo.glob("s-data/*")])
    assert "@mail.example" not in written and "jane.doe" not in written
    assert not re.search(r"10\.1\.2\.[0-9]", written)
    assert "203.0.113." not in written
    assert not re.search(r"session=|[A-Za-z0-9]{32}", written.replace("session:", ""))


@pytest.mark.parametrize("fmt", ["common", "json"])
def test_other_formats_and_gzip(repo: Path, fmt: str) -> None:
    with gzip.open(repo / "access.log.gz", "wt") as handle:
        handle.write(traffic_fixtures.log_text(fmt, sessions=200))
    extra = ["--json-fields", "time=ts,method=verb,path=uri,status=code"] if fmt == "json" else []
    code, out, err = _generate("access.log.gz", "--format", fmt, *extra, "--report", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["malformed"] == 0 and report["kept"] > 0
    assert run_cli("validate", "generated.scenario.yaml")[0] == 0
    if fmt == "json":
        assert report["hosts"] == ["shop.example.com"]
        assert "shop.example.com" in (repo / "generated.scenario.yaml").read_text()
        code, _, err = _generate(
            "access.log.gz", "--format", "json", *extra, "--target", "https://shop.example.com"
        )
        assert code == 2 and "host the recorded traffic went to" in err


def test_hostile_log_lines_cannot_break_the_yaml_or_the_terminal(repo: Path) -> None:
    lines = traffic_fixtures.log_text(sessions=50).splitlines()
    evil_paths = [
        "/a/{{ secrets.x }}/b",
        '/x/"]: {evil: 1}\\x0a#',
        "/y/\x1b[31mred\x1b[0m",
        "/z/%0Aapi%3A%20x",
        "/q?key: value&{%}=1&x=%0d%0a",
    ]
    agent = "Evil\x1b]0;title\x07 bot\\x0a"
    for i, path in enumerate(evil_paths):
        time = traffic_fixtures.clf_time(traffic_fixtures.START + 10 + i)
        for _ in range(40):
            lines.append(f'198.51.100.1 - - [{time}] "GET {path} HTTP/1.1" 200 1 "-" "{agent}"')
    (repo / "access.log").write_text("\n".join(lines) + "\n\x00\x1b[2Jbroken\n")
    code, out, err = _generate("access.log", "--include-bots", "--top", "30")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert run_cli("validate", "generated.scenario.yaml")[0] == 0
    text = (repo / "generated.scenario.yaml").read_text()
    assert "\x1b" not in text and "secrets" not in text and "{evil" not in text


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "missing.log: no such file"),
        (b"\x00\x01\x02binary\x00" * 100, [], "not a text log (binary data)"),
        (b"", [], "no requests in the combined format"),
        (b"hello\nworld\n", [], "no requests in the combined format (2 lines, 2 malformed"),
        (b"x", ["--format", "xml"], "Invalid value for '--format'"),
        (b"x", ["--target", "not a url"], "--target: expected an absolute http(s) URL"),
        (b"x", ["--json-fields", "when=t"], "--json-fields: expected FIELD=NAME"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    repo: Path, content: bytes | None, args: list[str], message: str
) -> None:
    if content is not None:
        (repo / "missing.log").write_bytes(content)
    code, _, err = _generate("missing.log", *args)
    assert code == 2
    shown = err.strip().splitlines()
    assert message in shown[-1]
    if "Invalid value" not in message:  # click's own usage errors add the usage above
        assert len(shown) == 1, err


def test_only_bots_is_a_clear_error(repo: Path) -> None:
    line = traffic_fixtures.combined(
        {"time": traffic_fixtures.START, "client": "1.2.3.4", "agent": "Googlebot/2.1",
         "method": "GET", "target": "/", "status": 200}
    )  # fmt: skip
    (repo / "a.log").write_text(line + "\n")
    code, _, err = _generate("a.log")
    assert code == 2 and "--include-bots" in err


def test_peak_hour_and_scale(repo: Path) -> None:
    (repo / "a.log").write_text(traffic_fixtures.log_text(sessions=300))
    assert _generate("a.log", "--resolution", "5m", "--out", "a.scenario.yaml")[0] == 0
    assert (
        _generate("a.log", "--resolution", "5m", "--scale", "2", "--out", "b.scenario.yaml")[0] == 0
    )
    assert (
        _generate("a.log", "--peak-hour", "--resolution", "1m", "--out", "c.scenario.yaml")[0] == 0
    )
    a, b = (_load(repo / f"{n}.scenario.yaml")["spec"] for n in "ab")
    assert isinstance(a, dict) and isinstance(b, dict)
    assert len(a["load"]["stages"]) == 12
    first_a, first_b = a["load"]["stages"][5]["target"], b["load"]["stages"][5]["target"]
    value = float(first_a.split("/")[0])
    assert float(first_b.split("/")[0]) == pytest.approx(2 * value, rel=0.01)
    assert "peak hour" in (repo / "c.scenario.yaml").read_text()


def test_memory_does_not_grow_with_the_number_of_requests() -> None:
    """Every table is capped and every sample a reservoir: 8x the requests (each with a new id,
    a new client every 3 requests) costs about the same memory."""

    def peak(n: int) -> int:
        analyzer = Analyzer(Options(gap=60.0), lambda _: False)
        tracemalloc.start()
        for i in range(n):
            analyzer.add(
                Request(i + 1, 1e9 + i * 0.5, "GET", f"/api/items/{i}?q=w{i % 7}",
                        200, f"c{i // 3}", "ua")
            )  # fmt: skip
        analyzer.finish()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(25_000), peak(200_000)
    assert large < small * 1.5 + 2_000_000, (small, large)


@pytest.mark.slow
def test_check_sends_the_log_s_endpoint_mix(repo: Path) -> None:
    (repo / "access.log").write_text(traffic_fixtures.log_text(sessions=1500, gap=(1500, 2100)))
    # In a process of its own, as a user runs it: inside the test session the mock's thread
    # shares a heap of the whole suite, whose garbage collections were scaled into think.
    done = subprocess.run(
        [sys.executable, "-m", "peac", "generate", "from-log", "access.log", "--check",
         "--check-duration", "5s", "--report", "json"],
        cwd=repo, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    check = json.loads(done.stdout)["check"]
    assert check["endpoint_tvd"] <= 0.05
    assert check["method_tvd"] <= 0.05
    assert check["requests"] > 1000
    # Every id and query value sent was one the log held; the e-mails and sessions made up for
    # privacy are answered but counted apart, as values the check cannot judge.
    assert check["values_checked"] is True and check["refused"] == 0
    assert check["unverified"] > 0
    assert {r["parameter"] for r in check["refusals"]} >= {"?email", "?session"}
    assert all(r["made_up"] for r in check["refusals"])
    # Think times run compressed (the factor is in the report), so a timer that wakes late on
    # a busy machine is late by that factor in the scaled-back gaps: 35 % of the log's p50,
    # plus 15 ms of lateness per gap at the check's compression.
    p50 = check["think"]["p50"]
    allowance = 0.35 * p50["log"] + 0.015 * check["think_compression"]
    assert abs(p50["generated"] - p50["log"]) <= allowance, (p50, check["think_compression"])
