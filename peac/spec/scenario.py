"""The Scenario kind: where load goes, how it arrives, and what each virtual user does."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from peac.spec.fields import (
    DURATION_PATTERN,
    Duration,
    Identifier,
    Metadata,
    Name,
    PositiveDuration,
    PositiveFloat,
    PositiveInt,
    PositiveRate,
    Rate,
    Scalar,
    Size,
    StrictModel,
    VuCount,
    VuTarget,
)


def _exactly_one(model: StrictModel, fields: tuple[str, ...], what: str) -> None:
    """One of several mutually exclusive keys must be present; names are the YAML keys."""
    shown = [f.rstrip("_") for f in fields]
    present = [s for f, s in zip(fields, shown, strict=True) if getattr(model, f) is not None]
    if len(present) != 1:
        listed = ", ".join(f'"{s}"' for s in shown)
        found = ", ".join(f'"{s}"' for s in present) if present else "none"
        raise PydanticCustomError(
            "exactly_one", f"expected exactly one of {listed} in {what}, found {found}"
        )


class Target(StrictModel):
    """The service under test. Load may only go to ``allowed_hosts`` (default: base_url's host)."""

    base_url: str = Field(
        description="Absolute http(s) URL that relative step paths are joined to."
    )
    allowed_hosts: list[str] = Field(
        default=[], description="Host names load may be sent to; base_url's host is always allowed."
    )
    ca: str | None = Field(
        default=None,
        description=(
            "PEM file of certificate authorities to trust for https, besides the system's "
            "(a test or internal CA), relative to this scenario file. Certificates are "
            "always verified."
        ),
    )


class _Executor(StrictModel):
    graceful_stop: Duration = Field(
        default=30.0, description="How long in-flight iterations may finish after the end."
    )


class VuStage(StrictModel):
    duration: PositiveDuration
    target: VuTarget = Field(description="Number of VUs reached at the end of the stage.")


class RateStage(StrictModel):
    duration: PositiveDuration
    target: Rate = Field(description="Arrival rate reached at the end of the stage.")


class ConstantVus(_Executor):
    """Closed model: a fixed number of VUs loop over flows for a duration."""

    executor: Literal["constant-vus"]
    vus: VuCount
    duration: PositiveDuration


class RampingVus(_Executor):
    """Closed model: the number of VUs follows linear stages."""

    executor: Literal["ramping-vus"]
    start_vus: VuTarget = 0
    stages: list[VuStage] = Field(min_length=1)
    graceful_ramp_down: Duration = 30.0


class PerVuIterations(_Executor):
    """Closed model: each VU runs the same number of iterations."""

    executor: Literal["per-vu-iterations"]
    vus: VuCount
    iterations: PositiveInt
    max_duration: PositiveDuration = 600.0


class SharedIterations(_Executor):
    """Closed model: VUs share a fixed total of iterations."""

    executor: Literal["shared-iterations"]
    vus: VuCount
    iterations: PositiveInt
    max_duration: PositiveDuration = 600.0


class _OpenModel(_Executor):
    max_wait: Duration = Field(
        default=0.0,
        description="How long an arrival may wait for a free VU when max_vus are busy before it "
        "is dropped (0: dropped at once). The wait counts into latency, not into service time.",
    )


class ConstantArrivalRate(_OpenModel):
    """Open model: iterations start at a fixed rate whatever the response times are."""

    executor: Literal["constant-arrival-rate"]
    rate: PositiveRate
    duration: PositiveDuration
    max_vus: VuCount = Field(
        default=100, description="Cap on in-flight iterations; arrivals beyond it are dropped."
    )


class RampingArrivalRate(_OpenModel):
    """Open model: the arrival rate follows linear stages."""

    executor: Literal["ramping-arrival-rate"]
    start_rate: Rate = 0.0
    stages: list[RateStage] = Field(min_length=1)
    max_vus: VuCount = 100


class Spike(_OpenModel):
    """Open model preset: a steady base rate, a sudden jump to the peak, and the recovery."""

    executor: Literal["spike"]
    base_rate: Rate
    peak_rate: PositiveRate
    before: PositiveDuration = Field(default=30.0, description="Time at the base rate first.")
    ramp: PositiveDuration = Field(default=1.0, description="Time to jump to the peak.")
    hold: PositiveDuration = Field(default=10.0, description="Time held at the peak.")
    after: PositiveDuration = Field(default=30.0, description="Recovery time at the base rate.")
    max_vus: VuCount = 500


class Stress(_OpenModel):
    """Open model preset: from ``start_rate``, add ``step_rate`` per step up to ``max_rate``."""

    executor: Literal["stress"]
    start_rate: PositiveRate
    step_rate: PositiveRate
    step_duration: PositiveDuration = 60.0
    max_rate: PositiveRate
    max_vus: VuCount = 1000


Load = Annotated[
    ConstantVus
    | RampingVus
    | PerVuIterations
    | SharedIterations
    | ConstantArrivalRate
    | RampingArrivalRate
    | Spike
    | Stress,
    Field(discriminator="executor"),
]


class ThinkTime(StrictModel):
    """Pause after a step: constant, uniform between two durations, or exponential with a mean."""

    constant: Duration | None = None
    uniform: list[Duration] | None = Field(
        default=None, min_length=2, max_length=2, description="[shortest, longest]"
    )
    exponential: PositiveDuration | None = Field(default=None, description="Mean of the pause.")

    @model_validator(mode="after")
    def _one(self) -> ThinkTime:
        _exactly_one(self, ("constant", "uniform", "exponential"), "think")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise PydanticCustomError(
                "uniform_order", "expected uniform: [shorter, longer], found the longer first"
            )
        return self


def _think_shorthand(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A bare number has no unit: say which forms are accepted instead of "a mapping".
        raise PydanticCustomError(
            "think_form",
            'expected a duration with its unit such as "500ms" or "2s", '
            "or {uniform: [500ms, 2s]}, or {exponential: 1s}",
        )
    return {"constant": value} if isinstance(value, str) else value


_DurationText = Annotated[
    str, WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["1s"]})
]
Think = Annotated[
    ThinkTime,
    BeforeValidator(_think_shorthand, json_schema_input_type=_DurationText | ThinkTime),
]


