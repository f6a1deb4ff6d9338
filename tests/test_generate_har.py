"""peac generate from-har on HAR files the tests write in the styles of several recorders
(Chrome with pages, Firefox with form params and a BOM, a proxy's HAR 1.1 without pages): the
scenario is valid, carries no credential or personal data, captures values sent back, and bad
or hostile input is one line with exit 2 or is written so that it renders as itself."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from peac.spec.templating import make_environment, render_text
from peac.traffic import har as har_reader
from tests.cli_helpers import run_cli

TOKEN = "eyJhbGciOiJIUzI1NiJ9abc123def456"
SESSION = "abcdef0123456789abcdef"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _entry(
    t: str,
    method: str,
    url: str,
    *,
    page: str | None = "page_1",
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    post: dict[str, Any] | None = None,
    status: int = 200,
    response: Any = None,
    response_headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": n, "value": v} for n, v in headers],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": -1,
    }
    if post is not None:
        request["postData"] = post
    content: dict[str, Any] = {"size": 0, "mimeType": "text/html"}
    if response is not None:
        content = {"size": 1, "mimeType": "application/json", "text": json.dumps(response)}
    entry: dict[str, Any] = {
        "startedDateTime": t,
        "time": 40.5,
        "request": request,
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": n, "value": v} for n, v in response_headers],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 40, "receive": 0.5},
    }
    if page is not None:
        entry["pageref"] = page
    return entry


def chrome_har() -> dict[str, Any]:
    """Chrome's style: pages, a JSON login, a token and an id sent back, cookies,
    third-party analytics, a static asset, a CORS preflight."""
    site = "https://shop.example.com"
    api = "https://api.shop.example.com"
    entries = [
        _entry(
            "2024-05-01T10:00:00.100Z",
            "POST",
            f"{site}/api/login",
            headers=[("Content-Type", "application/json"), ("Referer", f"{site}/")],
            post={
                "mimeType": "application/json",
                "text": json.dumps({"email": "jane.doe@mail.example", "password": "hunter22"}),
            },
            response={"token": TOKEN, "user": {"id": 4412}},
            response_headers=[("Set-Cookie", "cart=1; Path=/")],
        ),
        _entry("2024-05-01T10:00:00.300Z", "GET", "https://www.google-analytics.com/collect?v=1"),
        _entry("2024-05-01T10:00:00.400Z", "GET", f"{site}/static/app.js"),
        _entry(
            "2024-05-01T10:00:05.050Z",
            "OPTIONS",
            f"{api}/api/items",
            page="page_2",
            headers=[("Access-Control-Request-Method", "GET")],
        ),
        _entry(
            "2024-05-01T10:00:05.100Z",
            "GET",
            f"{api}/api/items?q=mug&page=2&email=jane.doe%40mail.example",
            page="page_2",
            headers=[
                ("Authorization", f"Bearer {TOKEN}"),
                ("Cookie", f"sid={SESSION}; cart=1"),
                (":authority", "api.shop.example.com"),
            ],
            response={"items": [{"id": 88121, "name": "mug"}]},
        ),
        _entry(
            "2024-05-01T10:00:05.300Z",
            "GET",
            f"{api}/api/items/88121",
            page="page_2",
            headers=[("Authorization", f"Bearer {TOKEN}")],
        ),
        _entry(
            "2024-05-01T10:00:09.000Z",
            "GET",
            f"{site}/api/users/jane.doe@mail.example/orders",
            page="page_3",
            status=200,
        ),
    ]
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [
                {"id": f"page_{i}", "startedDateTime": t, "title": "Shop", "pageTimings": {}}
                for i, t in (
                    (1, "2024-05-01T10:00:00.000Z"),
                    (2, "2024-05-01T10:00:05.000Z"),
                    (3, "2024-05-01T10:00:08.900Z"),
                )
            ],
            "entries": entries,
        }
    }


def firefox_har() -> dict[str, Any]:
    """Firefox's style: a form posted as params, a 1.1 HTTP/2 recording, timezone offsets."""
    site = "https://shop.example.com"
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "Firefox", "version": "126.0"},
            "browser": {"name": "Firefox", "version": "126.0"},
            "pages": [{"id": "page_1", "startedDateTime": "2024-05-01T12:00:00.000+02:00"}],
            "entries": [
                _entry(
                    "2024-05-01T12:00:00.100+02:00",
                    "POST",
                    f"{site}/login",
                    headers=[("Content-Type", "application/x-www-form-urlencoded")],
                    post={
                        "mimeType": "application/x-www-form-urlencoded",
                        "params": [
                            {"name": "username", "value": "jane"},
                            {"name": "password", "value": "hunter22"},
                            {"name": "remember", "value": "on"},
                        ],
                        "text": "username=jane&password=hunter22&remember=on",
                    },
                    response_headers=[("X-Auth-Token", TOKEN)],
                ),
                _entry(
                    "2024-05-01T12:00:01.100+02:00",
                    "GET",
                    f"{site}/account",
                    headers=[("X-Auth-Token", TOKEN)],
                ),
            ],
        }
    }


