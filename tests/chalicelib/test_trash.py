"""The trash through the chalice test client, with S3 and DynamoDB in-process.

A deleted note leaves the notes (and the search) for the trash with its file, comes back as it
was, or is deleted for good with its file; another user's trash is a 404 everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import app as notes_app
from chalicelib.stream_records import TTL_IDENTITY
from tests.chalicelib.test_attachments import attach, keys, uploaded
from tests.conftest import ApiUser, aws_client

MISSING_NOTE = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"
TRASH_TABLE = notes_app.settings.trash_table_name


def with_file(user: ApiUser, data: bytes = b"receipt bytes", **fields: Any) -> dict[str, Any]:
    note = user.create(**fields)
    response = attach(user, note["noteId"], uploaded(user, note["noteId"], data))
    assert response.status_code == 200, response.body
    body: dict[str, Any] = response.json_body
    return body


def trashed(user: ApiUser, **params: Any) -> list[dict[str, Any]]:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    response = user.get(f"/trash?{query}" if query else "/trash")
    assert response.status_code == 200, response.body
    notes: list[dict[str, Any]] = response.json_body["notes"]
    return notes


def test_a_deleted_note_goes_to_the_trash_with_its_file(alice: ApiUser) -> None:
    note = with_file(alice, title="Receipt", tags=["home"])
    files_before = keys("files/")
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    assert alice.get(f"/notes/{note['noteId']}").status_code == 404
    assert alice.get("/notes").json_body["notes"] == []
    assert alice.get("/notes?q=receipt").json_body["notes"] == []
    [shown] = trashed(alice)
    deleted = datetime.fromisoformat(shown.pop("deletedAt").replace("Z", "+00:00"))
    purge = datetime.fromisoformat(shown.pop("purgeAt").replace("Z", "+00:00"))
    assert purge - deleted == timedelta(days=30)
    assert abs(datetime.now(UTC) - deleted) < timedelta(minutes=1)
    assert shown == note  # as it was, version and file included
    assert keys("files/") == files_before  # the file is kept while the note is in the trash


def test_a_restored_note_is_back_as_it_was_with_its_file(alice: ApiUser) -> None:
    data = bytes(range(256)) * 40
    note = with_file(alice, data, title="Keep", content="walnut bread")
    alice.delete(f"/notes/{note['noteId']}")
    response = alice.post(f"/trash/{note['noteId']}/restore")
    assert response.status_code == 200, response.body
    assert response.json_body == {**note, "version": note["version"] + 1}
    assert response.headers["ETag"] == f'"{note["version"] + 1}"'
    assert alice.get(f"/notes/{note['noteId']}").json_body == response.json_body
    assert trashed(alice) == []
    assert [found["noteId"] for found in alice.get("/notes?q=walnut").json_body["notes"]] == [note["noteId"]]
    download = alice.get(f"/notes/{note['noteId']}/attachment").json_body
    import requests

    assert requests.get(download["url"], timeout=10).content == data
    # Restored once: a second restore finds nothing in the trash.
    assert alice.post(f"/trash/{note['noteId']}/restore").status_code == 404


def test_a_note_deleted_for_good_takes_its_file(alice: ApiUser) -> None:
    note = with_file(alice)
    alice.delete(f"/notes/{note['noteId']}")
    assert keys("files/") != []
    assert alice.delete(f"/trash/{note['noteId']}").status_code == 204
    assert keys("files/") == []
    assert trashed(alice) == []
    assert alice.delete(f"/trash/{note['noteId']}").status_code == 404
    assert alice.post(f"/trash/{note['noteId']}/restore").status_code == 404
    items = aws_client("dynamodb").scan(TableName=TRASH_TABLE)["Items"]
    assert items == []


def test_the_trash_pages_most_recently_deleted_first(alice: ApiUser) -> None:
    made = [alice.create(content=f"note {n}") for n in range(7)]
    order = [made[n]["noteId"] for n in (3, 0, 6, 1, 5, 2, 4)]
    for note_id in order:
        assert alice.delete(f"/notes/{note_id}").status_code == 204
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/trash?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = alice.get(path).json_body
        assert body["notes"], "a page after a cursor is never empty"
        seen += [note["noteId"] for note in body["notes"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == order[::-1]
    assert pages == 4


def test_the_trash_refuses_bad_paging(alice: ApiUser) -> None:
    alice.delete(f"/notes/{alice.create()['noteId']}")
    assert alice.get("/trash?limit=0").status_code == 400
    assert "limit" in alice.get("/trash?limit=101").json_body["Message"]
    assert "cursor" in alice.get("/trash?cursor=abc").json_body["Message"]
    assert "q" in alice.get("/trash?q=x").json_body["Message"]
    # A cursor of the notes is not a cursor of the trash.
    for _ in range(2):
        alice.create()
    notes_cursor = alice.get("/notes?limit=1").json_body["nextCursor"]
    assert alice.get(f"/trash?cursor={notes_cursor}").status_code == 400


def test_if_match_guards_the_move_to_the_trash(alice: ApiUser) -> None:
    note = alice.create()
    assert alice.delete(f"/notes/{note['noteId']}", headers={"If-Match": '"7"'}).status_code == 412
    assert alice.get(f"/notes/{note['noteId']}").status_code == 200
    assert trashed(alice) == []
    assert alice.delete(f"/notes/{note['noteId']}", headers={"If-Match": '"1"'}).status_code == 204
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 404


def test_another_users_trash_is_a_404_everywhere(alice: ApiUser, bob: ApiUser) -> None:
    note = with_file(alice)
    alice.delete(f"/notes/{note['noteId']}")
    assert trashed(bob) == []
    for answer in (
        bob.post(f"/trash/{note['noteId']}/restore"),
        bob.delete(f"/trash/{note['noteId']}"),
        bob.post(f"/trash/{MISSING_NOTE}/restore"),
        bob.post("/trash/not-an-id/restore"),
        bob.delete("/trash/not-an-id"),
    ):
        assert answer.status_code == 404, answer.body
        assert answer.json_body["Code"] == "NotFoundError"
    assert [found["noteId"] for found in trashed(alice)] == [note["noteId"]]
    assert keys("files/") != []


def test_restore_takes_no_body(alice: ApiUser) -> None:
    note = alice.create()
    alice.delete(f"/notes/{note['noteId']}")
    answer = alice.post(f"/trash/{note['noteId']}/restore", {"title": "x"})
    assert answer.status_code == 400
    assert "body" in answer.json_body["Message"]
    assert alice.post(f"/trash/{note['noteId']}/restore", {}).status_code == 200


def test_a_note_past_its_purge_time_is_gone_before_the_ttl_removes_it(
    alice: ApiUser, monkeypatch: Any
) -> None:
    note = alice.create()
    alice.delete(f"/notes/{note['noteId']}")
    later = datetime.now(UTC) + timedelta(days=30, seconds=1)
    monkeypatch.setattr(
        notes_app.services.trash,
        "_clock",
        lambda: later.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    assert trashed(alice) == []
    assert alice.post(f"/trash/{note['noteId']}/restore").status_code == 404
    assert alice.delete(f"/trash/{note['noteId']}").status_code == 404
    assert len(aws_client("dynamodb").scan(TableName=TRASH_TABLE)["Items"]) == 1  # nothing deleted early


@pytest.mark.parametrize("identity", [TTL_IDENTITY, None, {"type": "Service", "principalId": "someone"}])
def test_only_the_ttls_removals_delete_files(alice: ApiUser, identity: Any) -> None:
    note = with_file(alice)
    alice.delete(f"/notes/{note['noteId']}")
    [item] = aws_client("dynamodb").scan(TableName=TRASH_TABLE)["Items"]
    keys_of = {name: item[name] for name in ("userId", "noteId")}
    record: dict[str, Any] = {"eventName": "REMOVE", "dynamodb": {"Keys": keys_of, "OldImage": item}}
    if identity is not None:
        record["userIdentity"] = identity
    answer = notes_app.purge_trash({"Records": [record]}, None)
    assert answer["files"] == (1 if identity == TTL_IDENTITY else 0)
    assert (keys("files/") == []) == (identity == TTL_IDENTITY)


def test_a_note_changed_while_it_is_moved_goes_to_the_trash_as_it_is_now(
    alice: ApiUser, monkeypatch: Any
) -> None:
    from chalicelib import trash, writes

    note = alice.create(content="first")
    stale = writes.owned_note(notes_app.services.note_model, alice.sub, note["noteId"])
    assert alice.patch(f"/notes/{note['noteId']}", {"content": "second"}).status_code == 200
    reads = []
    real_read = writes.owned_note

    def read(model: Any, owner: str, note_id: str) -> Any:
        reads.append(note_id)
        return stale if len(reads) == 1 else real_read(model, owner, note_id)

    monkeypatch.setattr(trash.writes, "owned_note", read)
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    assert len(reads) == 2  # the first transaction was refused: the note had changed since it was read
    [shown] = trashed(alice)
    assert (shown["content"], shown["version"]) == ("second", 2)
