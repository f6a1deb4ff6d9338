"""The values a log held for each endpoint's parameters, so that ``generate --check`` can refuse
what the real service would: a mock that answers 200 to any id says nothing about whether the
generated scenario sends ids, file suffixes and query values the service knows.

A value seen in the log was answered by the service once; a value the scenario made up (an
e-mail address or token replaced for privacy, an id written without its ``.json``) is one the
service may never have seen. Bounded: past ``MAX_PER_NAME`` distinct values of one parameter,
or ``MAX_TOTAL`` in all, a parameter is *open* (any value accepted) and the check says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from peac.core.traffic.templater import GENERATED, Templated, template

MAX_PER_NAME = 20_000  # distinct values of one parameter of one endpoint
MAX_TOTAL = 400_000  # distinct values over all parameters
MAX_REASONS = 50  # distinct refusal reasons counted (endpoints x parameters)


@dataclass(frozen=True, slots=True)
class Refusal:
    endpoint: str  # "GET /users/{users_id}"
    name: str  # the parameter ("users_id", "?q"), "" for an endpoint the log never had
    made_up: bool  # the log's values of it were personal data, so the scenario makes them up

    @property
    def refuses(self) -> bool:
        """Whether the mock answers 404: a made-up value is one the check cannot judge (the
        service may accept any e-mail at checkout, or no stranger's session), so it is answered
        and counted apart; any other value the log never held is a mistake of the scenario."""
        return not self.made_up


@dataclass
class KnownValues:
    """Per endpoint key, per parameter (``name`` or ``?key``), the values the log held."""

    values: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    open: set[tuple[str, str]] = field(default_factory=set)  # (endpoint, name): not tracked
    generated: set[tuple[str, str]] = field(default_factory=set)  # personal: made up
    total: int = 0

    def add(self, endpoint: str, shaped: Templated) -> None:
        names = self.values.setdefault(endpoint, {})
        pairs = [(v.name, v.value, v.kind) for v in shaped.params]
        pairs += [("?" + key, v.value, v.kind) for key, v in shaped.query]
        for name, value, kind in pairs:
            if kind in GENERATED:
                self.generated.add((endpoint, name))
            if (endpoint, name) in self.open:
                continue
            seen = names.setdefault(name, set())
            if value in seen:
                continue
            if len(seen) >= MAX_PER_NAME or self.total >= MAX_TOTAL:
                self.open.add((endpoint, name))
                self.total -= len(seen)
                del names[name]
                continue
            seen.add(value)
            self.total += 1

    def refusal(self, method: str, target: str) -> Refusal | None:
        """Why the real service might refuse this request (None: every value was in the log)."""
        shaped = template(target)
        endpoint = f"{method.upper()} {shaped.path}"
        names = self.values.get(endpoint)
        if names is None:
            return Refusal(endpoint, "", False)
        pairs = [(v.name, v.value) for v in shaped.params]
        pairs += [("?" + key, v.value) for key, v in shaped.query]
        for name, value in pairs:
            if (endpoint, name) in self.open:
                continue
            if value not in names.get(name, ()):
                return Refusal(endpoint, name, (endpoint, name) in self.generated)
        return None

    def open_names(self) -> list[str]:
        """The parameters whose values were too many to track: any value was accepted."""
        return sorted(f"{e}: {n}" for e, n in self.open)


@dataclass
class Refused:
    """What the mock refused (and what it could not judge) in one check: counts by reason,
    bounded."""

    count: int = 0  # refused: a value the scenario should have taken from the log
    unverified: int = 0  # made up for privacy: answered, but the check cannot tell
    reasons: Counter[Refusal] = field(default_factory=Counter)

    def add(self, refusal: Refusal) -> None:
        if refusal.refuses:
            self.count += 1
        else:
            self.unverified += 1
        if refusal in self.reasons or len(self.reasons) < MAX_REASONS:
            self.reasons[refusal] += 1
