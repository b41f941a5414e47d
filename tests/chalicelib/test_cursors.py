"""Cursors a client made itself: the tag is a checksum anyone can compute, so what keeps a made
cursor harmless is its position's check, a 400 naming the cursor before any DynamoDB call."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

import app as notes_app
from chalicelib.dynamodb_calls import client_of
from tests.conftest import ApiUser, recorded_dynamodb_calls

TIME = "2026-11-22T10:15:30.123Z"
NOTE_ID = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
SEARCH_UPDATED = "q=\x00tag=\x00sort=updated"  # what a search binds its cursors to


def made_cursor(owner: str, position: str, binding: str = "") -> str:
    """A cursor as a client can make one, knowing the format: position, then its unkeyed tag."""
    message = f"{owner}\x00{position}" if not binding else f"{owner}\x00{binding}\x00{position}"
    tag = hashlib.blake2b(message.encode(), digest_size=8, person=b"notes-cursor").digest()
    return base64.urlsafe_b64encode(position.encode() + tag).rstrip(b"=").decode("ascii")


@pytest.fixture
def table_calls(alice: ApiUser) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every call to the notes table, the trash and the search index from here on."""
    models = (notes_app.services.note_model, notes_app.services.trash_model, notes_app.services.search_model)
    with recorded_dynamodb_calls([client_of(model) for model in models]) as calls:
        yield calls


# (the listing's path, its binding, a position it refuses)
REFUSED = [
    ("/notes", "", "n" * 1025),  # the 1,027-byte kind: more than a sort key holds
    ("/notes", "", "é" * 513),  # 1,026 bytes in 513 characters
    ("/notes?tag=home", "q=\x00tag=home\x00sort=created", "n" * 1025),
    ("/notes?sort=updated", SEARCH_UPDATED, NOTE_ID),  # no time
    ("/notes?sort=updated", SEARCH_UPDATED, f"yesterday#{NOTE_ID}"),
    ("/notes?sort=updated", SEARCH_UPDATED, f"{TIME}#"),
    ("/notes?sort=updated", SEARCH_UPDATED, f"{TIME}#{NOTE_ID}#x"),
    ("/notes?sort=updated", SEARCH_UPDATED, f"{TIME}#" + "n" * 998),  # "u#" + 1,023 bytes
    ("/trash", "trash", NOTE_ID),
    ("/trash", "trash", f"{TIME}#" + "n" * 1000),  # 1,025 bytes
    ("/trash", "trash", '{"userId": {"S": "someone else"}, "noteId": {"S": "x"}}'),
]


@pytest.mark.parametrize(("path", "binding", "position"), REFUSED)
def test_a_made_cursor_no_page_could_end_at_is_400_before_any_dynamodb_call(
    alice: ApiUser, table_calls: list[tuple[str, dict[str, Any]]], path: str, binding: str, position: str
) -> None:
    cursor = made_cursor(alice.sub, position, binding)
    joiner = "&" if "?" in path else "?"
    answer = alice.get(f"{path}{joiner}cursor={quote(cursor)}")
    assert answer.status_code == 400, answer.body
    assert answer.json_body["Code"] == "BadRequestError"
    assert "'cursor'" in answer.json_body["Message"]
    assert table_calls == []


def test_the_longest_position_a_key_holds_is_still_a_position(
    alice: ApiUser, table_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # A note's id as another tool stored it can be as long as a sort key: its cursor goes on.
    answer = alice.get(f"/notes?cursor={made_cursor(alice.sub, 'n' * 1024)}")
    assert answer.status_code == 200, answer.body
    assert [operation for operation, _ in table_calls] == ["Query"]
    updated = made_cursor(alice.sub, f"{TIME}#" + "n" * 997, SEARCH_UPDATED)
    assert alice.get(f"/notes?sort=updated&cursor={updated}").status_code == 200


def test_a_cursor_is_no_longer_than_its_longest_position(alice: ApiUser) -> None:
    too_long = "A" * 1377
    answer = alice.get(f"/notes?cursor={too_long}")
    assert answer.status_code == 400
    assert "'cursor'" in answer.json_body["Message"]


def test_the_cursors_the_api_gives_go_on(alice: ApiUser) -> None:
    for number in range(3):
        alice.create(content=f"note {number}", tags=["home"])
    for path in ("/notes?limit=1", "/notes?limit=1&sort=updated", "/notes?limit=1&tag=home"):
        cursor = alice.get(path).json_body["nextCursor"]
        assert alice.get(f"{path}&cursor={cursor}").status_code == 200, path
    note_ids = [alice.create()["noteId"] for _ in range(2)]
    for note_id in note_ids:
        assert alice.delete(f"/notes/{note_id}").status_code == 204
    cursor = alice.get("/trash?limit=1").json_body["nextCursor"]
    assert alice.get(f"/trash?limit=1&cursor={cursor}").json_body["notes"][0]["noteId"] == note_ids[0]
