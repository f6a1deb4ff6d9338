"""Running the real ``peac`` entry point in-process, error boundary included."""

from __future__ import annotations

import contextlib
import io

from peac.cli import main


def run_cli(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``peac ARGS`` as a user would see them."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
    return code, out.getvalue(), err.getvalue()
