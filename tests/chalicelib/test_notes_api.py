"""Each row of the contract's route table, through the chalice test client."""

from __future__ import annotations

import re
from datetime import datetime

import app as notes_app

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOTE_KEYS = {
    "noteId",
    "userId",
    "title",
    "content",
    "tags",
    "attachment",
    "createdAt",
    "updatedAt",
    "version",
}


def test_health_is_open(http):
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


def test_me_returns_the_callers_claims(sign_in):
    user = sign_in(groups=["admin", "editors"])
    response = user.get("/me")
    assert response.status_code == 200
    body = response.json_body
    assert (body["userId"], body["email"]) == (user.sub, user.email)
    assert sorted(body["groups"]) == ["admin", "editors"]  # Cognito does not promise an order


def test_create_returns_201_location_etag_and_the_note(alice):
    response = alice.post("/notes", {"title": "Groceries", "content": "eggs, milk", "tags": ["home"]})
    assert response.status_code == 201
    note = response.json_body
    assert set(note) == NOTE_KEYS
    assert response.headers["Location"] == f"/notes/{note['noteId']}"
    assert response.headers["ETag"] == '"1"'
    assert note["userId"] == alice.sub
    assert (note["title"], note["content"], note["tags"], note["attachment"]) == (
        "Groceries",
        "eggs, milk",
        ["home"],
        None,
    )
    assert note["version"] == 1
    assert ISO_MS.match(note["createdAt"]) and note["createdAt"] == note["updatedAt"]


def test_create_applies_defaults(alice):
    note = alice.post("/notes", {"content": "only content"}).json_body
    assert (note["title"], note["tags"], note["attachment"]) == ("", [], None)


def test_create_stores_the_note(alice):
    note = alice.create(title="kept", content="body", tags=["a", "b"])
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"], consistent_read=True)
    assert (stored.title, stored.content, stored.tags, stored.version) == ("kept", "body", ["a", "b"], 1)


def test_note_ids_sort_in_creation_order_even_within_a_millisecond(alice):
    ids = [alice.create()["noteId"] for _ in range(30)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 30
    assert all(re.fullmatch(r"[0-9a-f-]{36}", note_id) for note_id in ids)  # URL-safe


def test_get_returns_the_note_and_its_etag(alice):
    note = alice.create(content="read me")
    response = alice.get(f"/notes/{note['noteId']}")
    assert response.status_code == 200
    assert response.json_body == note
    assert response.headers["ETag"] == '"1"'


def test_get_missing_note_is_404(alice):
    response = alice.get("/notes/01a20256-1ac6-781a-b77a-7e7ebcffa4ac")
    assert response.status_code == 404
    assert response.json_body["Code"] == "NotFoundError"


def test_get_with_an_invalid_id_is_404(alice):
    for bad in ("nope", "01A20256-1AC6-781A-B77A-7E7EBCFFA4AC", "0" * 300):
        response = alice.get(f"/notes/{bad}")
        assert response.status_code == 404, bad
        assert response.json_body["Code"] == "NotFoundError"


def test_put_replaces_every_editable_field(alice):
    note = alice.create(title="t", content="c", tags=["x"])
    response = alice.put(f"/notes/{note['noteId']}", {"content": "new"})
    assert response.status_code == 200
    body = response.json_body
    assert (body["title"], body["content"], body["tags"], body["attachment"]) == ("", "new", [], None)
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert body["createdAt"] == note["createdAt"]
    assert body["updatedAt"] >= note["updatedAt"]
    assert alice.get(f"/notes/{note['noteId']}").json_body == body


def test_patch_changes_only_the_given_fields(alice):
    note = alice.create(title="t", content="c", tags=["x"])
    response = alice.patch(f"/notes/{note['noteId']}", {"title": "renamed"})
    assert response.status_code == 200
    body = response.json_body
    assert (body["title"], body["content"], body["tags"], body["attachment"]) == ("renamed", "c", ["x"], None)
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert alice.get(f"/notes/{note['noteId']}").json_body == body


def test_versions_grow_by_one_on_every_change(alice):
    note_id = alice.create()["noteId"]
    versions = [alice.patch(f"/notes/{note_id}", {"title": str(i)}).json_body["version"] for i in range(5)]
    versions.append(alice.put(f"/notes/{note_id}", {"content": "x"}).json_body["version"])
    assert versions == [2, 3, 4, 5, 6, 7]


def test_put_and_patch_never_create(alice):
    missing = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"
    assert alice.put(f"/notes/{missing}", {"content": "x"}).status_code == 404
    assert alice.patch(f"/notes/{missing}", {"title": "x"}).status_code == 404
    assert alice.get("/notes").json_body["notes"] == []


def test_delete_removes_the_note(alice):
    note_id = alice.create()["noteId"]
    response = alice.delete(f"/notes/{note_id}")
    assert response.status_code == 204
    assert response.body == b""
    assert alice.get(f"/notes/{note_id}").status_code == 404
    assert alice.delete(f"/notes/{note_id}").status_code == 404


def test_timestamps_are_utc_milliseconds(alice):
    note = alice.create()
    created = datetime.fromisoformat(note["createdAt"].replace("Z", "+00:00"))
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0


def test_unexpected_errors_are_a_bare_500(alice, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("secret internal detail")

    monkeypatch.setattr(notes_app.services.notes, "get_note", explode)
    response = alice.get("/notes/01a20256-1ac6-781a-b77a-7e7ebcffa4ac")
    assert response.status_code == 500
    assert response.json_body == {
        "Code": "InternalServerError",
        "Message": "An internal server error occurred.",
    }
    assert b"secret" not in response.body and b"Traceback" not in response.body


def test_a_protected_route_without_a_token_is_401(http):
    for method, path in [("GET", "/me"), ("GET", "/notes"), ("POST", "/notes")]:
        response = http.request(method, path, headers={"Content-Type": "application/json"}, body=b"{}")
        assert response.status_code == 401, (method, path)
        assert response.json_body == {"message": "Unauthorized"}
