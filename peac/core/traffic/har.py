"""From recorded browser or proxy sessions (HAR ``Recording``s) to a scenario draft: one flow
per page in request order, think times from the gaps between pages, headers, queries and
bodies as sent but with credentials as ``secrets:`` and personal data generated, and values a
response gave that a later request sent back turned into captures.

A HAR file records one user, not a population, so unlike ``from-log`` nothing here is a
statistic: every step is an exchange of the recording and its comment names the entry
(``entries[12]``). Pure: the readers in ``peac.traffic.har`` did the parsing.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote, urlsplit

from peac.core.traffic.analysis import METHODS, is_static, status_class
from peac.core.traffic.design import (
    count,
    duration_text,
    generated,
    identifier,
    rate_text,
    step_name,
)
from peac.core.traffic.draft import FlowDraft, ScenarioDraft, StepDraft
from peac.core.traffic.fidelity import Mix
from peac.core.traffic.templater import FED, GENERATED, OPAQUE, classify, literal, template
from peac.core.traffic.values import literal_text, safe_value, scrub, secret_kind
from peac.errors import one_line
from peac.model.traffic import Exchange, Recording

# Headers a client library sets itself, that only a browser sends, or that name the recorded
# host: never copied (Referer and Origin would carry the real host into the file).
_DROPPED_HEADERS = frozenset(
    {
        "host", "content-length", "connection", "keep-alive", "accept-encoding",
        "transfer-encoding", "te", "upgrade", "referer", "origin", "upgrade-insecure-requests",
        "priority", "dnt", "pragma", "cache-control", "if-none-match", "if-modified-since",
        "user-agent", "accept-language", "purpose", "x-forwarded-for", "x-real-ip", "forwarded",
        "via", "traceparent", "tracestate",
    }
)  # fmt: skip
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"}
)
# Request headers a scenario may need and that carry no credential by their nature. Any other
# (X-Trace, X-Hub-Access, a vendor's) is left out unless asked for (--keep-header): what a
# header of unknown meaning holds cannot be known, and many hold a key.
_STANDARD_HEADERS = frozenset(
    {
        "accept", "accept-charset", "accept-datetime", "content-type", "content-language",
        "content-encoding", "if-match", "if-unmodified-since", "if-range", "range", "expect",
        "prefer", "x-requested-with", "x-http-method-override",
    }
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_SCHEME = re.compile(r"^(Bearer|Basic|Token|Digest|Bot|ApiKey)\s+", re.IGNORECASE)
_IDENT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset(
    {"vu", "iteration", "uuid", "random_int", "random_choice", "random_string", "timestamp",
     "secrets", "range", "dict", "loop", "true", "false", "none", "null"}
)  # fmt: skip
MAX_LEAVES = 5000  # values of one JSON body looked at
MAX_DEPTH = 32
PAGE_THINK_MIN = 0.05  # seconds: a shorter gap between pages is no think time
ENTRY_THINK_MIN = 0.25  # seconds, between requests of a recording without pages
STATUS_ZERO = "not answered (status 0)"
THIRD_PARTY = "third-party host"


@dataclass(frozen=True)
class HarOptions:
    name: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    keep_third_party: bool = False
    include_static: bool = False
    keep_headers: frozenset[str] = frozenset()  # non-standard headers to copy (lower case)


@dataclass
class HarSummary:
    """What the report says: what was kept, dropped and turned into what, and why."""

    files: list[str] = field(default_factory=list)
    entries: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> entries
    third_party: Counter[str] = field(default_factory=Counter)  # host -> entries dropped
    hosts: Counter[str] = field(default_factory=Counter)  # first-party hosts -> entries
    captures: list[str] = field(default_factory=list)  # one line per link found
    secrets: list[str] = field(default_factory=list)  # name, environment variable, where
    notes: list[str] = field(default_factory=list)  # bodies and fields not kept, and why
    flows: int = 0
    scrubbed: Counter[str] = field(default_factory=Counter)  # what was generated instead, why
    headers_dropped: Counter[str] = field(default_factory=Counter)  # non-standard, not asked for


@dataclass(frozen=True)
class HarDesign:
    draft: ScenarioDraft
    summary: HarSummary
    mix: Mix  # the recorded mix over the kept entries, for --check


def site(host: str) -> str:
    """The registrable part of a host name, roughly: ``api.shop.example`` and
    ``www.shop.example`` are one site, ``cdn.tracker.example`` another. (Two labels, three
    under a two-letter country code with a short second level such as ``co.uk``.)"""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path or "/", parts.query


@dataclass
class _Link:
    name: str  # the capture's variable
    spec: dict[str, Any]  # {"json": path} or {"header": name}
    producer: int  # position of the producing exchange among the kept ones
    used: bool = False


def _json_path(keys: list[str | int]) -> str:
    out = ""
    for key in keys:
        if isinstance(key, int):
            out += f"[{key}]"
        elif _IDENT_KEY.match(key):
            out += ("." if out else "") + key
        else:
            out += ("." if out else "") + json.dumps(key)
    return out or "@"


def _leaves(value: Any, keys: list[str | int], out: list[tuple[list[str | int], Any]]) -> None:
    if len(out) >= MAX_LEAVES or len(keys) > MAX_DEPTH:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, [*keys, str(k)], out)
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            _leaves(v, [*keys, i], out)
    else:
        out.append((keys, value))


def _linkable(value: Any) -> str:
    """The text of a response value distinctive enough to be recognised in a later request:
    an id or a token, never a common word or a small number."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value) if abs(value) >= 10 else ""
    if not isinstance(value, str) or len(value) < 4 or len(value) > 4096:
        return ""
    kind = classify(value)
    return value if kind in FED or kind in GENERATED - {OPAQUE} else ""


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON = object()


