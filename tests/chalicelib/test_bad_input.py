"""The bad-input matrix: each case is a 400 (or Chalice's 415) naming what is wrong, never a 500."""

from __future__ import annotations

import json

import pytest

import app as notes_app

# (case, raw body, words the message must contain)
BODY_CASES = [
    ("empty body", b"", ["body"]),
    ("whitespace body", b"  \n", ["body"]),
    ("not JSON", b"{title: 1}", ["JSON"]),
    ("truncated JSON", b'{"content": "x"', ["JSON"]),
    ("not UTF-8", b'{"content": "\xff\xfe"}', ["UTF-8"]),
    ("array", b'["content"]', ["object"]),
    ("string", b'"content"', ["object"]),
    ("null", b"null", ["object"]),
    ("NaN", b'{"content": NaN}', ["NaN"]),
    ("repeated field", b'{"content": "a", "content": "b"}', ["content"]),
    ("unknown field", b'{"content": "a", "colour": "red"}', ["colour"]),
    ("content missing", b'{"title": "a"}', ["content"]),
    ("content null", b'{"content": null}', ["content"]),
    ("content number", b'{"content": 5}', ["content"]),
    ("content too large", json.dumps({"content": "é" * 50_001}).encode(), ["content", "100,000"]),
    ("title number", b'{"content": "a", "title": 1}', ["title"]),
    ("title null", b'{"content": "a", "title": null}', ["title"]),
    ("title too long", json.dumps({"content": "a", "title": "t" * 201}).encode(), ["title", "200"]),
    ("lone surrogate", b'{"content": "a", "title": "\\ud800"}', ["title", "Unicode"]),
    ("tags string", b'{"content": "a", "tags": "home"}', ["tags"]),
    ("tags null", b'{"content": "a", "tags": null}', ["tags"]),
    ("tag number", b'{"content": "a", "tags": ["ok", 3]}', ["tags[1]"]),
    ("tag empty", b'{"content": "a", "tags": [""]}', ["tags[0]"]),
    ("tag too long", json.dumps({"content": "a", "tags": ["t" * 51]}).encode(), ["tags[0]", "50"]),
    ("tags repeated", b'{"content": "a", "tags": ["a", "b", "a"]}', ["tags[2]", "unique"]),
    ("too many tags", json.dumps({"content": "a", "tags": list("abcdefghijklmnopqrstu")}).encode(), ["20"]),
    ("attachment string", b'{"content": "a", "attachment": "k/1"}', ["attachment", "server"]),
    ("attachment null", b'{"content": "a", "attachment": null}', ["attachment", "server"]),
    (
        "attachment object",
        b'{"content": "a", "attachment": {"name": "a.txt", "size": 1, "contentType": "text/plain"}}',
        ["attachment", "server"],
    ),
    ("noteId sent", b'{"content": "a", "noteId": "x"}', ["noteId", "server"]),
    ("userId sent", b'{"content": "a", "userId": "x"}', ["userId", "server"]),
    ("createdAt sent", b'{"content": "a", "createdAt": "x"}', ["createdAt"]),
    ("updatedAt sent", b'{"content": "a", "updatedAt": "x"}', ["updatedAt"]),
    ("version sent", b'{"content": "a", "version": 9}', ["version"]),
    # Pathological but small bodies: the decoder's limits, not ours, are hit first.
    ("array nested 1,000 deep", b"[" * 1000 + b"]" * 1000, ["nests", "deep"]),
    ("content nested 1,000 deep", b'{"content": ' + b"[" * 1000 + b"]" * 1000 + b"}", ["nests", "deep"]),
    ("objects nested 1,000 deep", b'{"a":' * 1000 + b"1" + b"}" * 1000, ["nests", "deep"]),
    ("unclosed nesting 100,000 deep", b'{"tags": ' + b"[" * 100_000, ["body"]),
    ("number of 5,000 digits", b'{"content": "a", "title": ' + b"9" * 5000 + b"}", ["number", "digits"]),
]


def _assert_bad_request(response, words):
    assert response.status_code == 400, response.body
    body = response.json_body
    assert body["Code"] == "BadRequestError"
    for word in words:
        assert word in body["Message"], (word, body["Message"])


@pytest.mark.parametrize(("case", "raw", "words"), BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_bad_create_body(alice, case, raw, words):
    response = alice.post("/notes", body=raw, headers={"Content-Type": "application/json"})
    _assert_bad_request(response, words)
    assert alice.get("/notes").json_body["notes"] == []


@pytest.mark.parametrize(("case", "raw", "words"), BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_bad_put_body_changes_nothing(alice, case, raw, words):
    note = alice.create(content="kept")
    response = alice.put(f"/notes/{note['noteId']}", body=raw, headers={"Content-Type": "application/json"})
    _assert_bad_request(response, words)
    assert alice.get(f"/notes/{note['noteId']}").json_body == note


PATCH_CASES = [case for case in BODY_CASES if case[0] not in ("content missing",)] + [
    ("empty object", b"{}", ["field"]),
]


@pytest.mark.parametrize(("case", "raw", "words"), PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
def test_bad_patch_body_changes_nothing(alice, case, raw, words):
    note = alice.create(content="kept")
    response = alice.patch(f"/notes/{note['noteId']}", body=raw, headers={"Content-Type": "application/json"})
    _assert_bad_request(response, words)
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"], consistent_read=True)
    assert (stored.content, stored.version) == ("kept", 1)


def test_limits_are_inclusive(alice):
    note = alice.create(
        content="é" * 50_000,  # 100,000 bytes in UTF-8
        title="t" * 200,
        tags=[f"{i:02d}" + "x" * 48 for i in range(20)],
    )
    assert len(note["content"].encode()) == 100_000
    assert alice.patch(f"/notes/{note['noteId']}", {"content": ""}).status_code == 200


def test_title_limit_counts_characters_not_bytes(alice):
    assert alice.post("/notes", {"content": "a", "title": "é" * 200}).status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_415(alice, content_type):
    response = alice.post("/notes", body=b'{"content": "a"}', headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert alice.get("/notes").json_body["notes"] == []


def test_json_content_type_with_charset_is_accepted(alice):
    response = alice.post(
        "/notes", body=b'{"content": "a"}', headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201
