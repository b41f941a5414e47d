"""Live updates' handlers as Lambda invokes them, with DynamoDB and the pool in-process: the
WebSocket connect handler checks the offered token as the REST authorizer checks it, and the
change feed's function tells the owner's connections, and no one else's, through the management
API (here a stand-in recording what it is sent)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

import app as notes_app
from chalicelib import live
from chalicelib import tokens as token_checks
from chalicelib.pure_rs256 import PureRS256
from local_stack.gateway_auth import fetch_jwks
from tests.conftest import ApiUser, aws_client, stream_feeder
from tests.tokens import TokenFactory

CONNECTIONS_TABLE = notes_app.settings.connections_table_name


@pytest.fixture(autouse=True)
def verifier(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The connect handler's checks, their keys fetched from the in-process pool (through
    requests, which the in-process emulator answers)."""
    checks = token_checks.stage_verifier(notes_app.settings, fetch_jwks)
    monkeypatch.setattr(notes_app.services.live, "_verifier", checks)
    yield


class Management:
    """The WebSocket API's management endpoint: what each connection was sent; ``gone`` ones API
    Gateway no longer has."""

    class exceptions:
        class GoneException(Exception):
            pass

    def __init__(self, gone: tuple[str, ...] = ()) -> None:
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.gone = set(gone)

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        if ConnectionId in self.gone:
            raise self.exceptions.GoneException(ConnectionId)
        self.sent.setdefault(ConnectionId, []).append(json.loads(Data))


@pytest.fixture
def management(monkeypatch: pytest.MonkeyPatch) -> Management:
    stand_in = Management(gone=("gone-connection",))
    settings = notes_app.settings._replace(ws_management_url="http://127.0.0.1:9/management")
    monkeypatch.setattr(notes_app.services.live, "_settings", settings)
    monkeypatch.setattr(notes_app.services.live, "_client", stand_in)
    return stand_in


def connect_event(connection_id: str, protocols: str | None) -> dict[str, Any]:
    """A $connect event as API Gateway sends it to the function."""
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com"}
    if protocols is not None:
        headers["Sec-WebSocket-Protocol"] = protocols
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "isBase64Encoded": False,
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "connectionId": connection_id,
            "apiId": "abc123",
            "stage": "api",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "requestTimeEpoch": int(time.time() * 1000),
        },
    }


