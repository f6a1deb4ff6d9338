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


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response as a HAR file records them (``log.entries[index]``).

    Texts are as recorded (untrusted, possibly personal); readers bound their sizes. A body
    that was not recorded, or not as text, is ''.
    """

    index: int  # position in log.entries, 0-based (error messages name entries[index])
    page: str  # the pageref, '' when the entry belongs to no page
    time: float  # started, epoch seconds
    duration: float  # seconds the exchange took (HAR "time"), 0 when unknown
    method: str
    url: str  # absolute URL as recorded
    headers: tuple[tuple[str, str], ...]
    body_type: str  # request mime type, '' without a body
    body: str
    form: tuple[tuple[str, str], ...]  # postData.params, when recorded that way
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_type: str
    response_body: str
    source: str = ""  # the file


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a HAR file: what a browser loaded for one navigation."""

    id: str
    started: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class Recording:
    """One HAR file: its pages in order and its entries in the order they were sent."""

    source: str
    version: str
    creator: str
    pages: tuple[Page, ...]
    exchanges: tuple[Exchange, ...]
