"""A user can never see, change or learn about another user's notes."""

from __future__ import annotations

import pytest

import app as notes_app

MISSING = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"


def _not_found_body(user, method, note_id, **kwargs):
    response = user.request(method, f"/notes/{note_id}", **kwargs)
    assert response.status_code == 404
    body = response.json_body
    body["Message"] = body["Message"].replace(note_id, "<id>")
    return body


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("GET", {}),
        ("PUT", {"json_body": {"content": "stolen"}}),
        ("PATCH", {"json_body": {"title": "stolen"}}),
        ("DELETE", {}),
        ("PUT", {"json_body": {"content": "stolen"}, "headers": {"If-Match": '"1"'}}),
        ("PATCH", {"json_body": {"title": "stolen"}, "headers": {"If-Match": '"2"'}}),
        ("DELETE", {"headers": {"If-Match": '"1"'}}),
    ],
)
def test_another_users_note_is_indistinguishable_from_a_missing_one(alice, bob, method, kwargs):
    note = alice.create(title="private", content="alice's secret")
    foreign = _not_found_body(bob, method, note["noteId"], **kwargs)
    missing = _not_found_body(bob, method, MISSING, **kwargs)
    assert foreign == missing
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"], consistent_read=True)
    assert (stored.title, stored.content, stored.version) == ("private", "alice's secret", 1)


def test_listing_shows_only_the_callers_notes(alice, bob):
    alice_ids = {alice.create()["noteId"] for _ in range(3)}
    bob_ids = {bob.create()["noteId"] for _ in range(2)}
    assert {n["noteId"] for n in alice.get("/notes").json_body["notes"]} == alice_ids
    assert {n["noteId"] for n in bob.get("/notes").json_body["notes"]} == bob_ids


def test_a_cursor_from_another_user_is_refused(alice, bob):
    for _ in range(3):
        alice.create()
        bob.create()
    alice_cursor = alice.get("/notes?limit=1").json_body["nextCursor"]
    response = bob.get(f"/notes?limit=1&cursor={alice_cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json_body["Message"]


def test_create_stores_under_the_callers_sub_whatever_the_body_says(alice, bob):
    response = alice.post("/notes", {"content": "x", "userId": bob.sub})
    assert response.status_code == 400
    assert "userId" in response.json_body["Message"]
    note = alice.create()
    assert note["userId"] == alice.sub
    assert bob.get("/notes").json_body["notes"] == []


def test_me_is_per_caller(alice, bob):
    assert alice.get("/me").json_body["userId"] == alice.sub
    assert bob.get("/me").json_body["userId"] == bob.sub
