"""make run's live endpoint on its own, in process, with a stand-in $connect handler."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import pytest

from local_stack.credentials import new_keys
from local_stack.live_server import LiveServer
from tests.stack import free_port

HANDSHAKE = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: notes, a-token\r\n\r\n"
)


def test_a_client_that_leaves_during_the_handshake_is_let_go_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    called = threading.Event()
    left = threading.Event()

    def connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
        called.set()
        left.wait(5)  # $connect still running when the client is gone (a page closed)
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "notes"}}

    server = LiveServer(free_port(), {"$connect": connect}, new_keys())
    server.start()
    try:
        with caplog.at_level(logging.DEBUG):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
                client.sendall(HANDSHAKE.encode())
                assert called.wait(5)
            left.set()
            time.sleep(0.5)  # the server answers the closed connection, or tries to
    finally:
        left.set()
        server.stop()
    logged = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.getMessage() for record in logged] == []
    assert not any(record.exc_info for record in caplog.records if record.levelno >= logging.WARNING)
    with socket.socket() as probe:  # stopped: the port is free again
        probe.bind(("127.0.0.1", server.port))
