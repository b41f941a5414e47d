"""Attachments through the chalice test client, with S3 and DynamoDB in-process.

The flow: ask for an upload (a presigned POST), send the file to S3, attach it (the server
checks the stored object and records it with one conditional write), download it with a
presigned GET, replace or remove it. What the bucket holds is asserted after every change:
a file is deleted once no note points at it, and never while one does.
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from uuid6 import uuid7

import app as notes_app
from chalicelib.dynamodb_calls import client_of
from chalicelib.files import content_disposition
from chalicelib.storage_layout import DEFAULT_MAX_BYTES, FILES_PREFIX, UPLOADS_PREFIX
from tests.conftest import ApiUser, aws_client
from tests.fakes import RefusedCalls, closed_port, upload_id_made_ago
from tests.stack import send_to_s3

BUCKET = notes_app.settings.bucket_name
MISSING_NOTE = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"


def keys(prefix: str = "") -> list[str]:
    """Every key in the stage's bucket under ``prefix``."""
    listed = aws_client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def ask_upload(user: ApiUser, note_id: str, data: bytes, name: str = "notes.txt", **extra: Any) -> Any:
    body = {"name": name, "contentType": "text/plain", "size": len(data), **extra}
    return user.post(f"/notes/{note_id}/attachment", body)


def send_file(upload: dict[str, Any], data: bytes) -> requests.Response:
    """What a browser or curl does with the presigned POST: every field, then the file."""
    response = send_to_s3(upload, data)
    assert response.status_code in (200, 204), response.text
    return response


def uploaded(user: ApiUser, note_id: str, data: bytes, name: str = "notes.txt") -> str:
    """An upload made and sent; its uploadId."""
    response = ask_upload(user, note_id, data, name)
    assert response.status_code == 201, response.body
    send_file(response.json_body, data)
    upload_id: str = response.json_body["uploadId"]
    return upload_id


def attach(user: ApiUser, note_id: str, upload_id: str, **kwargs: Any) -> Any:
    return user.put(f"/notes/{note_id}/attachment", {"uploadId": upload_id}, **kwargs)


def attached(user: ApiUser, data: bytes, name: str = "notes.txt") -> dict[str, Any]:
    """A new note with ``data`` attached as ``name``; the note."""
    note = user.create(content="with a file")
    response = attach(user, note["noteId"], uploaded(user, note["noteId"], data, name))
    assert response.status_code == 200, response.body
    result: dict[str, Any] = response.json_body
    return result


def download(user: ApiUser, note_id: str) -> requests.Response:
    response = user.get(f"/notes/{note_id}/attachment")
    assert response.status_code == 200, response.body
    fetched = requests.get(response.json_body["url"], timeout=10)
    assert fetched.status_code == 200
    return fetched


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- the whole flow -------------------------------------------------------------------------


