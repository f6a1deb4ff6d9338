"""One streaming pass over recorded requests: endpoints and their parameters, sessions and the
step sequences they make, think times, the arrival profile, and what was dropped and why.

Memory is bounded whatever the size of the log: every table has a cap (endpoints, sequences,
values per parameter, open sessions) and samples are reservoirs of fixed size, so a multi-GB log
costs what a small one does. Requests are counted exactly; what a cap turns away is counted and
reported, never silently lost.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from peac.core.traffic.fidelity import Mix, top_keys
from peac.core.traffic.known import KnownValues
from peac.core.traffic.profile import Profile, build_profile
from peac.core.traffic.templater import (
    GENERATED,
    OPAQUE,
    WORD,
    Templated,
    origin_host,
    template,
)
from peac.core.traffic.think import ThinkFit, fit_think, quantile
from peac.model.traffic import Malformed, Request

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
STATIC = frozenset(
    {
        "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif",
        "bmp", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "wav", "pdf",
        "zip", "gz", "txt", "xml", "webmanifest",
    }
)  # fmt: skip
MAX_ENDPOINTS = 5000
MAX_SEQUENCES = 20000
MAX_OPEN_SESSIONS = 200_000
MAX_VALUES = 1000  # distinct literal values tracked per query key
MAX_QUERY_KEYS = 32  # query keys tracked per endpoint
MAX_LISTED = 20  # malformed lines listed by number (all are counted)
SWEEP_EVERY = 10_000  # requests between sweeps of sessions idle longer than the gap
K_ANONYMITY = 2  # a free-text query value is written only when this many clients sent it
# Query values written when common: words, and free text (a shared SQL query, a search phrase)
# that enough clients sent to be no one's own. E-mails, addresses and tokens never are.
SHAREABLE = frozenset({WORD, OPAQUE})


@dataclass(frozen=True)
class Options:
    gap: float = 1800.0  # seconds of inactivity that end a session
    resolution: float = 60.0  # seconds per bucket of the arrival profile
    top: int = 20  # endpoints and flows kept
    include_static: bool = False
    include_bots: bool = False
    max_steps: int = 6  # steps of one flow: longer sessions are cut into several iterations
    rows: int = 200  # sampled rows of parameter values per endpoint
    think_samples: int = 20_000
    seed: int = 0


@dataclass
class QueryKey:
    """One query key of an endpoint: how often it was sent and what its values looked like."""

    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    clients: dict[str, set[int]] = field(default_factory=dict)  # literal value -> clients

    def common(self, value: str) -> bool:
        """Whether a literal value was sent by enough clients to be no one's personal data."""
        return len(self.clients.get(value, ())) >= K_ANONYMITY


