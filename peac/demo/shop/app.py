"""The demo web shop as a plain ASGI application (served by uvicorn).

Realistic enough to show what peac measures: each route has its own latency spread (lognormal,
spent in ``asyncio.sleep`` so the server's CPU is not the bottleneck), a small base error rate
on search and checkout, a login token that later requests must carry, and fault switches
(``faults.py``) to inject a regression or a stall.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import secrets
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from peac import serving
from peac.demo.shop.faults import ROUTES, Faults
from peac.model.units import parse_duration, parse_percent
from peac.serving import Receive, Scope, Send

# route -> (median seconds, spread sigma of the lognormal)
LATENCY = {
    "products": (0.012, 0.4),
    "product": (0.008, 0.3),
    "search": (0.025, 0.5),
    "cart": (0.015, 0.3),
    "checkout": (0.045, 0.4),
    "login": (0.030, 0.2),
    "account": (0.010, 0.3),
}
BASE_ERRORS = {"search": 0.002, "checkout": 0.003}
PRODUCTS = [
    {"id": i, "name": f"{kind} {i}", "price": round(5 + (i * 7.3) % 95, 2)}
    for i, kind in enumerate(["mug", "lamp", "chair", "desk", "kettle"] * 20, start=1)
]
MAX_SESSIONS = 50_000


class ShopApp:
    def __init__(self, seed: int | None = None, scale: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.faults = Faults()
        self.carts: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.tokens: OrderedDict[str, str] = OrderedDict()
        self.counts: dict[tuple[str, int], int] = {}
        self.seconds: dict[str, float] = {}
        self.started = time.time()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serving.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 1_000_000:
                await _send(send, 413, {"error": "body too large"})
                return
            if not message.get("more_body"):
                break
        start = time.perf_counter()
        route, status, payload, headers = await self._handle(scope, body)
        key = (route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.seconds[route] = self.seconds.get(route, 0.0) + time.perf_counter() - start
        if isinstance(payload, str):
            await _send_text(send, status, payload)
        else:
            await _send(send, status, payload, headers)

    async def _delay(self, route: str) -> None:
        median, sigma = LATENCY[route]
        seconds = self.rng.lognormvariate(math.log(median), sigma) * self.scale
        seconds += self.faults.latency.get(route, 0.0)
        stall = self.faults.stall_until - time.perf_counter()
        await asyncio.sleep(max(seconds, stall, 0.0))

    def _failing(self, route: str) -> bool:
        share = self.faults.errors.get(route, BASE_ERRORS.get(route, 0.0))
        return self.rng.random() < share

    async def _handle(self, scope: Scope, body: bytes) -> tuple[str, int, Any, dict[str, str]]:
        method, path = scope["method"], scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode())
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if path == "/health":
            return "health", 200, {"status": "ok"}, {}
        if path == "/metrics":
            return "metrics", 200, self._metrics(), {}
        if path == "/_admin/faults":
            return self._admin(method, body)
        route, handler = self._route(method, path)
        if handler is None:
            return "unknown", 404, {"error": f"no route for {method} {path}"}, {}
        await self._delay(route)
        if self._failing(route):
            return route, 500, {"error": "internal error (simulated)"}, {}
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return route, 400, {"error": "expected a JSON body"}, {}
        status, payload = handler(path, query, headers, data)
        return route, status, payload, {}

    def _route(self, method: str, path: str) -> tuple[str, Any]:
        table = {
            ("GET", "/api/products"): ("products", self._products),
            ("GET", "/api/search"): ("search", self._search),
            ("POST", "/api/cart/items"): ("cart", self._add_to_cart),
            ("POST", "/api/checkout"): ("checkout", self._checkout),
            ("POST", "/api/login"): ("login", self._login),
            ("GET", "/api/account"): ("account", self._account),
        }
        if (method, path) in table:
            return table[(method, path)]
        if method == "GET" and path.startswith("/api/products/"):
            return "product", self._product
        return "unknown", None

    def _products(self, path: str, query: dict[str, list[str]], *_: Any) -> tuple[int, Any]:
        page = _int(query.get("page", ["1"])[0], 1)
        items = PRODUCTS[(page - 1) * 20 : page * 20]
        return 200, {"page": page, "items": items, "currency": query.get("currency", ["EUR"])[0]}

    def _product(self, path: str, *_: Any) -> tuple[int, Any]:
        number = _int(path.rsplit("/", 1)[-1], 0)
        if not 1 <= number <= len(PRODUCTS):
            return 404, {"error": "no such product"}
        return 200, PRODUCTS[number - 1]

    def _search(self, path: str, query: dict[str, list[str]], *_: Any) -> tuple[int, Any]:
        term = query.get("q", [""])[0].lower()
        found = [p for p in PRODUCTS if term in str(p["name"])]
        return 200, {"total": len(found), "items": found[:10]}

    def _add_to_cart(self, path: str, query: Any, headers: Any, data: Any) -> tuple[int, Any]:
        product = _int(str(data.get("product_id", "")) if isinstance(data, dict) else "", 0)
        if not 1 <= product <= len(PRODUCTS):
            return 422, {"error": "unknown product_id"}
        cart_id = secrets.token_hex(8)
        self.carts[cart_id] = [{"product_id": product, "quantity": data.get("quantity", 1)}]
        _bound(self.carts)
        return 201, {"cart_id": cart_id, "items": 1}

    def _checkout(self, path: str, query: Any, headers: Any, data: Any) -> tuple[int, Any]:
        cart_id = data.get("cart_id") if isinstance(data, dict) else None
        if cart_id not in self.carts:
            return 404, {"error": "no such cart"}
        self.carts.pop(str(cart_id))
        return 201, {"order_id": secrets.token_hex(6), "status": "confirmed"}

    def _login(self, path: str, query: Any, headers: Any, data: Any) -> tuple[int, Any]:
        email = data.get("email") if isinstance(data, dict) else None
        if not email or not data.get("password"):
            return 401, {"error": "email and password required"}
        token = secrets.token_urlsafe(16)
        self.tokens[token] = str(email)
        _bound(self.tokens)
        return 200, {"token": token}

    def _account(
        self, path: str, query: Any, headers: dict[str, str], data: Any
    ) -> tuple[int, Any]:
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            return 401, {"error": "log in first"}
        return 200, {"email": self.tokens[token], "orders": 3}

    def _admin(self, method: str, body: bytes) -> tuple[str, int, Any, dict[str, str]]:
        if method == "POST":
            try:
                apply_faults(self.faults, json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return "admin", 400, {"error": str(exc)}, {}
        return "admin", 200, self.faults.describe(), {}

    def _metrics(self) -> str:
        lines = [
            "# HELP shop_requests_total Requests served by route and status.",
            "# TYPE shop_requests_total counter",
        ]
        for (route, status), count in sorted(self.counts.items()):
            lines.append(f'shop_requests_total{{route="{route}",status="{status}"}} {count}')
        lines += [
            "# HELP shop_request_seconds_total Time spent serving requests by route.",
            "# TYPE shop_request_seconds_total counter",
        ]
        for route, seconds in sorted(self.seconds.items()):
            lines.append(f'shop_request_seconds_total{{route="{route}"}} {seconds:.6f}')
        lines.append(f"process_cpu_seconds_total {time.process_time():.3f}")
        return "\n".join(lines) + "\n"


def apply_faults(faults: Faults, spec: dict[str, Any]) -> None:
    """Apply ``{"latency": {"checkout": "200ms"}, "errors": {"search": "5%"}, "stall": "1s"}``;
    an empty string or null removes a fault."""
    if not isinstance(spec, dict):
        raise TypeError("expected a JSON object")
    for route, value in (spec.get("latency") or {}).items():
        _known(route)
        if value in (None, ""):
            faults.latency.pop(route, None)
        else:
            faults.latency[route] = parse_duration(value)
    for route, value in (spec.get("errors") or {}).items():
        _known(route)
        if value in (None, ""):
            faults.errors.pop(route, None)
        else:
            faults.errors[route] = parse_percent(value)
    if spec.get("stall"):
        faults.stall(parse_duration(spec["stall"]))


def _known(route: str) -> None:
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}: expected one of {', '.join(ROUTES)}")


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _bound(table: OrderedDict[str, Any]) -> None:
    while len(table) > MAX_SESSIONS:
        table.popitem(last=False)


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, headers: dict[str, str] | None = None
) -> None:
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send(
    send: Send, status: int, payload: Any, headers: dict[str, str] | None = None
) -> None:
    await _respond(send, status, json.dumps(payload).encode(), b"application/json", headers)


async def _send_text(send: Send, status: int, text: str) -> None:
    await _respond(send, status, text.encode(), b"text/plain; version=0.0.4")
