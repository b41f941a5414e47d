"""Live updates on the local stack (``make run`` and ``make run SCOPED=1``), with a WebSocket client
library nobody here wrote: tokens refused at the handshake, one message within 2 seconds of a
change to each of the owner's connections and to no one else's, and a client that reconnects
catching up from the change feed."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.stack import TIMEOUT, SignIn, Stack, StackUser, new_user
from tests.tokens import TokenFactory

# One message within this long of a change (the local stack's promise; deployed, within DynamoDB
# Streams' delay).
WITHIN_SECONDS = 2.0


def opened(stack: Stack, token: str, *protocols: str) -> ClientConnection:
    offered = list(protocols) if protocols else ["notes", token]
    return connect(stack.facts.ws_url, subprotocols=offered, open_timeout=TIMEOUT)  # type: ignore[arg-type]


def refused_with(stack: Stack, protocols: list[str] | None) -> int:
    try:
        with connect(stack.facts.ws_url, subprotocols=protocols, open_timeout=TIMEOUT):  # type: ignore[arg-type]
            pass
    except InvalidStatus as refusal:
        return int(refusal.response.status_code)
    raise AssertionError("the handshake was accepted")


def message(connection: ClientConnection, within: float = WITHIN_SECONDS) -> dict[str, Any]:
    import json

    found: dict[str, Any] = json.loads(connection.recv(timeout=within))
    return found


def nothing(connection: ClientConnection, within: float = WITHIN_SECONDS) -> bool:
    try:
        connection.recv(timeout=within)
    except TimeoutError:
        return True
    return False


def test_a_good_token_connects_and_notes_is_selected(local_stack: Stack) -> None:
    alice = new_user(local_stack, "live")
    with opened(local_stack, alice.token) as connection:
        assert connection.subprotocol == "notes"


def test_tokens_refused_at_the_handshake(local_stack: Stack) -> None:
    alice = new_user(local_stack, "live")
    header, payload, signature = alice.token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    assert refused_with(local_stack, None) == 401
    assert refused_with(local_stack, ["notes"]) == 401
    assert refused_with(local_stack, [alice.token]) == 401  # no "notes" beside it
    assert refused_with(local_stack, ["notes", "not-a-token"]) == 401
    assert refused_with(local_stack, ["notes", tampered]) == 401
    factory = TokenFactory(
        f"https://cognito-idp.{local_stack.facts.region}.amazonaws.com/{local_stack.facts.user_pool_id}",
        local_stack.facts.user_pool_client_id,
        local_stack.signing_key(),
    )
    assert refused_with(local_stack, ["notes", factory.id_token(exp=int(time.time()) - 1)]) == 401
    assert (
        refused_with(local_stack, ["notes", factory.sign(factory.claims("id"), key=factory.other_key)]) == 401
    )
    with opened(local_stack, factory.id_token()) as connection:  # the same key, valid: taken
        assert connection.subprotocol == "notes"


def test_a_deleted_accounts_token_is_refused(local_stack: Stack) -> None:
    gone = new_user(local_stack, "live")
    token = gone.token
    answer = gone.http.delete(
        local_stack.facts.api_url + "/me",
        headers={"Authorization": token, "X-Confirm-Delete": gone.email},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 202, answer.text
    assert refused_with(local_stack, ["notes", token]) == 401


def test_a_change_reaches_each_of_the_owners_connections_and_no_one_elses(local_stack: Stack) -> None:
    alice, bob = new_user(local_stack, "live"), new_user(local_stack, "live")
    cursor = alice.call("GET", "/changes").json()["cursor"]
    with (
        opened(local_stack, alice.token) as phone,
        opened(local_stack, alice.token) as laptop,
        opened(local_stack, bob.token) as bobs,
    ):
        note = alice.create_note("from the phone")
        for connection in (phone, laptop):
            told = message(connection)
            assert told["type"] == "changes" and isinstance(told["cursor"], str)
        assert nothing(bobs), "a change is never announced to another user"
        [change] = alice.call("GET", f"/changes?since={cursor}").json()["changes"]
        assert change["note"] == note


def test_a_client_that_reconnects_catches_up_from_the_feed(local_stack: Stack) -> None:
    alice = new_user(local_stack, "live")
    with opened(local_stack, alice.token) as connection:
        alice.create_note("seen live")
        message(connection)
        cursor = alice.call("GET", "/changes").json()["cursor"]
    # Offline: the network dropped, or API Gateway closed the connection after its two hours.
    missed = [alice.create_note(f"while away {index}")["noteId"] for index in range(2)]
    time.sleep(WITHIN_SECONDS)
    with opened(local_stack, alice.token) as again:
        changes = alice.call("GET", f"/changes?since={cursor}").json()["changes"]
        assert [change["noteId"] for change in changes] == missed
        alice.create_note("seen live again")
        assert message(again)["type"] == "changes"


def test_a_connection_is_told_through_the_management_api_only_when_signed(local_stack: Stack) -> None:
    management = local_stack.facts.ws_url.replace("ws://", "http://")
    unsigned = requests.post(f"{management}/@connections/some-id", data=b"{}", timeout=TIMEOUT)
    assert unsigned.status_code == 403
    client = local_stack.client("apigatewaymanagementapi", endpoint_url=management)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="no-such-connection", Data=b"{}")


# Scoped mode: an access token carrying the read scope, as the REST API's reads take.


@pytest.fixture
def scoped_user(scoped_stack: Stack) -> StackUser:
    return new_user(scoped_stack, "live-scoped")


def test_scoped_an_access_token_with_the_read_scope_connects_and_is_told(
    scoped_stack: Stack, scoped_user: StackUser
) -> None:
    tokens = SignIn(scoped_stack).tokens(scoped_user.email)
    reader = SignIn(scoped_stack, client="readOnly", scope="openid notes/read").tokens(scoped_user.email)
    assert refused_with(scoped_stack, ["notes", tokens["id_token"]]) == 401
    with opened(scoped_stack, reader["access_token"]) as connection:
        assert connection.subprotocol == "notes"
        written = requests.post(
            scoped_stack.facts.api_url + "/notes",
            json={"content": "scoped"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=TIMEOUT,
        )
        assert written.status_code == 201, written.text
        assert message(connection)["type"] == "changes"
