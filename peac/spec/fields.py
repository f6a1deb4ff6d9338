"""Building blocks shared by the models: strict base model, unit-bearing fields, named choices.

Unit fields parse once into canonical numbers (seconds, per-second rates, fractions) and publish
themselves in the JSON Schema as strings with a pattern, so editors check them as they are typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

from peac.model import units


class StrictModel(BaseModel):
    """Unknown keys are errors and YAML strings are never silently coerced into numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _wrap(parse: Callable[[object], float], kind: str, positive: bool) -> Callable[[Any], float]:
    def validate(value: Any) -> float:
        try:
            number = parse(value)
        except units.UnitError as exc:
            raise PydanticCustomError(kind, str(exc)) from None
        if positive and number <= 0:
            raise PydanticCustomError(kind, f"expected a {kind} greater than zero")
        return number

    return validate


DURATION_PATTERN = r"^\s*([0-9]+(\.[0-9]+)?(us|µs|ms|s|m|h))+\s*$"
RATE_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*/\s*(s|m|h)\s*$"
PERCENT_PATTERN = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*%\s*$"
SIZE_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|KiB|MB|MiB|GB|GiB)\s*$"


def _schema(pattern: str, example: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "examples": [example], "description": description}
    )


Duration = Annotated[
    float,
    BeforeValidator(_wrap(units.parse_duration, "duration", positive=False)),
    _schema(DURATION_PATTERN, "300ms", "A duration with a unit: us, ms, s, m, h."),
]
PositiveDuration = Annotated[
    float,
    BeforeValidator(_wrap(units.parse_duration, "duration", positive=True)),
    _schema(DURATION_PATTERN, "30s", "A duration greater than zero, with a unit: us, ms, s, m, h."),
]
Rate = Annotated[
    float,
    BeforeValidator(_wrap(units.parse_rate, "rate", positive=False)),
    _schema(RATE_PATTERN, "100/s", "A rate per second, minute or hour."),
]
PositiveRate = Annotated[
    float,
    BeforeValidator(_wrap(units.parse_rate, "rate", positive=True)),
    _schema(RATE_PATTERN, "100/s", "A rate greater than zero, per second, minute or hour."),
]
Percent = Annotated[
    float,
    BeforeValidator(_wrap(units.parse_percent, "percentage", positive=False)),
    _schema(PERCENT_PATTERN, "5%", "A percentage."),
]


def _fraction(value: Any) -> float:
    try:
        return units.parse_fraction(value)
    except units.UnitError as exc:
        raise PydanticCustomError("fraction", str(exc)) from None


Fraction = Annotated[
    float,
    BeforeValidator(_fraction),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": PERCENT_PATTERN},
                {"type": "number", "minimum": 0, "maximum": 1},
            ],
            "examples": ["95%"],
        }
    ),
]


def _size(value: Any) -> int:
    try:
        return units.parse_size(value)
    except units.UnitError as exc:
        raise PydanticCustomError("size", str(exc)) from None


Size = Annotated[int, BeforeValidator(_size), _schema(SIZE_PATTERN, "10MiB", "A size in bytes.")]


def _positive(kind: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value <= 0:
            raise PydanticCustomError("positive", f"expected {kind} greater than zero")
        return value

    return check


def _at_most(limit: int, what: str) -> Callable[[int], int]:
    def check(value: int) -> int:
        if value > limit:
            raise PydanticCustomError("too_large", f"expected at most {limit:,} {what}")
        return value

    return check


MAX_COUNT = 10**9  # iterations, windows: more would never finish
MAX_VUS = 100_000  # virtual users of one scenario, over all shards

PositiveInt = Annotated[
    int,
    AfterValidator(_positive("a whole number")),
    AfterValidator(_at_most(MAX_COUNT, "")),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_COUNT}),
]
NonNegativeInt = Annotated[
    int,
    AfterValidator(_at_most(MAX_COUNT, "")),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_COUNT}),
]
VuCount = Annotated[
    int,
    AfterValidator(_positive("a number of VUs")),
    AfterValidator(_at_most(MAX_VUS, "VUs")),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_VUS}),
]
VuTarget = Annotated[
    int,
    AfterValidator(_at_most(MAX_VUS, "VUs")),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_VUS}),
]
PositiveFloat = Annotated[
    float,
    AfterValidator(_positive("a number")),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _identifier(value: str) -> str:
    if not _IDENT.match(value):
        raise PydanticCustomError(
            "identifier",
            "expected a variable name of letters, digits and _ (not starting with a digit)",
        )
    return value


Identifier = Annotated[
    str, AfterValidator(_identifier), WithJsonSchema({"type": "string", "pattern": _IDENT.pattern})
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/:-]{0,79}$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise PydanticCustomError(
            "name",
            "expected a name of 1-80 letters, digits, spaces and . _ / : - "
            "(starting with a letter or digit)",
        )
    return value


Name = Annotated[
    str, AfterValidator(_name), WithJsonSchema({"type": "string", "pattern": _NAME.pattern})
]

Scalar = str | int | float | bool


class Metadata(StrictModel):
    """Who a document is: its name is how other files, results and reports refer to it."""

    name: Name
    description: str | None = None
    labels: dict[str, str] = {}
