"""If-Match and the single conditional write behind every change."""

from __future__ import annotations

import pytest

import app as notes_app

WRITES = ["put", "patch", "delete"]


def _write(user, verb, note_id, headers=None):
    path = f"/notes/{note_id}"
    if verb == "delete":
        return user.delete(path, headers=headers)
    return getattr(user, verb)(path, {"content": f"by {verb}"}, headers=headers)


@pytest.mark.parametrize("verb", WRITES)
def test_matching_if_match_succeeds(alice, verb):
    note_id = alice.create()["noteId"]
    response = _write(alice, verb, note_id, headers={"If-Match": '"1"'})
    assert response.status_code in (200, 204)


@pytest.mark.parametrize("verb", WRITES)
def test_stale_if_match_is_412_and_changes_nothing(alice, verb):
    note_id = alice.create(content="original")["noteId"]
    alice.patch(f"/notes/{note_id}", {"title": "v2"})
    response = _write(alice, verb, note_id, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert response.json_body["Code"] == "PreconditionFailed"
    assert '"1"' in response.json_body["Message"]
    stored = alice.get(f"/notes/{note_id}").json_body
    assert (stored["content"], stored["title"], stored["version"]) == ("original", "v2", 2)


@pytest.mark.parametrize("verb", WRITES)
def test_if_match_on_a_missing_note_is_404(alice, verb):
    response = _write(alice, verb, "01a20256-1ac6-781a-b77a-7e7ebcffa4ac", headers={"If-Match": '"1"'})
    assert response.status_code == 404


def test_if_match_star_and_lists(alice):
    note_id = alice.create()["noteId"]
    assert alice.patch(f"/notes/{note_id}", {"title": "a"}, headers={"If-Match": "*"}).status_code == 200
    response = alice.patch(f"/notes/{note_id}", {"title": "b"}, headers={"If-Match": '"1", "2"'})
    assert response.status_code == 200
    assert response.json_body["version"] == 3
    response = alice.patch(f"/notes/{note_id}", {"title": "c"}, headers={"If-Match": '"1", "2"'})
    assert response.status_code == 412


def test_etag_from_a_read_is_the_if_match_for_the_next_write(alice):
    note_id = alice.create()["noteId"]
    etag = alice.get(f"/notes/{note_id}").headers["ETag"]
    first = alice.put(f"/notes/{note_id}", {"content": "first"}, headers={"If-Match": etag})
    second = alice.put(f"/notes/{note_id}", {"content": "second"}, headers={"If-Match": etag})
    assert (first.status_code, second.status_code) == (200, 412)
    assert alice.get(f"/notes/{note_id}").json_body["content"] == "first"


def test_if_match_names_at_most_100_versions(alice):
    # DynamoDB compares a value with at most 100 others in one condition.
    note_id = alice.create()["noteId"]
    hundred = ", ".join(f'"{version}"' for version in range(1, 101))
    assert alice.patch(f"/notes/{note_id}", {"title": "a"}, headers={"If-Match": hundred}).status_code == 200
    for count in (101, 150, 2000):
        many = ", ".join(f'"{version}"' for version in range(1, count + 1))
        response = alice.patch(f"/notes/{note_id}", {"title": "b"}, headers={"If-Match": many})
        assert response.status_code == 400, (count, response.body)
        assert response.json_body["Message"] == (
            f"header 'If-Match' names {count:,} versions; at most 100 are allowed"
        )
    assert alice.get(f"/notes/{note_id}").json_body["title"] == "a"


@pytest.mark.parametrize("value", ["3", 'W/"1"', '"one"', '"1",', "", '"1" "2"', '"\uff11"'])
def test_malformed_if_match_is_400_naming_the_header(alice, value):
    note_id = alice.create()["noteId"]
    response = alice.patch(f"/notes/{note_id}", {"title": "x"}, headers={"If-Match": value})
    assert response.status_code == 400
    assert "If-Match" in response.json_body["Message"]
    assert alice.get(f"/notes/{note_id}").json_body["version"] == 1


def test_create_never_overwrites_an_existing_note(alice, monkeypatch):
    note = alice.create(content="first")
    # Force the id generator to hand out an id that is already taken.
    monkeypatch.setattr("chalicelib.notes.uuid7", lambda: note["noteId"])
    response = alice.post("/notes", {"content": "second"})
    assert response.status_code != 201
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"], consistent_read=True)
    assert (stored.content, stored.version) == ("first", 1)


def test_each_change_is_one_conditional_write(alice, dynamodb_calls):
    """PUT and PATCH issue exactly one write each, conditioned on existence; DELETE (a move to the
    trash) reads the note and writes one transaction, conditioned on the version it read."""
    note_id = alice.create()["noteId"]
    dynamodb_calls.clear()
    alice.put(f"/notes/{note_id}", {"content": "x"})
    alice.patch(f"/notes/{note_id}", {"title": "y"}, headers={"If-Match": '"2"'})
    assert [operation for operation, _ in dynamodb_calls] == ["UpdateItem", "UpdateItem"]
    assert all("attribute_exists" in params["ConditionExpression"] for _, params in dynamodb_calls)
    dynamodb_calls.clear()
    alice.delete(f"/notes/{note_id}")
    assert [operation for operation, _ in dynamodb_calls] == ["GetItem", "TransactWriteItems"]
    [delete, put] = dynamodb_calls[1][1]["TransactItems"]
    condition = delete["Delete"]["ConditionExpression"]
    assert "attribute_exists" in condition
    assert {"N": "3"} in delete["Delete"]["ExpressionAttributeValues"].values()  # the version read
    assert "attribute_not_exists" in put["Put"]["ConditionExpression"]


@pytest.mark.parametrize("verb", WRITES)
def test_if_match_compares_tags_strongly_so_a_padded_version_is_412(alice, verb):
    # RFC 9110's strong comparison: "0001" is not the ETag "1", whatever number it spells.
    note_id = alice.create(content="original")["noteId"]
    for value in ('"0001"', '"01", "001"', '"0"'):
        response = _write(alice, verb, note_id, headers={"If-Match": value})
        assert response.status_code == 412, (value, response.body)
        assert response.json_body["Code"] == "PreconditionFailed"
        assert value.split(",")[0] in response.json_body["Message"]
    stored = alice.get(f"/notes/{note_id}").json_body
    assert (stored["content"], stored["version"]) == ("original", 1)
    # The ETag itself still matches, also beside a padded one.
    response = _write(alice, verb, note_id, headers={"If-Match": '"0001", "1"'})
    assert response.status_code in (200, 204), response.body


def test_a_padded_version_on_a_missing_note_is_404(alice):
    response = alice.patch(
        "/notes/01a20256-1ac6-781a-b77a-7e7ebcffa4ac", {"title": "x"}, headers={"If-Match": '"0001"'}
    )
    assert response.status_code == 404


def test_a_padded_version_never_attaches_or_detaches(alice):
    from tests.chalicelib.test_attachments import attach, uploaded

    note_id = alice.create()["noteId"]
    upload_id = uploaded(alice, note_id, b"bytes")
    refused = attach(alice, note_id, upload_id, headers={"If-Match": '"01"'})
    assert refused.status_code == 412, refused.body
    assert attach(alice, note_id, upload_id, headers={"If-Match": '"1"'}).status_code == 200
    refused = alice.delete(f"/notes/{note_id}/attachment", headers={"If-Match": '"02"'})
    assert refused.status_code == 412, refused.body
    assert alice.get(f"/notes/{note_id}").json_body["attachment"]["name"] == "notes.txt"


def test_a_weak_tag_never_matches(alice):
    # If-Match compares strongly: W/"1" matches no version, and says why.
    note_id = alice.create()["noteId"]
    response = alice.patch(f"/notes/{note_id}", {"title": "x"}, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 400
    assert "If-Match" in response.json_body["Message"]
    assert alice.get(f"/notes/{note_id}").json_body["version"] == 1