def test_upload_attach_download_remove(alice):
    note = alice.create(content="receipts")
    data = b"%PDF-1.7 not really\n" * 100

    asked = ask_upload(alice, note["noteId"], data, "receipt.pdf", contentType="application/pdf")
    assert asked.status_code == 201, asked.body
    upload = asked.json_body
    assert set(upload) == {"uploadId", "url", "fields", "expiresAt"}
    assert timedelta(minutes=14) < iso(upload["expiresAt"]) - datetime.now(UTC) <= timedelta(minutes=15)
    assert upload["fields"]["key"] == f"{UPLOADS_PREFIX}{alice.sub}/{note['noteId']}/{upload['uploadId']}"
    assert keys() == []  # asking for an upload stores nothing

    send_file(upload, data)
    response = attach(alice, note["noteId"], upload["uploadId"], headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.body
    assert response.headers["ETag"] == '"2"'
    changed = response.json_body
    assert changed["version"] == 2
    assert changed["attachment"]["name"] == "receipt.pdf"
    assert (changed["attachment"]["size"], changed["attachment"]["contentType"]) == (
        len(data),
        "application/pdf",
    )
    assert changed["attachment"]["uploadedAt"] == changed["updatedAt"]
    assert (changed["content"], changed["createdAt"]) == (note["content"], note["createdAt"])
    assert alice.get(f"/notes/{note['noteId']}").json_body == changed
    [stored] = keys()
    assert stored.startswith(f"{FILES_PREFIX}{alice.sub}/{note['noteId']}/")  # the upload moved into place

    link = alice.get(f"/notes/{note['noteId']}/attachment")
    assert link.status_code == 200
    assert set(link.json_body) == {"url", "expiresAt", "name", "size", "contentType"}
    assert {k: link.json_body[k] for k in ("name", "size", "contentType")} == {
        "name": "receipt.pdf",
        "size": len(data),
        "contentType": "application/pdf",
    }
    assert timedelta(minutes=4) < iso(link.json_body["expiresAt"]) - datetime.now(UTC) <= timedelta(minutes=5)
    fetched = requests.get(link.json_body["url"], timeout=10)
    assert fetched.content == data
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="receipt.pdf"')

    removed = alice.delete(f"/notes/{note['noteId']}/attachment", headers={"If-Match": '"2"'})
    assert removed.status_code == 204
    after = alice.get(f"/notes/{note['noteId']}").json_body
    assert (after["attachment"], after["version"]) == (None, 3)
    assert keys() == []
    assert alice.get(f"/notes/{note['noteId']}/attachment").status_code == 404
    assert alice.delete(f"/notes/{note['noteId']}/attachment").status_code == 404


def test_the_attachment_shows_in_the_listing_and_survives_put_and_patch(alice):
    note = attached(alice, b"kept")
    listed = alice.get("/notes").json_body["notes"]
    assert listed[0]["attachment"] == note["attachment"]
    put = alice.put(f"/notes/{note['noteId']}", {"content": "rewritten"}).json_body
    patched = alice.patch(f"/notes/{note['noteId']}", {"title": "renamed"}).json_body
    assert put["attachment"] == patched["attachment"] == note["attachment"]
    assert download(alice, note["noteId"]).content == b"kept"


def test_replacing_deletes_the_old_file_and_the_upload(alice):
    note = attached(alice, b"first")
    [first] = keys(FILES_PREFIX)
    response = attach(alice, note["noteId"], uploaded(alice, note["noteId"], b"second", "second.txt"))
    assert response.status_code == 200, response.body
    assert response.json_body["attachment"]["name"] == "second.txt"
    assert response.json_body["version"] == 3
    [second] = keys()
    assert second.startswith(FILES_PREFIX) and second != first
    assert download(alice, note["noteId"]).content == b"second"


def test_deleting_the_note_keeps_its_file_in_the_trash_and_deleting_it_for_good_deletes_it(alice):
    note = attached(alice, b"bye")
    other = attached(alice, b"stays")
    assert len(keys(FILES_PREFIX)) == 2
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    assert len(keys(FILES_PREFIX)) == 2
    assert alice.delete(f"/trash/{note['noteId']}").status_code == 204
    assert len(keys(FILES_PREFIX)) == 1
    assert download(alice, other["noteId"]).content == b"stays"


def test_an_upload_is_attached_once(alice):
    note = alice.create()
    upload_id = uploaded(alice, note["noteId"], b"once")
    assert attach(alice, note["noteId"], upload_id).status_code == 200
    again = attach(alice, note["noteId"], upload_id)
    assert again.status_code == 400
    assert "already attached" in again.json_body["Message"]
    assert alice.get(f"/notes/{note['noteId']}").json_body["version"] == 2
    assert len(keys()) == 1


def test_a_note_without_attachment_has_none(alice):
    note = alice.create()
    assert note["attachment"] is None
    for method in ("GET", "DELETE"):
        response = alice.request(method, f"/notes/{note['noteId']}/attachment")
        assert response.status_code == 404
        assert response.json_body == {
            "Code": "NotFoundError",
            "Message": f"note {note['noteId']!r} has no attachment",
        }


def test_an_item_stored_with_an_old_string_attachment_reads_as_none(alice):
    note = alice.create(content="from before")
    aws_client("dynamodb").update_item(
        TableName=notes_app.settings.table_name,
        Key={"userId": {"S": alice.sub}, "noteId": {"S": note["noteId"]}},
        UpdateExpression="SET attachment = :a",
        ExpressionAttributeValues={":a": {"S": "some/client/key"}},
    )
    assert alice.get(f"/notes/{note['noteId']}").json_body["attachment"] is None
    assert alice.get(f"/notes/{note['noteId']}/attachment").status_code == 404


# ---- what a client may ask for ----------------------------------------------------------------

UPLOAD_CASES: list[tuple[str, Any, list[str]]] = [
    ("no body", None, ["body"]),
    ("not an object", [], ["object"]),
    ("name missing", {"contentType": "text/plain", "size": 1}, ["name", "required"]),
    ("contentType missing", {"name": "a", "size": 1}, ["contentType", "required"]),
    ("size missing", {"name": "a", "contentType": "text/plain"}, ["size", "required"]),
    ("unknown field", {"name": "a", "contentType": "text/plain", "size": 1, "key": "x"}, ["key"]),
    ("name empty", {"name": "", "contentType": "text/plain", "size": 1}, ["name", "255"]),
    ("name too long", {"name": "n" * 256, "contentType": "text/plain", "size": 1}, ["name", "255"]),
    ("name number", {"name": 7, "contentType": "text/plain", "size": 1}, ["name", "string"]),
    ("name with slash", {"name": "a/b", "contentType": "text/plain", "size": 1}, ["name", "'/'"]),
    ("name with backslash", {"name": "a\\b", "contentType": "text/plain", "size": 1}, ["name"]),
    ("name with newline", {"name": "a\nb", "contentType": "text/plain", "size": 1}, ["name", "control"]),
    ("name with DEL", {"name": "a\x7fb", "contentType": "text/plain", "size": 1}, ["name", "control"]),
    (
        "name with right-to-left override",
        {"name": "invoice\u202etxt.exe", "contentType": "text/plain", "size": 1},
        ["name", "U+202E", "format"],
    ),
    (
        "name with zero-width space",
        {"name": "a\u200bb.txt", "contentType": "text/plain", "size": 1},
        ["name", "U+200B", "format"],
    ),
    (
        "name with line separator",
        {"name": "a\u2028b.txt", "contentType": "text/plain", "size": 1},
        ["name", "U+2028", "separator"],
    ),
    (
        "name with paragraph separator",
        {"name": "a\u2029b.txt", "contentType": "text/plain", "size": 1},
        ["name", "U+2029", "separator"],
    ),
    ("name with C1 control", {"name": "a\x85b", "contentType": "text/plain", "size": 1}, ["name", "control"]),
    ("name lone surrogate", {"name": "\ud800", "contentType": "text/plain", "size": 1}, ["name", "Unicode"]),
    ("contentType no subtype", {"name": "a", "contentType": "pdf", "size": 1}, ["contentType"]),
    (
        "contentType params",
        {"name": "a", "contentType": "text/plain; charset=utf-8", "size": 1},
        ["contentType"],
    ),
    ("contentType empty", {"name": "a", "contentType": "", "size": 1}, ["contentType"]),
    ("contentType null", {"name": "a", "contentType": None, "size": 1}, ["contentType"]),
    ("size zero", {"name": "a", "contentType": "text/plain", "size": 0}, ["size", "10,485,760"]),
    ("size negative", {"name": "a", "contentType": "text/plain", "size": -1}, ["size"]),
    ("size fraction", {"name": "a", "contentType": "text/plain", "size": 1.5}, ["size", "whole"]),
    ("size string", {"name": "a", "contentType": "text/plain", "size": "10"}, ["size"]),
    ("size boolean", {"name": "a", "contentType": "text/plain", "size": True}, ["size"]),
    (
        "size too large",
        {"name": "a", "contentType": "text/plain", "size": DEFAULT_MAX_BYTES + 1},
        ["size", "10,485,760"],
    ),
]


def _raw(body: Any) -> bytes:
    if body is None:
        return b""
    # ensure_ascii keeps a lone surrogate as an escape, as a client would send it
    return json.dumps(body).encode()


@pytest.mark.parametrize(("case", "body", "words"), UPLOAD_CASES, ids=[c[0] for c in UPLOAD_CASES])
def test_a_bad_upload_request_is_a_400_naming_the_field(alice, case, body, words):
    note = alice.create()
    response = alice.post(
        f"/notes/{note['noteId']}/attachment", body=_raw(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.body
    assert response.json_body["Code"] == "BadRequestError"
    for word in words:
        assert word in response.json_body["Message"], (word, response.json_body["Message"])


def test_the_largest_file_allowed_is_accepted(alice):
    note = alice.create()
    body = {"name": "big.bin", "contentType": "application/octet-stream", "size": DEFAULT_MAX_BYTES}
    assert alice.post(f"/notes/{note['noteId']}/attachment", body).status_code == 201


ATTACH_CASES: list[tuple[str, Any, list[str]]] = [
    ("no body", None, ["body"]),
    ("uploadId missing", {}, ["uploadId", "required"]),
    ("uploadId number", {"uploadId": 5}, ["uploadId", "string"]),
    ("uploadId not an id", {"uploadId": "../../files/x"}, ["uploadId"]),
    ("uploadId upper case", {"uploadId": str(uuid7()).upper()}, ["uploadId"]),
    ("unknown field", {"uploadId": str(uuid7()), "key": "files/x"}, ["key"]),
]


@pytest.mark.parametrize(("case", "body", "words"), ATTACH_CASES, ids=[c[0] for c in ATTACH_CASES])
def test_a_bad_attach_request_is_a_400_naming_the_field(alice, case, body, words):
    note = alice.create()
    response = alice.put(
        f"/notes/{note['noteId']}/attachment", body=_raw(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.body
    for word in words:
        assert word in response.json_body["Message"], (word, response.json_body["Message"])
    assert alice.get(f"/notes/{note['noteId']}").json_body == note


# ---- uploads the server refuses to attach -------------------------------------------------------


def _refused(user: ApiUser, note: dict[str, Any], upload_id: str, *words: str) -> None:
    response = attach(user, note["noteId"], upload_id)
    assert response.status_code == 400, response.body
    assert response.json_body["Code"] == "BadRequestError"
    for word in words:
        assert word in response.json_body["Message"], (word, response.json_body["Message"])
    assert user.get(f"/notes/{note['noteId']}").json_body == note


def test_an_upload_bigger_than_declared_is_refused_and_deleted(alice):
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"x" * 10).json_body
    send_file(asked, b"x" * 11)  # the emulator does not enforce the policy; the server does
    _refused(alice, note, asked["uploadId"], "11 bytes", "10 were declared", "deleted")
    assert keys() == []


def test_an_upload_over_the_stages_limit_is_refused_and_deleted(alice, monkeypatch):
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"x" * 10).json_body
    send_file(asked, b"x" * 10)
    monkeypatch.setattr(notes_app.services.attachments, "_max_file_bytes", 9)
    _refused(alice, note, asked["uploadId"], "10 bytes", "at most 9")
    assert keys() == []


def test_an_upload_never_made_is_refused(alice):
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"never sent").json_body
    _refused(alice, note, asked["uploadId"], "never uploaded")


def test_an_upload_for_another_note_is_refused(alice):
    note, other = alice.create(), alice.create()
    upload_id = uploaded(alice, other["noteId"], b"for the other note")
    _refused(alice, note, upload_id, "another note")
    assert attach(alice, other["noteId"], upload_id).status_code == 200  # still usable where it belongs


def test_another_users_upload_is_refused(alice, bob):
    note = alice.create()
    bobs = bob.create()
    upload_id = uploaded(bob, bobs["noteId"], b"bob's")
    _refused(alice, note, upload_id, "upload")
    assert keys(FILES_PREFIX) == []


def test_an_expired_upload_is_refused(alice):
    note = alice.create()
    # An upload asked for two hours ago and sent in time: its id carries when it was made.
    expired = upload_id_made_ago(2 * 3600)
    aws_client("s3").put_object(
        Bucket=BUCKET,
        Key=f"{UPLOADS_PREFIX}{alice.sub}/{note['noteId']}/{expired}",
        Body=b"late",
        ContentType="text/plain",
        Metadata={"name": "late.txt", "size": "4"},
    )
    _refused(alice, note, expired, "expired")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("Content-Type", "text/html; charset=utf-8", ["contentType", "deleted"]),
        ("x-amz-meta-name", urllib.parse.quote("../../evil\n.html", safe=""), ["name", "deleted"]),
        ("x-amz-meta-name", "", ["name", "deleted"]),
    ],
)
def test_an_upload_stored_with_other_fields_than_its_form_is_refused_and_deleted(alice, field, value, words):
    # Real S3 refuses such a POST (the policy fixes every field); the emulator stores it.
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"12345").json_body
    send_file({**asked, "fields": {**asked["fields"], field: value}}, b"12345")
    _refused(alice, note, asked["uploadId"], *words)
    assert keys() == []