def _default(value: str) -> str:
    """A capture's default when the response lacks the value (as the --check mock's does): a
    made-up value of the same shape, never the recorded one (it may be a token)."""
    kind = classify(value)
    return {
        "int": "1",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "hex": "0000000a0000000b",
        "date": "2024-01-01",
    }.get(kind, "peacdefault0000000000")


class _Builder:
    """Turns the kept exchanges of one recording into steps, tracking links and secrets."""

    def __init__(
        self,
        summary: HarSummary,
        secrets: dict[str, str],
        names: set[str],
        keep_headers: frozenset[str] = frozenset(),
    ) -> None:
        self.summary = summary
        self.keep_headers = keep_headers
        self.secrets = secrets  # name -> environment variable, shared by all files
        self.capture_names = names
        self.produced: dict[str, _Link] = {}
        self.sent: set[str] = set()  # every value a request sent so far (echoes are no links)
        self.set_cookies: set[str] = set()
        self.steps: list[StepDraft] = []
        self.joins: list[tuple[int, int]] = []  # (producer, consumer) positions

    # -- secrets and links -----------------------------------------------------------------
    def secret(self, key: str, where: str) -> str:
        name = identifier(key, set(), "secret")
        if name not in self.secrets:
            env = "PEAC_" + name.upper()
            self.secrets[name] = env
            self.summary.secrets.append(f"{name} (from ${env}): {where}")
        return "{{ secrets." + name + " }}"

    def _use(self, value: str, position: int) -> str:
        """The capture variable holding ``value``, if a response gave it; '' otherwise."""
        link = self.produced.get(value)
        if link is None:
            return ""
        if not link.used:  # named when first used, so unused values take no names
            base = identifier(link.name, set(), "value")
            link.name = identifier(
                base + "_value" if base in _RESERVED else base, self.capture_names
            )
        link.used = True
        self.joins.append((link.producer, position))
        return link.name

    def _produce(self, exchange: Exchange, position: int) -> None:
        found: list[tuple[str, dict[str, Any], str]] = []
        for name, value in exchange.response_headers:
            low = name.lower()
            if low == "set-cookie":
                self.set_cookies.add(value.split("=", 1)[0].strip())
                continue
            if low in ("date", "etag", "content-length", "expires", "last-modified", "age"):
                continue
            text = _SCHEME.sub("", value.strip())
            if _HEADER_NAME.match(name) and _linkable(text) and len(text) >= 8:
                found.append((text, {"header": name}, low))
        if "json" in exchange.response_type.lower() or exchange.response_body[:1] in "{[":
            data = _parse_json(exchange.response_body) if exchange.response_body else _NOT_JSON
            if data is not _NOT_JSON:
                leaves: list[tuple[list[str | int], Any]] = []
                _leaves(data, [], leaves)
                for keys, value in leaves:
                    text = _linkable(value)
                    if text:
                        last = next((k for k in reversed(keys) if isinstance(k, str)), "value")
                        found.append((text, {"json": _json_path(keys)}, last))
        for text, spec, hint in found:
            if text in self.sent:
                continue
            self.produced[text] = _Link(hint, {**spec, "default": _default(text)}, position)

    # -- one request ---------------------------------------------------------------------
    def add(self, exchange: Exchange, where: str) -> StepDraft:
        position = len(self.steps)
        raw_path, raw_query = _target(exchange.url)
        parts: list[str] = []
        for segment in raw_path.split("/"):
            value = unquote(segment)
            self.sent.add(value)
            used = self._use(value, position) if segment else ""
            if used:
                parts.append("{{ " + used + " }}")
                continue
            kind = classify(segment) if segment else ""
            parts.append(generated(kind) if kind in GENERATED else literal(segment))
        step = StepDraft("", exchange.method, "/".join(parts) or "/")
        shown = template(f"{raw_path}?{raw_query}" if raw_query else raw_path).path
        step.name = step_name(exchange.method, shown)
        for key, value in parse_qsl(raw_query, keep_blank_values=True)[:64]:
            if not re.match(r"^[A-Za-z0-9_.\-\[\]]{1,64}$", key):
                self.summary.notes.append(f"{where}: a query key not kept (not a plain name)")
                continue
            step.query[key] = self._value(key, value, position, f"{where} query {key}")
        self._headers(exchange, step, position, where)
        self._body(exchange, step, position, where)
        if 100 <= exchange.status < 400:
            step.checks.append({"status": exchange.status})
        elapsed = f" in {exchange.duration * 1000:.0f} ms" if exchange.duration else ""
        step.comment = f"{where}: answered {exchange.status}{elapsed}"
        self.steps.append(step)
        self._produce(exchange, position)
        return step

    def _value(self, key: str, value: str, position: int, where: str) -> str:
        self.sent.add(value)
        used = self._use(value, position)
        if used:
            return "{{ " + used + " }}"
        kind = secret_kind(key)
        if kind in ("credential", "account") and value:
            return self.secret(key, where)
        return safe_value(key, value, self._inner(where), self.summary.scrubbed)

    def _inner(self, where: str) -> Callable[[str], str]:
        """The secret for a credential found inside a value's text (``password: "..."``)."""
        return lambda key: self.secret(key, f"{where}, inside its text")

    def _headers(self, exchange: Exchange, step: StepDraft, position: int, where: str) -> None:
        for name, value in exchange.headers:
            low = name.lower()
            if low.startswith((":", "sec-")) or low in _DROPPED_HEADERS or low in step.headers:
                continue
            if not _HEADER_NAME.match(name):
                self.summary.notes.append(f"{where}: a header not kept (not a token name)")
                continue
            if any(c in value for c in "\r\n\x00"):
                # A value with a line break would end the header and start another: peac
                # refuses to send it, so it is not written either.
                self.summary.notes.append(f"{where}: header {low} not kept (CR, LF or NUL in it)")
                continue
            if low == "cookie":
                self._cookie(value, step, where)
                continue
            scheme = _SCHEME.match(value)
            rest = value[scheme.end() :] if scheme else value
            prefix = literal_text(scheme.group(0)) if scheme else ""
            self.sent.add(rest)
            used = self._use(rest.strip(), position) if rest.strip() else ""
            if used:
                step.headers[low] = prefix + "{{ " + used + " }}"
            elif low in _CREDENTIAL_HEADERS or secret_kind(low) in (
                "credential",
                "account",
                "private",
            ):
                step.headers[low] = prefix + self.secret(low, f"{where} header {low}")
            elif low in _STANDARD_HEADERS or low in self.keep_headers:
                step.headers[low] = safe_value(
                    low, value, self._inner(f"{where} header {low}"), self.summary.scrubbed
                )
            else:
                self.summary.headers_dropped[low] += 1

    def _cookie(self, value: str, step: StepDraft, where: str) -> None:
        names = [p.split("=", 1)[0].strip() for p in value.split(";") if p.strip()]
        outside = [n for n in names if n not in self.set_cookies]
        if outside:  # cookies the recording did not set: the session the browser came with
            step.headers["cookie"] = self.secret(
                "cookie", f"{where} cookies " + ", ".join(outside[:8])
            )

    def _body(self, exchange: Exchange, step: StepDraft, position: int, where: str) -> None:
        kind = exchange.body_type.split(";")[0].strip().lower()
        if not exchange.body and not exchange.form:
            return
        if "json" in kind:
            data = _parse_json(exchange.body)
            if data is _NOT_JSON:
                self.summary.notes.append(f"{where}: a JSON body that does not parse, not kept")
                return
            budget = [MAX_LEAVES]
            step.json = self._json(data, "", position, where, 0, budget)
            step.has_json = True
            return
        if kind == "application/x-www-form-urlencoded":
            pairs = list(exchange.form) or parse_qsl(exchange.body, keep_blank_values=True)
            fields = []
            for key, value in pairs[:200]:
                text = self._value(key, value, position, f"{where} form field {key}")
                fields.append(f"{quote_plus(key)}={_form_value(text, value)}")
            step.body = "&".join(fields)
            step.headers.setdefault("content-type", "application/x-www-form-urlencoded")
            return
        if kind.startswith("text/") or kind.endswith("xml"):
            step.body = scrub(exchange.body, self._inner(f"{where} body"), self.summary.scrubbed)
            return
        self.summary.notes.append(
            f"{where}: a {one_line(kind or 'untyped')[:60]} body not kept (only JSON, form and "
            "text bodies are)"
        )

    def _json(
        self, value: Any, key: str, position: int, where: str, depth: int, budget: list[int]
    ) -> Any:
        budget[0] -= 1
        if depth > MAX_DEPTH or budget[0] < 0:
            return None
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for n, (k, v) in enumerate(value.items()):
                name = str(k)
                if classify(name) in GENERATED - {OPAQUE} or not name.isprintable():
                    name = f"redacted_{n}"
                out[name] = self._json(v, str(k), position, where, depth + 1, budget)
            return out
        if isinstance(value, list):
            return [self._json(v, key, position, where, depth + 1, budget) for v in value]
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            used = self._use(str(value), position) if isinstance(value, int) else ""
            return "{{ " + used + " }}" if used else value
        return self._value(key, str(value), position, f"{where} JSON {key}")