class JsonCheck(StrictModel):
    path: str = Field(description="JMESPath expression into the response JSON, e.g. items[0].id.")
    exists: bool | None = None
    equals: Any = None
    matches: str | None = Field(
        default=None, description="Regular expression the value must match."
    )


class BodyCheck(StrictModel):
    contains: str | None = None
    not_contains: str | None = None
    matches: str | None = None


class HeaderCheck(StrictModel):
    name: str
    equals: str | None = None
    matches: str | None = None


class LatencyCheck(StrictModel):
    max: PositiveDuration


StatusSpec = int | list[int] | str


class Check(StrictModel):
    """One assertion on a response; failed checks count into the check pass rate."""

    name: str | None = None
    status: StatusSpec | None = Field(
        default=None, description='A status (200), a list ([200, 201]) or a class ("2xx").'
    )
    json_: JsonCheck | None = Field(default=None, alias="json")
    body: BodyCheck | None = None
    header: HeaderCheck | None = None
    latency: LatencyCheck | None = None

    @model_validator(mode="after")
    def _one(self) -> Check:
        _exactly_one(self, ("status", "json_", "body", "header", "latency"), "a check")
        return self


class Capture(StrictModel):
    """Extracts a value from a response into a variable for later steps of the same VU."""

    json_: str | None = Field(
        default=None, alias="json", description="JMESPath into the JSON body."
    )
    header: str | None = None
    regex: str | None = Field(default=None, description="Regular expression with one group.")
    default: Scalar | None = Field(default=None, description="Value used when nothing matched.")

    @model_validator(mode="after")
    def _one(self) -> Capture:
        _exactly_one(self, ("json_", "header", "regex"), "a capture")
        return self


Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


# A header's name is an HTTP token; its value may hold no CR, LF or NUL (which would end the
# header and smuggle text into the request). Templated values are checked again when rendered.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
_UNSAFE = re.compile(r"[\r\n\x00]")


def _header_name(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise PydanticCustomError(
            "header_name",
            "expected a header name (letters, digits and !#$%&'*+.^_`|~-, at most 256)",
        )
    return value


def _header_value(value: str) -> str:
    if _UNSAFE.search(value):
        raise PydanticCustomError(
            "header_value",
            "expected a header value without CR, LF or NUL (they would end the header)",
        )
    if len(value) > 16384:
        raise PydanticCustomError("header_value", "expected a header value of at most 16384 chars")
    return value


HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, AfterValidator(_header_value)]


class Step(StrictModel):
    """One HTTP request. Its name groups the metrics that budgets judge."""

    name: Name | None = Field(default=None, description='Defaults to "METHOD path".')
    method: Method = "GET"
    path: str | None = Field(default=None, description="Path joined to target.base_url; templated.")
    url: str | None = Field(default=None, description="Absolute URL; its host must be allowed.")
    query: dict[str, Scalar] = {}
    headers: dict[HeaderName, HeaderValue] = {}
    json_: Any = Field(default=None, alias="json", description="JSON body; strings are templated.")
    body: str | None = Field(default=None, description="Raw body; templated.")
    timeout: PositiveDuration | None = None
    think: Think | None = None
    checks: list[Check] = []
    capture: dict[Identifier, Capture] = {}

    @model_validator(mode="after")
    def _shape(self) -> Step:
        _exactly_one(self, ("path", "url"), "a step")
        if self.json_ is not None and self.body is not None:
            raise PydanticCustomError(
                "exclusive", 'expected either "json" or "body" in a step, found both'
            )
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.method} {self.path or self.url}"


class Flow(StrictModel):
    """A sequence of steps a VU runs in one iteration; flows are chosen by weight."""

    name: Name
    weight: PositiveFloat = 1.0
    steps: list[Step] = Field(min_length=1)


class Feeder(StrictModel):
    file: str = Field(description="CSV file with a header row, relative to this scenario file.")
    order: Literal["sequential", "random"] = "sequential"


class Data(StrictModel):
    vars: dict[Identifier, Any] = {}
    feeders: dict[Identifier, Feeder] = {}


class Secret(StrictModel):
    env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Environment variable to read."
    )


class Defaults(StrictModel):
    timeout: PositiveDuration = 10.0
    connect_timeout: PositiveDuration = 5.0
    headers: dict[HeaderName, HeaderValue] = {}
    http2: bool = False
    follow_redirects: bool = False
    max_body: Size = Field(default=10 * 1024 * 1024, description="Bodies beyond this are cut off.")


class Monitor(StrictModel):
    """A Prometheus text endpoint of the server side, scraped during the run."""

    url: str
    name: Name | None = None
    interval: PositiveDuration = 5.0


class ScenarioSpec(StrictModel):
    target: Target
    load: Load
    defaults: Defaults = Defaults()
    data: Data = Data()
    secrets: dict[Identifier, Secret] = {}
    monitor: list[Monitor] = []
    flows: list[Flow] = Field(min_length=1)


class Scenario(StrictModel):
    """A load test: what to call, how hard, and what each virtual user does."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Scenario"]
    metadata: Metadata
    spec: ScenarioSpec
