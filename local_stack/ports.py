"""The stack's four ports, checked before anything starts: distinct, valid, and free on 127.0.0.1."""

from __future__ import annotations

import errno
import socket

from local_stack import HOST, LaunchError


def check_ports(port: int, emulator_port: int, web_port: int, ws_port: int) -> None:
    """Raises LaunchError naming the port that cannot be used, and how to choose another."""
    named = {"PORT": port, "EMULATOR_PORT": emulator_port, "WEB_PORT": web_port, "WS_PORT": ws_port}
    if len(set(named.values())) < len(named):
        raise LaunchError(
            f"PORT, EMULATOR_PORT, WEB_PORT and WS_PORT must differ (got {port}, {emulator_port}, "
            f"{web_port}, {ws_port}); choose four ports, e.g. make run PORT=8000 EMULATOR_PORT=8001 "
            "WEB_PORT=8002 WS_PORT=8003"
        )
    for name, number in named.items():
        if not 1 <= number <= 65535:
            raise LaunchError(f"{name}={number} is not a TCP port (1-65535)")
        with socket.socket() as probe:
            # As the servers do: connections of an earlier run lingering in
            # TIME_WAIT do not make a port busy, a listening socket does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, number))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise LaunchError(f"cannot use {HOST}:{number} ({name}): {error.strerror}") from error
                raise LaunchError(
                    f"port {number} ({name}) is already in use on {HOST}; "
                    f"choose another with make run {name}=<port>"
                ) from error
