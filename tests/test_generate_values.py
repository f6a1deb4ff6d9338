"""generate's fidelity check tells the truth about values: ids with a format suffix stay ids
with their suffix, shared free text (a SQL query many clients sent) is fed from the log rather
than made up, the HTTP libraries of mobile apps are clients rather than bots, and the check's
mock refuses values the log never held, as the real service would (a datasette instance, where
an id written without its ``.json`` or a made-up SQL query fails with 404 or 400)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from peac.app.generate import FromLogRequest, analyse
from peac.app.generate_check import check_scenario
from peac.core.traffic import known as known_module
from peac.core.traffic.analysis import log_mix
from peac.core.traffic.known import KnownValues
from peac.core.traffic.templater import INT, template
from peac.report.generate_formats import GenerateReport, text
from peac.traffic.bots import is_bot
from tests.cli_helpers import run_cli
from tests.traffic_fixtures import START, clf_time

SQL = "select * from facetable where state = 'CA' order by pk limit 10"
MOBILE = "okhttp/4.12.0"
IOS = "ShopApp/3.1 CFNetwork/1494.0.7 Darwin/23.4.0"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _line(t: float, client: str, agent: str, target: str, status: int = 200) -> str:
    return f'{client} - - [{clf_time(t)}] "GET {target} HTTP/1.1" {status} 512 "-" "{agent}"'


def datasette_log(clients: int = 300, seed: int = 3) -> str:
    """A datasette-like API used by a mobile app: rows by id with ``.json``, one shared SQL
    query sent by many clients and a few private ones, each client's own ``?_search``."""
    rng = random.Random(seed)
    lines: list[tuple[float, str]] = []
    for n in range(clients):
        client = f"198.51.100.{n % 200}"
        agent = MOBILE if n % 2 else IOS
        t = START + rng.uniform(0, 3000)
        for _ in range(rng.randint(2, 5)):
            choice = rng.random()
            if choice < 0.5:
                target = f"/fixtures/facetable/{rng.randint(1, 400)}.json"
            elif choice < 0.8:
                sql = SQL if rng.random() < 0.9 else f"select {n} from private_{n}_table_of_mine"
                target = "/fixtures.json?sql=" + sql.replace(" ", "+").replace("'", "%27")
            else:
                target = f"/fixtures/facetable.json?_size={rng.choice([10, 50])}"
            lines.append((t, _line(t, client, agent, target)))
            t += rng.expovariate(1 / 3.0)
    return "\n".join(line for _, line in sorted(lines)) + "\n"


def test_an_id_with_a_format_suffix_is_an_id_and_keeps_the_suffix() -> None:
    shaped = template("/fixtures/facetable/1234.json")
    assert shaped.path == "/fixtures/facetable/{facetable_id}.json"
    assert [(v.name, v.kind, v.value) for v in shaped.params] == [("facetable_id", INT, "1234")]
    assert template(shaped.path).path == shaped.path  # idempotent, as the check relies on
    assert template("/orders/8812.csv").path == "/orders/{orders_id}.csv"
    # File names and words with a dot are literals still.
    assert template("/static/app.js").path == "/static/app.js"
    assert template("/fixtures.json").path == "/fixtures.json"
    assert template("/v1.2/items").path == "/v1.2/items"


@pytest.mark.parametrize(
    ("agent", "bot"),
    [
        (MOBILE, False),
        (IOS, False),
        ("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A)", False),
        ("axios/1.6.8", False),
        ("python-requests/2.32.3", False),
        ("Go-http-client/2.0", False),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
        ("curl/8.5.0", True),
        ("-", False),
    ],
)
def test_mobile_and_api_clients_are_not_bots(agent: str, bot: bool) -> None:
    assert is_bot(agent) is bot


def test_known_values_refuse_what_the_log_never_held() -> None:
    known = KnownValues()
    for n in (1, 2, 3):
        known.add(f"GET {template(f'/items/{n}.json').path}", template(f"/items/{n}.json"))
    known.add("GET /me", template("/me?email=ann@example.org&q=shoes"))
    assert known.refusal("GET", "/items/2.json") is None
    wrong = known.refusal("GET", "/items/99.json")
    assert wrong is not None and wrong.name == "items_id" and wrong.refuses
    unknown = known.refusal("GET", "/items/2")  # the suffix lost: another endpoint
    assert unknown is not None and unknown.name == "" and unknown.refuses
    made_up = known.refusal("GET", "/me?email=zed@example.net&q=shoes")
    assert made_up is not None and made_up.name == "?email"
    assert made_up.made_up and not made_up.refuses  # personal data: cannot be judged
    assert known.refusal("GET", "/me?email=ann@example.org&q=boots") is not None


def test_known_values_are_bounded_and_say_what_they_no_longer_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(known_module, "MAX_PER_NAME", 10)
    known = KnownValues()
    for n in range(50):
        known.add(f"GET {template('/items/1').path}", template(f"/items/{n}"))
    assert known.total == 0  # the parameter's values were dropped when it opened
    assert known.refusal("GET", "/items/123456") is None  # any value accepted
    assert known.open_names() == ["GET /items/{items_id}: items_id"]


@pytest.mark.slow
def test_a_datasette_log_gives_a_scenario_whose_check_sends_only_known_values(
    repo: Path,
) -> None:
    (repo / "access.log").write_text(datasette_log())
    code, out, err = run_cli(
        "generate", "from-log", "access.log", "--check", "--check-duration", "3s",
        "--report", "json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["dropped"].get("bot or crawler (user agent)", 0) == 0  # okhttp and iOS kept
    check = report["check"]
    assert check["values_checked"] is True
    assert check["refused"] == 0, check["refusals"]
    assert check["requests"] > 500
    scenario = (repo / "generated.scenario.yaml").read_text(encoding="utf-8")
    assert "/fixtures/facetable/{{" in scenario and "}}.json" in scenario
    data = "\n".join(p.read_text(encoding="utf-8") for p in repo.rglob("*.csv"))
    assert "facetable where state" in data  # the shared SQL is fed from the log
    assert "private_" not in data  # one client's own query never leaves the log


@pytest.mark.slow
def test_the_check_fails_when_the_scenario_sends_ids_the_log_never_held(repo: Path) -> None:
    (repo / "access.log").write_text(datasette_log())
    assert run_cli("generate", "from-log", "access.log")[0] == 0
    # A scenario edited (or generated wrongly) to send ids of its own: every row id replaced.
    for csv in repo.rglob("*.csv"):
        lines = csv.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        if "facetable_id" not in header:
            continue
        column = header.index("facetable_id")
        rows = [line.split(",") for line in lines[1:]]
        for row in rows:
            row[column] = str(900_000 + int(row[column]))
        csv.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    traffic = analyse(FromLogRequest(root=repo, logs=(Path("access.log"),)), io.StringIO())
    outcome = check_scenario(
        repo / "generated.scenario.yaml",
        repo,
        log_mix(traffic),
        seconds=3.0,
        known=traffic.known,
    )
    c = outcome.comparison
    assert c.endpoint_tvd <= 0.05  # the mix alone would have passed
    assert c.refused_share > 0.3 and not c.passed()
    out = text(GenerateReport(traffic, (), c, outcome.compression, 3.0))
    assert "facetable_id had a value the log never held" in out
    assert "(too many: target <= 5%)" in out
