"""The host of a URL, for the checks that decide where load may go.

``urllib.parse`` raises on some malformed URLs (``http://[::1``) instead of returning parts;
budget and scenario files and rendered templates are untrusted, so every caller gets ``None``
for "no usable host" and reports it, never a traceback.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str | None:
    """Lower-case host of an absolute http(s) URL, or None when it has none or is malformed
    (white space and control characters included: urllib strips some of them silently)."""
    if len(url) > 8192 or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host.lower()


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (127.0.0.0/8, ::1, localhost), without DNS."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
