"""Plain data of recorded traffic (an access log, a HAR file): one request as the generators
of scenarios read it, whatever the source format was."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Request:
    """One request seen in recorded traffic.

    ``target`` is the request target as sent (path and query, percent-encoded as in the log);
    ``client`` identifies who sent it (address and user agent), for sessions only.
    """

    line: int  # line (or entry) number in its source, 1-based
    time: float  # epoch seconds
    method: str
    target: str
    status: int  # 0 when the source does not say
    client: str
    user_agent: str
    host: str = ""  # the host the request went to, when the source says


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line of the source that is not a request in the expected format."""

    line: int
    reason: str
    source: str = ""  # the file, when several were read
