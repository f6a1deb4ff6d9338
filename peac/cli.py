"""The ``peac`` command line: options in, one function call, an exit code out.

Heavy modules (pydantic models, numpy, statsmodels, httpx) are imported inside each command so
that ``peac validate`` in a pre-commit hook starts fast. ``main`` is the one error boundary:
0 pass, 1 gate failed, 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from peac import __version__
from peac.problems import ExitCode, PeacError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="peac")
def cli() -> None:
    """Performance as code: budgets and load scenarios in git, checked, run and gated in CI."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root that file references must stay inside [default: the git work tree].",
)
def validate(paths: tuple[Path, ...], fmt: str, root: Path | None) -> int:
    """Check budget and scenario files (default: budgets/).

    Every problem in every file is printed as path:line:col: message. Exit code 0 when all
    files are valid, 2 when any is not.
    """
    from peac.commands.validate import ValidateRequest
    from peac.commands.validate import validate as run

    request = ValidateRequest(paths or (Path("budgets"),), root, fmt)
    return run(request, sys.stdout)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write peac.schema.json, budget.schema.json and scenario.schema.json here.",
)
@click.option(
    "--kind",
    type=click.Choice(["all", "Budget", "Scenario"]),
    default="all",
    show_default=True,
    help="Which schema to print when --out is not given.",
)
def schema(out: Path | None, kind: str) -> int:
    """Print or write the JSON Schema of peac files, for editors and other validators.

    Add `# yaml-language-server: $schema=<url or path of peac.schema.json>` at the top of a
    file to get completion and checks while typing.
    """
    from peac.commands.schema import write_schemas

    return write_schemas(out, kind, sys.stdout)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the code that tells CI what happened."""
    try:
        code = cli.main(args=argv, prog_name="peac", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.BAD_INPUT
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 130
    except PeacError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"peac: {exc}", err=True)
        code = ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        if os.environ.get("PEAC_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"peac: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in peac: please report it with the command you ran "
            "(set PEAC_DEBUG=1 to see the traceback).",
            err=True,
        )
        code = ExitCode.INTERNAL
    sys.exit(int(code or 0))
