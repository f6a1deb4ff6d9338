"""Access logs made up for the tests of ``peac generate``: sessions of simulated users over a
small shop API, with bots, static assets, malformed lines and a gap, in combined, common or JSON
lines format. Deterministic for a seed; no real log is needed or downloaded."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

START = 1_728_565_200.0  # 2024-10-10 13:00:00 UTC
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
BOTS = ("Googlebot/2.1 (+http://www.google.com/bot.html)", "python-requests/2.31.0")

# Sessions: (weight, steps); each step a function of the random generator -> (method, target).
Step = tuple[str, str]


def _browse(rng: random.Random) -> list[Step]:
    item = rng.choice([17, 8812, 4, 99, 1200, 35])
    return [
        ("GET", f"/api/products?page={rng.randint(1, 3)}"),
        ("GET", f"/api/products/{item}"),
        ("GET", f"/api/products/{item}/reviews"),
    ]


def _search(rng: random.Random) -> list[Step]:
    term = rng.choice(["mug", "lamp", "chair", "desk"])
    return [("GET", f"/api/search?q={term}"), ("GET", f"/api/products/{rng.randint(1, 500)}")]


def _buy(rng: random.Random) -> list[Step]:
    order = uuid.UUID(int=rng.getrandbits(128))
    email = f"jane.doe{rng.randint(1, 99)}@mail.example"
    return [
        ("POST", "/api/cart/items"),
        ("POST", f"/api/checkout?email={email}"),
        ("GET", f"/api/orders/{order}"),
    ]


def _account(rng: random.Random) -> list[Step]:
    token = "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEF0123456789", k=32))
    return [
        ("GET", f"/api/account?session={token}"),
        ("GET", f"/api/users/10.1.2.{rng.randint(1, 9)}"),
    ]


FLOWS = ((50, _browse), (25, _search), (15, _buy), (10, _account))


def clf_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def events(
    sessions: int = 400,
    seed: int = 1,
    duration: float = 3600.0,
    gap: tuple[float, float] | None = None,
) -> Iterator[dict[str, object]]:
    """Requests of ``sessions`` users in time order, as dicts; none inside ``gap`` (seconds
    after START), as if the log lost that time."""
    rng = random.Random(seed)
    pending: list[tuple[float, int, dict[str, object]]] = []
    weights = [w for w, _ in FLOWS]
    for n in range(sessions):
        # More users at the half hour: a shape for the arrival profile to find.
        start = START + rng.triangular(0, duration, duration / 2)
        client = f"203.0.113.{n % 250}"
        agent = BROWSER + f" s{n}"
        t = start
        (flow,) = rng.choices([f for _, f in FLOWS], weights)
        for method, target in flow(rng):
            pending.append((t, len(pending), _event(t, client, agent, method, target, 200)))
            t += rng.expovariate(1 / 4.0)  # think: exponential, mean 4 s
        if n % 5 == 0:
            pending.append(
                (t, len(pending), _event(t, client, agent, "GET", "/static/app.js", 200))
            )
        if n % 7 == 0:
            bot = BOTS[n % 2]
            pending.append(
                (t, len(pending), _event(t, "198.51.100.7", bot, "GET", "/api/products", 200))
            )
        if n % 11 == 0:
            pending.append((t, len(pending), _event(t, client, agent, "GET", "/api/missing", 404)))
    pending.sort()
    for t, _, event in pending:
        offset = t - START
        if gap is not None and gap[0] <= offset < gap[1]:
            continue
        yield event


def _event(
    t: float, client: str, agent: str, method: str, target: str, status: int
) -> dict[str, object]:
    return {
        "time": t,
        "client": client,
        "agent": agent,
        "method": method,
        "target": target,
        "status": status,
    }


def combined(event: dict[str, object]) -> str:
    return (
        f"{event['client']} - - [{clf_time(float(str(event['time'])))}] "
        f'"{event["method"]} {event["target"]} HTTP/1.1" {event["status"]} 512 '
        f'"-" "{event["agent"]}"'
    )


def common(event: dict[str, object]) -> str:
    return (
        f"{event['client']} - - [{clf_time(float(str(event['time'])))}] "
        f'"{event["method"]} {event["target"]} HTTP/1.1" {event["status"]} 512'
    )


def json_line(event: dict[str, object]) -> str:
    return json.dumps(
        {
            "ts": datetime.fromtimestamp(float(str(event["time"])), UTC).isoformat(),
            "verb": event["method"],
            "uri": event["target"],
            "code": event["status"],
            "remote_addr": event["client"],
            "user_agent": event["agent"],
            "host": "shop.example.com",
        }
    )


def log_text(
    fmt: str = "combined",
    sessions: int = 400,
    seed: int = 1,
    gap: tuple[float, float] | None = None,
) -> str:
    render = {"combined": combined, "common": common, "json": json_line}[fmt]
    return "".join(render(e) + "\n" for e in events(sessions, seed, gap=gap))
