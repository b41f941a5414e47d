"""Exports and account deletion through the chalice test client, with S3, DynamoDB and Cognito
in-process; the account table's stream reaches the jobs function after every request."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

import app as notes_app
from chalicelib import account, writes
from chalicelib.shapes import iso_time
from chalicelib.stream_consumers import JOBS
from local_stack.ttl import LocalClock, TtlSweep
from tests.chalicelib.test_attachments import ask_upload, attach, keys, send_file, uploaded
from tests.conftest import ApiUser, aws_client, time_to_live_of

SETTINGS = notes_app.settings


def with_file(user: ApiUser, data: bytes, **fields: Any) -> dict[str, Any]:
    note = user.create(**fields)
    response = attach(
        user, note["noteId"], uploaded(user, note["noteId"], data, name=fields.pop("name", "a.bin"))
    )
    assert response.status_code == 200, response.body
    body: dict[str, Any] = response.json_body
    return body


def export(user: ApiUser) -> dict[str, Any]:
    started = user.post("/exports")
    assert started.status_code == 202, started.body
    assert started.json_body["status"] == "pending"
    export_id = started.json_body["exportId"]
    assert started.headers["Location"] == f"/exports/{export_id}"
    status = user.get(f"/exports/{export_id}")
    assert status.status_code == 200, status.body
    body: dict[str, Any] = status.json_body
    return body


def test_an_export_holds_every_note_and_file_byte_for_byte(alice: ApiUser) -> None:
    data = bytes(range(256)) * 300
    kept = with_file(alice, data, title="Receipt", tags=["home", "tax"], content="paid\nin full")
    plain = alice.create(title="Plain", content="just words")
    gone = with_file(alice, b"trashed bytes", title="Old")
    assert alice.delete(f"/notes/{gone['noteId']}").status_code == 204
    status = export(alice)
    assert status["status"] == "ready", status
    assert status["progress"] == {"done": 3, "total": 3}
    archive = zipfile.ZipFile(io.BytesIO(requests.get(status["url"], timeout=10).content))
    assert status["size"] > 0
    names = sorted(archive.namelist())
    assert names == sorted(
        [
            f"{kept['noteId']}.md",
            f"{kept['noteId']}.json",
            f"{kept['noteId']}/a.bin",
            f"{plain['noteId']}.md",
            f"{plain['noteId']}.json",
            f"trash/{gone['noteId']}.md",
            f"trash/{gone['noteId']}.json",
            f"trash/{gone['noteId']}/a.bin",
        ]
    )
    assert archive.read(f"{kept['noteId']}/a.bin") == data
    assert archive.read(f"trash/{gone['noteId']}/a.bin") == b"trashed bytes"
    assert (
        json.loads(archive.read(f"{kept['noteId']}.json")) == alice.get(f"/notes/{kept['noteId']}").json_body
    )
    trashed = json.loads(archive.read(f"trash/{gone['noteId']}.json"))
    assert trashed == alice.get("/trash").json_body["notes"][0]
    markdown = archive.read(f"{kept['noteId']}.md").decode()
    assert markdown == (
        "---\n"
        'title: "Receipt"\n'
        'tags: ["home", "tax"]\n'
        f'createdAt: "{kept["createdAt"]}"\n'
        f'updatedAt: "{kept["updatedAt"]}"\n'
        "---\n\npaid\nin full"
    )


def test_an_export_is_the_callers_own(alice: ApiUser, bob: ApiUser) -> None:
    alice.create(content="alice's")
    status = export(alice)
    for answer in (bob.get(f"/exports/{status['exportId']}"), bob.get("/exports/not-an-id")):
        assert answer.status_code == 404
        assert answer.json_body["Code"] == "NotFoundError"
    empty = export(bob)
    archive = zipfile.ZipFile(io.BytesIO(requests.get(empty["url"], timeout=10).content))
    assert archive.namelist() == []


def test_an_export_is_gone_a_day_after_it_is_ready(alice: ApiUser, monkeypatch: Any) -> None:
    alice.create(content="kept a day")
    ready_at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    now = [ready_at]
    monkeypatch.setattr(notes_app.services.exports, "_clock", lambda: iso_time(now[0]))
    status = export(alice)
    assert status["status"] == "ready", status
    assert status["availableUntil"] == iso_time(ready_at + timedelta(days=1))
    assert status["expiresAt"] == iso_time(ready_at + timedelta(hours=1))
    now[0] = ready_at + timedelta(days=1, seconds=-600)
    status = alice.get(f"/exports/{status['exportId']}").json_body
    assert status["expiresAt"] == iso_time(ready_at + timedelta(days=1))  # the link ends with the export
    now[0] = ready_at + timedelta(days=1)
    gone = alice.get(f"/exports/{status['exportId']}")
    assert gone.status_code == 404, gone.body  # before the TTL has removed its record


def test_an_export_takes_no_body(alice: ApiUser) -> None:
    answer = alice.post("/exports", {"what": "all"})
    assert answer.status_code == 400
    assert "body" in answer.json_body["Message"]


def test_deleting_the_account_needs_the_email_in_its_header(alice: ApiUser) -> None:
    alice.create()
    for headers in ({}, {"X-Confirm-Delete": "someone@example.com"}, {"X-Confirm-Delete": " "}):
        answer = alice.delete("/me", headers=headers)
        assert answer.status_code == 400, headers
        assert "X-Confirm-Delete" in answer.json_body["Message"]
    assert len(alice.get("/notes").json_body["notes"]) == 1


def test_a_deleted_account_leaves_nothing_and_its_tokens_are_refused(alice: ApiUser, bob: ApiUser) -> None:
    with_file(alice, b"file", title="one")
    gone = with_file(alice, b"trashed", title="two")
    alice.delete(f"/notes/{gone['noteId']}")
    export(alice)
    bobs = with_file(bob, b"bob's", title="bob")
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email.upper()}).status_code == 202
    for answer in (alice.get("/notes"), alice.get("/me"), alice.post("/notes", {"content": "x"})):
        assert answer.status_code == 401
        assert answer.json_body == {"message": "Unauthorized"}
    dynamodb = aws_client("dynamodb")
    for table in (SETTINGS.table_name, SETTINGS.trash_table_name, SETTINGS.search_table_name):
        owners = {item["userId"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
        assert alice.sub not in owners, table
    # The tombstone, without the email, and the item whose expiry sweeps what comes late.
    account_items = dynamodb.scan(TableName=SETTINGS.account_table_name)["Items"]
    assert sorted((item["userId"]["S"], item["item"]["S"], item.get("status")) for item in account_items) == [
        (alice.sub, "deleted", {"S": "deleted"}),
        (alice.sub, "sweep", None),
    ]
    assert all("email" not in item for item in account_items)
    assert [key for key in keys() if alice.sub in key] == []
    users = aws_client("cognito-idp").list_users(UserPoolId=SETTINGS.user_pool_id)["Users"]
    assert alice.sub not in {user["Username"] for user in users}
    assert bob.get(f"/notes/{bobs['noteId']}").status_code == 200
    assert any(bob.sub in key for key in keys())


def test_files_too_large_to_read_ahead_are_streamed_byte_for_byte(alice: ApiUser, monkeypatch: Any) -> None:
    from chalicelib import exports

    monkeypatch.setattr(exports, "FETCH_AHEAD_MAX_BYTES", 100)
    monkeypatch.setattr(exports, "READ_CHUNK_BYTES", 1000)
    small = with_file(alice, b"small")
    data = bytes(range(256)) * 64
    large = with_file(alice, data)
    status = export(alice)
    archive = zipfile.ZipFile(io.BytesIO(requests.get(status["url"], timeout=10).content))
    assert archive.read(f"{large['noteId']}/a.bin") == data
    assert archive.read(f"{small['noteId']}/a.bin") == b"small"


def test_an_export_out_of_time_fails_saying_so_and_keeps_nothing(alice: ApiUser, monkeypatch: Any) -> None:
    for n in range(3):
        alice.create(content=f"note {n}")
    real_run = notes_app.services.jobs.run
    monkeypatch.setattr(
        notes_app.services.jobs, "run", lambda event, seconds_left=None: real_run(event, lambda: 10.0)
    )
    status = export(alice)
    assert status["status"] == "failed"
    assert "stopped after 0 of 3 notes" in status["error"]
    assert status["url"] is None
    assert [key for key in keys() if key.startswith("exports/")] == []
    uploads = aws_client("s3").list_multipart_uploads(Bucket=SETTINGS.bucket_name).get("Uploads", [])
    assert uploads == []


def test_a_token_without_an_email_is_confirmed_against_the_pools_record(alice: ApiUser) -> None:
    # An access token carries no email: the deletion compares the header with the pool's user.
    from chalicelib.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not the email"):
        notes_app.services.deletion.request(alice.sub, None, "someone-else@example.com")
    assert not notes_app.services.deletion.refuses(alice.sub)
    notes_app.services.deletion.request(alice.sub, None, alice.email)
    assert notes_app.services.deletion.refuses(alice.sub)
    assert alice.get("/notes").status_code == 401


def test_a_deletion_reads_more_keys_only_as_its_deletions_catch_up(alice: ApiUser, monkeypatch: Any) -> None:
    """At the limits a partition holds millions of keys: never more than a page and the pending
    batches of them are held at once, however slow the deletions are."""
    model = notes_app.services.account_model
    with model.batch_write() as batch:
        for number in range(400):
            batch.save(model(alice.sub, f"export#{number:04}", status="ready"))
    monkeypatch.setattr(account, "KEYS_PER_QUERY", 50)
    monkeypatch.setattr(account, "PENDING_BATCHES", 2)
    counted = {"read": 0, "deleted": 0}
    held: list[int] = []
    lock = threading.Lock()
    query_page, delete_keys = writes.query_page, account._delete_keys

    def page(*args: Any, **kwargs: Any) -> Any:
        items, last_key = query_page(*args, **kwargs)
        with lock:
            counted["read"] += len(items)
        return items, last_key

    def slow_delete(*args: Any) -> None:
        time.sleep(0.05)  # a throttled table
        delete_keys(*args)
        with lock:
            counted["deleted"] += len(args[2])
            held.append(counted["read"] - counted["deleted"])

    monkeypatch.setattr(writes, "query_page", page)
    monkeypatch.setattr(account, "_delete_keys", slow_delete)
    assert notes_app.services.deletion._delete_partition(model, alice.sub) == 400
    assert list(model.query(alice.sub, consistent_read=True)) == []
    assert max(held) <= 50 + (2 + 1) * 25, held


def account_ttl(clock: LocalClock) -> TtlSweep:
    """The account table's time to live on ``clock``, its removals handed to the jobs function, as
    the local stack applies it (and as DynamoDB's TTL and the stream's filter do deployed)."""
    return time_to_live_of(JOBS, lambda event: notes_app.run_jobs(event, None), clock)


def test_a_deleted_accounts_tokens_stay_refused_whatever_the_clock(alice: ApiUser) -> None:
    alice.create()
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    clock = LocalClock()
    ttl = account_ttl(clock)
    for days in (1, 3, 400):  # past every expiry the table's TTL applies
        clock.advance(days * 24 * 60 * 60)
        ttl.sweep()
        for answer in (alice.get("/notes"), alice.get("/me"), alice.post("/notes", {"content": "back"})):
            assert answer.status_code == 401, days
    owners = {
        item["userId"]["S"] for item in aws_client("dynamodb").scan(TableName=SETTINGS.table_name)["Items"]
    }
    assert alice.sub not in owners


def test_an_upload_landing_after_the_deletion_is_swept_once_its_form_expired(alice: ApiUser) -> None:
    note = alice.create()
    form = ask_upload(alice, note["noteId"], b"sent late").json_body
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    send_file(form, b"sent late")  # the form is S3's: it still works
    assert [key for key in keys() if alice.sub in key] == [
        f"uploads/{alice.sub}/{note['noteId']}/{form['uploadId']}"
    ]
    clock = LocalClock()
    ttl = account_ttl(clock)
    clock.advance(account.SWEEP_AFTER_SECONDS - 60)
    ttl.sweep()
    assert len([key for key in keys() if alice.sub in key]) == 1  # a form may still be in use
    clock.advance(120)
    assert ttl.sweep() == {SETTINGS.account_table_name: 1}
    assert [key for key in keys() if alice.sub in key] == []