@dataclass
class Endpoint:
    method: str
    path: str  # template, ``{name}`` placeholders
    count: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    params: dict[str, Counter[str]] = field(default_factory=dict)  # name -> kinds seen
    query: dict[str, QueryKey] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)  # reservoir of value rows

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def kind_of(self, name: str) -> str:
        """The kind a path parameter is written as: generated if any value was personal."""
        kinds = self.params.get(name, Counter())
        if not kinds or any(k in GENERATED for k in kinds):
            return next((k for k, _ in kinds.most_common() if k in GENERATED), "opaque")
        return kinds.most_common(1)[0][0]

    def query_keys(self) -> list[str]:
        """Query keys sent with at least half of this endpoint's requests, most common first."""
        ranked = sorted(self.query.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [k for k, q in ranked if q.count * 2 >= self.count]

    def query_kind(self, key: str) -> str:
        """The kind a query value is written as. Mostly free text with values many clients
        sent (a shared SQL query, a search phrase) is fed from those common values alone, even
        if a few values looked personal: only common values are ever written. Otherwise any
        personal-looking value makes the key generated (its sampled rows are never written)."""
        found = self.query[key]
        top = found.kinds.most_common(1)[0][0]
        if top in SHAREABLE and any(found.common(v) for v in found.clients):
            return top
        if any(k in GENERATED for k in found.kinds):
            return next(k for k, _ in found.kinds.most_common() if k in GENERATED)
        return top


@dataclass
class _Session:
    last: float
    steps: list[str]


@dataclass(frozen=True)
class Flow:
    steps: tuple[str, ...]  # endpoint keys
    count: int  # iterations of this flow in the log
    residual: bool = False  # a one-step flow for requests outside the kept sequences


@dataclass(frozen=True)
class Traffic:
    """What one pass found: the inputs of the scenario writer and of the report."""

    lines: int
    requests: int  # seen (parsed) requests
    kept: int  # requests of the scenario's endpoints
    dropped: dict[str, int]  # reason -> requests
    malformed: int
    malformed_lines: tuple[Malformed, ...]
    endpoints: list[Endpoint]  # every endpoint seen, most frequent first
    top: list[Endpoint]  # the ones kept
    flows: list[Flow]
    sessions: int
    iterations: int
    think: ThinkFit
    think_quantiles: dict[str, float]
    profile: Profile
    first: float
    last: float
    hosts: list[tuple[str, int]]
    methods: dict[str, int]
    status_classes: dict[str, int]
    bot_agents: list[tuple[str, int]]
    known: KnownValues = field(default_factory=KnownValues)  # the values each parameter had

    @property
    def per_iteration(self) -> float:
        """Requests one iteration makes on average, over the flows written."""
        total = sum(f.count for f in self.flows)
        return sum(f.count * len(f.steps) for f in self.flows) / total if total else 0.0


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


def is_static(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in STATIC


class Analyzer:
    """Feed it requests in (roughly) time order with ``add``; ``finish`` gives the Traffic."""

    def __init__(self, options: Options, is_bot: Callable[[str], bool]) -> None:
        self.options = options
        self.is_bot = is_bot
        self.rng = random.Random(options.seed)
        self.lines = 0
        self.requests = 0
        self.dropped: Counter[str] = Counter()
        self.malformed = 0
        self.malformed_lines: list[Malformed] = []
        self.endpoints: dict[str, Endpoint] = {}
        self.sequences: Counter[tuple[str, ...]] = Counter()
        self.loose: Counter[str] = Counter()  # steps of sequences beyond MAX_SEQUENCES
        self.open: dict[int, _Session] = {}
        self.sessions = 0
        self.gaps: list[float] = []
        self.gap_count = 0
        self.buckets: Counter[int] = Counter()
        self.first = float("inf")
        self.last = float("-inf")
        self.hosts: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.status_classes: Counter[str] = Counter()
        self.bot_agents: Counter[str] = Counter()
        self.clock = float("-inf")
        self.known = KnownValues()

    def bad_line(self, malformed: Malformed) -> None:
        self.lines = max(self.lines, malformed.line)
        self.malformed += 1
        if len(self.malformed_lines) < MAX_LISTED:
            self.malformed_lines.append(malformed)

    def add(self, request: Request) -> None:
        self.lines = max(self.lines, request.line)
        self.requests += 1
        host = request.host or origin_host(request.target)
        if host and (host in self.hosts or len(self.hosts) < MAX_LISTED):
            self.hosts[host] += 1
        if not self.options.include_bots and self.is_bot(request.user_agent):
            self.dropped["bot or crawler (user agent)"] += 1
            if request.user_agent in self.bot_agents or len(self.bot_agents) < MAX_LISTED:
                self.bot_agents[request.user_agent] += 1
            return
        method = request.method.upper()
        if method not in METHODS:
            self.dropped["method a scenario cannot send"] += 1
            return
        shaped = template(request.target)
        if not self.options.include_static and is_static(shaped.path):
            self.dropped["static asset"] += 1
            return
        key = f"{method} {shaped.path}"
        endpoint = self.endpoints.get(key)
        if endpoint is None:
            if len(self.endpoints) >= MAX_ENDPOINTS:
                self.dropped[f"beyond {MAX_ENDPOINTS:,} distinct endpoints"] += 1
                return
            endpoint = self.endpoints[key] = Endpoint(method, shaped.path)
        client = hash((request.client, request.user_agent))
        self.known.add(key, shaped)
        self._count(endpoint, shaped, request, client)
        self._session(client, request.time, key)

    def _count(self, endpoint: Endpoint, shaped: Templated, request: Request, client: int) -> None:
        endpoint.count += 1
        endpoint.statuses[request.status] += 1
        self.methods[endpoint.method] += 1
        self.status_classes[status_class(request.status)] += 1
        row: dict[str, str] = {}
        for value in shaped.params:
            endpoint.params.setdefault(value.name, Counter())[value.kind] += 1
            row[value.name] = value.value
        for key, value in shaped.query:
            found = endpoint.query.get(key)
            if found is None:
                if len(endpoint.query) >= MAX_QUERY_KEYS:
                    continue
                found = endpoint.query[key] = QueryKey()
            found.count += 1
            found.kinds[value.kind] += 1
            if value.kind in SHAREABLE:
                seen = found.clients.get(value.value)
                if seen is None and len(found.clients) < MAX_VALUES:
                    seen = found.clients[value.value] = set()
                if seen is not None and len(seen) < K_ANONYMITY:
                    seen.add(client)
            row.setdefault("?" + key, value.value)
        self._sample(endpoint, row)
        t = request.time
        self.first, self.last = min(self.first, t), max(self.last, t)
        self.buckets[int(t // self.options.resolution)] += 1

    def _sample(self, endpoint: Endpoint, row: dict[str, str]) -> None:
        """Reservoir sampling (Algorithm R): every request's values equally likely to be kept,
        so the rows keep the frequencies of the values seen."""
        if not row:
            return
        if len(endpoint.rows) < self.options.rows:
            endpoint.rows.append(row)
            return
        slot = self.rng.randrange(endpoint.count)
        if slot < self.options.rows:
            endpoint.rows[slot] = row

    def _session(self, client: int, t: float, key: str) -> None:
        if t > self.clock:
            self.clock = t
        session = self.open.get(client)
        if session is not None and t - session.last > self.options.gap:
            self._close(session)
            session = None
        if session is None:
            if len(self.open) >= MAX_OPEN_SESSIONS:
                oldest = min(self.open, key=lambda c: self.open[c].last)
                self._close(self.open.pop(oldest))
            session = self.open[client] = _Session(t, [])
            self.sessions += 1
        else:
            self._gap(max(0.0, t - session.last))
        session.last = max(session.last, t)
        session.steps.append(key)
        if len(session.steps) >= self.options.max_steps:
            self._emit(session.steps)
            session.steps = []
        if self.requests % SWEEP_EVERY == 0:
            self._sweep()

    def _gap(self, seconds: float) -> None:
        self.gap_count += 1
        if len(self.gaps) < self.options.think_samples:
            self.gaps.append(seconds)
            return
        slot = self.rng.randrange(self.gap_count)
        if slot < self.options.think_samples:
            self.gaps[slot] = seconds

    def _sweep(self) -> None:
        idle = [c for c, s in self.open.items() if self.clock - s.last > self.options.gap]
        for client in idle:
            self._close(self.open.pop(client))

    def _close(self, session: _Session) -> None:
        if session.steps:
            self._emit(session.steps)
            session.steps = []

    def _emit(self, steps: list[str]) -> None:
        sequence = tuple(steps)
        if sequence in self.sequences or len(self.sequences) < MAX_SEQUENCES:
            self.sequences[sequence] += 1
        else:
            self.loose.update(sequence)

    def finish(self) -> Traffic:
        for session in self.open.values():
            self._close(session)
        self.open.clear()
        ranked = sorted(self.endpoints.values(), key=lambda e: (-e.count, e.key))
        top = ranked[: self.options.top]
        kept = {e.key for e in top}
        dropped = Counter(self.dropped)
        beyond = sum(e.count for e in ranked[self.options.top :])
        if beyond:
            dropped[f"outside the top {self.options.top} endpoints"] += beyond
        flows = self._flows(kept)
        sorted_gaps = sorted(self.gaps)
        think_quantiles = {
            f"p{round(q * 100)}": quantile(sorted_gaps, q) for q in (0.25, 0.5, 0.75, 0.9)
        }
        return Traffic(
            lines=self.lines,
            requests=self.requests,
            kept=sum(e.count for e in top),
            dropped=dict(dropped.most_common()),
            malformed=self.malformed,
            malformed_lines=tuple(self.malformed_lines),
            endpoints=ranked,
            top=top,
            flows=flows,
            sessions=self.sessions,
            iterations=sum(f.count for f in flows),
            think=fit_think(self.gaps),
            think_quantiles=think_quantiles,
            profile=build_profile(self.buckets, self.options.resolution),
            first=self.first if self.requests else 0.0,
            last=self.last if self.requests else 0.0,
            hosts=self.hosts.most_common(),
            methods=dict(self.methods),
            status_classes=dict(self.status_classes),
            bot_agents=self.bot_agents.most_common(5),
            known=self.known,
        )

    def _flows(self, kept: set[str]) -> list[Flow]:
        """The most common step sequences as flows, and one-step flows for the requests of kept
        endpoints outside them, weighted so that the steps' mix is the log's exactly."""
        filtered: Counter[tuple[str, ...]] = Counter()
        for sequence, count in self.sequences.items():
            steps = tuple(s for s in sequence if s in kept)
            if steps:
                filtered[steps] += count
        by_requests = sorted(filtered.items(), key=lambda kv: (-kv[1] * len(kv[0]), kv[0]))
        chosen = [(s, c) for s, c in by_requests[: self.options.top] if len(s) > 1 or c > 0]
        residual: Counter[str] = Counter({k: c for k, c in self.loose.items() if k in kept})
        for sequence, count in by_requests[self.options.top :]:
            for step in sequence:
                residual[step] += count
        flows = [Flow(s, c) for s, c in chosen]
        flows += [
            Flow((k,), c, residual=True)
            for k in top_keys(residual, len(residual))
            if (c := residual[k]) > 0
        ]
        return flows


def log_mix(traffic: Traffic) -> Mix:
    """The log's mix over the scenario's endpoints (those dropped on purpose left out)."""
    methods: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for endpoint in traffic.top:
        methods[endpoint.method] += endpoint.count
        for status, n in endpoint.statuses.items():
            statuses[status_class(status)] += n
    return Mix(
        {e.key: e.count for e in traffic.top},
        dict(methods),
        dict(statuses),
        dict(traffic.think_quantiles),
    )


def mix_of(requests: list[tuple[str, str, int]], gaps: list[float]) -> Mix:
    """The mix of generated requests (method, target, status) and their in-iteration gaps."""
    endpoints: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for method, target, status in requests:
        endpoints[f"{method} {template(target).path}"] += 1
        methods[method] += 1
        statuses[status_class(status)] += 1
    ordered = sorted(gaps)
    think = {f"p{round(q * 100)}": quantile(ordered, q) for q in (0.25, 0.5, 0.75, 0.9)}
    return Mix(dict(endpoints), dict(methods), dict(statuses), think)
