"""A virtual user's cookie jar, bounded as a browser bounds its own.

A server can set any number of cookies of any size, and every later request carries them all:
900 cookies per response made 2 MB ``Cookie`` headers after 40 requests, so the load measured
was the generator's. Limits follow RFC 6265's section 6.1 (what a user agent should at least
keep): 4096 bytes per cookie, 50 per domain, 3000 in all. Cookies already kept stay (a session
set at login is not pushed out by a flood); the ones over a limit are dropped and counted.
"""

from __future__ import annotations

from http.cookiejar import CookieJar

MAX_COOKIE_BYTES = 4096  # name, value and attributes' worth of one cookie
MAX_PER_DOMAIN = 50
MAX_COOKIES = 3000

Key = tuple[str, str, str]  # (domain, path, name)


def keys(jar: CookieJar) -> set[Key]:
    """The cookies a jar holds, to tell the ones a response adds from those kept before."""
    return {(c.domain, c.path, c.name) for c in jar}


def bound(jar: CookieJar, before: set[Key]) -> int:
    """Drop the cookies a response added over the limits; how many were dropped."""
    cookies = list(jar)
    if len(cookies) == len(before) and all(
        len(c.name) + len(c.value or "") <= MAX_COOKIE_BYTES for c in cookies
    ):
        return 0  # only replaced values, each within the size limit
    per_domain: dict[str, int] = {}
    for cookie in cookies:
        if (cookie.domain, cookie.path, cookie.name) in before:
            per_domain[cookie.domain] = per_domain.get(cookie.domain, 0) + 1
    total = sum(per_domain.values())
    dropped = 0
    for cookie in cookies:
        key = (cookie.domain, cookie.path, cookie.name)
        size = len(cookie.name) + len(cookie.value or "")
        if key in before and size <= MAX_COOKIE_BYTES:
            continue
        if (
            size > MAX_COOKIE_BYTES
            or per_domain.get(cookie.domain, 0) >= MAX_PER_DOMAIN
            or total >= MAX_COOKIES
        ):
            jar.clear(*key)
            dropped += 1
            if key in before:  # an old cookie given an oversized value: no longer counted
                per_domain[cookie.domain] -= 1
                total -= 1
            continue
        per_domain[cookie.domain] = per_domain.get(cookie.domain, 0) + 1
        total += 1
    return dropped
