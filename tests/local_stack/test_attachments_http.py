"""Attachments over real HTTP on the local stack (``make run``): the API's four routes, and the
file itself sent to and fetched from the S3 emulator through the presigned URLs, as any client
would, multipart form and all."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

import pytest
import requests

from tests.fakes import upload_id_made_ago
from tests.stack import Stack, StackUser, new_user, send_to_s3

TIMEOUT = 10
NAMES = [
    "receipt.pdf",
    "my receipt 2024.pdf",
    'the "final" draft.txt',
    "résumé – 日本語 ünïcödé.txt",
    "a 'mixed' name; 100% \"done\".txt",
    "..",
]


def keys_of_note(stack: Stack, note_id: str) -> list[str]:
    """Every key in the bucket, uploads or files, of one note."""
    return [key for key in stack.bucket_keys() if f"/{note_id}/" in key]


def disposition_names(header: str) -> tuple[str, str]:
    """The ``filename*`` (RFC 8187, decoded) and the ``filename`` fallback of a Content-Disposition."""
    assert header.isascii(), header
    assert header.split(";")[0] == "attachment", header
    extended = re.search(r"""(?:^|;)\s*filename\*=UTF-8''([^;\s]+)\s*(?:;|$)""", header)
    fallback = re.search(r'(?:^|;)\s*filename="([^"\\]*)"\s*(?:;|$)', header)
    assert extended and fallback, header
    return unquote(extended.group(1), errors="strict"), fallback.group(1)


@pytest.fixture(scope="module")
def alice(local_stack: Stack) -> StackUser:
    return new_user(local_stack, "files")


@pytest.mark.parametrize("name", NAMES)
def test_upload_attach_download_and_detach(local_stack: Stack, alice: StackUser, name: str) -> None:
    note_id = alice.create_note("with a file")["noteId"]
    data = os.urandom(50_000)

    form = alice.ask_upload(note_id, name, data, "text/plain")
    assert set(form) == {"uploadId", "url", "fields", "expiresAt"}
    assert form["url"].startswith(local_stack.facts.aws_endpoint + "/")
    assert "file" not in form["fields"]
    stored = send_to_s3(form, data)
    assert stored.status_code == 204, stored.text

    attached = alice.call("PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
    assert attached.status_code == 200, attached.text
    note = attached.json()
    assert attached.headers["ETag"] == '"2"' and note["version"] == 2
    attachment = note["attachment"]
    assert attachment == {
        "name": name,
        "size": len(data),
        "contentType": "text/plain",
        "uploadedAt": attachment["uploadedAt"],
    }
    assert alice.call("GET", f"/notes/{note_id}").json()["attachment"] == attachment
    assert len(keys_of_note(local_stack, note_id)) == 1  # the upload was moved, not copied and left

    link = alice.call("GET", f"/notes/{note_id}/attachment")
    assert link.status_code == 200, link.text
    found = link.json()
    assert {key: found[key] for key in ("name", "size", "contentType")} == {
        "name": name,
        "size": len(data),
        "contentType": "text/plain",
    }
    assert set(found) == {"url", "expiresAt", "name", "size", "contentType"}
    assert found["url"].startswith(local_stack.facts.aws_endpoint + "/")
    downloaded = requests.get(found["url"], timeout=TIMEOUT)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == data
    assert downloaded.headers["Content-Type"] == "text/plain"
    exact, fallback = disposition_names(downloaded.headers["Content-Disposition"])
    assert exact == name
    assert fallback.isascii() and fallback.strip(". ") and "/" not in fallback
    if name.isascii() and '"' not in name and ";" not in name and "%" not in name and name.strip("."):
        assert fallback == name

    removed = alice.call("DELETE", f"/notes/{note_id}/attachment")
    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    after = alice.call("GET", f"/notes/{note_id}").json()
    assert (after["attachment"], after["version"]) == (None, 3)
    gone = alice.call("GET", f"/notes/{note_id}/attachment")
    assert gone.status_code == 404 and "has no attachment" in gone.json()["Message"]
    assert alice.call("DELETE", f"/notes/{note_id}/attachment").status_code == 404
    assert keys_of_note(local_stack, note_id) == []
    # The file itself is gone: the download URL handed out before no longer serves it.
    assert requests.get(found["url"], timeout=TIMEOUT).status_code != 200


def test_another_user_gets_404_on_every_attachment_route(local_stack: Stack, alice: StackUser) -> None:
    note_id = alice.create_note("with a file")["noteId"]
    data = b"alice's file"
    alice.attach(note_id, "mine.txt", data)
    pending = alice.ask_upload(note_id, "next.txt", b"next", "text/plain")
    assert send_to_s3(pending, b"next").status_code == 204
    bob = new_user(local_stack, "files")
    path = f"/notes/{note_id}/attachment"

    answers = {
        "POST": bob.call("POST", path, {"name": "b.txt", "contentType": "text/plain", "size": 1}),
        "PUT": bob.call("PUT", path, {"uploadId": pending["uploadId"]}),
        "GET": bob.call("GET", path),
        "DELETE": bob.call("DELETE", path),
    }
    assert {method: answer.status_code for method, answer in answers.items()} == dict.fromkeys(answers, 404)
    for answer in answers.values():
        assert answer.json()["Code"] == "NotFoundError"
        assert "url" not in answer.json()

    # Nor can bob attach alice's upload to a note of his own.
    his = bob.create_note("with a file")["noteId"]
    stolen = bob.call("PUT", f"/notes/{his}/attachment", {"uploadId": pending["uploadId"]})
    assert stolen.status_code == 400 and "holds no file waiting for this note" in stolen.json()["Message"]
    assert bob.call("GET", f"/notes/{his}").json()["attachment"] is None

    # Alice's note and file are as they were.
    assert alice.call("GET", f"/notes/{note_id}").json()["attachment"]["name"] == "mine.txt"
    link = alice.call("GET", path).json()
    assert requests.get(link["url"], timeout=TIMEOUT).content == data


def test_an_upload_that_cannot_be_attached_is_a_400(local_stack: Stack, alice: StackUser) -> None:
    note_id = alice.create_note("with a file")["noteId"]
    path = f"/notes/{note_id}/attachment"

    never_sent = alice.ask_upload(note_id, "a.txt", b"abc", "text/plain")
    missing = alice.call("PUT", path, {"uploadId": never_sent["uploadId"]})
    assert missing.status_code == 400 and "holds no file waiting for this note" in missing.json()["Message"]

    expired = alice.call("PUT", path, {"uploadId": upload_id_made_ago(2 * 3600)})
    assert expired.status_code == 400 and "has expired" in expired.json()["Message"]

    too_large = alice.call("POST", path, {"name": "big.bin", "contentType": "x/y", "size": 10 * 1024**2 + 1})
    assert too_large.status_code == 400 and "field 'size'" in too_large.json()["Message"]

    by_hand = alice.call("PATCH", f"/notes/{note_id}", {"attachment": {"name": "x"}})
    assert by_hand.status_code == 400

    assert alice.call("GET", f"/notes/{note_id}").json() | {"createdAt": None, "updatedAt": None} == {
        "noteId": note_id,
        "userId": alice.call("GET", "/me").json()["userId"],
        "title": "",
        "content": "with a file",
        "tags": [],
        "attachment": None,
        "createdAt": None,
        "updatedAt": None,
        "version": 1,
    }


def test_if_match_guards_attach_and_detach(local_stack: Stack, alice: StackUser) -> None:
    note_id = alice.create_note("with a file")["noteId"]
    path = f"/notes/{note_id}/attachment"
    form = alice.ask_upload(note_id, "a.txt", b"first", "text/plain")
    assert send_to_s3(form, b"first").status_code == 204

    stale = alice.call("PUT", path, {"uploadId": form["uploadId"]}, if_match='"7"')
    assert stale.status_code == 412
    current = alice.call("PUT", path, {"uploadId": form["uploadId"]}, if_match='"1"')
    assert current.status_code == 200 and current.headers["ETag"] == '"2"'

    assert alice.call("DELETE", path, if_match='"1"').status_code == 412
    assert alice.call("GET", f"/notes/{note_id}").json()["attachment"]["name"] == "a.txt"
    assert alice.call("DELETE", path, if_match='"2"').status_code == 204
