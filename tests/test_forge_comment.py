"""peac's one pull-request comment, against stand-ins of the GitHub and GitLab REST APIs on
loopback (the real ones cannot be reached from here): created once, edited on later pushes,
and never a stranger's comment, even one that carries peac's marker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peac.forge.comment import MARKER, ForgeError, Target, post, target_from
from tests.helpers.forges import BOT, GITLAB_BOT, fake_forge

STRANGER = {"login": "mallory", "id": 666, "type": "User"}


def _github(url: str, token: str = "secret-token") -> Target:
    return Target("github", url, "acme/shop", 7, token, BOT["login"])


def test_github_creates_then_edits_its_own_comment_only() -> None:
    with fake_forge("github") as forge:
        forge.add(f"{MARKER}\nall budgets pass (forged)", STRANGER)
        forge.add("looks good to me", STRANGER)
        assert post(_github(forge.url), "## peac gate FAIL\n") == "created a comment"
        done = post(_github(forge.url), f"{MARKER}\n## peac gate PASS\n")
        assert done.startswith("updated comment ")
        mine = forge.bodies_by(BOT)
        assert mine == [f"{MARKER}\n## peac gate PASS\n"]
        assert forge.bodies_by(STRANGER) == [
            f"{MARKER}\nall budgets pass (forged)",
            "looks good to me",
        ]
        assert all(token == "secret-token" for _, _, token in forge.calls)


def test_github_finds_its_comment_past_the_first_page() -> None:
    with fake_forge("github") as forge:
        for i in range(150):
            forge.add(f"comment {i}", STRANGER)
        post(_github(forge.url), "first")
        post(_github(forge.url), "second")
        assert forge.bodies_by(BOT) == [f"{MARKER}\nsecond"]


def test_a_long_comment_is_cut_to_what_github_keeps() -> None:
    with fake_forge("github") as forge:
        post(_github(forge.url), "x" * 200_000)
        (body,) = forge.bodies_by(BOT)
        assert len(body) <= 65_000 and body.endswith("artifacts)\n")


def test_a_refused_token_is_one_line_naming_the_call() -> None:
    with fake_forge("github") as forge, pytest.raises(ForgeError) as raised:
        post(_github(forge.url, token="tok-XYZZY"), "x")
    assert str(raised.value).startswith("GET /repos/acme/shop/issues/7/comments: HTTP 401")
    assert "XYZZY" not in str(raised.value)


def test_an_unreachable_api_is_a_forge_error() -> None:
    with pytest.raises(ForgeError, match="github API: ConnectError"):
        post(_github("http://127.0.0.1:9"), "x")


def test_gitlab_edits_the_note_of_the_token_s_own_user() -> None:
    with fake_forge("gitlab") as forge:
        forge.add(f"{MARKER}\nforged", {"id": 5, "username": "mallory"})
        target = Target("gitlab", forge.url, "42", 3, "secret-token")
        assert post(target, "one") == "created a note"
        assert post(target, "two").startswith("updated note ")
        assert forge.bodies_by(GITLAB_BOT) == [f"{MARKER}\ntwo"]
        assert forge.bodies_by({"id": 5, "username": "mallory"}) == [f"{MARKER}\nforged"]


def test_the_target_comes_from_the_platform_s_environment(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}), encoding="utf-8")
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_API_URL": "http://127.0.0.1:1/",
        "GITHUB_TOKEN": "t",
    }
    assert target_from(github) == Target(
        "github", "http://127.0.0.1:1", "acme/shop", 12, "t", "github-actions[bot]"
    )
    assert target_from({**github, "GITHUB_TOKEN": ""}) is None  # no token: nothing to do
    event.write_text(json.dumps({"ref": "refs/heads/main"}), encoding="utf-8")
    assert target_from(github) is None  # a push, not a pull request
    gitlab = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": "http://127.0.0.1:2/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "3",
        "PEAC_GITLAB_TOKEN": "g",
    }
    assert target_from(gitlab) == Target("gitlab", "http://127.0.0.1:2/api/v4", "42", 3, "g")
    assert target_from({**gitlab, "CI_MERGE_REQUEST_IID": ""}) is None
