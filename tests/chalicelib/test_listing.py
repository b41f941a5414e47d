"""Listing: newest first, opaque cursors, one Query per page, every note exactly once."""

from __future__ import annotations

from urllib.parse import quote

import pytest

import app as notes_app
from chalicelib.dynamodb_calls import client_of


def walk(user, limit):
    """Every page of the user's listing, following nextCursor."""
    pages = []
    path = f"/notes?limit={limit}"
    while True:
        response = user.get(path)
        assert response.status_code == 200, response.body
        body = response.json_body
        pages.append(body["notes"])
        if body["nextCursor"] is None:
            return pages
        path = f"/notes?limit={limit}&cursor={body['nextCursor']}"


def test_newest_first_with_default_limit_of_20(alice):
    ids = [alice.create()["noteId"] for _ in range(25)]
    body = alice.get("/notes").json_body
    assert [n["noteId"] for n in body["notes"]] == list(reversed(ids))[:20]
    assert body["nextCursor"] is not None


def test_empty_listing(alice):
    assert alice.get("/notes").json_body == {"notes": [], "nextCursor": None}


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 11, 100])
def test_walking_every_page_returns_every_note_once_and_never_an_empty_page(alice, limit):
    ids = [alice.create()["noteId"] for _ in range(10)]
    pages = walk(alice, limit)
    walked = [n["noteId"] for page in pages for n in page]
    assert walked == list(reversed(ids))
    assert all(pages), "no page is empty after a non-null cursor"
    assert all(len(page) <= limit for page in pages)


def test_cursor_is_null_exactly_when_no_note_follows(alice):
    for _ in range(4):
        alice.create()
    first = alice.get("/notes?limit=2").json_body
    second = alice.get(f"/notes?limit=2&cursor={first['nextCursor']}").json_body
    assert len(second["notes"]) == 2
    assert second["nextCursor"] is None


def test_notes_added_while_walking_do_not_disturb_the_walk(alice):
    ids = [alice.create()["noteId"] for _ in range(6)]
    first = alice.get("/notes?limit=3").json_body
    alice.create()
    second = alice.get(f"/notes?limit=3&cursor={first['nextCursor']}").json_body
    walked = [n["noteId"] for n in first["notes"] + second["notes"]]
    assert walked == list(reversed(ids))
    assert second["nextCursor"] is None


def test_a_deleted_cursor_note_does_not_break_the_walk(alice):
    ids = [alice.create()["noteId"] for _ in range(4)]
    first = alice.get("/notes?limit=2").json_body
    alice.delete(f"/notes/{first['notes'][-1]['noteId']}")
    second = alice.get(f"/notes?limit=2&cursor={first['nextCursor']}").json_body
    assert [n["noteId"] for n in second["notes"]] == [ids[1], ids[0]]


def test_large_notes_cut_at_1_mb_are_all_walked(alice, dynamodb_calls):
    big = "x" * 99_990  # near the largest content allowed
    ids = [alice.create(content=big + str(i))["noteId"] for i in range(25)]
    dynamodb_calls.clear()
    pages = walk(alice, 100)
    walked = [n["noteId"] for page in pages for n in page]
    assert walked == list(reversed(ids))
    assert len(pages) > 1, "1 MB of notes should need more than one page"
    assert all(pages)
    queries = [op for op, _ in dynamodb_calls if op == "Query"]
    assert len(queries) == len(pages), "each page is exactly one Query"


def test_each_page_is_one_query_and_asks_for_one_more_note(alice, dynamodb_calls):
    for _ in range(12):
        alice.create()
    dynamodb_calls.clear()
    pages = walk(alice, 5)
    queries = [params for op, params in dynamodb_calls if op == "Query"]
    assert [len(page) for page in pages] == [5, 5, 2]
    assert len(queries) == 3
    assert all(q["Limit"] == 6 and q["ScanIndexForward"] is False for q in queries)
    assert all(q["ConsistentRead"] is True for q in queries)
    assert not [op for op, _ in dynamodb_calls if op == "Scan"]


def test_a_final_page_cut_short_by_dynamodb_still_ends_with_a_null_cursor(alice, monkeypatch):
    """DynamoDB may return a LastEvaluatedKey although nothing follows; clients never see it."""
    ids = [alice.create()["noteId"] for _ in range(3)]
    client = client_of(notes_app.services.note_model)

    def report_a_last_key(parsed, **_):
        if parsed.get("Items"):
            last = parsed["Items"][-1]
            parsed["LastEvaluatedKey"] = {"userId": last["userId"], "noteId": last["noteId"]}

    client.meta.events.register("after-call.dynamodb.Query", report_a_last_key)
    try:
        pages = walk(alice, 10)
    finally:
        client.meta.events.unregister("after-call.dynamodb.Query", report_a_last_key)
    walked = [n["noteId"] for page in pages for n in page]
    assert walked == list(reversed(ids))
    assert all(pages)


@pytest.mark.parametrize(
    "limit",
    ["0", "101", "-1", "abc", "1.5", "", "99999999999", "\uff15", "\u0665", "1\uff10", "5\n", " 5"],
)
def test_bad_limit_is_400_naming_limit(alice, limit):
    # Only ASCII digits are numbers: a full-width "５" or an Arabic-Indic "٥" is not 5.
    response = alice.get(f"/notes?limit={quote(limit)}")
    assert response.status_code == 400
    assert response.json_body["Code"] == "BadRequestError"
    assert "limit" in response.json_body["Message"]


def test_repeated_or_unknown_query_parameters_are_400(alice):
    response = alice.get("/notes?limit=1&limit=2")
    assert response.status_code == 400 and "limit" in response.json_body["Message"]
    response = alice.get("/notes?sort=asc")
    assert response.status_code == 400 and "sort" in response.json_body["Message"]


def test_tampered_cursors_are_400(alice):
    for _ in range(3):
        alice.create()
    cursor = alice.get("/notes?limit=1").json_body["nextCursor"]
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    for bad in (flipped, cursor + "x", cursor[:-1], "not-a-cursor", "%00", cursor.upper()):
        response = alice.get(f"/notes?limit=1&cursor={bad}")
        assert response.status_code == 400, bad
        assert "cursor" in response.json_body["Message"]


def test_a_walk_continues_past_notes_with_ids_written_by_other_tools(alice):
    """Items with other sort keys in the partition (a migration, a restore) never break a cursor."""
    ids = [alice.create()["noteId"] for _ in range(3)]
    now = "2026-11-22T10:00:00.000Z"
    for odd in ("00000000-legacy", "zz-imported"):
        notes_app.services.note_model(alice.sub, odd, content="old", createdAt=now, updatedAt=now).save()
    walked = [n["noteId"] for page in walk(alice, 1) for n in page]
    assert sorted(walked) == sorted([*ids, "00000000-legacy", "zz-imported"])
    assert len(walked) == len(set(walked))