_WHOLE = re.compile(r"^\{\{ ([a-z_][a-z0-9_.]*) \}\}$")


def _form_value(text: str, raw: str) -> str:
    """A form field's value: a captured or secret value URL-encoded when it is sent, a recorded
    one encoded now (percent-encoding leaves no ``{`` to start a template)."""
    if text == literal_text(raw):
        return quote_plus(raw)
    whole = _WHOLE.match(text)
    if whole:
        return "{{ " + whole.group(1) + " | urlencode }}"
    if "{{" in text:  # a generated value: letters, digits, dots and @ only
        return text
    return quote_plus(raw)


def _groups(recording: Recording, kept: list[Exchange]) -> list[list[int]]:
    """Positions of the kept exchanges per page, pages in order; a recording without pages is
    one group."""
    if not recording.pages:
        return [list(range(len(kept)))] if kept else []
    order = {p.id: i for i, p in enumerate(recording.pages)}
    groups: dict[int, list[int]] = {}
    for position, exchange in enumerate(kept):
        groups.setdefault(order.get(exchange.page, len(order)), []).append(position)
    return [groups[k] for k in sorted(groups)]


def _think_between(kept: list[Exchange], group: list[int], following: list[int]) -> float:
    end = max(kept[i].time + kept[i].duration for i in group)
    return max(0.0, kept[following[0]].time - end)


