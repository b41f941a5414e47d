"""DynamoDB throttled, stalled or unreachable: 503 + Retry-After, quickly, nothing written."""

from __future__ import annotations

import time

import pytest
from chalice.test import Client

import app as notes_app
from chalicelib.dynamodb_calls import client_of
from chalicelib.models import CONNECT_TIMEOUT_SECONDS, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_SECONDS
from tests.conftest import ROOT, STAGE, ApiUser, new_user
from tests.fakes import RefusedCalls, closed_port, stalled_endpoint, throttling_dynamodb

# API Gateway gives up on an integration after 29 seconds; a 503 must come well before.
API_GATEWAY_LIMIT_SECONDS = 29
WORST_CASE_SECONDS = (1 + MAX_RETRY_ATTEMPTS) * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + 7
NOTE = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"

MODELS = (
    notes_app.services.note_model,
    notes_app.services.account_model,
    notes_app.services.trash_model,
    notes_app.services.search_model,
)
REQUESTS = [
    ("POST", "/notes", {"content": "x"}),
    ("GET", "/notes", None),
    ("GET", f"/notes/{NOTE}", None),
    ("PUT", f"/notes/{NOTE}", {"content": "x"}),
    ("PATCH", f"/notes/{NOTE}", {"title": "x"}),
    ("DELETE", f"/notes/{NOTE}", None),
]


@pytest.fixture
def user_at(aws, monkeypatch):
    """A signed-in user whose app talks to DynamoDB at the given endpoint."""

    def _user_at(endpoint: str) -> ApiUser:
        http = Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http
        user = new_user(http)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        # New clients pick up the endpoint; the fixture's teardown drops them again. Every
        # table's: a request reads the account table too, before the notes table.
        for model in MODELS:
            monkeypatch.setattr(model, "_connection", None)
        return user

    yield _user_at
    for model in MODELS:
        model._connection = None


def _assert_unavailable(response):
    assert response.status_code == 503, response.body
    assert response.json_body["Code"] == "ServiceUnavailable"
    assert int(response.headers["Retry-After"]) >= 1
    assert b"Traceback" not in response.body


def _send(user, method, path, body):
    if body is None:
        return user.request(method, path)
    return user.request(method, path, body)


def _timed(send):
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_unreachable_dynamodb_is_503(user_at, method, path, body):
    user = user_at(f"http://127.0.0.1:{closed_port()}")
    response, elapsed = _timed(lambda: _send(user, method, path, body))
    _assert_unavailable(response)
    # A correctness bound (the request must not outlive API Gateway), not a benchmark.
    assert elapsed < min(WORST_CASE_SECONDS, API_GATEWAY_LIMIT_SECONDS)


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_throttled_dynamodb_is_503_after_the_sdk_retries(user_at, method, path, body):
    with throttling_dynamodb() as server:
        user = user_at(f"http://127.0.0.1:{server.server_port}")
        response, elapsed = _timed(lambda: _send(user, method, path, body))
        _assert_unavailable(response)
        assert server.requests == 1 + MAX_RETRY_ATTEMPTS
    assert elapsed < min(WORST_CASE_SECONDS, API_GATEWAY_LIMIT_SECONDS)


def test_stalled_dynamodb_is_503_well_inside_api_gateways_limit(user_at):
    with stalled_endpoint() as port:
        user = user_at(f"http://127.0.0.1:{port}")
        started = time.monotonic()
        response = user.request("POST", "/notes", {"content": "x"})
        elapsed = time.monotonic() - started
    _assert_unavailable(response)
    # A correctness bound (the request must not outlive API Gateway), not a benchmark.
    assert elapsed < min(WORST_CASE_SECONDS, API_GATEWAY_LIMIT_SECONDS)


@pytest.fixture
def throttle(aws):
    """Answer the named DynamoDB operations of the app with a throttling error before they reach moto."""
    refused = RefusedCalls(client_of(notes_app.services.note_model), "ThrottlingException", 400)
    yield refused.refuse
    refused.stop()


def test_a_throttled_create_stores_nothing(alice, throttle):
    calls = throttle("PutItem")
    _assert_unavailable(alice.post("/notes", {"content": "lost?"}))
    assert calls == ["PutItem"]
    assert list(notes_app.services.note_model.query(alice.sub, consistent_read=True)) == []


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", {"content": "new"}), ("PATCH", {"title": "new"}), ("DELETE", None)]
)
def test_a_throttled_change_changes_nothing(alice, throttle, method, body):
    note = alice.create(content="kept", title="kept")
    throttle("UpdateItem", "DeleteItem", "TransactWriteItems")
    response = _send(alice, method, f"/notes/{note['noteId']}", body)
    _assert_unavailable(response)
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"], consistent_read=True)
    assert (stored.content, stored.title, stored.version) == ("kept", "kept", 1)


@pytest.mark.parametrize("code", ["TransactionConflictException", "TransactionCanceledException"])
def test_a_move_to_the_trash_refused_for_another_write_moves_nothing(alice, aws, code):
    """DynamoDB refuses a transaction that meets another write on its items: try again later."""
    note = alice.create(content="kept", title="kept")
    refused = RefusedCalls(client_of(notes_app.services.note_model), code, 400)
    calls = refused.refuse("TransactWriteItems")
    try:
        response = alice.delete(f"/notes/{note['noteId']}")
    finally:
        refused.stop()
    _assert_unavailable(response)
    assert calls == ["TransactWriteItems"]
    assert alice.get(f"/notes/{note['noteId']}").json_body["content"] == "kept"
    assert alice.get("/trash").json_body["notes"] == []
