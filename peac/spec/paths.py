"""File references from untrusted files, confined to the repository.

A budget arriving in a pull request must not make CI read ``/etc/passwd`` or ``../../secrets``:
references are relative, resolved against the referring file, and must stay inside the
repository after every symlink is followed.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def find_root(start: Path) -> Path:
    """The git work tree containing ``start`` (found by walking up), else ``start`` itself.

    Walks the file system instead of running git, because this is on pre-commit's hot path.
    """
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def resolve_reference(reference: str, referrer: Path, root: Path) -> tuple[Path | None, str]:
    """The confined path for ``reference`` written in ``referrer``, or None and why not."""
    if not reference.strip():
        return None, "expected a relative file path, got an empty string"
    if "\x00" in reference:
        return None, "expected a relative file path, got a NUL character"
    posix = PurePosixPath(reference.replace("\\", "/"))
    if (
        posix.is_absolute()
        or Path(reference).is_absolute()
        or (len(reference) > 1 and reference[1] == ":")
    ):
        return None, f'expected a path relative to this file, got the absolute path "{reference}"'
    if any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in posix.parts):
        return None, "expected a relative file path, got a name longer than 255 bytes"
    if not reference.isprintable() or any("\ud800" <= ch <= "\udfff" for ch in reference):
        return None, "expected a relative file path of printable characters"
    real_root = root.resolve()
    try:
        target = Path(os.path.realpath(referrer.parent / Path(*posix.parts)))
        target.is_file()  # names the file system refuses (too long, unencodable) fail here
    except (OSError, ValueError):
        return None, "expected a relative file path this system can open"
    if not target.is_relative_to(real_root):
        return (
            None,
            f'expected a path inside the repository, got "{reference}" which leads outside it',
        )
    return target, ""


def display_path(path: Path, cwd: Path | None = None) -> str:
    """How a path is shown in messages: relative to the working directory when possible."""
    base = (cwd or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside, or a link loop (RuntimeError)
        return path.as_posix()