def recorded_hosts(recordings: list[Recording]) -> set[str]:
    """Every host the recordings' requests went to (a --target may be none of them)."""
    return {h for r in recordings for e in r.exchanges if (h := _host(e.url))}


def design_har(recordings: list[Recording], options: HarOptions) -> HarDesign:
    """The scenario of HAR recordings: see the module's docstring."""
    summary = HarSummary()
    secrets: dict[str, str] = {}
    capture_names: set[str] = set()
    flows: list[FlowDraft] = []
    endpoints: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    flow_names: set[str] = set()
    for recording in recordings:
        summary.files.append(recording.source)
        summary.entries += len(recording.exchanges)
        exchanges = sorted(recording.exchanges, key=lambda e: e.time)  # stable: ties keep order
        home = site(_host(exchanges[0].url)) if exchanges else ""
        kept: list[Exchange] = []
        for exchange in exchanges:
            host = _host(exchange.url)
            path, _ = _target(exchange.url)
            headers = {n.lower() for n, _ in exchange.headers}
            if exchange.method not in METHODS:
                summary.dropped[f"method {one_line(exchange.method)[:20]}"] += 1
            elif exchange.method == "OPTIONS" and "access-control-request-method" in headers:
                summary.dropped["CORS preflight (the browser's, not the page's)"] += 1
            elif site(host) != home and not options.keep_third_party:
                summary.dropped[THIRD_PARTY] += 1
                summary.third_party[host] += 1
            elif exchange.status == 0:
                summary.dropped[STATUS_ZERO] += 1
            elif is_static(path) and not options.include_static:
                summary.dropped["static asset"] += 1
            else:
                kept.append(exchange)
                summary.hosts[host] += 1
        summary.kept += len(kept)
        builder = _Builder(summary, secrets, capture_names, options.keep_headers)
        for exchange in kept:
            step = builder.add(exchange, f"{recording.source} entries[{exchange.index}]")
            host = _host(exchange.url)
            if site(host) != home:
                step.comment += f"; sent to {host} when recorded (--keep-third-party)"
            path, _ = _target(exchange.url)
            endpoints[f"{exchange.method} {template(path).path}"] += 1
            methods[exchange.method] += 1
            statuses[status_class(exchange.status)] += 1
        # captures: on the producing step, only those a later request used
        for link in builder.produced.values():
            if link.used:
                builder.steps[link.producer].capture[link.name] = link.spec
        for step in builder.steps:
            if step.capture:
                step.capture_comment = "values a later request of the recording sent back"
        for link in builder.produced.values():
            if link.used:
                what = next(iter(link.spec.items()))
                summary.captures.append(
                    f"{link.name}: {what[0]} {one_line(str(what[1]))[:80]} of "
                    f"{recording.source} entries[{kept[link.producer].index}], sent back later"
                )
        flows += _flows(recording, kept, builder, flow_names)
    summary.flows = len(flows)
    worst = max((_iteration_seconds(f) for f in flows), default=1.0)
    max_vus = max(10, math.ceil(2 * worst) + 10)
    hosts = ", ".join(one_line(h)[:80] for h, _ in summary.hosts.most_common(5))
    header = [
        "Generated by `peac generate from-har` from "
        + ", ".join(one_line(f)[:80] for f in summary.files[:5])
        + ".",
        f"{count(summary.kept)} of {count(summary.entries)} recorded requests kept in "
        f"{count(len(flows))} flows (one per page, pages that share a captured value together).",
    ]
    if summary.dropped:
        header.append(
            "Dropped: " + "; ".join(f"{r} {count(n)}" for r, n in summary.dropped.items()) + "."
        )
    if hosts:
        header.append(f"Recorded on host(s) {hosts}; load goes to the target below, never there.")
    header.append(
        "Credentials (Authorization, cookies, API keys, passwords) are secrets read from the "
        "environment; personal data (e-mail and IP addresses, tokens) is generated."
    )
    draft = ScenarioDraft(
        name=options.name,
        description=f"Generated by peac generate from-har from {len(recordings)} HAR file(s)",
        base_url=options.base_url,
        allowed_hosts=list(options.allowed_hosts),
        load={
            "executor": "constant-arrival-rate",
            "rate": rate_text(1.0),
            "duration": "1m",
            "max_vus": max_vus,
        },
        flows=flows,
        header=header,
        load_comment=(
            "a recording is one user, not an arrival rate: 1 iteration/s for 1 minute is a "
            f"starting point to set; max_vus: 2 x 1/s x {worst:.1f} s per iteration, + 10"
        ),
        target_comment="never the recorded host: see the header",
        secrets=dict(sorted(secrets.items())),
        secrets_comment=(
            "credentials of a test account, read from these environment variables when the "
            "scenario runs; the recorded values are not in this file"
        )
        if secrets
        else "",
    )
    mix = Mix(dict(endpoints), dict(methods), dict(statuses), {})
    return HarDesign(draft, summary, mix)


