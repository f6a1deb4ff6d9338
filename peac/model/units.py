"""Units written in budget and scenario files, parsed once into canonical numbers.

Canonical forms: durations in seconds, rates in events per second, percentages as fractions
(``2%`` -> 0.02), sizes in bytes. A bare number is refused where a unit is required: ``300`` could
mean milliseconds or seconds, and a silent guess is how budgets drift.
"""

from __future__ import annotations

import math
import re

_DURATION_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# ASCII digits only: Python's \d also matches "３" and "٣", which the JSON Schema refuses.
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(us|µs|ms|s|m|h)")
_RATE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*/\s*(s|m|h)$")
_RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_PERCENT = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]+)?)\s*%$")
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)$")
MAX_TEXT = 40  # characters of a value with a unit
MAX_DURATION = 7 * 24 * 3600.0  # a week: longer is a typo, and would run unattended
MAX_RATE = 1_000_000.0  # per second, over all shards
MAX_SIZE = 64 * 1024**3
_SIZE_UNITS = {
    "B": 1,
    "KB": 1000,
    "KiB": 1024,
    "MB": 1000**2,
    "MiB": 1024**2,
    "GB": 1000**3,
    "GiB": 1024**3,
}

DURATION_EXAMPLE = '"300ms", "1.5s", "2m" or "1m30s"'
RATE_EXAMPLE = '"100/s" or "6000/m"'
PERCENT_EXAMPLE = '"1%" or "0.5%"'
SIZE_EXAMPLE = '"1MiB" or "512KB"'


class UnitError(ValueError):
    """A value that is not in the expected unit; the message says what was expected."""


def _match(pattern: re.Pattern[str], value: object) -> re.Match[str] | None:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return None
    return pattern.match(value.strip())


def parse_duration(value: object) -> float:
    """Seconds from ``"250ms"``, ``"1.5s"``, ``"2m"``, ``"1h30m"``; numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, str) or len(value) > MAX_TEXT:
        raise UnitError(f"expected a duration with a unit like {DURATION_EXAMPLE}")
    text = value.strip()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise UnitError(f"expected a duration with a unit like {DURATION_EXAMPLE}")
    if not total <= MAX_DURATION:
        raise UnitError(f"expected a duration of at most {format_duration(MAX_DURATION)}")
    return total


def parse_rate(value: object) -> float:
    """Events per second from ``"100/s"``, ``"6000/m"``, ``"10/h"``."""
    if match := _match(_RATE, value):
        rate = float(match.group(1)) / _RATE_UNITS[match.group(2)]
        if not rate <= MAX_RATE:
            raise UnitError(f"expected a rate of at most {MAX_RATE:,.0f}/s")
        return rate
    raise UnitError(f"expected a rate like {RATE_EXAMPLE}")


def parse_percent(value: object) -> float:
    """A fraction from ``"1%"`` or ``"+10%"`` (the sign is kept)."""
    if (
        isinstance(value, str)
        and len(value) <= MAX_TEXT
        and (match := _PERCENT.match(value.strip()))
    ):
        return float(match.group(1)) / 100.0
    raise UnitError(f"expected a percentage like {PERCENT_EXAMPLE}")


def parse_fraction(value: object) -> float:
    """A probability from ``"95%"`` or a plain number in [0, 1] such as ``0.95``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = parse_percent(value)
        except UnitError:
            raise UnitError('expected a fraction like "95%" or 0.95') from None
    if not (0.0 <= number <= 1.0) or math.isnan(number):
        raise UnitError('expected a fraction between 0% and 100% (0 to 1), like "95%"')
    return number


def parse_size(value: object) -> int:
    """Bytes from ``"1MiB"``, ``"512KB"``, ``"100B"``."""
    if match := _match(_SIZE, value):
        size = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
        if not size <= MAX_SIZE:
            raise UnitError("expected a size of at most 64GiB")
        return int(size)
    raise UnitError(f"expected a size like {SIZE_EXAMPLE}")


def _plain(number: float) -> str:
    """A number without exponent notation or trailing zeros: ``1000000``, ``1.5``."""
    return f"{number:.3f}".rstrip("0").rstrip(".")


def format_duration(seconds: float) -> str:
    """The shortest readable spelling of a duration, as a user would write it."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{_plain(seconds / 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{_plain(seconds / 60)}m"
    if seconds >= 1:
        return f"{_plain(seconds)}s"
    if seconds >= 1e-3:
        return f"{_plain(seconds * 1e3)}ms"
    return f"{_plain(seconds * 1e6)}us"


def _decimal(number: float) -> str:
    """A number as a plain decimal, without exponent or floating-point tails (``320``, not
    ``320.00000000000006``)."""
    return f"{number:.9f}".rstrip("0").rstrip(".") or "0"


def limit_text(value: float, unit: str) -> str | int:
    """A canonical limit as a budget writes it: ``320ms``, ``1.3s``, ``1.5%``, ``95/s``, or a
    whole number for counts (parsed back to the same value by the compiler)."""
    if unit == "duration":
        if value >= 1.0:
            return f"{_decimal(value)}s"
        if value >= 1e-3:
            return f"{_decimal(value * 1e3)}ms"
        return f"{_decimal(value * 1e6)}us"
    if unit == "percent":
        return f"{_decimal(value * 100)}%"
    if unit == "rate":
        return f"{_decimal(value)}/s"
    return round(value)


def written(value: float, unit: str) -> str:
    """A canonical value spelled as a budget writes it (``300ms``, ``1%``, ``40/s``, ``10``):
    ``limit_text`` as text, for messages."""
    return str(limit_text(value, unit))


def show(value: float | None, unit: str) -> str:
    """A canonical value as people read it in its unit: ``74.3 ms``, ``1.20%``, ``98.5/s``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "duration":
        if 0 < value < 1e-4:
            return f"{value * 1e6:.1f} µs"
        if value < 1e-3:
            return f"{value * 1e3:.2f} ms"
        if value < 1.0:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "percent":
        return f"{value * 100:.2f}%"
    if unit == "rate":
        return f"{value:.1f}/s"
    return f"{value:g}"
