"""Live updates: a user's open WebSocket connections, each told when the user's notes changed.

**Connecting.** A client opens the stage's WebSocket API offering two subprotocols, ``notes`` and
its token (in a browser, ``new WebSocket(wsUrl, ["notes", token])``), so that the token never
goes into a URL. API Gateway puts no Cognito authorizer on ``$connect``: the connect handler
checks the token itself, as the REST API's authorizer checks it (``chalicelib.tokens``: the
pool's signature, issuer, client, ``token_use``, expiry, and in scoped mode the read scope),
then refuses a deleted account, as every request does. Refused, the handshake answers 401 and no
connection is made; accepted, it selects ``notes`` and records the connection under its owner,
kept a little over the two hours API Gateway keeps a connection open (DynamoDB's TTL).

**Telling.** The change feed's function (``app.follow_changes``), once a batch's entries are
written, sends each owner's connections one message, ``{"type": "changes", "cursor": …}``,
through the WebSocket API's management endpoint (``POST /@connections/{id}``); a connection API
Gateway no longer has (``GoneException``) is forgotten. Only the owner's connections are read:
a change is never announced to anyone else. The client then pulls ``GET /changes``.

Nothing here is imported by the API's function but this module: the token checks are imported by
the connect handler on its first connection, the management client by the feed's function on its
first message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from chalicelib import writes
from chalicelib.changes import ChangeFeed
from chalicelib.models import ConnectionModel, NoteModel
from chalicelib.settings import Settings
from chalicelib.shapes import iso_time
from chalicelib.stream_records import StreamRecord

log = logging.getLogger(__name__)

PROTOCOL = "notes"
PROTOCOL_HEADER = "Sec-WebSocket-Protocol"
# API Gateway closes a connection after two hours; its record goes a little later.
CONNECTION_SECONDS = 2 * 3600
KEPT_SECONDS = CONNECTION_SECONDS + 10 * 60
MESSAGE_TYPE = "changes"
CONNECTIONS_PAGE = 100  # connections read per Query as a change is announced


class Answer(NamedTuple):
    """The connect handler's answer: a status, and the headers of a handshake that succeeded."""

    status: int
    headers: dict[str, str]
    reason: str = ""


def offered_token(headers: Mapping[str, Any]) -> str | None:
    """The token a client offers beside ``notes`` in ``Sec-WebSocket-Protocol`` (one header, values
    separated by commas); None unless it offers ``notes`` and exactly one other value."""
    named = {str(name).lower(): value for name, value in headers.items()}
    value = named.get(PROTOCOL_HEADER.lower())
    if not isinstance(value, str):
        return None
    offered = [item.strip() for item in value.split(",")]
    others = [item for item in offered if item and item != PROTOCOL]
    if PROTOCOL not in offered or len(others) != 1:
        return None
    return others[0]


class LiveUpdates:
    """The connections of ``connections``' table, accepted with ``settings``' pool and mode."""

    def __init__(
        self,
        connections: type[ConnectionModel],
        settings: Settings,
        deleted: Callable[[str], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``deleted``: whether an account is being or has been deleted (its tokens are refused)."""
        self._connections = connections
        self._settings = settings
        self._deleted = deleted
        self.clock = clock
        self._verifier: Any = None
        self._client: Any = None

    # $connect

    def connect(self, headers: Mapping[str, Any], connection_id: str) -> Answer:
        """The handshake's answer: 401 for a missing, refused or expired token or a deleted
        account's, 503 when the pool's keys cannot be had; else 200 selecting ``notes``, the
        connection recorded. Never logs the token. Raises StorageUnavailable."""
        from chalicelib.tokens import SigningKeysUnavailable, TokenRejected

        token = offered_token(headers)
        if token is None:
            return Answer(401, {}, f"no token offered beside {PROTOCOL!r}")
        try:
            claims = self.verifier().verify(token, self._settings.read_scopes)
        except TokenRejected as rejected:
            return Answer(401, {}, rejected.message)
        except SigningKeysUnavailable as error:
            log.error("%s", error)
            return Answer(503, {}, "the user pool's signing keys cannot be fetched")
        owner = claims["sub"]
        if self._deleted(owner):
            return Answer(401, {}, "the account has been deleted")
        now = self.clock()
        item = self._connections(
            owner,
            connection_id,
            connectedAt=iso_time(datetime.fromtimestamp(now, UTC)),
            expiresAtEpoch=datetime.fromtimestamp(now, UTC) + timedelta(seconds=KEPT_SECONDS),
        )
        with writes.dynamodb():
            item.save()
        return Answer(200, {PROTOCOL_HEADER: PROTOCOL})

    def verifier(self) -> Any:
        """The token checks of the stage's pool and mode (``chalicelib.tokens``), made on first use."""
        if self._verifier is None:
            from chalicelib.tokens import stage_verifier

            self._verifier = stage_verifier(self._settings)
        return self._verifier

    # The change feed's function.

    def announce(self, owner: str, cursor: str) -> int:
        """One message to each open connection of ``owner``; how many took it. A connection API
        Gateway no longer has is forgotten. Raises StorageUnavailable."""
        if self._settings.ws_management_url is None:
            return 0
        message = json.dumps({"type": MESSAGE_TYPE, "cursor": cursor}).encode()
        told = 0
        # Every page of the owner's connections, however many are open.
        for connections in writes.query_pages(
            self._connections, owner, count=CONNECTIONS_PAGE, attributes=["connectionId"]
        ):
            for connection in connections:
                if self._post(connection.connectionId, message):
                    told += 1
                else:
                    with writes.dynamodb():
                        self._connections(owner, connection.connectionId).delete()
        return told

    def _post(self, connection_id: str, message: bytes) -> bool:
        """Whether the connection took ``message``; False when API Gateway no longer has it."""
        client = self._management()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=message)
        except client.exceptions.GoneException:
            return False
        except Exception as error:  # any other failure: this connection misses one message
            log.warning("could not tell connection %s of changes: %s", connection_id, error)
        return True

    def follow(self, feed: ChangeFeed, records: Iterable[StreamRecord[NoteModel]]) -> dict[str, int]:
        """The change feed's function: the records' notes appended to their owners' feeds, then each
        owner's connections told once. What was done, counted."""
        followed = feed.record(records)
        told = sum(self.announce(each.owner, feed.cursor_at(each.owner, each.last)) for each in followed)
        return {
            "users": len(followed),
            "changes": sum(len(each.note_ids) for each in followed),
            "connectionsTold": told,
        }

    def _management(self) -> Any:
        if self._client is None:
            import botocore.session

            self._client = botocore.session.get_session().create_client(
                "apigatewaymanagementapi",
                region_name=self._settings.region,
                endpoint_url=self._settings.ws_management_url,
            )
        return self._client