def proxy_har() -> dict[str, Any]:
    """A proxy's HAR 1.1: no pages, entries out of order, a base64 JSON response."""
    site = "http://legacy.example.org:8081"
    body = base64.b64encode(
        json.dumps({"orderId": "7f3c9a2e-1b4d-4c8e-9f10-2a3b4c5d6e7f"}).encode()
    )
    created = _entry(
        "2024-05-01T09:00:00Z",
        "POST",
        f"{site}/orders",
        page=None,
        post={"mimeType": "application/json", "text": '{"sku": "A-1", "qty": 2}'},
    )
    created["response"]["content"] = {
        "mimeType": "application/json",
        "encoding": "base64",
        "text": body.decode(),
    }
    return {
        "log": {
            "version": "1.1",
            "creator": {"name": "mitmproxy", "version": "10"},
            "entries": [
                _entry(
                    "2024-05-01T09:00:02Z",
                    "GET",
                    f"{site}/orders/7f3c9a2e-1b4d-4c8e-9f10-2a3b4c5d6e7f",
                    page=None,
                ),
                created,
            ],
        }
    }


def _write(repo: Path, name: str, data: Any, *, bom: bool = False) -> str:
    text = json.dumps(data, indent=1)
    (repo / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return name


def _steps(path: Path) -> list[dict[str, Any]]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [s for f in data["spec"]["flows"] for s in f["steps"]]


def _render(text: str, **context: Any) -> str:
    return render_text(make_environment().from_string(text), context)


def test_chrome_har_gives_a_valid_scenario_with_captures_and_secrets(repo: Path) -> None:
    _write(repo, "shop.har", chrome_har())
    code, out, err = run_cli(
        "generate", "from-har", "shop.har", "--out", "budgets/shop.scenario.yaml",
        "--budget", "budgets/shop.budget.yaml",
    )  # fmt: skip
    assert code == 0, err
    assert run_cli("validate", "budgets/")[0] == 0
    text = (repo / "budgets" / "shop.scenario.yaml").read_text()
    for secret in (TOKEN, SESSION, "hunter22", "jane.doe", "shop.example.com/", "4412"):
        assert secret not in text
    data = YAML(typ="safe").load(text)
    spec = data["spec"]
    assert spec["target"]["base_url"] == "http://127.0.0.1:8080"
    assert spec["secrets"] == {
        "cookie": {"env": "PEAC_COOKIE"},
        "email": {"env": "PEAC_EMAIL"},
        "password": {"env": "PEAC_PASSWORD"},
    }
    steps = _steps(repo / "budgets" / "shop.scenario.yaml")
    login, items, item, orders = steps
    assert login["json"] == {"email": "{{ secrets.email }}", "password": "{{ secrets.password }}"}
    assert login["capture"]["token"]["json"] == "token"
    assert login["think"] == "4.96s"  # page 2's first kept request, 4.96 s after the login
    assert items["headers"]["authorization"] == "Bearer {{ token }}"
    assert items["headers"]["cookie"] == "{{ secrets.cookie }}"  # sid: not set by the recording
    assert ":authority" not in items["headers"]
    assert items["query"] == {"q": "mug", "page": "2", "email": "{{ secrets.email }}"}
    assert items["capture"]["id"]["json"] == "items[0].id"
    assert item["path"] == "/api/items/{{ id }}"
    assert "@example.test" in orders["path"]
    assert [f["name"] for f in spec["flows"]] == ["shop.har pages 1-2", "shop.har page 3"]
    assert "third-party 1 x www.google-analytics.com" in out
    assert "CORS preflight" in out and "static asset" in out
    assert "entries[0]" in text  # provenance
    assert "peac recommend" in (repo / "budgets" / "shop.budget.yaml").read_text()


def test_firefox_form_params_with_a_bom_and_a_header_token(repo: Path) -> None:
    _write(repo, "ff.har", firefox_har(), bom=True)
    code, out, err = run_cli("generate", "from-har", "ff.har", "--report", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kept"] == 2 and report["captures"]
    text = (repo / "generated.scenario.yaml").read_text()
    assert "hunter22" not in text and TOKEN not in text and "jane" not in text
    login, account = _steps(repo / "generated.scenario.yaml")
    assert login["body"] == (
        "username={{ secrets.username | urlencode }}&password={{ secrets.password | urlencode }}"
        "&remember=on"
    )
    assert login["capture"]["x_auth_token"] == {
        "header": "X-Auth-Token",
        "default": "peacdefault0000000000",
    }
    assert account["headers"]["x-auth-token"] == "{{ x_auth_token }}"


def test_proxy_har_1_1_without_pages_is_one_flow_in_time_order(repo: Path) -> None:
    _write(repo, "proxy.har", proxy_har())
    code, _, err = run_cli("generate", "from-har", "proxy.har")
    assert code == 0, err
    data = YAML(typ="safe").load((repo / "generated.scenario.yaml").read_text())
    (flow,) = data["spec"]["flows"]
    create, read = flow["steps"]
    assert create["method"] == "POST" and create["json"] == {"sku": "A-1", "qty": 2}
    assert create["capture"]["orderid"]["json"] == "orderId"
    assert create["think"] == "1.96s"
    assert read["path"] == "/orders/{{ orderid }}"


def test_hostile_strings_render_as_themselves_and_never_as_templates(repo: Path) -> None:
    nasty = "x: {{ 7*7 }} {% for i in range(9) %}#\"'\n\t\x01\u2028 --- &a *a !!python/object"
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                _entry(
                    "2024-05-01T10:00:00Z",
                    "POST",
                    "https://h.example/a/%7B%7B7*7%7D%7D/b%0Ac?k=" + "%7B%7B%207*7%20%7D%7D",
                    page=None,
                    headers=[
                        ("X-Note", nasty.replace("\n", " ")),
                        ("X-Split", nasty),  # a line break: cannot be sent, so not written
                        ("Bad Header", "x"),
                        ("Content-Type", "application/json"),
                    ],
                    post={
                        "mimeType": "application/json",
                        "text": json.dumps({"note": nasty, nasty: 1}),
                    },
                )
            ],
        }
    }
    _write(repo, "h.har", har)
    # X-Note is not a standard header: copied only when asked for, and then as itself
    code, out, err = run_cli("generate", "from-har", "h.har", "--keep-header", "X-Note")
    assert code == 0, err
    assert run_cli("validate", "generated.scenario.yaml")[0] == 0
    (step,) = _steps(repo / "generated.scenario.yaml")
    assert _render(step["headers"]["x-note"]) == nasty.replace("\n", " ")
    assert "x-split" not in step["headers"]
    assert "header x-split not kept (CR, LF or NUL in it)" in out
    assert _render(step["json"]["note"]) == nasty
    assert _render(step["query"]["k"]) == "{{ 7*7 }}"
    assert step["path"].startswith("/a/%7B%7B7*7%7D%7D/")  # percent-encoded: no template
    assert "\n" not in _render(step["path"])  # the control character became a generated value
    assert "bad header" not in step["headers"]
    assert all(line.isprintable() for line in out.splitlines())


