"""Every file peac writes, written without following links.

Budget and scenario files come from pull requests, and so can links: a committed
``reports -> /home/runner`` or ``budgets/.x.peac-merge.yaml -> ~/.bashrc`` would make a plain
``open(path, "w")`` write peac's output wherever the link points. So a file is written as a
new temporary file created exclusively in the target's own folder (``O_EXCL``, ``O_NOFOLLOW``)
and renamed over the target (a rename replaces a link, it never writes through it); the folder
and every folder above it up to a stated root must be real folders, not links; and a target
that is itself a link is refused. Appending (a CI job summary) refuses a link the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from peac.errors import InputError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _link_in(path: Path, root: Path | None) -> Path | None:
    """The first link among ``path``'s folders below ``root`` (the repository: the folders
    above it are the machine's, not a pull request's); None without a root."""
    if root is None:
        return None
    root = root.absolute()
    target = path.absolute()
    if root != target and root not in target.parents:
        return None
    for folder in reversed(target.parents):
        if folder == root or root not in folder.parents:
            continue
        with contextlib.suppress(OSError):
            if folder.is_symlink():
                return folder
    return None


def check_target(path: Path, what: str, root: Path | None = None) -> None:
    """Refuse ``path`` when it, or a folder below ``root`` on its way, is a link."""
    if path.is_symlink():
        raise InputError(f"{what} {path}: is a link; peac does not write through links")
    link = _link_in(path, root)
    if link is not None:
        raise InputError(f"{what} {path}: {link} is a link; peac does not write through links")
    if path.is_dir():
        raise InputError(f"{what} {path}: is a folder")


def make_folder(folder: Path, what: str, root: Path | None = None) -> None:
    """``folder`` and its parents, refusing a link on the way."""
    link = _link_in(folder / "x", root)
    if link is not None or folder.is_symlink():
        raise InputError(f"{what} {folder}: {link or folder} is a link; peac does not write there")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{what} {folder}: cannot be made ({exc.strerror})") from None


def write_bytes(path: Path, data: bytes, what: str = "output", root: Path | None = None) -> None:
    """Write ``path`` atomically and without following a link at it or on its way."""
    check_target(path, what, root)
    make_folder(path.parent, what, root)
    tmp = create_new(path.parent, f".{path.name}", ".tmp", data, what)
    try:
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_new(folder: Path, prefix: str, suffix: str, data: bytes, what: str) -> Path:
    """A new file ``<prefix>.<random>.<suffix>`` in ``folder``, created exclusively and without
    following a link: for the scratch files peac checks beside a budget (the merge driver's
    merged text, recommend's rewrite), so that a link a pull request committed at a predictable
    name is never written through. The caller removes it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    path = folder / f"{prefix}.{secrets.token_hex(8)}{suffix}"
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be written ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return path


def write_text(path: Path, text: str, what: str = "output", root: Path | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), what, root)


def append_text(path: Path, text: str, what: str) -> None:
    """Append to ``path`` (created when missing), refusing a link; an unwritable file is one
    line and exit 2, not a traceback."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        reason = "is a link" if path.is_symlink() else f"cannot be written ({exc.strerror})"
        raise InputError(f"{what} {path}: {reason}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{what} {path}: not a regular file")
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            fd = -1
            f.write(text)
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be written ({exc.strerror})") from None
    finally:
        if fd >= 0:
            os.close(fd)
