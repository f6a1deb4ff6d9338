"""Unit parsing: explicit units only, canonical numbers out."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peac.model import units


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("500us", 0.0005),
        ("0s", 0.0),
        (" 10s ", 10.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert units.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "bad", ["300", 300, 1.5, True, None, "fast", "10 s", "s", "1m30", "-1s", ""]
)
def test_durations_need_a_unit(bad: object) -> None:
    with pytest.raises(units.UnitError, match="expected a duration"):
        units.parse_duration(bad)


@pytest.mark.parametrize(("text", "rate"), [("100/s", 100.0), ("6000/m", 100.0), ("36/h", 0.01)])
def test_rates(text: str, rate: float) -> None:
    assert units.parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("bad", ["100", 100, "100/d", "/s", "fast/s"])
def test_bad_rates(bad: object) -> None:
    with pytest.raises(units.UnitError, match="expected a rate"):
        units.parse_rate(bad)


def test_percent_and_fraction() -> None:
    assert units.parse_percent("1%") == pytest.approx(0.01)
    assert units.parse_percent("+10%") == pytest.approx(0.10)
    assert units.parse_percent("-5%") == pytest.approx(-0.05)
    assert units.parse_fraction("95%") == pytest.approx(0.95)
    assert units.parse_fraction(0.99) == pytest.approx(0.99)


@pytest.mark.parametrize("bad", ["150%", 1.5, "x", True, math.nan])
def test_bad_fractions(bad: object) -> None:
    with pytest.raises(units.UnitError):
        units.parse_fraction(bad)


def test_sizes() -> None:
    assert units.parse_size("1MiB") == 1024 * 1024
    assert units.parse_size("512KB") == 512_000
    with pytest.raises(units.UnitError):
        units.parse_size("12")


@given(st.floats(min_value=1e-6, max_value=units.MAX_DURATION, allow_nan=False))
def test_formatted_durations_parse_back(seconds: float) -> None:
    text = units.format_duration(seconds)
    assert units.parse_duration(text) == pytest.approx(seconds, rel=1e-3)


@pytest.mark.parametrize(
    "parse",
    [units.parse_duration, units.parse_rate, units.parse_percent, units.parse_size],
    ids=lambda f: f.__name__,
)
@given(st.text(max_size=30))
def test_any_text_either_parses_or_says_what_was_expected(
    parse: Callable[[object], float], text: str
) -> None:
    try:
        parse(text)
    except units.UnitError as exc:
        assert str(exc).startswith("expected ")


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (units.parse_duration, "9" * 400 + "s", "a duration with a unit"),
        (units.parse_duration, "8d", "a duration with a unit"),
        (units.parse_duration, "169h", "at most 168h"),
        (units.parse_duration, "３s", "a duration with a unit"),  # a full-width digit
        (units.parse_rate, "1000000000/s", "at most 1,000,000/s"),
        (units.parse_rate, "٣/s", "a rate like"),  # an Arabic-Indic digit
        (units.parse_size, "9" * 309 + "B", "a size like"),
        (units.parse_size, "65GiB", "at most 64GiB"),
        (units.parse_percent, "1" * 50 + "%", "a percentage like"),
    ],
)
def test_values_out_of_bounds_are_refused(
    parse: Callable[[object], float], text: str, expected: str
) -> None:
    with pytest.raises(units.UnitError, match=expected):
        parse(text)
