"""A note's history (GET /notes/{id}/versions, one version, a restore) through the chalice test
client, with DynamoDB in-process.

Every request is followed by the notes table's stream reaching the app's functions
(``tests.conftest.indexed``), as Lambda delivers it a moment after the write deployed: the
versions are kept by the change feed's function, never by the write itself. (Writers on many
threads at once, over real HTTP: tests/local_stack/test_history_http.py.)
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from chalice.test import Client

import app as notes_app
from chalicelib import history
from chalicelib.tables import VERSIONS
from local_stack.ttl import LocalClock
from tests.chalicelib.test_attachments import attach, uploaded
from tests.chalicelib.test_changes import pull, pull_all
from tests.conftest import ROOT, STAGE, ApiUser, aws_client, recorded_dynamodb_calls, time_to_live_sweep
from tests.paging import pages

VERSIONS_TABLE = notes_app.settings.versions_table_name


def versions(user: ApiUser, note_id: str, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    answer = user.get(f"/notes/{note_id}/versions" + (f"?{query}" if query else ""))
    assert answer.status_code == 200, answer.body
    body: dict[str, Any] = answer.json_body
    assert set(body) == {"versions", "nextCursor"}
    return body


def edited(user: ApiUser, note_id: str, **fields: Any) -> dict[str, Any]:
    answer = user.patch(f"/notes/{note_id}", fields)
    assert answer.status_code == 200, answer.body
    note: dict[str, Any] = answer.json_body
    return note


def stored_versions() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws_client("dynamodb").scan(TableName=VERSIONS_TABLE)["Items"]
    return items


def test_each_change_of_the_text_keeps_the_version_it_replaced(alice: ApiUser) -> None:
    first = alice.create(title="Plan", content="eggs", tags=["home"])
    second = edited(alice, first["noteId"], title="Plans")
    third = edited(alice, first["noteId"], content="eggs, milk – ünïcode")
    fourth = edited(alice, first["noteId"], tags=["home", "shop"])
    listed = versions(alice, first["noteId"])
    assert listed["nextCursor"] is None
    assert listed["versions"] == [
        {"version": note["version"], "updatedAt": note["updatedAt"], "title": note["title"], "size": size}
        for note, size in ((third, len("eggs, milk – ünïcode".encode())), (second, 4), (first, 4))
    ]  # newest first, the current version (4) not included
    for note in (first, second, third):
        answer = alice.get(f"/notes/{first['noteId']}/versions/{note['version']}")
        assert answer.status_code == 200
        assert answer.json_body == {
            field: note[field] for field in ("noteId", "title", "content", "tags", "version", "updatedAt")
        }
    assert alice.get(f"/notes/{first['noteId']}/versions/{fourth['version']}").status_code == 404
    assert len(stored_versions()) == 3  # each once


def test_a_change_that_leaves_the_text_as_it_was_keeps_no_version(alice: ApiUser) -> None:
    note = alice.create(title="Receipt", content="paid")
    attached = attach(alice, note["noteId"], uploaded(alice, note["noteId"], b"pdf bytes")).json_body
    assert attached["version"] == 2
    same = edited(alice, note["noteId"], content="paid", tags=[])
    assert same["version"] == 3
    assert versions(alice, note["noteId"])["versions"] == []
    assert stored_versions() == []


def test_the_write_itself_makes_no_request_to_the_versions(alice: ApiUser) -> None:
    note = alice.create(content="one")
    # A client whose writes the stream does not follow: what the write alone sends.
    plain = Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http
    clients = [
        model._get_connection().connection.client
        for model in (notes_app.services.note_model, notes_app.services.version_model)
    ]
    with recorded_dynamodb_calls(clients) as calls:
        answer = plain.request(
            "PATCH",
            f"/notes/{note['noteId']}",
            headers={**alice.auth, "Content-Type": "application/json"},
            body=b'{"content": "two"}',
        )
    assert answer.status_code == 200
    assert [(name, params["TableName"]) for name, params in calls] == [
        ("UpdateItem", notes_app.settings.table_name)
    ]


def test_versions_page_newest_first_and_every_page_holds_each_once(alice: ApiUser) -> None:
    note = alice.create(content="v1")
    for number in range(2, 8):
        edited(alice, note["noteId"], content=f"v{number}")
    read = pages(lambda params: versions(alice, note["noteId"], limit=2, **params), "versions")
    walked = [item for page in read for item in page["versions"]]
    assert [item["version"] for item in walked] == [6, 5, 4, 3, 2, 1]
    first = versions(alice, note["noteId"], limit=3)
    assert [item["version"] for item in first["versions"]] == [6, 5, 4] and first["nextCursor"]
    last = versions(alice, note["noteId"], limit=3, cursor=first["nextCursor"])
    assert [item["version"] for item in last["versions"]] == [3, 2, 1]
    assert last["nextCursor"] is None  # never an empty page after a cursor


def test_a_versions_cursor_is_bound_to_its_note_and_user(alice: ApiUser, bob: ApiUser) -> None:
    one, two = alice.create(content="a"), alice.create(content="b")
    for note in (one, two):
        for number in range(3):
            edited(alice, note["noteId"], content=f"{note['content']}{number}")
    cursor = versions(alice, one["noteId"], limit=1)["nextCursor"]
    for answer in (
        alice.get(f"/notes/{two['noteId']}/versions?cursor={cursor}"),
        alice.get(f"/notes/{one['noteId']}/versions?cursor=abc"),
        alice.get(
            f"/notes/{one['noteId']}/versions?cursor={alice.get('/notes?limit=1').json_body['nextCursor']}"
        ),
    ):
        assert answer.status_code == 400 and "cursor" in answer.json_body["Message"]
    bobs = bob.create(content="bob")
    assert bob.get(f"/notes/{bobs['noteId']}/versions?cursor={cursor}").status_code == 400


@pytest.mark.parametrize(
    ("query", "named"), [("limit=0", "limit"), ("limit=101", "limit"), ("sort=x", "sort")]
)
def test_bad_parameters_are_named(alice: ApiUser, query: str, named: str) -> None:
    note = alice.create()
    answer = alice.get(f"/notes/{note['noteId']}/versions?{query}")
    assert answer.status_code == 400
    assert named in answer.json_body["Message"]


@pytest.mark.parametrize("version", ["0", "01", "-1", "abc", "1.0", "9" * 11, "%20"])
def test_a_version_that_cannot_be_kept_is_a_404_naming_it(alice: ApiUser, version: str) -> None:
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    for answer in (
        alice.get(f"/notes/{note['noteId']}/versions/{version}"),
        alice.post(f"/notes/{note['noteId']}/versions/{version}/restore"),
    ):
        assert answer.status_code == 404
        assert answer.json_body["Code"] == "NotFoundError"
        assert "version" in answer.json_body["Message"]


def test_restore_without_if_match_makes_the_versions_text_current(alice: ApiUser) -> None:
    note = alice.create(title="Draft", content="the first words", tags=["a"])
    upload = uploaded(alice, note["noteId"], b"kept file")
    attach(alice, note["noteId"], upload)
    latest = edited(alice, note["noteId"], title="Final", content="other words", tags=["b"])
    # Version 1 became 2 by the attachment alone: the text the edit replaced is version 2's.
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [2]
    answer = alice.post(f"/notes/{note['noteId']}/versions/2/restore")
    assert answer.status_code == 200
    restored = answer.json_body
    assert answer.headers["ETag"] == f'"{latest["version"] + 1}"'
    assert {field: restored[field] for field in ("title", "content", "tags")} == {
        "title": "Draft",
        "content": "the first words",
        "tags": ["a"],
    }
    assert restored["version"] == latest["version"] + 1
    assert restored["attachment"] == latest["attachment"]  # the file stays as it is now
    assert alice.get(f"/notes/{note['noteId']}").json_body == restored
    # The text the restore replaced is kept in turn.
    newest = versions(alice, note["noteId"])["versions"][0]
    assert (newest["version"], newest["title"]) == (latest["version"], "Final")


def test_restore_with_if_match_is_guarded_as_any_write(alice: ApiUser) -> None:
    note = alice.create(content="one")
    now = edited(alice, note["noteId"], content="two")
    stale = alice.post(f"/notes/{note['noteId']}/versions/1/restore", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json_body["Code"] == "PreconditionFailed"
    assert alice.get(f"/notes/{note['noteId']}").json_body == now  # nothing changed
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [1]
    current = alice.post(
        f"/notes/{note['noteId']}/versions/1/restore", headers={"If-Match": f'"{now["version"]}"'}
    )
    assert current.status_code == 200 and current.json_body["content"] == "one"
    assert (
        alice.post(f"/notes/{note['noteId']}/versions/1/restore", headers={"If-Match": "x"}).status_code
        == 400
    )


def test_restore_takes_no_body(alice: ApiUser) -> None:
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    answer = alice.post(f"/notes/{note['noteId']}/versions/1/restore", {"content": "x"})
    assert answer.status_code == 400 and "body" in answer.json_body["Message"]


def test_a_restore_is_a_change_in_the_feed(alice: ApiUser) -> None:
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    _, cursor = pull_all(alice)
    restored = alice.post(f"/notes/{note['noteId']}/versions/1/restore").json_body
    [change] = pull(alice, cursor)["changes"]
    assert change["note"] == restored


def test_versions_are_kept_90_days_on_the_clock(alice: ApiUser, monkeypatch: pytest.MonkeyPatch) -> None:
    note = alice.create(content="old")
    edited(alice, note["noteId"], content="new")
    later = time.time() + history.KEEP_DAYS * 86400 + 60
    almost = later - 120
    monkeypatch.setattr(notes_app.services.history, "clock", lambda: almost)
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [1]
    monkeypatch.setattr(notes_app.services.history, "clock", lambda: later)
    assert versions(alice, note["noteId"])["versions"] == []
    assert alice.get(f"/notes/{note['noteId']}/versions/1").status_code == 404
    assert alice.post(f"/notes/{note['noteId']}/versions/1/restore").status_code == 404
    assert len(stored_versions()) == 1  # nothing is deleted early: the time to live removes it
    clock = LocalClock()
    sweep = time_to_live_sweep(VERSIONS, clock)
    assert sweep.sweep() == {VERSIONS_TABLE: 0}
    clock.advance(later - time.time())
    assert sweep.sweep() == {VERSIONS_TABLE: 1}
    assert stored_versions() == []


def test_a_trashed_note_keeps_its_versions_and_a_deletion_for_good_deletes_them(alice: ApiUser) -> None:
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    other = alice.create(content="other one")
    edited(alice, other["noteId"], content="other two")
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    for answer in (
        alice.get(f"/notes/{note['noteId']}/versions"),
        alice.get(f"/notes/{note['noteId']}/versions/1"),
        alice.post(f"/notes/{note['noteId']}/versions/1/restore"),
    ):
        assert answer.status_code == 404
    assert alice.post(f"/trash/{note['noteId']}/restore").status_code == 200
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [1]
    alice.delete(f"/notes/{note['noteId']}")
    assert alice.delete(f"/trash/{note['noteId']}").status_code == 204
    assert [item["noteId"]["S"] for item in stored_versions()] == [other["noteId"]]


def test_a_trashed_note_purged_by_its_time_to_live_takes_its_versions(alice: ApiUser) -> None:
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    alice.delete(f"/notes/{note['noteId']}")
    [item] = aws_client("dynamodb").scan(TableName=notes_app.settings.trash_table_name)["Items"]
    record = {
        "eventName": "REMOVE",
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {"Keys": {name: item[name] for name in ("userId", "noteId")}, "OldImage": item},
    }
    assert notes_app.purge_trash({"Records": [record]}, None) == {"records": 1, "files": 0, "versions": 1}
    assert stored_versions() == []


def test_a_deleted_account_leaves_no_version(alice: ApiUser, bob: ApiUser) -> None:
    for user in (alice, bob):
        note = user.create(content="one")
        edited(user, note["noteId"], content="two")
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    assert [item["userId"]["S"] for item in stored_versions()] == [bob.sub]


def test_another_users_history_is_a_404_like_a_missing_note(alice: ApiUser, bob: ApiUser) -> None:
    note = alice.create(content="alice's")
    edited(alice, note["noteId"], content="alice's, edited")
    missing = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
    for path, method in (
        ("/versions", "GET"),
        ("/versions/1", "GET"),
        ("/versions/1/restore", "POST"),
    ):
        theirs = bob.request(method, f"/notes/{note['noteId']}{path}")
        nothing = bob.request(method, f"/notes/{missing}{path}")
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json_body["Code"] == nothing.json_body["Code"] == "NotFoundError"
        assert theirs.json_body["Message"].replace(note["noteId"], missing) == nothing.json_body["Message"]
    assert alice.get(f"/notes/{note['noteId']}").json_body["content"] == "alice's, edited"
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [1]


def test_without_a_token_history_is_refused(http: Any) -> None:
    note_id = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
    assert http.get(f"/notes/{note_id}/versions").status_code == 401
    assert http.get(f"/notes/{note_id}/versions/1").status_code == 401
    assert http.request("POST", f"/notes/{note_id}/versions/1/restore").status_code == 401


def test_a_batch_given_again_keeps_each_version_once(alice: ApiUser, monkeypatch: pytest.MonkeyPatch) -> None:
    real = notes_app.follow_changes
    given: list[int] = []

    def twice(event: dict[str, Any], context: Any) -> dict[str, int]:
        given.append(len(event["Records"]))
        real(event, context)  # Lambda gives a batch again when its function failed
        return real(event, context)

    monkeypatch.setattr(notes_app, "follow_changes", twice)
    note = alice.create(content="one")
    edited(alice, note["noteId"], content="two")
    edited(alice, note["noteId"], content="three")
    assert given  # the stream went through the function
    assert [item["version"] for item in versions(alice, note["noteId"])["versions"]] == [2, 1]
    assert len(stored_versions()) == 2
