"""What the command pages say beyond click's own help: what each argument means and which exit
codes each command can return (only those). Kept beside the CLI, read by ``peac.docgen``; a
test checks that every command and argument is described here."""

from __future__ import annotations

OK = (0, "success")
USAGE = (
    2,
    "bad input: a file, option or result that is not what was expected (one line says which)",
)
INTERNAL = (3, "internal error (a bug: the message says where)")

EXIT_CODES: dict[str, tuple[tuple[int, str], ...]] = {
    "validate": (
        (0, "every file is valid"),
        (2, "a file has problems (each printed as file:line:col)"),
        INTERNAL,
    ),
    "schema": (OK, USAGE, INTERNAL),
    "run": (
        (0, "the run completed (and, with a budget, broke no fail limit)"),
        (
            1,
            "a fail limit broke, abort_on_fail stopped the run, nothing answered, or the run "
            "cannot be judged and invalid_run is fail",
        ),
        USAGE,
        INTERNAL,
        (130, "interrupted (SIGINT): a partial result was written"),
        (143, "terminated (SIGTERM): a partial result was written"),
    ),
    "merge": (OK, USAGE, INTERNAL),
    "record": (OK, USAGE, INTERNAL),
    "history": (OK, USAGE, INTERNAL),
    "gate": (
        (0, "pass or warn (waived objectives and approved budget changes included)"),
        (1, "fail, or a budget loosened without approval"),
        USAGE,
        INTERNAL,
    ),
    "budget-diff": ((0, "the changes were listed (loosening included)"), USAGE, INTERNAL),
    "waive": ((0, "the waiver was written"), USAGE, INTERNAL),
    "ci": (
        (0, "every gate passed (warnings allowed)"),
        (1, "a gate failed"),
        USAGE,
        INTERNAL,
        (130, "interrupted (SIGINT) during a run"),
        (143, "terminated (SIGTERM) during a run"),
    ),
    "diff": (OK, USAGE, INTERNAL),
    "recommend": (
        (0, "limits proposed (and, with --write, written)"),
        (2, "bad input: no such budget, no recorded history, an unknown testbed"),
        INTERNAL,
    ),
    "report": (
        (0, "the site was written"),
        (
            2,
            "bad input: no history and no result files, a bad --commit-url, a folder holding "
            "other files, invalid budgets",
        ),
        INTERNAL,
    ),
    "demo": (
        (0, "the gate passed the harmless change and failed the slow one"),
        (1, "the gate did not catch the injected regression"),
        USAGE,
        INTERNAL,
    ),
    "demo-server": (OK, USAGE, INTERNAL, (130, "stopped with Ctrl-C")),
    "merge-driver": (
        (0, "merged by meaning"),
        (1, "conflicts left as git's markers for a person to resolve"),
        USAGE,
        INTERNAL,
    ),
    "install-merge-driver": (OK, USAGE, INTERNAL),
    "generate": (
        (
            0,
            "the scenario was written (with --check: its endpoint mix within 0.05 of the log's, "
            "the recording's or the operations')",
        ),
        (1, "--check: the generated endpoint mix is farther than 0.05 from the source's"),
        (
            2,
            "bad input: a missing, binary or empty log, a malformed HAR file or spec (the field "
            "is named), a wrong --format, a --target of the recorded or documented host",
        ),
        INTERNAL,
    ),
}

ARGUMENTS: dict[str, dict[str, str]] = {
    "validate": {
        "PATHS": "Files or folders to check [default: budgets/]; folders are searched "
        "for *.yaml and *.yml."
    },
    "run": {
        "SCENARIO": "A scenario file, FILE#name for one of several in a file, or a budget "
        "file (its scenario is run and judged against it)."
    },
    "merge": {"SHARDS": "Result files of the shards of one run (peac run --shard K/N)."},
    "record": {"RESULTS": "Result files written by peac run."},
    "merge-driver": {
        "BASE": "The merge base's version of the file (git's %O).",
        "OURS": "Our version (git's %A); the merged result is written here.",
        "THEIRS": "Their version (git's %B).",
        "PATH": "The file's path in the repository (git's %P), for messages.",
    },
    "generate from-log": {
        "FILES": "Access logs, plain or gzip-compressed, oldest first (rotated files in order)."
    },
    "generate from-har": {
        "FILES": "HAR files (1.1 or 1.2) from a browser or a proxy; each page becomes a flow."
    },
    "generate from-openapi": {
        "SPEC": "A Swagger 2.0 or OpenAPI 3.0/3.1 description, YAML or JSON."
    },
    "history rm": {"COMMIT": "The commit whose results to remove (a sha, branch or tag)."},
    "gate": {"RESULTS": "Result files of the head commit (several runs give the gate power)."},
    "recommend": {"BUDGET": "The budget file whose max/min limits to propose."},
    "budget-diff": {
        "BASE": "The revision to compare from (a branch, tag or commit), e.g. main.",
        "HEAD": "The revision to compare to [default: the working tree, untracked files included].",
    },
    "report": {
        "RESULTS": "Result files written by peac run, each given a page of its own (optional)."
    },
    "diff": {
        "BASE": "A result file, or a commit or branch whose recorded runs to use.",
        "HEAD": "A result file, or a commit or branch whose recorded runs to use.",
    },
}
