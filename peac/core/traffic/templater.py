"""Request targets to templates: ``/api/items/8812`` and ``/api/items/17`` are one endpoint,
``/api/items/{items_id}``, with the id as a parameter.

A generated scenario must exercise endpoints as the log did, not replay one user's URLs, and it
must not carry personal data out of a production log. So every path segment and query value is
classified once, by its shape alone (pure, no state): ids (numbers, UUIDs, hex hashes, dates)
become parameters fed from the values seen; personal data (e-mail addresses, IP addresses,
tokens and other long random strings) become parameters whose values are generated, never
written. What is left is a literal word, percent-encoded so that it can hold no template syntax,
no control character and no YAML-breaking text.

Placeholders are named after the segment before them (``{items_id}``), never after the kind of
value, so that a generated value (a random token) templates back to the same endpoint as the
value it replaced: the fidelity check relies on it. A segment already written as a placeholder
(``{name}``) is kept, which makes templating idempotent.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

# Kinds of values. FED values are written to the data file next to the scenario; GENERATED ones
# (personal data) never leave the log: the scenario makes up values of the same shape.
INT, UUID, HEX, DATE = "int", "uuid", "hex", "date"
EMAIL, IP, TOKEN, OPAQUE = "email", "ip", "token", "opaque"
WORD = "word"  # a literal: kept as it is (path) or fed when common enough (query)
FED = frozenset({INT, UUID, HEX, DATE})
GENERATED = frozenset({EMAIL, IP, TOKEN, OPAQUE})

MAX_SEGMENTS = 32  # segments of a path kept; the rest of a longer path is one parameter
MAX_WORD = 64  # a longer literal is not a word a developer wrote: it is opaque data

_INT = re.compile(r"^[0-9]+$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_HEX = re.compile(r"^(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}$")
_DATE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
# Long strings of mixed letters and digits (session ids, API keys, signed JWTs): random by
# construction, so personal or secret, never a word of the API.
_TOKEN = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_\-.~+/=]{16,}$")
_NUMBERED = re.compile(r"[0-9]{4,}")  # a word with a long number in it: an id in disguise
# Shorter random strings (an invite code, a reset token in a path): letters and at least two
# digits mixed through them, not a word with a version or a count at its end ("page12", "v2").
_SHORT_TOKEN = re.compile(r"^(?=(?:.*[0-9]){2})(?=.*[A-Za-z])[A-Za-z0-9_\-]{6,15}$")
_WORD_AND_NUMBER = re.compile(r"^[A-Za-z_\-]+[0-9]{1,3}$|^[vV][0-9][A-Za-z0-9.]*$")
# The words of a key (``X-Hub-Access``, ``userPin``, ``new_passcode``), for matching by word.
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_PLACEHOLDER = re.compile(r"^\{([a-z_][a-z0-9_]{0,63})\}((?:\.[A-Za-z][A-Za-z0-9]{0,7})?)$")
# An id with a format suffix (``1234.json``, ``8812.csv``): the id is the parameter, the
# suffix a literal the service needs (datasette, Rails, many REST APIs).
_SUFFIXED = re.compile(r"^(.+)\.([A-Za-z][A-Za-z0-9]{0,7})$")
_NAME_CHARS = re.compile(r"[^a-z0-9]+")
# Characters a literal segment keeps as they are; anything else is percent-encoded.
_SAFE = "-._~!$&'()*+,;=:@%"
_SENSITIVE_KEYS = re.compile(
    r"(?i)(token|secret|passw|pwd|passwd|api[_-]?key|apikey|^key$|auth|session|^sid$|sig|"
    r"signature|^code$|email|mail|phone|^ssn$|card|account|user(name)?$|login)"
)


@dataclass(frozen=True, slots=True)
class Value:
    """One parameter of a templated target, with the value it had in this request."""

    name: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Templated:
    """A request target as a template (``/api/items/{items_id}``) and its parameters' values."""

    path: str
    params: tuple[Value, ...]
    query: tuple[tuple[str, Value], ...]  # (key, value) in the order sent


def classify(raw: str) -> str:
    """The kind of one path segment or query value, from its shape."""
    text = unquote(raw)
    if _INT.match(text):
        return INT
    if _UUID.match(text):
        return UUID
    if _DATE.match(text):
        return DATE
    if _EMAIL.match(text):
        return EMAIL
    if _is_ip(text):
        return IP
    if _HEX.match(text):
        return HEX
    if _TOKEN.match(text) or (_SHORT_TOKEN.match(text) and not _WORD_AND_NUMBER.match(text)):
        return TOKEN
    if len(text) > MAX_WORD or _NUMBERED.search(text) or not text.isprintable():
        return OPAQUE
    return WORD


def _is_ip(text: str) -> bool:
    if not (text[:1].isdigit() or ":" in text) or len(text) > 45:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def literal(raw: str) -> str:
    """A literal segment as written: percent-encoded except for the characters that are safe in
    a path, so that it holds no ``{``, ``}``, ``#``, quote, space or control character."""
    encoded = quote(raw, safe=_SAFE)
    # A "%" not starting an escape is encoded too, so the literal decodes to the raw text.
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", encoded)


