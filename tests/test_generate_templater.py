"""The templater: ids become parameters, personal data never stays literal, words stay."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from peac.core.traffic.templater import (
    EMAIL,
    FED,
    GENERATED,
    INT,
    IP,
    TOKEN,
    UUID,
    WORD,
    classify,
    template,
    template_path,
)

words = st.from_regex(r"\A[a-z][a-z_-]{0,15}\Z", fullmatch=True).filter(
    lambda w: classify(w) == WORD
)
ids = st.one_of(
    st.integers(0, 10**12).map(str),
    st.uuids().map(str),
    st.binary(min_size=8, max_size=20).map(lambda b: b.hex() + "0a"),
    st.dates().map(lambda d: d.isoformat()),
)
personal = st.one_of(
    st.emails().map(lambda e: quote(str(e), safe="@")),  # as an e-mail appears in a URL
    st.ip_addresses(v=4).map(str),
    st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=30).map(
        lambda s: s + "9Z1x"
    ),
)
segments = st.lists(st.one_of(words, ids, personal), min_size=1, max_size=8)


def _path(parts: list[str]) -> str:
    return "/" + "/".join(parts)


@given(segments)
def test_templating_is_idempotent(parts: list[str]) -> None:
    shape, _ = template_path(_path(parts))
    assert template_path(shape)[0] == shape


@given(segments)
def test_ids_and_personal_data_never_stay_literal(parts: list[str]) -> None:
    shape, params = template_path(_path(parts))
    kept = shape.split("/")[1:]
    for raw, written in zip(parts, kept, strict=True):
        if classify(raw) != WORD:
            assert written.startswith("{") and written.endswith("}"), (raw, shape)
            assert raw not in shape
    assert len(params) == sum(classify(p) != WORD for p in parts)


@given(segments)
def test_static_segments_are_kept(parts: list[str]) -> None:
    shape, _ = template_path(_path(parts))
    for raw, written in zip(parts, shape.split("/")[1:], strict=True):
        if classify(raw) == WORD:
            assert written == raw


@given(st.lists(st.one_of(words, ids), min_size=1, max_size=6), st.data())
def test_ids_of_the_same_shape_make_one_endpoint(parts: list[str], data: st.DataObject) -> None:
    other = [p if classify(p) == WORD else data.draw(ids) for p in parts]
    assert template_path(_path(parts))[0] == template_path(_path(other))[0]


@given(st.text(max_size=60))
def test_any_text_templates_to_a_safe_path(raw: str) -> None:
    shape, _ = template_path("/" + raw)
    literal = re.sub(r"\{[a-z_][a-z0-9_]*\}", "", shape)
    assert "{" not in literal and "}" not in literal
    assert all(ch.isprintable() and not ch.isspace() for ch in shape)
    assert '"' not in shape and "#" not in shape


def test_kinds() -> None:
    assert classify("8812") == INT
    assert classify(str(uuid.uuid4())) == UUID
    assert classify("jane%40mail.example") == EMAIL
    assert classify("10.1.2.3") == IP
    assert classify("eyJhbGciOiJIUzI1NiJ9abc123") == TOKEN
    assert classify("reviews") == WORD
    assert FED.isdisjoint(GENERATED)


def test_query_values_by_key_and_shape() -> None:
    shaped = template("/api/items/17?page=2&token=abc&email=a%40b.example&q=mug&we%0Aird=1")
    assert shaped.path == "/api/items/{items_id}"
    kinds = {k: v.kind for k, v in shaped.query}
    assert kinds == {"page": INT, "token": TOKEN, "email": EMAIL, "q": WORD}


def test_absolute_targets_lose_their_origin() -> None:
    assert template("http://shop.example.com/api/items/4?x=1").path == "/api/items/{items_id}"
