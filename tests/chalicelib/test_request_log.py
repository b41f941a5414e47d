"""One JSON line per request, with what an operator needs and nothing a user wrote.

Through the chalice test client and as Lambda proxy events. The log output of whole requests is
searched for a marker planted in a note's title, content and tags, a file name, the caller's
email and a token: it must appear nowhere.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

import app as notes_app
from tests.chalicelib.test_lambda_events import invoke, proxy_event, string_claims
from tests.conftest import ApiUser
from tests.stack import send_to_s3

FIELDS = {"level", "logger", "requestId", "message", "method", "route", "status", "latencyMs"}
FIELDS |= {"dynamodbCalls", "s3Calls", "sub"}


def lines(out: str) -> list[dict[str, Any]]:
    """Every line printed, parsed: each must be JSON."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def request_lines(out: str) -> list[dict[str, Any]]:
    return [line for line in lines(out) if line.get("logger") == "notes.request"]


def send_file(user: ApiUser, note_id: str, data: bytes, name: str) -> str:
    asked = user.post(
        f"/notes/{note_id}/attachment", {"name": name, "contentType": "text/plain", "size": len(data)}
    )
    assert asked.status_code == 201, asked.body
    form = asked.json_body
    send_to_s3(form, data)
    upload_id: str = form["uploadId"]
    return upload_id


def test_each_route_logs_exactly_one_line_with_its_calls(alice, capsys):
    note = alice.create(content="c")
    path = f"/notes/{note['noteId']}"
    upload_id = send_file(alice, note["noteId"], b"abc", "a.txt")
    capsys.readouterr()
    # Every call counts the read of whether the caller's account was deleted (a consistent GetItem).
    cases = [
        ("GET", "/me", None, 200, "/me", 1, 0),
        ("GET", "/notes", None, 200, "/notes", 2, 0),
        ("POST", "/notes", {"content": "x"}, 201, "/notes", 2, 0),
        ("GET", path, None, 200, "/notes/{note_id}", 2, 0),
        ("PUT", path, {"content": "y"}, 200, "/notes/{note_id}", 2, 0),
        ("PATCH", path, {"title": "t"}, 200, "/notes/{note_id}", 2, 0),
        ("PUT", f"{path}/attachment", {"uploadId": upload_id}, 200, "/notes/{note_id}/attachment", 2, 3),
        ("GET", f"{path}/attachment", None, 200, "/notes/{note_id}/attachment", 2, 0),
        ("DELETE", f"{path}/attachment", None, 204, "/notes/{note_id}/attachment", 2, 1),
        ("POST", f"{path}/attachment", {"name": "n", "contentType": "a/b", "size": 1}, 201, None, 2, 0),
        ("PATCH", path, {"title": 5}, 400, "/notes/{note_id}", 1, 0),
        ("DELETE", path, None, 204, "/notes/{note_id}", 3, 0),  # the note read, then moved to the trash
        ("GET", path, None, 404, "/notes/{note_id}", 2, 0),
    ]
    for method, sent_path, body, status, route, dynamodb, s3 in cases:
        response = (
            alice.request(method, sent_path) if body is None else alice.request(method, sent_path, body)
        )
        assert response.status_code == status, (method, sent_path, response.body)
        [line] = request_lines(capsys.readouterr().out)
        assert set(line) == FIELDS
        assert (line["method"], line["status"], line["sub"]) == (method, status, alice.sub)
        assert line["route"] == (route or "/notes/{note_id}/attachment")
        assert (line["dynamodbCalls"], line["s3Calls"]) == (dynamodb, s3), (method, sent_path)
        assert isinstance(line["latencyMs"], float) and line["latencyMs"] > 0
        assert line["level"] == "INFO" and line["requestId"]


def test_health_logs_one_line_without_a_caller(http, capsys):
    capsys.readouterr()
    assert http.request("GET", "/health").status_code == 200
    [line] = request_lines(capsys.readouterr().out)
    assert (line["route"], line["status"], line["sub"]) == ("/health", 200, None)