def _name(previous: str, taken: set[str]) -> str:
    base = _NAME_CHARS.sub("_", unquote(previous).lower()).strip("_")[:24] or "p"
    if base[0].isdigit():
        base = "p_" + base
    name = f"{base}_id"
    n = 2
    while name in taken:
        name = f"{base}_id{n}"
        n += 1
    taken.add(name)
    return name


def template_path(path: str) -> tuple[str, tuple[Value, ...]]:
    """The path as a template and the values of its parameters, in order."""
    segments = path.split("/")
    if len(segments) > MAX_SEGMENTS:
        segments = [*segments[: MAX_SEGMENTS - 1], "/".join(segments[MAX_SEGMENTS - 1 :])]
    out: list[str] = []
    params: list[Value] = []
    taken: set[str] = set()
    previous = ""
    for index, segment in enumerate(segments):
        if not segment:
            out.append("")
            continue
        placeholder = _PLACEHOLDER.match(segment)
        if placeholder:
            taken.add(placeholder.group(1))
            out.append(segment)
            params.append(Value(placeholder.group(1), OPAQUE, ""))
            previous = placeholder.group(1)
            continue
        suffixed = _SUFFIXED.match(segment) if "/" not in segment else None
        if suffixed and classify(suffixed.group(1)) in FED:
            name = _name(previous, taken)
            out.append("{" + name + "}." + suffixed.group(2))
            params.append(Value(name, classify(suffixed.group(1)), unquote(suffixed.group(1))))
            continue
        kind = OPAQUE if "/" in segment else classify(segment)
        if kind == WORD and not (index == len(segments) - 1 and "." in segment):
            out.append(literal(segment))
            previous = segment
            continue
        if kind == WORD:  # a file name: kept, but its name must still be a word
            out.append(literal(segment))
            continue
        name = _name(previous, taken)
        out.append("{" + name + "}")
        params.append(Value(name, kind, unquote(segment)))
    return "/".join(out) or "/", tuple(params)


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: ``X-Hub-Access`` -> x, hub, access; ``userPIN`` -> user,
    pin."""
    return [w.lower() for w in _KEY_WORDS.findall(key[:128])]


# Words that name a credential wherever they stand in a key (``pin``, ``x-pass``, ``key``).
CREDENTIAL_WORDS = frozenset(
    {"pass", "passwd", "password", "passwort", "pw", "pwd", "pin", "passphrase", "passcode",
     "key", "apikey", "secret", "credential", "credentials", "private", "privatekey"}
)  # fmt: skip


def names_credential(key: str) -> bool:
    """Whether a key names a credential, by word (``pin``, ``X-Key``) or inside a longer word
    (``mypassword``, ``clientsecret``)."""
    return bool(_CREDENTIAL_SUBSTRING.search(key)) or any(
        w in CREDENTIAL_WORDS for w in key_words(key)
    )


_CREDENTIAL_SUBSTRING = re.compile(
    r"(?i)(passw|passphrase|passcode|pwd|secret|api[_-]?key|apikey|credential|private|"
    r"(access|signing|client|master|auth)[_-]?key)"
)


def query_kind(key: str, raw: str) -> str:
    """The kind of a query value; a value under a key that names a secret or personal data
    (``token``, ``email``, ``password``...) is generated whatever it looks like."""
    kind = classify(raw)
    if (_SENSITIVE_KEYS.search(key) or names_credential(key)) and kind not in FED | GENERATED:
        return TOKEN
    return kind


_KEY = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


def valid_key(key: str) -> bool:
    """Whether a query key can be written as it is (others are dropped and counted)."""
    return bool(_KEY.match(key))


def split_target(target: str) -> tuple[str, str]:
    """Path and query of a request target; an absolute URL (a proxy's log) loses its origin."""
    text = target
    if "://" in text[:12]:
        after = text.split("://", 1)[1]
        slash = after.find("/")
        text = after[slash:] if slash >= 0 else "/"
    text = text.split("#", 1)[0]
    path, _, query = text.partition("?")
    return path or "/", query


def template(target: str) -> Templated:
    """A request target (path and query) as a template with its values."""
    path, query = split_target(target)
    shape, params = template_path(path)
    pairs: list[tuple[str, Value]] = []
    if query:
        for part in query.split("&"):
            if not part:
                continue
            key_raw, _, value = part.partition("=")
            key = unquote(key_raw.replace("+", " "))
            if not valid_key(key):
                continue
            decoded = unquote(value.replace("+", " "))  # form encoding: "+" is a space
            pairs.append((key, Value(key, query_kind(key, decoded), decoded)))
    return Templated(shape, params, tuple(pairs))


def origin_host(target: str) -> str:
    """The host of an absolute-URL request target (a proxy's log line), else ''."""
    if "://" not in target[:12]:
        return ""
    after = target.split("://", 1)[1]
    return after.split("/", 1)[0].split("?", 1)[0]
