"""The AWS emulator on 127.0.0.1: Cognito, DynamoDB and S3 in this process, one request at a time.

In front of it, two WSGI layers hold what AWS holds: ``local_stack.guard`` refuses what AWS
refuses (unsigned S3 and DynamoDB calls, signatures not made with the local pair, expired or
altered presigned URLs, upload forms whose policy does not hold), and ``local_stack.cors`` lets
only the web app's pages read its answers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_stack import HOST
from local_stack.cors import Cors
from local_stack.credentials import Keys
from local_stack.guard import Guard
from local_stack.keeper import StateKeeper

# Emulator requests that only read (DynamoDB's and Cognito's reads are POSTs too).
READ_TARGETS = frozenset(
    {
        "DynamoDB_20120810.GetItem",
        "DynamoDB_20120810.BatchGetItem",
        "DynamoDB_20120810.Query",
        "DynamoDB_20120810.Scan",
        "DynamoDB_20120810.DescribeTable",
        "AWSCognitoIdentityProviderService.GetUser",
        "AWSCognitoIdentityProviderService.DescribeUserPool",
        "AWSCognitoIdentityProviderService.DescribeUserPoolClient",
    }
)
# The emulator's settings. Its credentials are the run's own pair (local_stack.credentials),
# never real ones, so nothing here can reach AWS.
EMULATOR_ENV = {
    # The emulator derives pool and client ids from their settings, so the
    # local stage in .chalice/config.json can name them whatever the port.
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}
# Credentials of the outer environment that must not sign anything here.
FOREIGN_CREDENTIALS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class OneAtATime:
    """A WSGI wrapper that lets the emulator answer one request at a time.

    DynamoDB applies conditional writes to an item one at a time; the
    emulator's conditional writes are not atomic between threads, so two
    racing ``If-Match`` writes could both win. Serialising requests keeps
    its answers true under load (the local stack is not about throughput),
    and lets the state keeper save the data between two requests. Every
    request that may change something is reported to it; one a mounted app
    answered changes that app's own records only (never a table), so the
    keeper's listeners, who follow the tables, are not woken for it.
    """

    def __init__(self, app: Mounts, keeper: StateKeeper) -> None:
        self._app = app
        self._keeper = keeper

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._keeper.lock:
            # Read the whole answer inside the lock: a lazy body would run after it.
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
                if may_change(environ):
                    self._keeper.changed(notify=not self._app.answers(environ))


class Mounts:
    """WSGI: apps added while the emulator runs answer their own paths; the emulator the rest.

    ``make run SCOPED=1`` adds the user pool's sign-in endpoints once the pool is provisioned.
    """

    def __init__(self, emulator: Any = None) -> None:
        self.emulator = emulator
        self._apps: dict[str, Any] = {}

    def add(self, paths: Any, app: Any) -> None:
        self._apps.update(dict.fromkeys(paths, app))

    def answers(self, environ: dict[str, Any]) -> bool:
        """Whether a mounted app (not the emulator) answers this request."""
        return environ.get("PATH_INFO", "") in self._apps

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        app = self._apps.get(environ.get("PATH_INFO", ""), self.emulator)
        return app(environ, start_response)


def may_change(environ: dict[str, Any]) -> bool:
    """Whether a request may change the emulator's data (anything but a read)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    return environ.get("HTTP_X_AMZ_TARGET") not in READ_TARGETS


def answer_as_aws() -> None:
    """Make the emulator's Cognito and DynamoDB answer as AWS's do where the product can tell (once
    per process): ``make run``'s emulator, and the tests' and the bench's in-process one alike."""
    from local_stack import query_ranges, revoke_token, user_pool

    user_pool.install()
    revoke_token.install()
    query_ranges.install()


def client_environment(keys: Keys) -> dict[str, str]:
    """This process's AWS settings while the emulator runs: the run's pair signs every client here."""
    return {**EMULATOR_ENV, **keys.environment()}


def emulator_client(service: str, endpoint: str, region: str, keys: Keys) -> Any:
    """A client of the emulator at ``endpoint``, signed with the run's pair."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        config=Config(connect_timeout=2, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"}),
    )


@contextmanager
def emulator(
    port: int,
    keeper: StateKeeper,
    *,
    fresh: bool,
    keys: Keys,
    web_origins: tuple[str, ...] = (),
    mounts: Mounts | None = None,
) -> Iterator[str]:
    """The emulator with the saved data, serving until the block ends; then the data is saved.

    Only requests signed with ``keys`` (or open as in AWS) reach it, and only ``web_origins`` may
    read its answers from a page. ``mounts`` receives the apps that answer paths of their own
    beside the emulator's (they check their own callers).
    """
    os.environ.update(client_environment(keys))
    # This process's own clients without an endpoint of their own (the background functions').
    os.environ["AWS_ENDPOINT_URL"] = f"http://{HOST}:{port}"
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://{HOST}:{port}"
    for name in FOREIGN_CREDENTIALS:
        os.environ.pop(name, None)
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    answer_as_aws()
    print(keeper.load(fresh), flush=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulator request
    mounts = mounts or Mounts()
    mounts.emulator = Cors(Guard(DomainDispatcherApplication(create_backend_app), keys), web_origins)
    app = OneAtATime(mounts, keeper)

    class Handler(MotoRequestHandler):
        # Answers without waiting for the peer's delayed ACK on a reused connection.
        disable_nagle_algorithm = True

    server = make_server(HOST, port, app, threaded=True, request_handler=Handler)
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    keeper.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        # Stopping is not interrupted by a second Ctrl-C: the last save must complete.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            server.shutdown()
            server.server_close()
            thread.join()
            keeper.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
