"""Recorded or documented values as a scenario may hold them: never as templates, never as
personal data, never as credentials.

Every string of a step (path, query, headers, JSON body, raw body) is a Jinja template when the
runner sends it, so a value copied from a HAR file or an API description that holds ``{{`` would
run as code; ``literal_text`` writes it so that it renders to itself. Personal data inside free
text (an e-mail address in a comment field, a token inside a longer string) is found by shape
and replaced by a generated value of the same shape (``scrub``); credentials are not values at
all but ``secrets:`` references read from the environment (``secret_kind``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from peac.core.traffic.design import generated
from peac.core.traffic.templater import (
    EMAIL,
    FED,
    GENERATED,
    IP,
    OPAQUE,
    TOKEN,
    WORD,
    classify,
    names_credential,
)

# A "{" starts every Jinja delimiter ({{, {%, {#): written as an expression that renders it.
_OPEN = '{{ "{" }}'
_EMAIL_IN = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24}")
_IPV4_IN = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")
_TOKEN_IN = re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-.~+/=]*[0-9])"
                       r"(?=[A-Za-z0-9_\-.~+/=]*[A-Za-z])[A-Za-z0-9_\-.~+/=]{16,}")  # fmt: skip
# ``password: "hunter2"``, ``pin=1234``, ``"passcode": "x"`` inside free text (a GraphQL
# query, a text body): a key, then ``:`` or ``=``, then a quoted or bare value.
_ASSIGNED = re.compile(
    r"""(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_\-]{0,40})(["']?)\s{0,4}[:=]\s{0,4}"""
    r"""(?:\\?"((?:[^"\\]|\\.){0,256}?)\\?"|'([^'\n]{0,256})'|([^\s,;&)}\]"'<>]{1,256}))"""
)
_ACCOUNT = re.compile(r"(?i)^(user(name)?|login|email|e-mail|mail|account)$")
# Keys whose values are personal or one-time (session ids, CSRF tokens, signatures, phone
# numbers): generated, of the same shape.
_PRIVATE = re.compile(
    r"(?i)(token|session|^sid$|auth|sig|signature|^code$|nonce|csrf|xsrf|otp|phone|mobile|"
    r"^ssn$|card|iban|address|birth|firstname|lastname|first_name|last_name|^name$|fullname)"
)
MAX_TEXT = 64 * 1024  # characters of one recorded body kept


def literal_text(text: str) -> str:
    """``text`` as a template that renders exactly ``text``: every ``{`` escaped."""
    return text.replace("{", _OPEN)


SHAPE_NAMES = {EMAIL: "e-mail address", IP: "IP address", TOKEN: "token"}


def scrub(
    text: str,
    secret: Callable[[str], str] | None = None,
    seen: Counter[str] | None = None,
) -> str:
    """Free text as a template: a credential assigned inside it (``password: "..."``) made
    ``secret(key)`` (a generated token without ``secret``), e-mail and IP addresses and tokens
    replaced by generated values of the same shape, the rest rendering as it was. ``seen``
    counts what was replaced, for the report."""
    found: list[tuple[int, int, str]] = []
    for match in _ASSIGNED.finditer(text):
        if not names_credential(match.group(1)):
            continue
        group = next(g for g in (3, 4, 5) if match.group(g) is not None)
        if match.start(group) < match.end(group):
            found.append((match.start(group), match.end(group), "=" + match.group(1)))
    for pattern, kind in ((_EMAIL_IN, EMAIL), (_IPV4_IN, IP), (_TOKEN_IN, TOKEN)):
        for match in pattern.finditer(text):
            if kind == IP and classify(match.group()) != IP:
                continue
            if not any(s < match.end() and match.start() < e for s, e, _ in found):
                found.append((match.start(), match.end(), kind))
    out: list[str] = []
    last = 0
    for start, end, kind in sorted(found):
        out.append(literal_text(text[last:start]))
        if kind.startswith("="):
            key = kind[1:]
            out.append(secret(key) if secret is not None else generated(TOKEN))
            if seen is not None:
                seen[f"{key} (a credential inside text)"] += 1
        else:
            out.append(generated(kind))
            if seen is not None:
                seen[f"{SHAPE_NAMES[kind]} (by shape, inside text)"] += 1
        last = end
    out.append(literal_text(text[last:]))
    return "".join(out)


def secret_kind(key: str) -> str:
    """``credential`` (a password, an API key), ``account`` (a user name or login), ``private``
    (a session id, a token, a phone number) or '' for the value of a field named ``key``."""
    if names_credential(key):
        return "credential"
    if _ACCOUNT.match(key):
        return "account"
    if _PRIVATE.search(key):
        return "private"
    return ""


def safe_value(
    key: str,
    value: str,
    secret: Callable[[str], str] | None = None,
    seen: Counter[str] | None = None,
) -> str:
    """A recorded string value under ``key`` as a template that carries no personal data: an
    id or a word as it was, personal data by shape or by key generated, free text scrubbed
    (``secret`` and ``seen`` as for ``scrub``). (Credentials named by their key are the
    caller's: they become secrets, not values.)"""
    kind = classify(value) if value else WORD
    if kind in GENERATED and kind != OPAQUE:
        if seen is not None:
            seen[f"{SHAPE_NAMES[kind]} (by shape)"] += 1
        return generated(kind)
    if secret_kind(key) == "private":
        if seen is not None:
            seen[f"{key[:40]} (by name)"] += 1
        return generated(TOKEN)
    if kind in FED:
        return literal_text(value)
    return scrub(value, secret, seen)  # words and free text (OPAQUE: long or numbered)
