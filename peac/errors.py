"""The one error tree of peac, the exit codes it maps to, and located problems in user files.

Every expected failure is a ``PeacError``; its class says which kind (bad input, unreadable
data, git, a load worker) and carries the exit code, so the CLI boundary maps outcomes to exit
codes in one place and the same failure gives the same code however it was reached (one worker
or many, the gate or the diff). Anything else is a bug in peac (exit 3).

A problem is plain data pointing at a place in a file, so that every layer (YAML loading,
schema validation, semantic checks) reports in the same shape and every reporter (text, JSON,
GitHub annotations) renders the same list.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes CI can tell apart."""

    OK = 0
    FAILED = 1  # a gate or budget failed
    BAD_INPUT = 2  # invalid files or data, usage errors, an environment that cannot work
    INTERNAL = 3  # a bug in peac
    INTERRUPTED = 130  # stopped by SIGINT (128 + 2), partial result written
    TERMINATED = 143  # stopped by SIGTERM (128 + 15), partial result written


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place of one file. ``line``/``col`` are 1-based; 0 means unknown."""

    path: str
    line: int
    col: int
    message: str

    def __post_init__(self) -> None:
        # Messages echo user input (keys can hold line breaks, aliases can expand them): one
        # problem is always one line of bounded length, and so is its file name.
        object.__setattr__(self, "message", shorten(one_line(self.message), MAX_MESSAGE))
        object.__setattr__(self, "path", shorten(one_line(self.path), MAX_MESSAGE))

    def location(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class PeacError(Exception):
    """An expected failure caused by the user's input or environment (exit code 2).

    Carries zero or more located problems; the message alone is shown when there are none.
    Raise one of the subclasses: they tell the reader (and a worker's parent) what kind of
    thing went wrong.
    """

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(one_line(message))
        self.problems = list(problems)

    def __reduce__(self) -> tuple[object, ...]:
        # Crosses process boundaries (load workers) with its class, message and problems.
        return (type(self), (str(self), self.problems))


class InputError(PeacError):
    """A file, option or argument the user gave is not usable as it is."""


class DataError(PeacError):
    """Stored data (a result file, a recorded run) cannot be read: damaged, truncated, or
    written by a newer peac."""


class GitError(PeacError):
    """git could not do what was needed; the message says what to run to fix it."""


class WorkerError(PeacError):
    """A load worker process failed in a way that is not the user's input (it crashed, or was
    killed): a bug or the machine, reported as an internal error like the same failure in one
    process."""

    exit_code = ExitCode.INTERNAL


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
MAX_MESSAGE = 500  # characters of one problem's message


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(_ESCAPES.get(ch, ch if ch.isprintable() else f"\\x{ord(ch):02x}") for ch in text)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' hint, or '' when nothing is close."""
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""


def describe(value: object, limit: int = 40) -> str:
    """Show a found value the way the user wrote it, short enough for one line."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return '"' + text.replace("\n", "\\n") + '"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def crash_site(exc: BaseException) -> str:
    """An unexpected exception as a bug report needs it: its type and the innermost line of
    peac it passed through. Never its message, which may hold values from untrusted files or
    rendered secrets (``PEAC_DEBUG=1`` prints the whole traceback)."""
    import traceback
    from pathlib import Path

    # The package's own folder, not any path with "peac" in it: a checkout named peac holds
    # tests and tools that are not peac's code.
    package = Path(__file__).resolve().parent
    place = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            inside = Path(frame.filename).resolve().relative_to(package)
        except ValueError:
            continue
        place = f"peac/{inside.as_posix()}:{frame.lineno}"
    return f"{type(exc).__name__} in {place}" if place else type(exc).__name__
