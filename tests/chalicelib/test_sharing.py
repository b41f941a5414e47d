"""Read-only links (POST, GET and DELETE /notes/{id}/share, GET /shares, and GET /shared/{shareId}
without a token) through the chalice test client, with AWS in-process."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

import app as notes_app
from chalicelib import sharing
from chalicelib.tables import SHARES
from local_stack.ttl import LocalClock
from tests.chalicelib.test_attachments import attach, uploaded
from tests.conftest import ApiUser, aws_client, recorded_dynamodb_calls, time_to_live_sweep
from tests.paging import pages

SHARES_TABLE = notes_app.settings.shares_table_name
WEB_URL = "https://notes.test.example"
MISSING = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"


def shared(user: ApiUser, note_id: str, body: Any = None) -> dict[str, Any]:
    answer = (
        user.post(f"/notes/{note_id}/share", body)
        if body is not None
        else user.post(f"/notes/{note_id}/share")
    )
    assert answer.status_code == 201, answer.body
    link: dict[str, Any] = answer.json_body
    return link


def opened(http: Any, share_id: str) -> Any:
    """GET /shared/{shareId} without any token."""
    return http.get(f"/shared/{share_id}")


def copies_made(run: Any) -> int:
    """How many CopyObject requests the app made while ``run`` ran."""
    s3 = notes_app.services.files.client
    copies: list[str] = []

    def count(**_: Any) -> None:
        copies.append("copy")

    s3.meta.events.register("before-call.s3.CopyObject", count)
    try:
        run()
    finally:
        s3.meta.events.unregister("before-call.s3.CopyObject", count)
    return len(copies)


def stored_shares() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws_client("dynamodb").scan(TableName=SHARES_TABLE)["Items"]
    return items


def assert_opens_nothing(answer: Any) -> None:
    assert answer.status_code == 404
    assert answer.json_body == {"Code": "NotFoundError", "Message": NOTHING}
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Robots-Tag"] == "noindex"


NOTHING = "this link opens no note: it may have expired or been stopped by its owner"


def test_a_link_opens_the_note_without_a_token_and_tells_nothing_of_its_owner(
    http: Any, alice: ApiUser
) -> None:
    note = alice.create(title="Trip", content="pack the **tent**", tags=["summer"])
    before = datetime.now(UTC)
    link = shared(alice, note["noteId"])
    assert set(link) == {"shareId", "url", "expiresAt"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", link["shareId"])  # 192 random bits
    assert link["url"] == f"{WEB_URL}/shared.html#{link['shareId']}"
    expires = datetime.fromisoformat(link["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=30) <= expires - before < timedelta(days=30, seconds=10)
    assert alice.get(f"/notes/{note['noteId']}/share").json_body == link

    answer = opened(http, link["shareId"])
    assert answer.status_code == 200
    assert answer.json_body == {
        "title": "Trip",
        "content": "pack the **tent**",
        "tags": ["summer"],
        "updatedAt": note["updatedAt"],
        "attachment": None,
    }
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Robots-Tag"] == "noindex"
    text = answer.body.decode()
    for secret in (alice.sub, alice.email, note["noteId"], '"version"', '"userId"', '"noteId"'):
        assert secret not in text


def test_a_new_link_replaces_the_old_and_a_stopped_one_opens_nothing_at_once(
    http: Any, alice: ApiUser
) -> None:
    note = alice.create(content="shared")
    first = shared(alice, note["noteId"])
    second = shared(alice, note["noteId"], {"expiresInDays": 7})
    assert second["shareId"] != first["shareId"]
    assert_opens_nothing(opened(http, first["shareId"]))
    assert opened(http, second["shareId"]).status_code == 200
    assert len(stored_shares()) == 1  # one live link per note
    assert alice.delete(f"/notes/{note['noteId']}/share").status_code == 204
    assert_opens_nothing(opened(http, second["shareId"]))
    gone = alice.get(f"/notes/{note['noteId']}/share")
    assert gone.status_code == 404 and "no live link" in gone.json_body["Message"]
    assert alice.delete(f"/notes/{note['noteId']}/share").status_code == 404  # nothing left to stop
    assert stored_shares() == []


def test_every_link_that_opens_nothing_gets_the_same_answer(
    http: Any, alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = [alice.create(content=f"note {index}") for index in range(4)]
    links = [shared(alice, note["noteId"]) for note in notes]
    alice.delete(f"/notes/{notes[0]['noteId']}/share")  # stopped
    alice.delete(f"/notes/{notes[1]['noteId']}")  # in the trash
    alice.delete(f"/notes/{notes[2]['noteId']}")
    alice.delete(f"/trash/{notes[2]['noteId']}")  # deleted for good
    for share_id in (
        *(link["shareId"] for link in links[:3]),
        "A" * 32,  # never made
        "not-a-link",
        "x" * 300,
    ):
        assert_opens_nothing(opened(http, share_id))
    later = time.time() + 31 * 86400
    monkeypatch.setattr(notes_app.services.sharing, "clock", lambda: later)
    assert_opens_nothing(opened(http, links[3]["shareId"]))  # expired


def test_a_trashed_notes_link_opens_nothing_until_the_note_is_restored(http: Any, alice: ApiUser) -> None:
    note = alice.create(content="back soon")
    link = shared(alice, note["noteId"])
    alice.delete(f"/notes/{note['noteId']}")
    assert_opens_nothing(opened(http, link["shareId"]))
    assert alice.get(f"/notes/{note['noteId']}/share").status_code == 404  # the note is not in the notes
    assert alice.post(f"/trash/{note['noteId']}/restore").status_code == 200
    assert opened(http, link["shareId"]).status_code == 200
    alice.delete(f"/notes/{note['noteId']}")
    alice.delete(f"/trash/{note['noteId']}")
    assert stored_shares() == []  # deleted for good: its link goes too


def test_a_link_expires_on_the_clock_and_its_time_to_live_removes_it(
    http: Any, alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = alice.create(content="for a day")
    link = shared(alice, note["noteId"], {"expiresInDays": 1})
    almost = time.time() + 86400 - 60
    monkeypatch.setattr(notes_app.services.sharing, "clock", lambda: almost)
    assert opened(http, link["shareId"]).status_code == 200
    later = time.time() + 86400 + 60
    monkeypatch.setattr(notes_app.services.sharing, "clock", lambda: later)
    assert_opens_nothing(opened(http, link["shareId"]))
    assert alice.get(f"/notes/{note['noteId']}/share").status_code == 404
    assert alice.get("/shares").json_body == {"notes": [], "nextCursor": None}
    clock = LocalClock()
    sweep = time_to_live_sweep(SHARES, clock)
    assert sweep.sweep() == {SHARES_TABLE: 0}
    clock.advance(86400 + 60)
    assert sweep.sweep() == {SHARES_TABLE: 1}


def test_a_deleted_accounts_links_open_nothing_and_are_deleted(
    http: Any, alice: ApiUser, bob: ApiUser
) -> None:
    mine = alice.create(content="alice's")
    upload = uploaded(alice, mine["noteId"], b"a file")
    attach(alice, mine["noteId"], upload)
    link = shared(alice, mine["noteId"])
    assert opened(http, link["shareId"]).status_code == 200  # its file copied for the link
    bobs = shared(bob, bob.create(content="bob's")["noteId"])
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    assert_opens_nothing(opened(http, link["shareId"]))
    assert [item["userId"]["S"] for item in stored_shares()] == [bob.sub]
    keys = [
        item["Key"]
        for item in aws_client("s3")
        .list_objects_v2(Bucket=notes_app.settings.bucket_name)
        .get("Contents", [])
    ]
    assert not [key for key in keys if key.startswith("shared/")]
    assert opened(http, bobs["shareId"]).status_code == 200


def test_a_shared_file_downloads_from_a_copy_that_names_neither_owner_nor_note(
    http: Any, alice: ApiUser
) -> None:
    note = alice.create(title="Receipt", content="see the file")
    attach(alice, note["noteId"], uploaded(alice, note["noteId"], b"first file"))
    link = shared(alice, note["noteId"])
    answer = opened(http, link["shareId"])
    file = answer.json_body["attachment"]
    assert set(file) == {"name", "size", "contentType", "url"}
    assert file["size"] == len(b"first file")
    for secret in (alice.sub, note["noteId"]):
        assert secret not in answer.body.decode()
    assert requests.get(file["url"], timeout=10).content == b"first file"
    # Opened again, the copy is not made again; a new file is copied at the next opening.
    assert copies_made(lambda: opened(http, link["shareId"])) == 0
    attach(alice, note["noteId"], uploaded(alice, note["noteId"], b"second file"))
    answers: list[Any] = []
    assert copies_made(lambda: answers.append(opened(http, link["shareId"]))) == 1
    again = answers[0].json_body["attachment"]
    assert requests.get(again["url"], timeout=10).content == b"second file"


def test_the_copy_is_made_again_after_half_a_day(
    http: Any, alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = alice.create(content="with a file")
    attach(alice, note["noteId"], uploaded(alice, note["noteId"], b"kept"))
    link = shared(alice, note["noteId"])
    opened(http, link["shareId"])
    [item] = stored_shares()
    made = item["copiedAt"]["S"]
    later = time.time() + sharing.COPY_REFRESH_SECONDS + 60
    monkeypatch.setattr(notes_app.services.sharing, "clock", lambda: later)
    opened(http, link["shareId"])
    [item] = stored_shares()
    assert item["copiedAt"]["S"] > made


def test_the_owner_lists_their_live_links(alice: ApiUser, bob: ApiUser) -> None:
    notes = [alice.create(content=f"n{index}") for index in range(5)]
    links = {note["noteId"]: shared(alice, note["noteId"]) for note in notes[:4]}
    bob_link = shared(bob, bob.create(content="bob's")["noteId"])
    walked = [
        item
        for page in pages(
            lambda params: (
                alice.get("/shares?limit=2" + "".join(f"&{k}={v}" for k, v in params.items())).json_body
            )
        )
        for item in page["notes"]
    ]
    assert {item["noteId"]: {k: v for k, v in item.items() if k != "noteId"} for item in walked} == links
    assert bob_link["shareId"] not in json.dumps(walked)


@pytest.mark.parametrize(
    "body",
    [
        {"expiresInDays": 0},
        {"expiresInDays": 366},
        {"expiresInDays": "30"},
        {"expiresInDays": 1.5},
        {"expiresInDays": True},
        {"expiresInDays": None},
        {"days": 3},
        [],
        "x",
    ],
)
def test_a_bad_expiry_is_a_400_naming_it(alice: ApiUser, body: Any) -> None:
    note = alice.create()
    answer = alice.post(f"/notes/{note['noteId']}/share", body)
    assert answer.status_code == 400
    message = answer.json_body["Message"]
    assert "expiresInDays" in message or "days" in message or "object" in message
    assert stored_shares() == []


def test_a_link_lives_up_to_365_days(alice: ApiUser) -> None:
    note = alice.create()
    link = shared(alice, note["noteId"], {"expiresInDays": 365})
    expires = datetime.fromisoformat(link["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=364, hours=23) < expires - datetime.now(UTC) <= timedelta(days=365)


def test_another_users_note_is_a_404_on_every_sharing_route(alice: ApiUser, bob: ApiUser) -> None:
    note = alice.create(content="alice's")
    link = shared(alice, note["noteId"])
    for method, body in (("POST", {"expiresInDays": 3}), ("GET", None), ("DELETE", None)):
        theirs = bob.request(method, f"/notes/{note['noteId']}/share", *([body] if body else []))
        nothing = bob.request(method, f"/notes/{MISSING}/share", *([body] if body else []))
        assert theirs.status_code == nothing.status_code == 404, method
        assert theirs.json_body["Message"].replace(note["noteId"], MISSING) == nothing.json_body["Message"]
    assert alice.get(f"/notes/{note['noteId']}/share").json_body == link  # untouched
    assert bob.get("/shares").json_body == {"notes": [], "nextCursor": None}


def test_a_missing_note_cannot_be_shared(alice: ApiUser) -> None:
    for note_id in (MISSING, "not-an-id"):
        assert alice.post(f"/notes/{note_id}/share").status_code == 404
    assert stored_shares() == []


def test_the_public_answer_is_four_reads_and_no_write(http: Any, alice: ApiUser) -> None:
    note = alice.create(content="read me")
    link = shared(alice, note["noteId"])
    models = (
        notes_app.services.share_model,
        notes_app.services.note_model,
        notes_app.services.account_model,
    )
    clients = [model._get_connection().connection.client for model in models]
    with recorded_dynamodb_calls(clients) as calls:
        assert opened(http, link["shareId"]).status_code == 200
    assert [name for name, _ in calls] == ["Query", "GetItem", "GetItem", "GetItem"]
    assert calls[0][1]["IndexName"] == "byShare"


def test_without_a_token_only_the_link_itself_is_answered(http: Any, alice: ApiUser) -> None:
    note = alice.create()
    assert http.request("POST", f"/notes/{note['noteId']}/share").status_code == 401
    assert http.get(f"/notes/{note['noteId']}/share").status_code == 401
    assert http.request("DELETE", f"/notes/{note['noteId']}/share").status_code == 401
    assert http.get("/shares").status_code == 401
