"""A service repository with a real remote (a bare repository), and working copies laid out the
way each CI platform leaves them, made with the same git commands:

- actions/checkout on a push: ``main`` checked out from ``refs/remotes/origin/main``; with
  ``fetch-depth: 0`` every branch fetched, with ``fetch-depth: 1`` (its default) one commit.
- actions/checkout on a pull request: HEAD detached at ``refs/pull/N/merge`` (GitHub's merge of
  the head into the base), ``origin/main`` beside it only with ``fetch-depth: 0``.
- GitLab Runner: a shallow fetch (``GIT_DEPTH``) of the pipeline's ref only, HEAD detached at
  the commit; a merge-request pipeline fetches ``refs/merge-requests/IID/head`` and not the
  target branch.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.history_helpers import git


@dataclass
class ServiceRepo:
    origin: Path  # the bare remote every checkout fetches from
    seed: Path  # a developer's clone: commits are made here and pushed

    @classmethod
    def create(cls, where: Path, files: dict[str, str]) -> ServiceRepo:
        origin = where / "origin.git"
        git(where, "init", "-q", "--bare", "-b", "main", str(origin))
        seed = where / "seed"
        seed.mkdir()
        git(seed, "init", "-q", "-b", "main")
        git(seed, "remote", "add", "origin", str(origin))
        repo = cls(origin, seed)
        repo.commit("initial", files)
        return repo

    def commit(self, message: str, files: dict[str, str], branch: str = "main") -> str:
        """Commit ``files`` on ``branch`` (made from main when new) and push it."""
        started = bool(git(self.seed, "branch", "--list", "main"))
        if branch != "main":
            exists = bool(git(self.seed, "branch", "--list", branch))
            git(self.seed, "checkout", "-q", *(() if exists else ("-b",)), branch)
        elif started:
            git(self.seed, "checkout", "-q", "main")
        for name, text in files.items():
            path = self.seed / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git(self.seed, "add", "-A")
        git(self.seed, "commit", "-q", "--allow-empty", "-m", message)
        git(self.seed, "push", "-q", "origin", branch)
        sha = git(self.seed, "rev-parse", "HEAD")
        git(self.seed, "checkout", "-q", "main")
        return sha

    def open_pull_request(self, number: int, branch: str) -> str:
        """GitHub's refs of a pull request from ``branch`` into main: ``refs/pull/N/head`` and
        the merge commit ``refs/pull/N/merge`` (parents: main's tip, then the head)."""
        work = self.seed.parent / f"merge-{number}"
        shutil.rmtree(work, ignore_errors=True)
        git(self.seed.parent, "clone", "-q", str(self.origin), str(work))
        git(work, "checkout", "-q", "--detach", "origin/main")
        git(work, "merge", "-q", "--no-ff", "-m", f"Merge {branch} into main", f"origin/{branch}")
        merge = git(work, "rev-parse", "HEAD")
        head = git(work, "rev-parse", f"origin/{branch}")
        git(work, "push", "-q", "origin", f"+{head}:refs/pull/{number}/head")
        git(work, "push", "-q", "origin", f"+{merge}:refs/pull/{number}/merge")
        git(work, "push", "-q", "origin", f"+{head}:refs/merge-requests/{number}/head")
        shutil.rmtree(work)
        return merge


def _fresh(dest: Path, origin: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    git(dest, "init", "-q")
    git(dest, "remote", "add", "origin", str(origin))


def _depth(depth: int) -> list[str]:
    return [f"--depth={depth}"] if depth > 0 else []


def github_push_checkout(origin: Path, dest: Path, depth: int = 0) -> Path:
    """What actions/checkout leaves for a push to main (``fetch-depth: depth``)."""
    _fresh(dest, origin)
    specs = ["+refs/heads/*:refs/remotes/origin/*"] if depth == 0 else []
    specs.append("+refs/heads/main:refs/remotes/origin/main")
    git(dest, "fetch", "-q", "--no-tags", *_depth(depth), "origin", *specs)
    git(dest, "checkout", "-q", "--force", "-B", "main", "refs/remotes/origin/main")
    return dest


def github_pr_checkout(origin: Path, dest: Path, number: int, depth: int = 0) -> Path:
    """What actions/checkout leaves for a pull request: HEAD detached at its merge commit."""
    _fresh(dest, origin)
    specs = ["+refs/heads/*:refs/remotes/origin/*"] if depth == 0 else []
    specs.append(f"+refs/pull/{number}/merge:refs/remotes/pull/{number}/merge")
    git(dest, "fetch", "-q", "--no-tags", *_depth(depth), "origin", *specs)
    git(dest, "checkout", "-q", "--force", "--detach", f"refs/remotes/pull/{number}/merge")
    return dest


def gitlab_checkout(origin: Path, dest: Path, ref: str, depth: int = 20) -> Path:
    """What GitLab Runner leaves: a shallow fetch of the pipeline's ref only, HEAD detached
    (``ref``: ``refs/heads/main`` for a branch pipeline, ``refs/merge-requests/IID/head``)."""
    _fresh(dest, origin)
    local = ref.replace("refs/heads/", "refs/remotes/origin/", 1)
    git(dest, "fetch", "-q", "--no-tags", *_depth(depth), "origin", f"+{ref}:{local}")
    git(dest, "checkout", "-q", "--force", "--detach", local)
    return dest