def test_an_upload_is_checked_against_what_the_server_declared_not_its_own_metadata(alice):
    # Declared 5 bytes; stored 5,000 with metadata that claims 5,000 (a client writing the bucket
    # directly chooses every header): the server compares with what it declared itself.
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"12345").json_body
    send_file({**asked, "fields": {**asked["fields"], "x-amz-meta-size": "5000"}}, b"x" * 5000)
    _refused(alice, note, asked["uploadId"], "5,000 bytes", "5 were declared", "deleted")
    assert keys() == []


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("Content-Type", "text/html", ["contentType", "'text/html'", "'text/plain' was declared"]),
        (
            "x-amz-meta-name",
            urllib.parse.quote("evil name<script>.exe", safe=""),
            ["name", "'evil name<script>.exe'", "'ok.txt' was declared"],
        ),
    ],
)
def test_an_upload_stored_with_another_valid_name_or_type_is_refused(alice, field, value, words):
    note = alice.create()
    asked = ask_upload(alice, note["noteId"], b"12345", "ok.txt").json_body
    send_file({**asked, "fields": {**asked["fields"], field: value}}, b"12345")
    _refused(alice, note, asked["uploadId"], *words, "deleted")
    assert keys() == []


def test_an_upload_the_server_never_issued_is_refused_whatever_its_metadata(alice):
    note = alice.create()
    never_issued = str(uuid7())
    aws_client("s3").put_object(
        Bucket=BUCKET,
        Key=f"{UPLOADS_PREFIX}{alice.sub}/{note['noteId']}/{never_issued}",
        Body=b"forged",
        ContentType="text/plain",
        Metadata={"name": "forged.txt", "size": "6"},
    )
    _refused(alice, note, never_issued, "never asked for here")
    assert keys(FILES_PREFIX) == []


