"""``make run``'s WebSocket endpoint: what the stage's API Gateway WebSocket API does, on loopback.

Chalice's local server serves no WebSocket. This one runs in the API's own process (beside
``chalice local``, with the app it loaded), on ``--ws-port``:

- ``GET /`` with an upgrade is a connection. The app's ``$connect`` handler gets the event API
  Gateway sends (the request's headers, ``requestContext`` with ``routeKey`` ``$connect``, a new
  ``connectionId``, ``apiId``, ``stage``, ``domainName``) and answers as it would: any status but
  200 is the handshake's answer (no connection); 200 upgrades, selecting the subprotocol its
  ``Sec-WebSocket-Protocol`` header names. Each text message a client sends goes to the app's
  ``$default`` handler the same way.
- ``/@connections/{connectionId}`` is the management API the app sends through (botocore's
  ``apigatewaymanagementapi`` client, its endpoint this server's address): ``POST`` sends its
  body to the connection as one text message, ``GET`` describes it, ``DELETE`` closes it; a
  connection that is not open is ``410 GoneException``. Each request must be signed (Signature
  Version 4, service ``execute-api``) with the run's own pair of keys, as AWS wants it signed by
  a role that may manage connections.
- As API Gateway, it closes a connection after ``IDLE_SECONDS`` without a message from the
  client, and ``MAX_SECONDS`` after it opened (close code 1001, "going away").

It does not do the rest of API Gateway: no route selection by the body's ``action`` (every
message goes to ``$default``), no throttling, no 128 KB frame limit, no ``$disconnect`` handler
call (the app has none).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from aiohttp import WSMsgType, web

from local_stack import HOST
from local_stack.credentials import Keys
from local_stack.signatures import Checker, Incoming, Refusal

log = logging.getLogger("local_stack.live_server")

API_ID = "local"
# The port the API's process serves the endpoint on (make run sets it).
WS_PORT_ENV = "NOTES_WS_PORT"
IDLE_SECONDS = 10 * 60
MAX_SECONDS = 2 * 3600
GOING_AWAY = 1001
# The WebSocket API's stage, as the app's handlers read it from requestContext.
STAGE = "api"

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class Connection:
    socket: web.WebSocketResponse
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)


class LiveServer:
    """The endpoint on ``HOST:port``, calling ``handlers`` by route key (``$connect``, ``$default``)."""

    def __init__(self, port: int, handlers: dict[str, Handler], keys: Keys) -> None:
        self.port = port
        self.url = f"ws://{HOST}:{port}"
        self.management_url = f"http://{HOST}:{port}"
        self._handlers = handlers
        self._checker = Checker(keys, lambda: datetime.now(UTC))
        self._connections: dict[str, Connection] = {}
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._expiring: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # Running.

    def start(self) -> None:
        """Serve in a thread of its own; returns once the port is bound. Raises OSError if not."""
        threading.Thread(target=self._run, name="live-server", daemon=True).start()
        self._ready.wait(10)
        if self._failed is not None:
            raise self._failed

    def stop(self) -> None:
        """Closes the port and ends the thread (make run's process just exits)."""
        loop = self._loop
        if loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # the port is taken: told to start()
            self._failed = error
            self._ready.set()
            return
        self._ready.set()
        self._expiring = loop.create_task(self._expire())
        loop.run_forever()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._connect)
        app.router.add_route("*", "/@connections/{connection_id}", self._manage)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port).start()

    async def _expire(self) -> None:
        """Close what API Gateway would: idle for IDLE_SECONDS, or open for MAX_SECONDS."""
        while True:
            await asyncio.sleep(5)
            now = time.time()
            for connection in list(self._connections.values()):
                if now - connection.last_active > IDLE_SECONDS or now - connection.connected_at > MAX_SECONDS:
                    await connection.socket.close(code=GOING_AWAY, message=b"Going away")

    # The WebSocket side.

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        # API Gateway's ids are base64 of some bytes; URL-safe here, as the management API's paths hold them.
        connection_id = base64.urlsafe_b64encode(secrets.token_bytes(10)).decode()
        event = self._event(request, "$connect", "CONNECT", connection_id)
        answer = await self._call("$connect", event)
        status = int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 200
        if status != 200:
            return web.Response(
                status=status,
                body=str(answer.get("body") or ""),
                content_type="application/json",
            )
        headers = {str(name).lower(): value for name, value in (answer.get("headers") or {}).items()}
        selected = headers.get("sec-websocket-protocol")
        socket = web.WebSocketResponse(protocols=(selected,) if selected else (), autoping=True)
        try:
            await socket.prepare(request)
        except ConnectionError:  # the client left while $connect ran (a page closed): no connection
            return web.Response()  # its answer goes nowhere, as quietly
        identity = event["requestContext"]["identity"]
        connection = Connection(socket, identity["sourceIp"], identity["userAgent"])
        self._connections[connection_id] = connection
        try:
            async for message in socket:
                connection.last_active = time.time()
                if message.type == WSMsgType.TEXT:
                    received = self._event(request, "$default", "MESSAGE", connection_id, message.data)
                    await self._call("$default", received)
        finally:
            self._connections.pop(connection_id, None)
        return socket

    def _event(
        self, request: web.Request, route: str, kind: str, connection_id: str, body: str | None = None
    ) -> dict[str, Any]:
        """The event API Gateway sends the function for ``route``."""
        now = time.time()
        context: dict[str, Any] = {
            "routeKey": route,
            "eventType": kind,
            "messageDirection": "IN",
            "connectionId": connection_id,
            "connectedAt": int(self._connections[connection_id].connected_at * 1000)
            if connection_id in self._connections
            else int(now * 1000),
            "requestId": secrets.token_hex(8),
            "extendedRequestId": secrets.token_hex(8),
            "requestTimeEpoch": int(now * 1000),
            "requestTime": formatdate(now, usegmt=True),
            "apiId": API_ID,
            "stage": STAGE,
            "domainName": request.host,
            "identity": {
                "sourceIp": request.remote or HOST,
                "userAgent": request.headers.get("User-Agent", ""),
            },
        }
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
        if route == "$connect":
            event["headers"] = dict(request.headers)
            event["multiValueHeaders"] = {name: request.headers.getall(name) for name in request.headers}
        else:
            event["body"] = body
        return event

    async def _call(self, route: str, event: dict[str, Any]) -> Any:
        handler = self._handlers.get(route)
        if handler is None:
            return {"statusCode": 200}
        try:
            return await asyncio.get_running_loop().run_in_executor(None, handler, event, None)
        except Exception:
            log.exception("the %s handler failed", route)
            return {"statusCode": 500, "body": json.dumps({"message": "Internal server error"})}

    # The management API.

    async def _manage(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            self._checker.check_header(_incoming(request), "execute-api", hashlib.sha256(body).hexdigest())
        except Refusal as refusal:
            return web.json_response({"message": refusal.message}, status=403, headers=_error(refusal.code))
        connection_id = request.match_info["connection_id"]
        connection = self._connections.get(connection_id)
        if connection is None or connection.socket.closed:
            return web.json_response({"message": "Gone"}, status=410, headers=_error("GoneException"))
        if request.method == "POST":
            await connection.socket.send_str(body.decode("utf-8", "replace"))
            return web.Response(status=200)
        if request.method == "GET":
            return web.json_response(
                {
                    "ConnectedAt": _iso(connection.connected_at),
                    "LastActiveAt": _iso(connection.last_active),
                    "Identity": {"SourceIp": connection.source_ip, "UserAgent": connection.user_agent},
                }
            )
        if request.method == "DELETE":
            await connection.socket.close(code=GOING_AWAY, message=b"Going away")
            return web.Response(status=204)
        return web.json_response({"message": "GET, POST or DELETE"}, status=405)


def _incoming(request: web.Request) -> Incoming:
    """What a signature covers of the request, with the header names WSGI would give them."""
    headers = {name.upper().replace("-", "_"): value for name, value in request.headers.items()}
    raw = request.raw_path
    return Incoming(
        method=request.method,
        path=raw.split("?", 1)[0],
        query=raw.split("?", 1)[1] if "?" in raw else "",
        headers=headers,
    )


def _error(code: str) -> dict[str, str]:
    return {"x-amzn-ErrorType": code}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
