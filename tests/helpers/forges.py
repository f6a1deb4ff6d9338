"""Stand-ins for the code forges' REST APIs, on 127.0.0.1: github.com and a GitLab server
cannot be reached from here, so these answer the few calls peac makes (list, create and edit
the comments of one pull request or merge request) the way the real APIs document them, and
record what they were sent. Everything else about the pipelines runs for real."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT: dict[str, Any] = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
GITLAB_BOT: dict[str, Any] = {"id": 77, "username": "project_1_bot"}


@dataclass
class Forge:
    """The comments a pull request has, and every call made (method, path, token)."""

    kind: str  # github or gitlab
    url: str = ""
    token: str = "secret-token"
    comments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    _next: int = 1000

    def add(self, body: str, author: dict[str, Any]) -> int:
        self._next += 1
        key = "user" if self.kind == "github" else "author"
        self.comments.append({"id": self._next, "body": body, key: author})
        return self._next

    def bodies_by(self, author: dict[str, Any]) -> list[str]:
        key = "user" if self.kind == "github" else "author"
        return [c["body"] for c in self.comments if c[key] == author]


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _token(self) -> str:
            auth = self.headers.get("Authorization", "")
            return auth.removeprefix("Bearer ") or self.headers.get("PRIVATE-TOKEN", "")

        def _answer(self, code: int, data: object) -> None:
            body = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> str:
            length = int(self.headers.get("Content-Length", "0"))
            return str(json.loads(self.rfile.read(length))["body"])

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            forge.calls.append((method, parts.path, self._token()))
            if self._token() != forge.token:
                self._answer(401, {"message": "Bad credentials"})
                return
            segments = parts.path.strip("/").split("/")
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            per_page = int(parse_qs(parts.query).get("per_page", ["30"])[0])
            me = BOT if forge.kind == "github" else GITLAB_BOT
            key = "user" if forge.kind == "github" else "author"
            if method == "GET" and segments[-1] == "user":
                self._answer(200, me)
            elif method == "GET" and segments[-1] in ("comments", "notes"):
                start = (page - 1) * per_page
                self._answer(200, forge.comments[start : start + per_page])
            elif method == "POST" and segments[-1] in ("comments", "notes"):
                cid = forge.add(self._body(), me)
                self._answer(201, {"id": cid, "body": forge.comments[-1]["body"], key: me})
            elif method in ("PATCH", "PUT"):
                cid = int(segments[-1])
                for comment in forge.comments:
                    if comment["id"] == cid:
                        comment["body"] = self._body()
                        self._answer(200, comment)
                        return
                self._answer(404, {"message": "Not Found"})
            else:
                self._answer(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler


@contextlib.contextmanager
def fake_forge(kind: str) -> Iterator[Forge]:
    """A GitHub (``/repos/...``) or GitLab (``/api/v4/...``) API on a free loopback port."""
    forge = Forge(kind)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forge))
    prefix = "" if kind == "github" else "/api/v4"
    forge.url = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
