"""Tests never leave the machine: any name but a loopback one fails to resolve."""

from __future__ import annotations

import socket
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1", "0:0:0:0:0:0:0:1"}
_real_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in LOOPBACK and not name.startswith("127."):
        raise OSError(f"tests may only reach 127.0.0.1, not {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.getaddrinfo = _loopback_only
