"""The service under test, as a pipeline meets it: started in the background a moment ago, and
maybe not listening yet. Measuring a service that is still starting measures its start-up (or
"nothing answered"), so the stage waits until the target accepts connections, within a limit.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

POLL = 0.2  # seconds between attempts


def address_of(url: str) -> tuple[str, int] | None:
    """Host and port of an http(s) URL; None when it has neither."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.hostname, port


def wait_listening(url: str, timeout: float) -> float | None:
    """Seconds until ``url``'s host accepted a TCP connection, or None if it did not within
    ``timeout`` seconds (each attempt bounded too)."""
    address = address_of(url)
    if address is None:
        return None
    start = time.monotonic()
    while True:
        left = timeout - (time.monotonic() - start)
        try:
            with socket.create_connection(address, timeout=max(0.1, min(2.0, left))):
                return time.monotonic() - start
        except OSError:
            if left <= POLL:
                return None
            time.sleep(POLL)