def test_each_route_as_a_lambda_event_logs_one_line_on_api_gateways_request_id(dynamodb, capsys):
    sub = str(uuid.uuid4())
    claims = string_claims(sub)
    created = invoke(proxy_event("POST", "/notes", body={"content": "from lambda"}, claims=claims))
    note = {"note_id": json.loads(created["body"])["noteId"]}
    attachment = "/notes/{note_id}/attachment"
    cases = [
        ("GET", "/me", None, None, 200),
        ("GET", "/notes", None, None, 200),
        ("POST", "/notes", None, {"content": "x"}, 201),
        ("GET", "/notes/{note_id}", note, None, 200),
        ("PUT", "/notes/{note_id}", note, {"content": "y"}, 200),
        ("PATCH", "/notes/{note_id}", note, {"title": "t"}, 200),
        ("POST", attachment, note, {"name": "a.txt", "contentType": "text/plain", "size": 1}, 201),
        ("PUT", attachment, note, {"uploadId": "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"}, 400),
        ("GET", attachment, note, None, 404),
        ("DELETE", attachment, note, None, 404),
        ("DELETE", "/notes/{note_id}", note, None, 204),
    ]
    capsys.readouterr()
    for method, resource, params, body, status in cases:
        event = proxy_event(method, resource, params, body=body, claims=claims)
        assert invoke(event)["statusCode"] == status, (method, resource)
        [line] = request_lines(capsys.readouterr().out)
        assert line["requestId"] == event["requestContext"]["requestId"]
        assert (line["method"], line["route"], line["status"], line["sub"]) == (method, resource, status, sub)
        assert set(line) == FIELDS


def test_an_unexpected_error_is_logged_on_the_request_id_and_never_shown(alice, capsys, monkeypatch):
    note = alice.create(content="c")

    def broken(*args: Any) -> Any:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(notes_app.services.notes, "get_note", broken)
    capsys.readouterr()
    response = alice.get(f"/notes/{note['noteId']}")
    assert response.status_code == 500
    assert response.json_body == {
        "Code": "InternalServerError",
        "Message": "An internal server error occurred.",
    }
    printed = lines(capsys.readouterr().out)
    [request] = [line for line in printed if line.get("logger") == "notes.request"]
    [error] = [line for line in printed if line.get("level") == "ERROR"]
    assert request["status"] == 500
    assert error["requestId"] == request["requestId"]
    assert error["exception"]["type"] == "builtins.RuntimeError"
    assert "something inside broke" in error["exception"]["traceback"]
    assert "Traceback" in error["exception"]["traceback"]


def test_nothing_a_user_wrote_or_holds_reaches_the_logs(sign_in, http, capsys, caplog):
    marker = f"MARKER{uuid.uuid4().hex[:10]}"
    caplog.set_level("INFO")
    capsys.readouterr()
    user = sign_in(f"{marker.lower()}@example.com")
    note = user.create(title=f"title {marker}", content=f"content {marker}", tags=[f"tag{marker}"])
    path = f"/notes/{note['noteId']}"
    user.get("/me")
    user.get(path)
    user.get("/notes")
    user.put(path, {"content": f"again {marker}", "title": marker, "tags": [marker]})
    user.patch(path, {"content": f"patched {marker}"})
    user.patch(path, {"content": 7, "title": marker})  # a 400 whose body carries the marker
    upload_id = send_file(user, note["noteId"], marker.encode(), f"{marker}.txt")
    user.put(f"{path}/attachment", {"uploadId": upload_id})
    user.get(f"{path}/attachment")
    user.delete(f"{path}/attachment")
    user.delete(path)
    for header in (f"Bearer {marker}", f"{marker}.{marker}.{marker}"):
        assert http.request("GET", "/notes", headers={"Authorization": header}).status_code == 401
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text
    assert len(request_lines(captured.out)) >= 12  # the requests were logged
    assert marker not in everything
    assert marker.lower() not in everything.lower()


@pytest.mark.parametrize("stream", ["out", "err"])
def test_every_line_the_app_prints_is_json(alice, capsys, stream):
    alice.create(content="c")
    alice.get("/notes/01a20256-1ac6-781a-b77a-7e7ebcffa4ac")
    text = getattr(capsys.readouterr(), stream)
    assert all(json.loads(line) for line in text.splitlines() if line.strip())
