"""A recommended pair of absolute limits for one objective, and its backtest (plain data;
computed by ``peac.core.recommend``, shown by ``peac recommend``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rates:
    """A warn and a fail figure: a pair of limits, or how often each fired over the backtest's
    commits (None: no such limit)."""

    warn: float | None
    fail: float | None


@dataclass(frozen=True)
class Change:
    """A level shift in the backtest window, and which limits its new level crosses."""

    commit: str  # first commit of the new level
    date: int
    before: float  # median of the level before, original unit
    after: float  # median of the new level
    worse: bool  # the shift is in the limit's worse direction
    caught_by: tuple[str, ...]  # "proposed warn", "current fail", ...


@dataclass(frozen=True)
class Backtest:
    """The proposal and the budget's current limits against the last ``commits`` values."""

    commits: int
    proposed: Rates
    current: Rates
    changes: tuple[Change, ...] = ()
    # The proposal over the commits of the window at the current level (what it was fitted
    # on): firing there is a false alarm, to be read against the rate it aims at; firing on an
    # earlier, worse level is a change caught.
    level_commits: int = 0
    level: Rates = Rates(None, None)


@dataclass(frozen=True)
class Recommendation:
    """Proposed ``warn`` and ``fail`` limits (a ``max`` when higher is worse, else a ``min``)
    in the history's own unit, rounded outward to two significant digits; None with a
    ``reason`` when the history cannot support one."""

    limit: str  # "max" or "min"
    warn: float | None
    fail: float | None
    expected: float | None  # forecast of the next commit
    false_alarm_rate: float  # aimed at by fail, per commit from the current level
    warn_rate: float  # aimed at by warn
    backtest: Backtest
    reason: str = ""  # why there is no proposal ('' when there is one)
    warn_reason: str = ""  # why fail has a proposal but warn has none
    method: tuple[str, ...] = field(default=())  # how the numbers were made, in words
    raw_warn: float | None = None  # before rounding
    raw_fail: float | None = None
    commits: tuple[str, ...] = ()  # commits of the current level the proposal was fitted on
    first_date: int = 0  # committer time of the first and last of them
    last_date: int = 0
    resolution: float = 0.0  # smallest step between distinct values of the history
    provisional: str = ""  # why the history is too short to confirm the rate ('' when it is not)
