"""The trash, exports and account deletion over real HTTP on the local stack (``make run``): the
jobs function runs from the account table's stream, and the trash is purged on the local stack's
own clock, moved 30 days on here, as DynamoDB's TTL purges it deployed (and notes' versions 90
days after they were replaced)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.stack import Stack, StackUser, new_user, running_stack

WAIT_SECONDS = 20.0
DAY = 24 * 60 * 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("your-data")) as started:
        yield started


def until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (answer := check()):
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}"
        time.sleep(0.1)
    return answer


def move_clock(stack: Stack, seconds: float) -> requests.Response:
    return requests.post(
        f"{stack.facts.aws_endpoint}/local/clock",
        json={"advanceSeconds": seconds},
        headers={"Authorization": f"Bearer {stack.facts.aws_secret_access_key}"},
        timeout=10,
    )


def trash_ids(user: StackUser) -> list[str]:
    answer = user.call("GET", "/trash")
    assert answer.status_code == 200, answer.text
    return [note["noteId"] for note in answer.json()["notes"]]


def download(user: StackUser, note_id: str) -> bytes:
    link = user.call("GET", f"/notes/{note_id}/attachment")
    assert link.status_code == 200, link.text
    return requests.get(link.json()["url"], timeout=10).content


def test_trash_restore_and_deletion_for_good_keep_or_take_the_file(stack: Stack) -> None:
    user = new_user(stack, "trash")
    data = bytes(range(256)) * 100
    kept = user.attach(user.create_note("keep me")["noteId"], "keep.bin", data)
    dropped = user.attach(user.create_note("drop me")["noteId"], "drop.bin", b"drop")
    for note in (kept, dropped):
        assert user.call("DELETE", f"/notes/{note['noteId']}").status_code == 204
        assert user.note(note["noteId"]).status_code == 404
    assert trash_ids(user) == [dropped["noteId"], kept["noteId"]]
    restored = user.call("POST", f"/trash/{kept['noteId']}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json() == {**kept, "version": kept["version"] + 1}
    assert download(user, kept["noteId"]) == data
    assert len(stack.bucket_keys(f"files/{kept['userId']}/{dropped['noteId']}/")) == 1
    assert user.call("DELETE", f"/trash/{dropped['noteId']}").status_code == 204
    assert stack.bucket_keys(f"files/{kept['userId']}/{dropped['noteId']}/") == []
    assert trash_ids(user) == []


def test_another_users_trash_is_a_404_everywhere(stack: Stack) -> None:
    owner, other = new_user(stack, "owner"), new_user(stack, "other")
    note = owner.create_note("mine")
    owner.call("DELETE", f"/notes/{note['noteId']}")
    assert trash_ids(other) == []
    assert other.call("POST", f"/trash/{note['noteId']}/restore").status_code == 404
    assert other.call("DELETE", f"/trash/{note['noteId']}").status_code == 404
    assert trash_ids(owner) == [note["noteId"]]


def test_the_trash_is_purged_thirty_days_on_versions_ninety_and_links_at_their_expiry_by_the_local_clock(
    tmp_path: Any,
) -> None:
    # A stack of its own: the clock it moves is the whole stack's.
    with running_stack(tmp_path) as stack:
        user = new_user(stack, "purge")
        old = user.attach(user.create_note("old")["noteId"], "old.txt", b"old")
        live = user.attach(user.create_note("live")["noteId"], "live.txt", b"live")
        owner = old["userId"]
        for note in (old, live):  # each keeps one earlier version
            assert user.call("PATCH", f"/notes/{note['noteId']}", {"content": "newer"}).status_code == 200
        live = user.note(live["noteId"]).json()
        versions_table = stack.facts.table_name + "-versions"
        until(lambda: len(versions_of(stack, versions_table)) == 2, "both versions kept")
        link = user.call("POST", f"/notes/{live['noteId']}/share", {"expiresInDays": 1}).json()
        assert requests.get(f"{stack.facts.api_url}/shared/{link['shareId']}", timeout=10).status_code == 200
        user.call("DELETE", f"/notes/{old['noteId']}")
        trash_table = stack.facts.table_name + "-trash"
        assert move_clock(stack, 29 * DAY).status_code == 200
        time.sleep(1.5)  # the sweep the move started has run
        assert trash_ids(user) == [old["noteId"]]  # nothing before its time
        # The link of a day opens nothing now, and the time to live has removed it.
        assert requests.get(f"{stack.facts.api_url}/shared/{link['shareId']}", timeout=10).status_code == 404
        shares_table = stack.facts.table_name + "-shares"
        until(
            lambda: stack.client("dynamodb").scan(TableName=shares_table)["Items"] == [], "the link removed"
        )
        assert len(stack.bucket_keys(f"files/{owner}/{old['noteId']}/")) == 1
        assert move_clock(stack, DAY + 60).status_code == 200
        until(
            lambda: stack.bucket_keys(f"files/{owner}/{old['noteId']}/") == [],
            "the purged note's file is gone",
        )
        assert stack.client("dynamodb").scan(TableName=trash_table)["Items"] == []
        assert trash_ids(user) == []
        # The purged note's versions went with it; the live note keeps its own.
        until(
            lambda: versions_of(stack, versions_table) == [live["noteId"]], "the purged note's versions gone"
        )
        assert [
            item["version"]
            for item in user.call("GET", f"/notes/{live['noteId']}/versions").json()["versions"]
        ] == [2]  # the attachment made version 2, whose text the edit replaced
        # Nothing else: the live note and its file are as they were.
        assert user.note(live["noteId"]).json() == live
        assert download(user, live["noteId"]) == b"live"
        assert "expired: 1 item(s) of " + trash_table in stack.output.text()
        # Ninety days after it was replaced, the version is gone: from the API at once, from the
        # table by the time to live.
        assert move_clock(stack, 60 * DAY).status_code == 200
        assert user.call("GET", f"/notes/{live['noteId']}/versions").json()["versions"] == []
        assert user.call("GET", f"/notes/{live['noteId']}/versions/2").status_code == 404
        until(lambda: versions_of(stack, versions_table) == [], "the expired version removed")
        assert user.note(live["noteId"]).json() == live


def versions_of(stack: Stack, table: str) -> list[str]:
    """The note ids the versions table holds versions of."""
    return [item["noteId"]["S"] for item in stack.client("dynamodb").scan(TableName=table)["Items"]]


def test_the_clock_is_moved_only_with_the_runs_secret(stack: Stack) -> None:
    url = f"{stack.facts.aws_endpoint}/local/clock"
    assert requests.post(url, json={"advanceSeconds": 1}, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.post(url, json={"advanceSeconds": 1}, headers=wrong, timeout=10).status_code == 401
    assert move_clock(stack, -5).status_code == 400


def test_an_export_holds_every_note_and_file_byte_for_byte(stack: Stack) -> None:
    user = new_user(stack, "export")
    data = bytes(range(256)) * 1000
    note = user.attach(user.create_note("with a file", title="T", tags=["x"])["noteId"], "a.bin", data)
    gone = user.attach(user.create_note("trashed")["noteId"], "b.bin", b"trashed")
    user.call("DELETE", f"/notes/{gone['noteId']}")
    started = user.call("POST", "/exports")
    assert started.status_code == 202, started.text
    export_id = started.json()["exportId"]

    def ready() -> dict[str, Any] | None:
        status = user.call("GET", f"/exports/{export_id}").json()
        return status if status["status"] == "ready" else None

    status = until(ready, "the export is ready")
    archive = zipfile.ZipFile(io.BytesIO(requests.get(status["url"], timeout=10).content))
    assert archive.read(f"{note['noteId']}/a.bin") == data
    assert archive.read(f"trash/{gone['noteId']}/b.bin") == b"trashed"
    assert json.loads(archive.read(f"{note['noteId']}.json")) == user.note(note["noteId"]).json()
    assert len(archive.namelist()) == 6
    assert new_user(stack, "stranger").call("GET", f"/exports/{export_id}").status_code == 404


def test_a_deleted_account_leaves_nothing_and_its_token_is_refused(stack: Stack) -> None:
    user = new_user(stack, "leaving")
    note = user.attach(user.create_note("bye")["noteId"], "bye.txt", b"bye")
    trashed = user.create_note("trashed")
    user.call("DELETE", f"/notes/{trashed['noteId']}")
    owner = note["userId"]
    token = user.token
    confirm = {"Authorization": f"Bearer {token}", "X-Confirm-Delete": user.email}
    answer = requests.delete(f"{stack.facts.api_url}/me", headers=confirm, timeout=10)
    assert answer.status_code == 202, answer.text
    refused = requests.get(
        f"{stack.facts.api_url}/notes", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert refused.status_code == 401
    dynamodb = stack.client("dynamodb")

    def nothing_left() -> bool:
        for suffix in ("", "-trash", "-search", "-changes"):
            items = dynamodb.scan(TableName=stack.facts.table_name + suffix)["Items"]
            if owner in {item["userId"]["S"] for item in items}:
                return False
        return stack.bucket_keys(f"files/{owner}/") == [] and stack.bucket_keys(f"exports/{owner}/") == []

    until(nothing_left, "every item and object of the account is deleted")
    users = stack.cognito().list_users(UserPoolId=stack.facts.user_pool_id)["Users"]
    assert owner not in {found["Username"] for found in users}
    write = requests.post(
        f"{stack.facts.api_url}/notes",
        json={"content": "again"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert write.status_code == 401


def test_a_cursor_older_than_the_kept_deletions_must_start_again(stack: Stack) -> None:
    """Thirty-one days on by the local stack's clock, the time to live has removed the change feed's
    entries a cursor of back then would need: it is refused, and the feed starts again without
    one. (The feed's API and function read the moved clock, as the time to live does.)"""
    carol = new_user(stack, "resync")
    kept = carol.create_note("kept")
    gone = carol.create_note("gone")
    cursor = carol.call("GET", "/changes").json()["cursor"]
    carol.call("DELETE", f"/notes/{gone['noteId']}")
    assert move_clock(stack, 31 * DAY).status_code == 200
    refused = carol.call("GET", f"/changes?since={cursor}")
    assert refused.status_code == 410, refused.text
    assert refused.json()["Code"] == "ResyncRequired"
    again = carol.call("GET", "/changes").json()
    assert [change["noteId"] for change in again["changes"]] == [kept["noteId"]]
