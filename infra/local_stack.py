"""The whole product on one machine: ``make run``.

Starts, on 127.0.0.1 only:

1. the AWS emulator (Cognito, DynamoDB and S3), in this process, on ``--emulator-port``;
2. the ``local`` stage's user pool, app client, table and bucket, provisioned into it
   from ``infra/description.py``;
3. the API, ``chalice local --stage local`` on ``--port``, which checks tokens
   against the emulator's pool as API Gateway would.

It writes the connection facts to ``.local/stack.json``, prints how to use the
stack, and stays in the foreground. SIGINT (Ctrl-C) or SIGTERM stops all of it:
``chalice local`` runs in a session of its own, so its auto-reload worker is
stopped with it, and the facts file is removed.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGE = "local"
HOST = "127.0.0.1"
STACK_FILE = Path(os.environ.get("NOTES_STACK_FILE") or ROOT / ".local" / "stack.json")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
# Emulator credentials: never real ones, so nothing here can reach AWS.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    # The emulator derives pool and client ids from their settings, so the
    # local stage in .chalice/config.json can name them whatever the port.
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}


class LaunchError(Exception):
    """The stack cannot start; the message says why and what to do."""


class Stop(Exception):
    """A signal asked the stack to stop."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    try:
        _check_ports(args.port, args.emulator_port)
        with _emulator(args.emulator_port) as endpoint, _stack_file() as stack_file:
            stage_env = _stage_environment()
            facts = _provision(endpoint, stage_env, web_origins(args.web_port))
            api_url = f"http://{HOST}:{args.port}"
            stack = {"apiUrl": api_url, "awsEndpoint": endpoint, **facts}
            # Written before the API starts: chalice's auto-reload watches the
            # project folder and would restart the API for a later write.
            stack_file.write_text(json.dumps(stack, indent=2) + "\n")
            with _api(args.port, endpoint) as api:
                _wait_until_ready(api, api_url)
                print(banner(stack, args.port), flush=True)
                code = api.wait()
                raise LaunchError(f"chalice local stopped unexpectedly (exit code {code})")
    except Stop:
        print("\nstopped: the API and the emulator are gone, and so is their data.", flush=True)
        return 0
    except LaunchError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 2


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT") or 8001))
    # The web app's port: its origin may upload to and download from the bucket.
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT") or 8002))
    return parser.parse_args(argv)


def web_origins(web_port: int) -> tuple[str, ...]:
    """The origins of the local web app, as a browser on this machine names them."""
    return (f"http://{HOST}:{web_port}", f"http://localhost:{web_port}")


def _check_ports(port: int, emulator_port: int) -> None:
    if port == emulator_port:
        raise LaunchError(
            f"PORT and EMULATOR_PORT are both {port}; "
            "choose two ports, e.g. make run PORT=8000 EMULATOR_PORT=8001"
        )
    for name, number in (("PORT", port), ("EMULATOR_PORT", emulator_port)):
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


class _OneAtATime:
    """A WSGI wrapper that lets the emulator answer one request at a time.

    DynamoDB applies conditional writes to an item one at a time; the
    emulator's conditional writes are not atomic between threads, so two
    racing ``If-Match`` writes could both win. Serialising requests keeps
    its answers true under load (the local stack is not about throughput).
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            # Read the whole answer inside the lock: a lazy body would run after it.
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()


@contextmanager
def _emulator(port: int) -> Iterator[str]:
    os.environ.update(EMULATOR_ENV)
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulator request
    app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
    server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def _stack_file() -> Iterator[Path]:
    STACK_FILE.parent.mkdir(exist_ok=True)
    try:
        yield STACK_FILE
    finally:
        STACK_FILE.unlink(missing_ok=True)


def _stage_environment() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env: dict[str, str] = config["stages"][STAGE]["environment_variables"]
    return env


def _provision(endpoint: str, stage_env: dict[str, str], web_origins: tuple[str, ...]) -> dict[str, str]:
    import boto3

    from infra.provision import provision

    region = stage_env["AWS_DEFAULT_REGION"]

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    made = provision(STAGE, client("cognito-idp"), client("dynamodb"), client("s3"), web_origins)
    named = (
        stage_env["COGNITO_USER_POOL_ARN"],
        stage_env["COGNITO_APP_CLIENT_IDS"],
        stage_env["NOTES_TABLE_NAME"],
        stage_env["NOTES_BUCKET_NAME"],
    )
    if (made.user_pool_arn, made.user_pool_client_id, made.table_name, made.bucket_name) != named:
        raise LaunchError(
            "the local stage in .chalice/config.json does not name what infra/description.py provisions: "
            f"set COGNITO_USER_POOL_ARN={made.user_pool_arn}, "
            f"COGNITO_APP_CLIENT_IDS={made.user_pool_client_id}, "
            f"NOTES_TABLE_NAME={made.table_name}, "
            f"NOTES_BUCKET_NAME={made.bucket_name}"
        )
    return {
        "region": made.region,
        "userPoolId": made.user_pool_id,
        "userPoolClientId": made.user_pool_client_id,
        "tableName": made.table_name,
        "bucketName": made.bucket_name,
    }


@contextmanager
def _api(port: int, endpoint: str) -> Iterator[subprocess.Popen[bytes]]:
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice), "local", "--stage", STAGE, "--host", HOST, "--port", str(port)]
    env = {**os.environ, **EMULATOR_ENV, "AWS_ENDPOINT_URL": endpoint}
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    # A session of its own: the terminal's Ctrl-C reaches us only, and we stop
    # chalice and its auto-reload worker together, as one process group.
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    try:
        yield process
    finally:
        # Stopping is not interrupted by a second Ctrl-C.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        _stop_group(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop()


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, STOP_TIMEOUT_SECONDS), (signal.SIGKILL, STOP_TIMEOUT_SECONDS)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(process.pid):
            process.poll()
            time.sleep(0.05)
        if not _group_alive(process.pid):
            break
    process.poll()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_ready(api: subprocess.Popen[bytes], api_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise LaunchError(f"chalice local exited with code {api.returncode} before it served {api_url}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise LaunchError(f"the API did not answer {api_url}/health within {READY_TIMEOUT_SECONDS:.0f} s")


def banner(stack: dict[str, str], port: int) -> str:
    endpoint = stack["awsEndpoint"]
    other_port = port + 10
    return f"""
notes is running on this machine (127.0.0.1 only)

  API            {stack["apiUrl"]}
  AWS emulator   {endpoint}  (Cognito + DynamoDB + S3)
  user pool      {stack["userPoolId"]}
  app client     {stack["userPoolClientId"]}
  table          {stack["tableName"]}
  bucket         {stack["bucketName"]}  (attachments)
  facts          .local/stack.json

Data lives in memory: everything is gone when this stops.

Next, in another terminal:
  .venv/bin/notes signup you@example.com     # asks for a password: 12+ chars, upper, lower, digit, symbol
  .venv/bin/notes confirm you@example.com
  .venv/bin/notes login you@example.com
  .venv/bin/notes add "my first note"
  .venv/bin/notes ls

Or run chalice local yourself against this emulator:
  AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
    .venv/bin/chalice local --stage local --port {other_port}

Ctrl-C stops everything.
"""


if __name__ == "__main__":
    sys.exit(main())
