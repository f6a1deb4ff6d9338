"""The one way peac talks to git: the user's repository as peac needs it (revisions,
first-parent history, shallow clones, notes), with git's own errors turned into ``GitError``
messages that say what is missing and what to run.

GitPython finds the repository and reads its config; commands run as ``git`` subprocesses
(bounded in time) because notes, fetch and ``cat-file --batch`` are simplest and fastest there.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peac.errors import GitError, InputError
from peac.model.results import GitState

FALLBACK_IDENTITY = ("-c", "user.name=peac", "-c", "user.email=peac@localhost")
TIMEOUT = 600.0  # seconds for one git command (a fetch of a large history included)


@dataclass(frozen=True)
class Commit:
    sha: str
    date: int  # committer time, epoch seconds
    subject: str


class Repository:
    """A git work tree (or bare repository), driven through GitPython."""

    def __init__(self, path: Path) -> None:
        import git

        try:
            self.repo: Any = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(
                f"{path}: not inside a git repository (run peac inside your project's clone)"
            ) from None
        self._identity: tuple[str, ...] | None = None

    @property
    def git_dir(self) -> Path:
        return Path(self.repo.git_dir)

    @property
    def root(self) -> Path:
        return Path(self.repo.working_dir or self.repo.git_dir)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run git in this repository; the caller looks at the return code."""
        return run_git(self.root, *self.identity(), *args, stdin=stdin)

    def git(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        """Run git; a failure becomes a GitError with git's own last line of complaint."""
        done = self.run(*args, stdin=stdin)
        if check and done.returncode != 0:
            raise GitError(f"git {args[0]}: {complaint(done)}")
        return done.stdout if done.returncode == 0 else ""

    def identity(self) -> tuple[str, ...]:
        """Notes are commits; CI machines often have no git identity, so lend one."""
        if self._identity is None:
            reader = self.repo.config_reader()
            has = reader.has_option("user", "email") and reader.has_option("user", "name")
            self._identity = () if has else FALLBACK_IDENTITY
        return self._identity

    def resolve(self, revision: str) -> str | None:
        out = self.git(
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{revision}^{{commit}}",
            check=False,
        )
        return out.strip() or None

    def commit(self, revision: str) -> str:
        """The full sha of ``revision``, or a GitError naming it."""
        sha = self.resolve(revision)
        if sha is None:
            hint = " (this clone is shallow; fetch more history)" if self.shallow() else ""
            raise GitError(f"no commit {revision!r} in {self.root}{hint}")
        return sha

    def shallow(self) -> bool:
        return self.git("rev-parse", "--is-shallow-repository").strip() == "true"

    def first_parent(self, start: str, limit: int) -> list[Commit]:
        """``start`` and its first-parent ancestors, newest first."""
        out = self.git(
            "log",
            "--first-parent",
            f"-n{limit}",
            "--format=%H%x00%ct%x00%s",
            "--end-of-options",
            start,
        )
        commits = []
        for line in out.splitlines():
            sha, date, subject = line.split("\x00", 2)
            commits.append(Commit(sha, int(date), subject))
        return commits

    def merge_base(self, head: str, base: str) -> str | None:
        return self.git("merge-base", "--end-of-options", head, base, check=False).strip() or None

    def remotes(self) -> list[str]:
        return self.git("remote").split()

    def tracking(self, name: str) -> str | None:
        """``name`` when it resolves here, else the first ``REMOTE/name`` that does (CI
        checkouts often have no local ``main``, only ``origin/main``); None when neither does."""
        for candidate in (name, *(f"{r}/{name}" for r in self.remotes())):
            if self.resolve(candidate):
                return candidate
        return None

    def fetch_branch(self, branch: str, remote: str | None = None) -> tuple[str, str]:
        """The revision to read the base branch ``branch`` at, and what was fetched for it
        ("" when nothing was). CI checkouts rarely have a local ``main``: actions/checkout
        leaves a detached merge commit with ``origin/main`` beside it, and a shallow
        single-branch clone has not even that, so the remote's branch is fetched into
        ``refs/remotes/REMOTE/BRANCH`` when it is not here. A GitError when no remote has it."""
        branch = plain_branch(branch)
        found = self.tracking(branch)
        if found is not None:
            return found, ""
        remotes = self.remotes()
        source = remote if remote in remotes else ("origin" if "origin" in remotes else None)
        if source is None and remotes:
            source = remotes[0]
        if source is None:
            raise GitError(
                f"no branch {branch!r} here and no remote to fetch it from; fetch it, e.g. "
                f"git fetch origin {branch}"
            )
        refspec = f"+refs/heads/{branch}:refs/remotes/{source}/{branch}"
        depth = ("--depth=50",) if self.shallow() else ()  # the history reader deepens
        done = self.run("fetch", "-q", "--no-tags", *depth, "--", source, refspec)
        if done.returncode != 0:
            raise GitError(
                f"no branch {branch!r} here, and fetching it from {source} failed: "
                f"{complaint(done)}"
            )
        return f"{source}/{branch}", f"fetched {branch} from {source}"

    def resolve_branch(self, branch: str) -> str:
        """A branch name as given, or its remote-tracking branch; a GitError naming the fetch
        that would bring it."""
        found = self.tracking(branch)
        if found is not None:
            return found
        raise GitError(
            f"no branch {branch!r} here (nor on any remote: {', '.join(self.remotes()) or 'none'});"
            f" fetch it, e.g. git fetch origin {branch}"
        )

    def deepen(self, remote: str, branch: str, by: int) -> bool:
        """Fetch ``by`` more commits of history for a shallow clone; False when that failed."""
        branch = plain_branch(branch)
        refspec = f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"
        return self.run("fetch", "-q", f"--deepen={by}", "--", remote, refspec).returncode == 0

    def cat_blobs(self, shas: list[str]) -> dict[str, str]:
        """Contents of many blobs through one ``git cat-file --batch`` process."""
        if not shas:
            return {}
        try:
            done = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.repo.git_dir,
                input=("\n".join(shas) + "\n").encode("ascii"),
                capture_output=True,
                check=False,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git cat-file: no answer within {TIMEOUT:g}s") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            raise GitError(
                f"git cat-file: {(said or ['failed'])[-1]} (is the repository damaged? git fsck)"
            )
        out, pos, blobs = done.stdout, 0, {}
        for sha in shas:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            blobs[sha] = out[pos : pos + size].decode("utf-8", errors="replace")
            pos += size + 1
        return blobs


