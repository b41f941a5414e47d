"""The app called as Lambda calls it: API Gateway (REST) proxy events, claims as strings."""

from __future__ import annotations

import json
import types
import uuid
from typing import Any

import pytest

import app as notes_app


def proxy_event(
    method: str,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    body: Any = None,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": "/api" + path,
        "stage": "api",
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "203.0.113.9"},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": sent_headers,
        "multiValueHeaders": {name: [value] for name, value in sent_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": request_context,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def string_claims(sub: str, groups: str | None = None) -> dict[str, str]:
    """Claims as API Gateway REST delivers them: every value a string."""
    claims = {
        "sub": sub,
        "email": "lambda@example.com",
        "email_verified": "true",
        "cognito:username": sub,
        "aud": "notestestclient",
        "token_use": "id",
        "auth_time": "1795000000",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_NotesTest",
        "exp": "Sun Nov 22 11:15:30 UTC 2026",
        "iat": "Sun Nov 22 10:15:30 UTC 2026",
    }
    if groups is not None:
        claims["cognito:groups"] = groups
    return claims


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    context = types.SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name="notes-api_handler")
    return notes_app.app(event, context)


@pytest.fixture
def sub(dynamodb: None) -> str:
    return str(uuid.uuid4())


def test_full_crud_through_proxy_events(sub):
    claims = string_claims(sub)
    created = invoke(proxy_event("POST", "/notes", body={"content": "from lambda"}, claims=claims))
    assert created["statusCode"] == 201
    note = json.loads(created["body"])
    assert note["userId"] == sub
    assert created["headers"]["ETag"] == '"1"'
    note_id = {"note_id": note["noteId"]}

    fetched = invoke(proxy_event("GET", "/notes/{note_id}", note_id, claims=claims))
    assert (fetched["statusCode"], json.loads(fetched["body"])) == (200, note)

    patched = invoke(
        proxy_event(
            "PATCH",
            "/notes/{note_id}",
            note_id,
            body={"title": "t"},
            claims=claims,
            headers={"If-Match": '"1"'},
        )
    )
    assert patched["statusCode"] == 200 and json.loads(patched["body"])["version"] == 2

    listed = invoke(proxy_event("GET", "/notes", claims=claims, query={"limit": ["5"]}))
    assert [n["noteId"] for n in json.loads(listed["body"])["notes"]] == [note["noteId"]]

    deleted = invoke(proxy_event("DELETE", "/notes/{note_id}", note_id, claims=claims))
    assert deleted["statusCode"] == 204
    assert list(notes_app.services.note_model.query(sub, consistent_read=True)) == []
    assert invoke(proxy_event("GET", "/notes/{note_id}", note_id, claims=claims))["statusCode"] == 404


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (None, []),
        ("admin", ["admin"]),
        ("admin,editors", ["admin", "editors"]),
        ("[admin editors]", ["admin", "editors"]),
        ("admin, editors", ["admin", "editors"]),
        ("", []),
    ],
)
def test_me_normalises_string_groups(sub, groups, expected):
    response = invoke(proxy_event("GET", "/me", claims=string_claims(sub, groups)))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "userId": sub,
        "email": "lambda@example.com",
        "groups": expected,
    }


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"email": "x@example.com"}, {"sub": ""}, {"sub": "   "}],
    ids=["no authorizer", "no claims", "no sub", "empty sub", "blank sub"],
)
@pytest.mark.parametrize(
    ("method", "resource", "body"),
    [("GET", "/me", None), ("POST", "/notes", {"content": "x"}), ("GET", "/notes", None)],
)
def test_missing_identity_fails_closed(dynamodb, claims, method, resource, body):
    event = proxy_event(method, resource, body=body, claims=claims)
    if claims == {}:
        event["requestContext"]["authorizer"] = {}
    response = invoke(event)
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {"message": "Unauthorized"}
    assert list(notes_app.services.note_model.scan()) == []  # test-only check that nothing was stored


DEEP_BODIES = {
    "array": "[" * 1000 + "]" * 1000,
    "content": '{"content": ' + "[" * 1000 + "]" * 1000 + "}",
    "objects": '{"a":' * 1000 + "1" + "}" * 1000,
}


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
@pytest.mark.parametrize(
    ("method", "resource"),
    [("POST", "/notes"), ("PUT", "/notes/{note_id}"), ("PATCH", "/notes/{note_id}")],
)
def test_deeply_nested_body_is_a_400_and_changes_nothing(sub, method, resource, shape):
    claims = string_claims(sub)
    created = invoke(proxy_event("POST", "/notes", body={"content": "kept"}, claims=claims))
    note = json.loads(created["body"])
    params = {"note_id": note["noteId"]} if "{note_id}" in resource else None
    event = proxy_event(method, resource, params, claims=claims)
    event["body"] = DEEP_BODIES[shape]

    response = invoke(event)

    assert response["statusCode"] == 400, response["body"]
    answer = json.loads(response["body"])
    assert answer["Code"] == "BadRequestError"
    assert "too deeply" in answer["Message"]
    stored = list(notes_app.services.note_model.query(sub, consistent_read=True))
    assert [(n.noteId, n.content, n.version) for n in stored] == [(note["noteId"], "kept", 1)]


def test_the_attachment_flow_through_proxy_events(sub):
    import requests

    from tests.stack import send_to_s3

    claims = string_claims(sub)
    note = json.loads(invoke(proxy_event("POST", "/notes", body={"content": "x"}, claims=claims))["body"])
    params = {"note_id": note["noteId"]}
    resource = "/notes/{note_id}/attachment"
    data = b"through lambda"

    asked = invoke(
        proxy_event(
            "POST",
            resource,
            params,
            body={"name": "l.txt", "contentType": "text/plain", "size": len(data)},
            claims=claims,
        )
    )
    assert asked["statusCode"] == 201, asked["body"]
    upload = json.loads(asked["body"])
    assert upload["fields"]["key"].startswith(f"uploads/{sub}/{note['noteId']}/")
    send_to_s3(upload, data)

    attached = invoke(
        proxy_event(
            "PUT",
            resource,
            params,
            body={"uploadId": upload["uploadId"]},
            claims=claims,
            headers={"If-Match": '"1"'},
        )
    )
    assert attached["statusCode"] == 200, attached["body"]
    assert attached["headers"]["ETag"] == '"2"'
    assert json.loads(attached["body"])["attachment"]["name"] == "l.txt"

    link = invoke(proxy_event("GET", resource, params, claims=claims))
    assert link["statusCode"] == 200
    assert requests.get(json.loads(link["body"])["url"], timeout=10).content == data

    assert invoke(proxy_event("DELETE", resource, params, claims=claims))["statusCode"] == 204
    assert invoke(proxy_event("GET", resource, params, claims=claims))["statusCode"] == 404
    other = string_claims(str(uuid.uuid4()))
    assert invoke(proxy_event("GET", resource, params, claims=other))["statusCode"] == 404