def _iteration_seconds(flow: FlowDraft) -> float:
    total = 0.5 * len(flow.steps)
    for step in flow.steps:
        if isinstance(step.think, str):
            total += _seconds(step.think)
    return total


def _seconds(text: str) -> float:
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    return float(text[:-1]) if text.endswith("s") else 0.0


def _flows(
    recording: Recording, kept: list[Exchange], builder: _Builder, taken: set[str]
) -> list[FlowDraft]:
    """Flows of one recording: a page each, pages joined when one sends back a value another's
    response gave (a flow must capture a value before it uses it)."""
    groups = _groups(recording, kept)
    group_of = {p: g for g, members in enumerate(groups) for p in members}
    parent = list(range(len(groups)))

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for producer, consumer in builder.joins:
        a, b = find(group_of[producer]), find(group_of[consumer])
        if a != b:
            parent[max(a, b)] = min(a, b)
    # think: after each group's last step, the gap before the next group (page) starts
    for g, members in enumerate(groups):
        last = builder.steps[members[-1]]
        if g + 1 < len(groups):
            gap = _think_between(kept, members, groups[g + 1])
            if gap >= PAGE_THINK_MIN:
                last.think = duration_text(gap)
                last.think_comment = "the gap before the next page's first request, as recorded"
        if not recording.pages:
            for a, b in pairwise(members):
                gap = _think_between(kept, [a], [b])
                if gap >= ENTRY_THINK_MIN:
                    builder.steps[a].think = duration_text(gap)
                    builder.steps[a].think_comment = "the gap before the next request, as recorded"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", recording.source.rsplit("/", 1)[-1]).strip("-")[:40]
    flows: list[FlowDraft] = []
    roots = sorted({find(g) for g in range(len(groups))})
    for root in roots:
        members = [g for g in range(len(groups)) if find(g) == root]
        positions = sorted(p for g in members for p in groups[g])
        seen: Counter[str] = Counter()
        steps: list[StepDraft] = []
        for position in positions:
            step = builder.steps[position]
            seen[step.name] += 1
            if seen[step.name] > 1:
                step.name = f"{step.name[:74]} {seen[step.name]}"
            steps.append(step)
        if recording.pages:
            numbers = [g + 1 for g in members]
            label = (
                f"page {numbers[0]}" if len(numbers) == 1 else f"pages {numbers[0]}-{numbers[-1]}"
            )
        else:
            label = "recording"
        name, n = f"{stem} {label}", 2
        while name in taken:
            name, n = f"{stem} {label} ({n})", n + 1
        taken.add(name)
        comment = f"{len(steps)} requests of {one_line(recording.source)[:60]}, in recorded order"
        if len(members) > 1:
            comment += f"; {len(members)} pages joined: a later one sends back a captured value"
        flows.append(FlowDraft(name, 1.0, steps, comment))
    return flows
