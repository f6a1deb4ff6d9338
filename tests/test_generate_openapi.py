"""peac generate from-openapi on specs the tests write (Swagger 2.0, OpenAPI 3.0 and 3.1, refs,
cycles, server variables, multipart, examples, defaults, enums): the scenario is valid, every
request it sends validates against the spec (openapi-core's request validator, an independent
implementation, for 3.x; jsonschema per parameter for 2.0), what cannot be sent is skipped
with its reason, bad input is one line with exit 2, and a large spec loads in seconds."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from jsonschema import Draft4Validator
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from ruamel.yaml import YAML

from peac.spec.templating import make_environment, render_text
from tests.cli_helpers import run_cli

SECRETS = {"bearer": "t0k3n", "api_key": "k3y", "basic": "dXNlcjpwdw=="}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def spec_30() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "servers": [
            {
                "url": "https://{env}.petstore.example/v{version}",
                "variables": {
                    "env": {"default": "api", "enum": ["api", "staging"]},
                    "version": {"default": "2"},
                },
            }
        ],
        "security": [{"bearer": []}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "tags": ["pets"],
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 100,
                                "default": 20,
                            },
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "enum": ["available", "sold"]},
                        },
                        {
                            "name": "X-Trace",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[a-f0-9]{8}$"},
                            "example": "0a1b2c3d",
                        },
                        {"$ref": "#/components/parameters/Page"},
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Pet"},
                                    }
                                }
                            },
                        }
                    },
                },
                "post": {
                    "operationId": "createPet",
                    "tags": ["pets"],
                    "requestBody": {"$ref": "#/components/requestBodies/NewPet"},
                    "responses": {"201": {"description": "created"}, "400": {"description": "bad"}},
                },
            },
            "/pets/{petId}": {
                "parameters": [
                    {
                        "name": "petId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
                "get": {
                    "operationId": "getPet",
                    "tags": ["pets"],
                    "responses": {
                        "200": {"description": "ok"},
                        "default": {"description": "error"},
                    },
                },
                "patch": {
                    "operationId": "renamePet",
                    "tags": ["pets"],
                    "security": [{"api_key": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}},
                                },
                                "examples": {"first": {"value": {"name": "Fido"}}},
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}, "204": {"description": "same"}},
                },
            },
            "/pets/{petId}/photo": {
                "post": {
                    "operationId": "uploadPhoto",
                    "parameters": [
                        {
                            "name": "petId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                }
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/tree": {
                "post": {
                    "operationId": "postTree",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        },
                    },
                    "responses": {"2XX": {"description": "ok"}},
                }
            },
            "/loop": {
                "post": {
                    "operationId": "postLoop",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Loop"}}
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/remote": {
                "get": {
                    "operationId": "remote",
                    "parameters": [{"$ref": "common.yaml#/components/parameters/X"}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/events": {
                "get": {
                    "operationId": "events",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/login": {
                "post": {
                    "operationId": "login",
                    "security": [{"basic": []}],
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["user"],
                                    "properties": {
                                        "user": {"type": "string", "minLength": 3},
                                        "remember": {"type": "boolean", "default": True},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "basic": {"type": "http", "scheme": "basic"},
            },
            "parameters": {
                "Page": {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "example": 3,
                }
            },
            "requestBodies": {
                "NewPet": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}
                    },
                }
            },
            "schemas": {
                "Pet": {
                    "allOf": [
                        {"$ref": "#/components/schemas/NewPet"},
                        {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "integer", "readOnly": True}},
                        },
                    ]
                },
                "NewPet": {
                    "type": "object",
                    "required": ["name", "kind", "born"],
                    "properties": {
                        "name": {
                            "type": "string",
                            "minLength": 2,
                            "maxLength": 40,
                            "example": "Rex {{ 7*7 }} {% raw %}\n#: '\"",
                        },
                        "kind": {"type": "string", "enum": ["dog", "cat"]},
                        "tag": {"type": "string", "nullable": True},
                        "age": {
                            "type": "integer",
                            "minimum": 0,
                            "exclusiveMinimum": True,
                            "multipleOf": 3,
                        },
                        "owner": {"type": "string", "format": "email"},
                        "born": {"type": "string", "format": "date"},
                        "owner_of": {"$ref": "#/components/schemas/Pet"},
                    },
                },
                "Node": {
                    "type": "object",
                    "required": ["value"],
                    "properties": {
                        "value": {"type": "number", "maximum": 0.5},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                    },
                },
                "Loop": {
                    "type": "object",
                    "required": ["next"],
                    "properties": {"next": {"$ref": "#/components/schemas/Loop"}},
                },
            },
        },
    }


def spec_31() -> dict[str, Any]:
    spec = copy.deepcopy(spec_30())
    spec["openapi"] = "3.1.0"
    schemas = spec["components"]["schemas"]
    schemas["NewPet"]["properties"]["tag"] = {"type": ["string", "null"]}
    schemas["NewPet"]["properties"]["age"] = {
        "type": "integer",
        "exclusiveMinimum": 0,
        "multipleOf": 3,
    }
    schemas["NewPet"]["properties"]["name"] = {
        "type": "string",
        "minLength": 2,
        "examples": ["Rex"],
    }
    spec["paths"]["/pets"]["get"]["parameters"][0]["schema"]["exclusiveMaximum"] = 100
    return spec


def spec_20() -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "legacy.example.org",
        "basePath": "/api",
        "consumes": ["application/json"],
        "securityDefinitions": {"api_key": {"type": "apiKey", "in": "query", "name": "key"}},
        "security": [{"api_key": []}],
        "paths": {
            "/users/{id}": {
                "get": {
                    "operationId": "getUser",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "type": "integer",
                            "minimum": 100,
                        },
                        {
                            "name": "fields",
                            "in": "query",
                            "type": "array",
                            "items": {"type": "string", "enum": ["a", "b"]},
                            "collectionFormat": "csv",
                            "default": ["a"],
                        },
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
                "put": {
                    "operationId": "putUser",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "type": "integer"},
                        {
                            "name": "body",
                            "in": "body",
                            "required": True,
                            "schema": {"$ref": "#/definitions/User"},
                        },
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
            },
            "/avatar": {
                "post": {
                    "operationId": "avatar",
                    "consumes": ["multipart/form-data"],
                    "parameters": [
                        {"name": "file", "in": "formData", "type": "file", "required": True}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/search": {
                "post": {
                    "operationId": "search",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "parameters": [
                        {
                            "name": "q",
                            "in": "formData",
                            "type": "string",
                            "required": True,
                            "x-example": "mug",
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "definitions": {
            "User": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "x-nullable": True},
                    "manager": {"$ref": "#/definitions/User"},
                },
            }
        },
    }


def _write(repo: Path, name: str, spec: dict[str, Any]) -> str:
    if name.endswith(".json"):
        (repo / name).write_text(json.dumps(spec))
    else:
        yaml = YAML(typ="safe")
        yaml.default_flow_style = False
        with (repo / name).open("w") as handle:
            yaml.dump(spec, handle)
    return name


def _render(value: Any) -> Any:
    if isinstance(value, str):
        return render_text(make_environment().from_string(value), {"secrets": SECRETS})
    if isinstance(value, dict):
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v) for v in value]
    return value


def _steps(path: Path) -> list[dict[str, Any]]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [s for f in data["spec"]["flows"] for s in f["steps"]]


def _request(step: dict[str, Any], server: str, base: str) -> MockRequest:
    headers = {k: str(v) for k, v in _render(step.get("headers", {})).items()}
    cookies = {}
    if "cookie" in headers:
        cookies = dict(p.split("=", 1) for p in headers.pop("cookie").split("; "))
    data = None
    content_type = "application/json"
    if "json" in step:
        data = json.dumps(_render(step["json"])).encode()
    elif "body" in step:
        data = _render(step["body"]).encode()
        content_type = headers.get("content-type", "text/plain")
    path = _render(step["path"])
    assert path.startswith(base)
    return MockRequest(
        server,
        step.get("method", "GET").lower(),
        unquote(path),
        args={k: str(v) for k, v in _render(step.get("query", {})).items()},
        headers=headers,
        cookies=cookies,
        data=data,
        content_type=content_type,
    )


@pytest.mark.parametrize(("make", "name"), [(spec_30, "api.yaml"), (spec_31, "api31.json")])
def test_every_request_validates_against_the_spec(repo: Path, make: Any, name: str) -> None:
    spec = make()
    _write(repo, name, spec)
    code, out, err = run_cli(
        "generate", "from-openapi", name, "--out", "budgets/api.scenario.yaml",
        "--budget", "budgets/api.budget.yaml",
    )  # fmt: skip
    assert code == 0, err
    assert run_cli("validate", "budgets/")[0] == 0
    steps = _steps(repo / "budgets" / "api.scenario.yaml")
    local = copy.deepcopy(spec)
    del local["paths"]["/remote"]  # openapi-core would fetch it
    api = OpenAPI.from_dict(local)
    names = set()
    for step in steps:
        api.validate_request(_request(step, "https://api.petstore.example", "/v2"))
        names.add(step["name"])
    assert names == {
        "GET /v2/pets",
        "POST /v2/pets",
        "GET /v2/pets/:petId",
        "PATCH /v2/pets/:petId",
        "POST /v2/tree",
        "POST /v2/login",
    }
    by_name = {s["name"]: s for s in steps}
    assert by_name["GET /v2/pets"]["query"] == {"limit": "20", "status": "available", "page": "3"}
    assert by_name["GET /v2/pets"]["headers"]["authorization"] == "Bearer {{ secrets.bearer }}"
    assert by_name["PATCH /v2/pets/:petId"]["headers"]["x-api-key"] == "{{ secrets.api_key }}"
    assert by_name["PATCH /v2/pets/:petId"]["json"] == {"name": "Fido"}
    assert by_name["PATCH /v2/pets/:petId"]["checks"] == [{"status": [200, 204]}]
    assert by_name["POST /v2/tree"]["checks"] == [{"status": "2xx"}]
    assert "authorization" not in by_name["POST /v2/tree"].get("headers", {})
    assert by_name["POST /v2/login"]["headers"]["authorization"] == "Basic {{ secrets.basic }}"
    assert "skipped uploadPhoto: a multipart body" in out
    assert "skipped postLoop: " in out and "requires itself" in out
    assert "skipped remote: remote $ref common.yaml" in out
    assert "skipped events: a streaming response (text/event-stream)" in out
    assert "api.petstore.example" in out
    text = (repo / "budgets" / "api.scenario.yaml").read_text()
    assert "http://127.0.0.1:8080" in text and "operationId listPets" in text


def test_hostile_example_renders_as_itself(repo: Path) -> None:
    _write(repo, "api.yaml", spec_30())
    assert run_cli("generate", "from-openapi", "api.yaml", "--operations", "createPet")[0] == 0
    (step,) = _steps(repo / "generated.scenario.yaml")
    assert _render(step["json"]["name"]) == "Rex {{ 7*7 }} {% raw %}\n#: '\""


def test_swagger_2_parameters_bodies_and_forms_are_valid(repo: Path) -> None:
    spec = spec_20()
    _write(repo, "old.json", spec)
    code, out, err = run_cli("generate", "from-openapi", "old.json", "--report", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["skipped"] == [
        {"operation": "avatar", "reason": "the formData parameter file is a file (multipart)"}
    ]
    steps = {s["name"]: s for s in _steps(repo / "generated.scenario.yaml")}
    get = steps["GET /api/users/:id"]
    assert get["path"] == "/api/users/100" and get["query"] == {
        "fields": "a",
        "key": "{{ secrets.api_key }}",
    }
    Draft4Validator(spec["paths"]["/users/{id}"]["get"]["parameters"][0] | {"required": []})
    put = steps["PUT /api/users/:id"]
    user = dict(spec["definitions"]["User"], definitions=spec["definitions"])
    user["properties"] = dict(user["properties"], manager={"$ref": "#/definitions/User"})
    user["properties"]["name"] = {"type": ["string", "null"]}
    Draft4Validator(user).validate(_render(put["json"]))
    assert steps["POST /api/search"]["body"] == "q=mug"
    assert dict(parse_qsl(steps["POST /api/search"]["body"])) == {"q": "mug"}


def test_operations_filter_and_unknown_operation(repo: Path) -> None:
    _write(repo, "api.yaml", spec_30())
    code, _, err = run_cli("generate", "from-openapi", "api.yaml", "--operations", "pets")
    assert code == 0, err
    assert len(_steps(repo / "generated.scenario.yaml")) == 4
    code, _, err = run_cli("generate", "from-openapi", "api.yaml", "--operations", "nope")
    assert code == 2 and "no operation is named nope" in err


BAD = [
    ("x.yaml", "a: [", "not YAML"),
    ("x.yaml", "a: 1\na: 2\n", "not YAML"),
    ("x.json", '{"openapi": ', "not JSON"),
    ("x.yaml", "- 1\n", "expected an OpenAPI or Swagger document"),
    ("x.yaml", "openapi: 4.0.0\n", "expected OpenAPI 3.0 or 3.1 or Swagger 2.0"),
    ("x.yaml", "openapi: 3.0.0\npaths: [1]\n", "paths: expected a mapping"),
    ("x.yaml", "openapi: 3.0.0\nx: !!python/object:os.system {}\n", "not YAML"),
    (
        "x.yaml",
        "openapi: 3.0.0\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
        "expands to more than",
    ),
    ("x.yaml", "openapi: 3.0.0\npaths: {}\n", "no operation could be made into a step"),
    ("x.yaml", "", "empty"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD)
def test_bad_specs_are_one_line_and_exit_2(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    code, out, err = run_cli("generate", "from-openapi", name)
    assert code == 2, (out, err)
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_target_may_not_be_a_server_of_the_spec(repo: Path) -> None:
    _write(repo, "api.yaml", spec_30())
    code, _, err = run_cli(
        "generate", "from-openapi", "api.yaml", "--target", "https://api.petstore.example"
    )
    assert code == 2 and "host the recorded traffic went to" in err


def big_spec(schemas: int = 1400) -> dict[str, Any]:
    """About 3 MB of JSON: ``schemas`` object schemas referring to each other, and an
    operation for every tenth of them."""
    components: dict[str, Any] = {}
    for i in range(schemas):
        components[f"Model{i}"] = {
            "type": "object",
            "description": "A model of the big spec, described at some length. " * 12,
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "name": {"type": "string", "maxLength": 40},
                "next": {"$ref": f"#/components/schemas/Model{(i + 1) % schemas}"},
                **{
                    f"field{j}": {
                        "type": "string",
                        "enum": ["a", "b", "c"],
                        "description": "x" * 40,
                    }
                    for j in range(12)
                },
            },
        }
    paths = {
        f"/models{i}/{{id}}": {
            "put": {
                "operationId": f"putModel{i}",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/Model{i}"}}
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
        for i in range(0, schemas, 10)
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Big", "version": "1"},
        "paths": paths,
        "components": {"schemas": components},
    }


def test_a_3_mb_spec_of_1400_schemas_loads_in_seconds(repo: Path) -> None:
    _write(repo, "big.json", big_spec())
    size = (repo / "big.json").stat().st_size
    assert size > 3_000_000
    started = time.perf_counter()
    code, out, err = run_cli("generate", "from-openapi", "big.json")
    seconds = time.perf_counter() - started
    assert code == 0, err
    assert "140 made into steps" in out
    assert seconds < 30, f"{size:,} bytes took {seconds:.1f} s"


def test_check_sends_every_operation_to_the_mock(repo: Path) -> None:
    _write(repo, "api.yaml", spec_30())
    code, out, err = run_cli(
        "generate", "from-openapi", "api.yaml", "--check", "--check-duration", "2s",
        "--report", "json",
    )  # fmt: skip
    assert code == 0, err
    check = json.loads(out)["check"]
    assert check["passed"] and check["requests"] > 20
    assert check["values_checked"] is False  # a mock that accepts any value says so
