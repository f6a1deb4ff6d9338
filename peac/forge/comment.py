"""Create or update peac's one comment on a pull request (GitHub) or merge request (GitLab).

One comment per pull request, edited on every push, never one per push. Which comment is ours
is decided by two facts together: it starts with peac's marker line *and* its author is the
identity the token acts as. The marker alone is not enough: anyone can write it, and editing a
stranger's comment (or deleting what they wrote) is not peac's business.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from peac.errors import PeacError

MARKER = "<!-- peac-ci -->"
GITHUB_BOT = "github-actions[bot]"  # who GITHUB_TOKEN acts as
GITHUB_LIMIT = 65_000  # characters GitHub keeps of a comment (65,536), with room for the note
GITLAB_LIMIT = 1_000_000
MAX_RESPONSE = 8 * 1024 * 1024  # bytes of one API response
MAX_PAGES = 20  # of 100 comments each
TIMEOUT = 20.0


class ForgeError(PeacError):
    """The forge's API refused or failed; the comment was not posted (the gate's verdict
    stands: a comment is a courtesy, not the decision)."""


@dataclass(frozen=True)
class Target:
    """Where the comment goes, and as whom."""

    forge: str  # "github" or "gitlab"
    api: str  # the API's base URL
    project: str  # owner/name (GitHub) or the project id (GitLab)
    number: int  # pull request number / merge request iid
    token: str
    user: str = ""  # GitHub: the login the token acts as


def target_from(environ: Mapping[str, str]) -> Target | None:
    """The pull request this pipeline builds, from the CI platform's environment; None when
    this is no pull request or no token was given (nothing to do, and that is fine)."""
    if environ.get("GITHUB_ACTIONS") == "true" or environ.get("GITHUB_EVENT_PATH"):
        token = environ.get("GITHUB_TOKEN", "")
        number = _github_number(environ.get("GITHUB_EVENT_PATH", ""))
        repository = environ.get("GITHUB_REPOSITORY", "")
        if not token or number is None or "/" not in repository:
            return None
        return Target(
            "github",
            environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            repository,
            number,
            token,
            environ.get("PEAC_COMMENT_USER", GITHUB_BOT),
        )
    if environ.get("GITLAB_CI") == "true" or environ.get("CI_API_V4_URL"):
        token = environ.get("PEAC_GITLAB_TOKEN", "")
        iid = environ.get("CI_MERGE_REQUEST_IID", "")
        project = environ.get("CI_PROJECT_ID", "")
        if not token or not iid.isdigit() or not project:
            return None
        return Target("gitlab", environ["CI_API_V4_URL"].rstrip("/"), project, int(iid), token)
    return None


def _github_number(event_path: str) -> int | None:
    if not event_path:
        return None
    try:
        with Path(event_path).open(encoding="utf-8") as f:
            event = json.loads(f.read(MAX_RESPONSE))
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    number = pr.get("number") if isinstance(pr, dict) else None
    if number is None and isinstance(event, dict):
        number = event.get("number")
    return number if isinstance(number, int) and number > 0 else None


def post(target: Target, body: str, client: httpx.Client | None = None) -> str:
    """Create or update the comment; returns what was done ("created" or "updated #ID")."""
    own = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
    try:
        if target.forge == "github":
            return _github(own, target, _limited(body, GITHUB_LIMIT))
        return _gitlab(own, target, _limited(body, GITLAB_LIMIT))
    except httpx.HTTPError as exc:
        raise ForgeError(f"{target.forge} API: {type(exc).__name__}") from None
    finally:
        if client is None:
            own.close()


def _limited(body: str, limit: int) -> str:
    if body.startswith(MARKER):
        body = body[len(MARKER) :].lstrip("\n")
    text = f"{MARKER}\n{body}"
    if len(text) <= limit:
        return text
    return text[: limit - 80] + "\n\n… (cut: the whole report is in the job's artifacts)\n"


def _call(
    client: httpx.Client, method: str, url: str, headers: dict[str, str], body: str | None = None
) -> Any:
    data = None if body is None else {"body": body}
    with client.stream(method, url, headers=headers, json=data) as response:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE:
                raise ForgeError(f"{method} {url}: answer larger than {MAX_RESPONSE:,} bytes")
            chunks.append(chunk)
        if response.status_code >= 400:
            raise ForgeError(
                f"{method} {_path(url)}: HTTP {response.status_code} (does the token have the "
                "right to comment? pull requests from forks get a read-only token)"
            )
        text = b"".join(chunks)
    try:
        return json.loads(text) if text else None
    except ValueError:
        raise ForgeError(f"{method} {_path(url)}: the answer is not JSON") from None


def _path(url: str) -> str:
    return httpx.URL(url).path


def _github(client: httpx.Client, t: Target, body: str) -> str:
    headers = {
        "Authorization": f"Bearer {t.token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    base = f"{t.api}/repos/{quote(t.project, safe='/')}/issues"
    for page in range(1, MAX_PAGES + 1):
        listed = _call(
            client, "GET", f"{base}/{t.number}/comments?per_page=100&page={page}", headers
        )
        if not isinstance(listed, list):
            raise ForgeError("GitHub API: the list of comments is not a list")
        for comment in listed:
            if _github_ours(comment, t.user):
                _call(client, "PATCH", f"{base}/comments/{int(comment['id'])}", headers, body)
                return f"updated comment {int(comment['id'])}"
        if len(listed) < 100:
            break
    _call(client, "POST", f"{base}/{t.number}/comments", headers, body)
    return "created a comment"


def _github_ours(comment: object, user: str) -> bool:
    if not isinstance(comment, dict) or not isinstance(comment.get("id"), int):
        return False
    author = comment.get("user")
    login = author.get("login") if isinstance(author, dict) else None
    text = comment.get("body")
    return login == user and isinstance(text, str) and text.startswith(MARKER)


def _gitlab(client: httpx.Client, t: Target, body: str) -> str:
    headers = {"PRIVATE-TOKEN": t.token}
    me = _call(client, "GET", f"{t.api}/user", headers)
    my_id = me.get("id") if isinstance(me, dict) else None
    if not isinstance(my_id, int):
        raise ForgeError("GitLab API: /user did not say who the token is")
    notes = f"{t.api}/projects/{quote(t.project, safe='')}/merge_requests/{t.number}/notes"
    for page in range(1, MAX_PAGES + 1):
        listed = _call(client, "GET", f"{notes}?per_page=100&page={page}", headers)
        if not isinstance(listed, list):
            raise ForgeError("GitLab API: the list of notes is not a list")
        for note in listed:
            if _gitlab_ours(note, my_id):
                _call(client, "PUT", f"{notes}/{int(note['id'])}", headers, body)
                return f"updated note {int(note['id'])}"
        if len(listed) < 100:
            break
    _call(client, "POST", notes, headers, body)
    return "created a note"


def _gitlab_ours(note: object, my_id: int) -> bool:
    if not isinstance(note, dict) or not isinstance(note.get("id"), int):
        return False
    author = note.get("author")
    text = note.get("body")
    return (
        isinstance(author, dict)
        and author.get("id") == my_id
        and isinstance(text, str)
        and text.startswith(MARKER)
    )