def plain_branch(name: str) -> str:
    """``name`` when it is a plain branch name (``main``, ``release/2.1``), else an InputError:
    names come from options, the CI's environment and peac.yaml, and one that starts with a
    dash, or is a revision expression, must never reach git's command line."""
    ok = all(c.isalnum() or c in "._/-" for c in name)
    if (
        not name
        or not ok
        or name == "HEAD"
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or ".." in name
        or "//" in name
        or "/." in name
        or len(name) > 255
    ):
        raise InputError(f"base branch: expected a branch name like main, got {name[:100]!r}")
    return name


def complaint(done: subprocess.CompletedProcess[str]) -> str:
    """The line of git's output that says what went wrong."""
    lines = [x for x in (done.stderr.strip() or done.stdout.strip()).splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith(("fatal:", "error:", " ! "))]
    return (errors or lines or ["failed"])[-1].strip()


def run_git(
    cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``cwd``, bounded in time; a missing git or a hang is a GitError."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
            env=env,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH); peac needs it") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0] if args else ''}: no answer within {TIMEOUT:g}s") from None


def work_tree_state(path: Path) -> GitState | None:
    """The commit checked out where ``path`` is, and whether the work tree has uncommitted
    changes (or untracked files in ``path``'s folder); None outside a git work tree."""
    inside = run_git(path, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    head = run_git(path, "rev-parse", "--verify", "--quiet", "HEAD")
    if head.returncode != 0:
        return None  # a repository with no commit yet: nothing to attach the run to
    status = run_git(path, "status", "--porcelain", "--untracked-files=no")
    if status.returncode != 0:
        raise GitError(f"git status: {complaint(status)}")
    # A new data or scenario file beside the scenario changes what ran, though git does not
    # track it yet; untracked files elsewhere (results, caches) do not.
    beside = run_git(path, "status", "--porcelain", "--untracked-files=all", "--", ".")
    if beside.returncode != 0:
        raise GitError(f"git status: {complaint(beside)}")
    untracked = any(line.startswith("??") for line in beside.stdout.splitlines())
    return GitState(commit=head.stdout.strip(), dirty=bool(status.stdout.strip()) or untracked)