def test_a_second_attach_of_one_upload_is_refused_even_if_its_object_is_put_back(alice):
    note = alice.create()
    upload_id = uploaded(alice, note["noteId"], b"once")
    first = attach(alice, note["noteId"], upload_id)
    assert first.status_code == 200, first.body
    # The same object written again under the upload's key: the server issued it for one attach.
    aws_client("s3").put_object(
        Bucket=BUCKET,
        Key=f"{UPLOADS_PREFIX}{alice.sub}/{note['noteId']}/{upload_id}",
        Body=b"once",
        ContentType="text/plain",
        Metadata={"name": "notes.txt", "size": "4"},
    )
    again = attach(alice, note["noteId"], upload_id)
    assert again.status_code == 400, again.body
    assert "already attached" in again.json_body["Message"]
    assert alice.get(f"/notes/{note['noteId']}").json_body == first.json_body


def test_an_upload_recorded_on_the_last_try_is_issued(alice, monkeypatch):
    # Uploads of the same note recorded at the same moment defeat the first tries: the last try,
    # if it succeeds, issues the form; only a note that kept changing through every try is a 503.
    from chalicelib import attachments, writes

    note = alice.create()
    real = writes.update_if
    failures = []

    def crowded(*args, **kwargs):
        return failures.pop() if failures else real(*args, **kwargs)

    monkeypatch.setattr(writes, "update_if", crowded)
    failures[:] = [False] * attachments.RECORD_ATTEMPTS  # the first write and all retries but the last
    asked = ask_upload(alice, note["noteId"], b"last try")
    assert asked.status_code == 201, asked.body
    send_file(asked.json_body, b"last try")
    assert attach(alice, note["noteId"], asked.json_body["uploadId"]).status_code == 200

    failures[:] = [False] * (attachments.RECORD_ATTEMPTS + 1)  # every try
    crowded_out = ask_upload(alice, note["noteId"], b"no room")
    assert crowded_out.status_code == 503, crowded_out.body
    assert failures == []