BAD = [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[]", "(top level): expected an object, got a list"),
    (b'{"log": {}}', "log.entries: missing"),
    (b'{"log": {"entries": [1]}}', "entries[0]: expected an object, got a number"),
    (
        b'{"log": {"entries": [{"startedDateTime": "2024-01-01T00:00:00Z", "request": '
        b'{"method": "GET", "url": 12}, "response": {"status": 200}}]}}',
        "entries[0].request.url: expected a string, got a number",
    ),
    (
        b'{"log": {"entries": [{"startedDateTime": "yesterday", "request": '
        b'{"method": "GET", "url": "http://x/"}, "response": {"status": 200}}]}}',
        "entries[0].startedDateTime: expected an ISO 8601 date",
    ),
    (
        b'{"log": {"entries": [{"startedDateTime": "2024-01-01T00:00:00Z", "request": '
        b'{"method": "GET", "url": "/relative"}, "response": {"status": "200"}}]}}',
        "entries[0].request.url: expected an absolute http(s) URL",
    ),
    (b"", "empty"),
    (b"[" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("raw", "message"), BAD)
def test_bad_har_is_one_line_and_exit_2(repo: Path, raw: bytes, message: str) -> None:
    (repo / "bad.har").write_bytes(raw)
    code, out, err = run_cli("generate", "from-har", "bad.har")
    assert code == 2, (out, err)
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file_too_big_file_and_recorded_target(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli("generate", "from-har", "nope.har")
    assert code == 2 and "no such file" in err
    _write(repo, "shop.har", chrome_har())
    code, _, err = run_cli(
        "generate", "from-har", "shop.har", "--target", "https://api.shop.example.com"
    )
    assert code == 2 and "host the recorded traffic went to" in err
    monkeypatch.setattr(har_reader, "MAX_BYTES", 100)
    code, _, err = run_cli("generate", "from-har", "shop.har")
    assert code == 2 and "at most 100 bytes" in err


def test_only_third_party_requests_is_a_clear_error(repo: Path) -> None:
    har = chrome_har()
    har["log"]["entries"] = har["log"]["entries"][:3]
    har["log"]["entries"][0]["request"]["method"] = "TRACE"
    _write(repo, "x.har", har)
    code, _, err = run_cli("generate", "from-har", "x.har")
    assert code == 2 and "no request left" in err and "--keep-third-party" in err
    code, _, err = run_cli(
        "generate", "from-har", "x.har", "--keep-third-party", "--include-static"
    )
    assert code == 0, err


def test_check_sends_the_recorded_mix_to_the_mock(repo: Path) -> None:
    _write(repo, "shop.har", chrome_har())
    _write(repo, "ff.har", firefox_har())
    code, out, err = run_cli(
        "generate", "from-har", "shop.har", "ff.har", "--check", "--check-duration", "2s",
        "--report", "json",
    )  # fmt: skip
    assert code == 0, err
    check = json.loads(out)["check"]
    assert check["passed"] and check["endpoint_tvd"] <= 0.05 and check["requests"] > 20
    assert check["values_checked"] is False  # a mock that accepts any value says so


def test_credentials_outside_the_usual_names_never_reach_the_scenario(repo: Path) -> None:
    """Issue 22 item 7 (hostile review): ``pass``, ``pw``, ``pin``, ``passphrase``,
    ``passcode`` and ``key`` in queries, JSON and forms, the headers X-Key, X-Pass and
    X-Hub-Access, ``password: "..."`` inside a GraphQL string and a short token in a path were
    copied as recorded. Exact outcome: none of the recorded values is anywhere in the written
    file, each named credential is a secret, and the report says what was scrubbed."""
    values = {
        "pass": "Pa55-query",
        "pw": "pw-Secret-1",
        "pin": "9182",
        "passphrase": "correct horse battery",
        "passcode": "778899",
        "key": "k-3f9a1",
    }
    query = "&".join(f"{k}={v.replace(' ', '+')}" for k, v in values.items())
    graphql = 'mutation { login(user: "bob", password: "hunter2-gql") { token } }'
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                _entry(
                    "2024-05-01T10:00:00Z",
                    "GET",
                    f"https://h.example/invite/aB3dE5fG?{query}",
                    headers=[
                        ("X-Key", "xkey-value-1"),
                        ("X-Pass", "xpass-value-2"),
                        ("X-Hub-Access", "hub-access-3"),
                        ("Accept", "application/json"),
                    ],
                ),
                _entry(
                    "2024-05-01T10:00:01Z",
                    "POST",
                    "https://h.example/graphql",
                    headers=[("Content-Type", "application/json")],
                    post={
                        "mimeType": "application/json",
                        "text": json.dumps({"query": graphql, "variables": {"pin": "4455"}}),
                    },
                ),
                _entry(
                    "2024-05-01T10:00:02Z",
                    "POST",
                    "https://h.example/login",
                    post={
                        "mimeType": "application/x-www-form-urlencoded",
                        "text": "passcode=556677&pw=form-pw-9",
                    },
                ),
            ],
        }
    }
    _write(repo, "h.har", har)
    code, out, err = run_cli("generate", "from-har", "h.har")
    assert code == 0, err
    assert run_cli("validate", "generated.scenario.yaml")[0] == 0
    written = (repo / "generated.scenario.yaml").read_text(encoding="utf-8")
    recorded = [
        *values.values(),
        "Pa55",
        "correct",
        "aB3dE5fG",
        "xkey-value-1",
        "xpass-value-2",
        "hub-access-3",
        "hunter2-gql",
        "4455",
        "556677",
        "form-pw-9",
    ]
    assert [v for v in recorded if v in written] == []
    invite, gql, login = _steps(repo / "generated.scenario.yaml")
    assert set(invite["query"]) == set(values)
    assert all(v.startswith("{{ secrets.") for v in invite["query"].values()), invite["query"]
    assert invite["headers"] == {
        "x-key": "{{ secrets.x_key }}",
        "x-pass": "{{ secrets.x_pass }}",
        "accept": "application/json",
    }
    assert invite["path"].startswith("/invite/{{ random_string(12) }}")
    assert "{{ secrets.password }}" in gql["json"]["query"]
    assert gql["json"]["variables"]["pin"] == "{{ secrets.pin }}"
    assert "{{ secrets.passcode | urlencode }}" in login["body"]
    assert "{{ secrets.pw | urlencode }}" in login["body"]
    assert "password (a credential inside text) 1" in out
    assert (
        "headers not kept (not standard, may hold a key; --keep-header NAME keeps one): "
        "x-hub-access 1" in out
    )
    for name in ("pass", "pw", "pin", "passphrase", "passcode", "key", "x_key", "x_pass"):
        assert f"secret {name} (from $PEAC_" in out, out