def connect(connection_id: str, protocols: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = notes_app.ws_connect(connect_event(connection_id, protocols), None)
    return answer


def stored_connections() -> list[tuple[str, str]]:
    items = aws_client("dynamodb").scan(TableName=CONNECTIONS_TABLE)["Items"]
    return sorted((item["userId"]["S"], item["connectionId"]["S"]) for item in items)


def test_a_good_token_beside_notes_connects_and_selects_notes(alice: ApiUser) -> None:
    answer = connect("conn-1", f"notes, {alice.token}")
    assert answer["statusCode"] == 200
    assert answer["headers"] == {"Sec-WebSocket-Protocol": "notes"}
    assert stored_connections() == [(alice.sub, "conn-1")]
    [item] = aws_client("dynamodb").scan(TableName=CONNECTIONS_TABLE)["Items"]
    kept = int(item["expiresAtEpoch"]["N"]) - time.time()
    assert live.CONNECTION_SECONDS < kept <= live.KEPT_SECONDS + 5


@pytest.mark.parametrize(
    "protocols",
    [None, "", "notes", "chat, {token}", "notes, {token}, another", "{token}"],
    ids=["no header", "empty", "notes alone", "no notes", "two more", "token alone"],
)
def test_a_handshake_without_notes_and_one_token_is_refused(alice: ApiUser, protocols: str | None) -> None:
    offered = protocols.format(token=alice.token) if protocols is not None else None
    answer = connect("conn-x", offered)
    assert answer["statusCode"] == 401
    assert "Sec-WebSocket-Protocol" not in (answer.get("headers") or {})
    assert stored_connections() == []


def test_refused_tokens(alice: ApiUser, tokens: TokenFactory) -> None:
    refused = {
        "garbage": "not.a.token",
        "expired": tokens.id_token(exp=int(time.time()) - 5),
        "another key": tokens.sign(tokens.claims("id"), key=tokens.other_key),
        "another client": tokens.id_token(aud="some-other-client"),
        "another issuer": tokens.id_token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "an access token in ID-token mode": tokens.access_token("notes/notes.read"),
    }
    for why, token in refused.items():
        answer = connect(f"conn-{why}", f"notes, {token}")
        assert answer["statusCode"] == 401, why
        assert token not in json.dumps(answer), "the token is never echoed"
    assert json.loads(connect("c", f"notes, {refused['expired']}")["body"]) == {
        "message": "The incoming token has expired"
    }
    assert stored_connections() == []
    assert connect("conn-ok", f"notes, {alice.token}")["statusCode"] == 200


def test_a_deleted_accounts_token_is_refused(alice: ApiUser) -> None:
    token = alice.token
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    assert connect("conn-1", f"notes, {token}")["statusCode"] == 401
    assert stored_connections() == []


def test_a_change_tells_each_connection_of_its_owner_and_no_one_else(
    alice: ApiUser, bob: ApiUser, management: Management
) -> None:
    for connection, user in (("a-phone", alice), ("a-laptop", alice), ("b-phone", bob)):
        assert connect(connection, f"notes, {user.token}")["statusCode"] == 200
    cursor = alice.get("/changes").json_body["cursor"]
    note = alice.create(title="from the phone")
    assert set(management.sent) == {"a-phone", "a-laptop"}
    [message] = management.sent["a-phone"]
    assert set(message) == {"type", "cursor"} and message["type"] == "changes"
    [change] = alice.get(f"/changes?since={cursor}").json_body["changes"]
    assert change["note"] == note
    # The message's cursor is at or after the change: nothing is older than it.
    assert alice.get(f"/changes?since={message['cursor']}").json_body["changes"] == []


def test_a_burst_of_changes_is_one_message_a_batch(alice: ApiUser, management: Management) -> None:
    assert connect("a-phone", f"notes, {alice.token}")["statusCode"] == 200
    services = notes_app.services
    for index in range(5):  # written at once: the stream hands them over in one batch
        services.notes.create_note(alice.sub, {"title": f"n{index}", "content": "", "tags": []})
    stream_feeder().deliver()
    assert len(management.sent["a-phone"]) == 1


def test_every_connection_is_told_however_many_are_open(
    alice: ApiUser, management: Management, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "CONNECTIONS_PAGE", 3)  # pages of 3: 7 connections take three Queries
    opened = [f"tab-{index}" for index in range(7)]
    for connection in opened:
        assert connect(connection, f"notes, {alice.token}")["statusCode"] == 200
    alice.create(title="seen everywhere")
    assert sorted(management.sent) == opened
    assert all(len(sent) == 1 for sent in management.sent.values())


def test_a_connection_api_gateway_no_longer_has_is_forgotten(alice: ApiUser, management: Management) -> None:
    assert connect("gone-connection", f"notes, {alice.token}")["statusCode"] == 200
    assert connect("a-phone", f"notes, {alice.token}")["statusCode"] == 200
    alice.create(title="x")
    assert stored_connections() == [(alice.sub, "a-phone")]
    assert len(management.sent["a-phone"]) == 1


def test_messages_from_a_client_are_taken_and_need_no_answer(alice: ApiUser) -> None:
    event = connect_event("a-phone", None)
    event["requestContext"].update({"routeKey": "$default", "eventType": "MESSAGE"})
    event["body"] = '{"type": "ping"}'
    assert notes_app.ws_message(event, None) == {"statusCode": 200}


def test_the_pure_python_rs256_checks_signatures_as_pyjwts_own(
    alice: ApiUser, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Lambda package holds no compiled module: there RS256 is python-rsa's."""
    monkeypatch.setattr(token_checks, "_ALGORITHM", [PureRS256()])
    monkeypatch.setattr(token_checks, "_DECODER", [])
    checks = token_checks.stage_verifier(notes_app.settings, fetch_jwks)
    assert checks.verify(alice.token)["sub"] == alice.sub
    header, payload, signature = alice.token.split(".")
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    for bad in (
        f"{header}.{payload}.{flipped}",
        tokens.sign(tokens.claims("id"), key=tokens.other_key),
        f"{header}.{payload[:-2]}xx.{signature}",
    ):
        with pytest.raises(token_checks.TokenRejected):
            checks.verify(bad)