def test_a_note_has_at_most_twenty_uploads_waiting_and_expired_ones_make_room(alice, monkeypatch):
    note = alice.create()
    for _ in range(20):
        assert ask_upload(alice, note["noteId"], b"x").status_code == 201
    refused = ask_upload(alice, note["noteId"], b"x")
    assert refused.status_code == 400, refused.body
    assert "20 uploads waiting" in refused.json_body["Message"]
    # An hour later the twenty have expired: asking again forgets them and succeeds.
    monkeypatch.setattr("chalicelib.attachments._expired", lambda upload_id: True)
    assert ask_upload(alice, note["noteId"], b"x").status_code == 201
    assert alice.get(f"/notes/{note['noteId']}").json_body == note  # the note itself never changed


@pytest.mark.parametrize(
    "upload_id",
    [
        "ffffffff-ffff-7fff-bfff-ffffffffffff",
        "e677d21f-dbff-7000-8000-000000000000",
        "00000000-0000-7000-8000-000000000000",
    ],
    ids=["year 10889", "end of 9999", "1970"],
)
def test_an_upload_id_of_any_time_is_a_400_never_a_500(alice, upload_id):
    note = alice.create()
    _refused(alice, note, upload_id, "upload")
    assert alice.put(f"/notes/{MISSING_NOTE}/attachment", {"uploadId": upload_id}).status_code == 404


