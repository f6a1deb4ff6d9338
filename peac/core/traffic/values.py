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

from peac.core.traffic.design import generated
from peac.core.traffic.templater import EMAIL, FED, GENERATED, IP, OPAQUE, TOKEN, WORD, classify

# A "{" starts every Jinja delimiter ({{, {%, {#): written as an expression that renders it.
_OPEN = '{{ "{" }}'
_EMAIL_IN = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24}")
_IPV4_IN = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")
_TOKEN_IN = re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-.~+/=]*[0-9])"
                       r"(?=[A-Za-z0-9_\-.~+/=]*[A-Za-z])[A-Za-z0-9_\-.~+/=]{16,}")  # fmt: skip
# Keys whose values are credentials: a test account's, read from the environment.
_CREDENTIAL = re.compile(r"(?i)(passw|pwd|secret|api[_-]?key|apikey|credential|private)")
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


def scrub(text: str) -> str:
    """Free text as a template: e-mail and IP addresses and tokens inside it replaced by
    generated values of the same shape, the rest rendering as it was."""
    found: list[tuple[int, int, str]] = []
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
        out.append(generated(kind))
        last = end
    out.append(literal_text(text[last:]))
    return "".join(out)


def secret_kind(key: str) -> str:
    """``credential`` (a password, an API key), ``account`` (a user name or login), ``private``
    (a session id, a token, a phone number) or '' for the value of a field named ``key``."""
    if _CREDENTIAL.search(key):
        return "credential"
    if _ACCOUNT.match(key):
        return "account"
    if _PRIVATE.search(key):
        return "private"
    return ""


def safe_value(key: str, value: str) -> str:
    """A recorded string value under ``key`` as a template that carries no personal data: an
    id or a word as it was, personal data by shape or by key generated, free text scrubbed.
    (Credentials are the caller's: they become secrets, not values.)"""
    kind = classify(value) if value else WORD
    if kind in GENERATED and kind != OPAQUE:
        return generated(kind)
    if secret_kind(key) == "private":
        return generated(TOKEN)
    if kind in FED:
        return literal_text(value)
    return scrub(value)  # words and free text (OPAQUE: long or numbered), personal parts out
