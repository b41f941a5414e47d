"""Misbehaving DynamoDB, S3 and JWKS endpoints, on 127.0.0.1 or in a client, for fault tests."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.awsrequest import AWSResponse


class _Answering(BaseHTTPRequestHandler):
    """A handler that answers with one whole body and logs nothing."""

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """Serve on a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class _Throttling(_Answering):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1  # type: ignore[attr-defined]
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode()
        self.answer(400, "application/x-amz-json-1.0", body)


@contextmanager
def throttling_dynamodb() -> Iterator[ThreadingHTTPServer]:
    """An endpoint that throttles every request; ``server.requests`` counts them."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    server.requests = 0  # type: ignore[attr-defined]
    with _serving(server):
        yield server


@contextmanager
def stalled_endpoint() -> Iterator[int]:
    """An endpoint that accepts connections and never answers; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Jwks(_Answering):
    def do_GET(self) -> None:
        server: JwksServer = self.server  # type: ignore[assignment]
        server.requests += 1
        status, body = server.answer
        self.answer(status, "application/json", body)


class JwksServer(ThreadingHTTPServer):
    """Serves ``answer`` (status, body) to every GET; ``requests`` counts them."""

    answer: tuple[int, bytes]
    requests: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/pool/.well-known/jwks.json"

    def serve(self, document: object, status: int = 200) -> None:
        self.answer = (status, json.dumps(document).encode())


@contextmanager
def jwks_endpoint(document: object) -> Iterator[JwksServer]:
    """A user pool's JWKS endpoint whose answer a test can change, or stop altogether."""
    server = JwksServer(("127.0.0.1", 0), _Jwks)
    server.serve(document)
    server.requests = 0
    with _serving(server):
        yield server


class RefusedCalls:
    """Answers chosen operations of one botocore client with an error before they are sent.

    ``refuse("PutItem", ...)`` starts refusing them and returns the list of the operations
    refused so far; ``stop()`` lets them through again. (Retries are shown against the endpoints
    above: this answers each call once, as botocore sees it after its retries.)
    """

    def __init__(self, client: Any, code: str, status: int) -> None:
        self._events = client.meta.events
        self._service = client.meta.service_model.endpoint_prefix
        self._error = {"Code": code, "Message": f"{code} (a test's answer)"}
        self._status = status
        self._names: list[str] = []
        self.calls: list[str] = []

    def _answer(self, model: Any, params: Any, **kwargs: Any) -> Any:
        self.calls.append(model.name)
        http = AWSResponse(f"https://{self._service}.invalid", self._status, {}, None)
        return http, {"Error": self._error, "ResponseMetadata": {"HTTPStatusCode": self._status}}

    def refuse(self, *operations: str) -> list[str]:
        for operation in operations:
            name = f"before-call.{self._service}.{operation}"
            self._events.register_first(name, self._answer)
            self._names.append(name)
        return self.calls

    def stop(self) -> None:
        for name in self._names:
            self._events.unregister(name, self._answer)
        self._names.clear()


def upload_id_made_ago(seconds: float) -> str:
    """An upload id of the API's kind (UUIDv7) as if made ``seconds`` ago: its first 48 bits are
    the Unix milliseconds it was made at."""
    millis = int((time.time() - seconds) * 1000)
    random_bits = uuid.uuid4().int & ((1 << 74) - 1)
    value = (
        (millis << 80)
        | (0x7 << 76)
        | ((random_bits >> 62) << 64)
        | (0b10 << 62)
        | (random_bits & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))