# ---- If-Match -----------------------------------------------------------------------------------


def test_a_stale_if_match_on_attach_changes_nothing_and_leaves_no_copy(alice):
    note = attached(alice, b"current")
    [current] = keys(FILES_PREFIX)
    upload_id = uploaded(alice, note["noteId"], b"stale")
    response = attach(alice, note["noteId"], upload_id, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert response.json_body["Code"] == "PreconditionFailed"
    assert alice.get(f"/notes/{note['noteId']}").json_body == note
    assert keys(FILES_PREFIX) == [current]
    # The upload is kept, so the client can attach it again after reloading the note.
    assert attach(alice, note["noteId"], upload_id, headers={"If-Match": '"2"'}).status_code == 200


def test_a_stale_if_match_on_remove_keeps_the_file(alice):
    note = attached(alice, b"kept")
    response = alice.delete(f"/notes/{note['noteId']}/attachment", headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert alice.get(f"/notes/{note['noteId']}").json_body == note
    assert download(alice, note["noteId"]).content == b"kept"


@pytest.mark.parametrize("header", ['W/"2"', "2", '"two"'])
def test_a_malformed_if_match_is_a_400(alice, header):
    note = attached(alice, b"kept")
    response = alice.delete(f"/notes/{note['noteId']}/attachment", headers={"If-Match": header})
    assert response.status_code == 400
    assert "If-Match" in response.json_body["Message"]


# ---- other users --------------------------------------------------------------------------------


def test_another_user_gets_404_on_every_attachment_route(alice, bob):
    note = attached(alice, b"private")
    path = f"/notes/{note['noteId']}/attachment"
    alices_upload = uploaded(alice, note["noteId"], b"pending")
    answers = [
        bob.post(path, {"name": "x.txt", "contentType": "text/plain", "size": 1}),
        bob.put(path, {"uploadId": alices_upload}),
        bob.get(path),
        bob.delete(path),
    ]
    for response in answers:
        assert response.status_code == 404, response.body
        assert response.json_body == {
            "Code": "NotFoundError",
            "Message": f"note {note['noteId']!r} not found",
        }
    assert alice.get(f"/notes/{note['noteId']}").json_body == note
    assert download(alice, note["noteId"]).content == b"private"


def test_a_missing_note_is_404_on_every_attachment_route(alice):
    path = f"/notes/{MISSING_NOTE}/attachment"
    for method, body in [
        ("POST", {"name": "x.txt", "contentType": "text/plain", "size": 1}),
        ("PUT", {"uploadId": str(uuid7())}),
        ("GET", None),
        ("DELETE", None),
    ]:
        response = alice.request(method, path) if body is None else alice.request(method, path, body)
        assert response.status_code == 404, (method, response.body)
    assert alice.request("GET", "/notes/not-an-id/attachment").status_code == 404


def test_urls_only_ever_name_the_callers_own_keys(alice, bob):
    note = bob.create()
    asked = ask_upload(bob, note["noteId"], b"x", name="..%2f..%2f" + alice.sub).json_body
    key = asked["fields"]["key"]
    assert key.startswith(f"{UPLOADS_PREFIX}{bob.sub}/{note['noteId']}/")
    assert alice.sub not in key and "%2f" not in key
    send_file(asked, b"x")
    assert attach(bob, note["noteId"], asked["uploadId"]).status_code == 200
    url = urllib.parse.urlsplit(bob.get(f"/notes/{note['noteId']}/attachment").json_body["url"])
    assert f"/{FILES_PREFIX}{bob.sub}/{note['noteId']}/" in url.path
    assert alice.sub not in url.path


# ---- file names in downloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("plain.txt", "plain.txt"),
        ('say "hi".txt', "say _hi_.txt"),
        ("résumé 2026.pdf", "r_sum_ 2026.pdf"),
        ("..", "download"),
        ("%2e%2e", "_2e_2e"),
        ("a;b=c.txt", "a_b=c.txt"),
        ("日本語", "download"),
    ],
)
def test_content_disposition_is_safe_for_any_name(name, fallback):
    header = content_disposition(name)
    assert header.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
    assert all(" " <= c <= "~" for c in header)
    assert urllib.parse.unquote(header.split("filename*=UTF-8''", 1)[1]) == name


