"""The Waiver kind: one objective of one budget not judged until a date, for a reason, by
someone, written on a commit. ``peac waive`` appends one document per waiver to
``waivers.yaml`` beside the budget, so that a waiver is reviewed like any other change.

``peac validate`` checks that the budget exists and has the objective, and that the waiver has
not expired (an expired waiver is an error naming its line, so it is removed or renewed rather
than forgotten). The gate applies waivers from the base branch; one added by a pull request
applies only when the pull request is approved (see ``docs/budget-changes.md``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from peac.spec.fields import Metadata, Name, StrictModel

WAIVERS_FILE = "waivers.yaml"  # beside the budget: where peac waive writes and the gate reads
MAX_DAYS = 366  # a waiver is a deadline, not a budget change
MAX_TEXT = 500


def parse_date(value: Any) -> date:
    """An ISO date (``2025-07-01``), as YAML leaves it: a string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("date", "expected a date like 2025-07-01")


IsoDate = Annotated[
    date,
    BeforeValidator(parse_date),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "examples": ["2025-07-01"]}
    ),
]


def _one_line(value: str) -> str:
    text = value.strip()
    if not text or "\n" in text or "\r" in text:
        raise PydanticCustomError("text", "expected one line of text")
    if len(text) > MAX_TEXT:
        raise PydanticCustomError("text", f"expected at most {MAX_TEXT} characters")
    return text


Text = Annotated[
    str,
    BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_TEXT}),
]


class WaiverSpec(StrictModel):
    budget: str = Field(
        min_length=1, description="The budget file, relative to this file (as peac waive wrote it)."
    )
    objective: Name = Field(description="The objective's name in that budget.")
    reason: Text = Field(description="Why the objective is not judged for now.")
    by: Text = Field(description="Who waived it.")
    created: IsoDate = Field(description="The day it was written.")
    expires: IsoDate = Field(
        description="The last day it applies; after it, peac validate fails until it is removed "
        "or renewed."
    )
    commit: str = Field(
        default="",
        pattern=r"^([0-9a-f]{7,64})?$",
        description="The commit it was written on.",
    )


def date_problems(
    spec: WaiverSpec, today: date | None, *, expiry: bool = True
) -> list[tuple[tuple[str, ...], str]]:
    """What is wrong with a waiver's dates (loc, message). ``today`` None: neither checked
    against today; ``expiry`` False: expiry not checked (the gate lists an expired waiver as
    not applied instead). A ``created`` in the future is refused: the span limit counts from
    it, so a waiver dated 2099 would last for ever (a day's slack for time zones)."""
    if today is not None and spec.created > today + timedelta(days=1):
        return [
            (
                ("spec", "created"),
                f"expected a date on or before today ({today}), got {spec.created}",
            )
        ]
    loc = ("spec", "expires")
    if spec.expires < spec.created:
        return [(loc, f"expected a date on or after created ({spec.created}), got {spec.expires}")]
    if spec.expires - spec.created > timedelta(days=MAX_DAYS):
        return [
            (
                loc,
                f"expected at most {MAX_DAYS} days after created ({spec.created}), "
                f"got {spec.expires}",
            )
        ]
    if today is not None and expiry and spec.expires < today:
        return [
            (
                loc,
                f'the waiver of "{spec.objective}" expired on {spec.expires} (today is {today}): '
                "remove it, or renew it with peac waive",
            )
        ]
    return []


class Waiver(StrictModel):
    """An objective of a budget not judged until a date, for a reason: reviewable like code."""

    api_version: Literal["peac/v1"] = Field(alias="apiVersion")
    kind: Literal["Waiver"]
    metadata: Metadata
    spec: WaiverSpec