@pytest.mark.parametrize("name", ['quote " and \\ back', "ünïcödé ✓.txt", "..", "CON", "a%20b"])
def test_a_download_carries_its_name(alice, name):
    name = name.replace("\\", "_")
    note = attached(alice, b"named", name)
    fetched = download(alice, note["noteId"])
    disposition = fetched.headers["Content-Disposition"]
    assert urllib.parse.unquote(disposition.split("filename*=UTF-8''", 1)[1]) == name
    assert note["attachment"]["name"] == name


# ---- S3 in trouble -------------------------------------------------------------------------------


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.body
    assert response.json_body["Code"] == "ServiceUnavailable"
    assert int(response.headers["Retry-After"]) >= 1
    assert b"Traceback" not in response.body


@pytest.fixture
def s3_failing(aws):
    """Answer the named S3 operations of the app with ``SlowDown`` (S3's throttling) before moto."""
    refused = RefusedCalls(notes_app.services.notes._files.client, "SlowDown", 503)
    yield refused.refuse
    refused.stop()


@pytest.mark.parametrize("operation", ["HeadObject", "CopyObject"])
def test_throttled_s3_on_attach_is_503_and_the_note_is_unchanged(alice, s3_failing, operation):
    note = attached(alice, b"current")
    [current] = keys(FILES_PREFIX)
    upload_id = uploaded(alice, note["noteId"], b"next")
    calls = s3_failing(operation)
    _assert_unavailable(attach(alice, note["noteId"], upload_id))
    assert calls == [operation]
    assert alice.get(f"/notes/{note['noteId']}").json_body == note
    assert keys(FILES_PREFIX) == [current]


def test_unreachable_s3_on_attach_is_503_and_the_note_is_unchanged(alice, monkeypatch):
    note = alice.create()
    upload_id = uploaded(alice, note["noteId"], b"next")
    files = notes_app.services.notes._files
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(files, "_client", None)  # a new client picks up the endpoint
    _assert_unavailable(attach(alice, note["noteId"], upload_id))
    monkeypatch.undo()
    files._client = None
    assert alice.get(f"/notes/{note['noteId']}").json_body == note


def test_removing_while_s3_is_throttled_still_removes_and_leaves_the_file_to_be_found(
    alice, s3_failing, caplog
):
    note = attached(alice, b"orphan")
    [file_key] = keys(FILES_PREFIX)
    s3_failing("DeleteObjects")
    assert alice.delete(f"/notes/{note['noteId']}/attachment").status_code == 204
    assert alice.get(f"/notes/{note['noteId']}").json_body["attachment"] is None
    assert keys(FILES_PREFIX) == [file_key]  # never a note whose file is gone: an orphan at worst
    assert file_key in caplog.text


def test_asking_for_urls_makes_no_s3_call(alice, s3_failing):
    note = attached(alice, b"x")
    calls = s3_failing("HeadObject", "CopyObject", "DeleteObjects", "GetObject", "PutObject")
    assert alice.get(f"/notes/{note['noteId']}/attachment").status_code == 200
    assert ask_upload(alice, note["noteId"], b"y").status_code == 201
    assert calls == []


def test_throttled_dynamodb_on_attach_is_503_the_note_unchanged_and_the_upload_kept(alice):
    note = alice.create()
    upload_id = uploaded(alice, note["noteId"], b"retry me")
    refused = RefusedCalls(client_of(notes_app.services.note_model), "ThrottlingException", 400)
    refused.refuse("UpdateItem")
    try:
        _assert_unavailable(attach(alice, note["noteId"], upload_id))
    finally:
        refused.stop()
    assert alice.get(f"/notes/{note['noteId']}").json_body == note
    # The same upload attaches once DynamoDB answers again.
    assert attach(alice, note["noteId"], upload_id).status_code == 200
    assert download(alice, note["noteId"]).content == b"retry me"
