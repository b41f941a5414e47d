"""Fixtures: the app on the ``test`` stage, a fresh in-process DynamoDB per test,
and signed-in users.

The stage's environment is applied before ``app`` is imported, as Chalice does
for ``local``, ``package`` and ``deploy``. Nothing here reaches AWS: moto serves
DynamoDB in-process, and every endpoint or profile from the outer environment is
removed first.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import functools
import inspect
import json
import os
import tempfile
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import stages

ROOT = Path(__file__).resolve().parents[1]
STAGE = "test"
STAGE_ENV = stages.environment(STAGE)

for _name in list(os.environ):
    if _name.startswith("AWS_") or _name.startswith("NOTES_") or _name.startswith("COGNITO_"):
        del os.environ[_name]
os.environ.update(STAGE_ENV)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # The emulator derives pool and client ids from their settings, so the
        # test stage's configuration can name them.
        "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
        "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
        # The stacks the tests start (make run) serve the code as it was when they started: an
        # edit made while the tests run neither restarts their API nor stops them when it breaks.
        "NO_RELOAD": "1",
    }
)

import boto3
import jwt
from chalice.test import (
    Client,
    HTTPResponse,
)
from moto import mock_aws

import app as notes_app
from chalicelib.dynamodb_calls import client_of
from chalicelib.stream_consumers import FOLLOWER, INDEXER, JOBS, Consumer
from chalicelib.tables import NOTES, TABLES, Table
from infra import description
from local_stack.emulator import answer_as_aws
from local_stack.gateway_auth import issuer, verify_tokens_locally
from local_stack.provisioning import Provisioned, provision
from local_stack.streams import StreamFeeder, delivering
from local_stack.ttl import LocalClock, TtlSweep
from tests import network_guard
from tests.tokens import TokenFactory, in_process_pool_key

network_guard.install()
# The test client's gateway checks tokens as API Gateway does (deployed, API Gateway checks).
verify_tokens_locally(notes_app.app, notes_app.settings)
PASSWORD = "Correct-Horse-Battery-9"
# The rules the web app's config.json carries, deployed and locally, besides its addresses and limit.
WEB_RULES = {
    "passwordPolicy": {
        "minimumLength": 12,
        "requireUppercase": True,
        "requireLowercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
    },
    "titleMaxChars": 200,
    "fileNameMaxChars": 255,
    "fileNameForbiddenPattern": r"[/\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]",
    "mediaTypePattern": r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$",
}

_MISSING: Any = object()


class ApiUser:
    """A signed-in user of the API: every request carries their token."""

    def __init__(self, http: Any, sub: str, email: str, token: str) -> None:
        self.http = http
        self.sub = sub
        self.email = email
        self.token = token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": self.token}

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = _MISSING,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        sent = {**self.auth, **(headers or {})}
        if json_body is not _MISSING:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        return self.http.request(method, path, headers=sent, body=body)

    def get(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = _MISSING, **kwargs: Any) -> HTTPResponse:
        return self.request("POST", path, json_body, **kwargs)

    def put(self, path: str, json_body: Any = _MISSING, **kwargs: Any) -> HTTPResponse:
        return self.request("PUT", path, json_body, **kwargs)

    def patch(self, path: str, json_body: Any = _MISSING, **kwargs: Any) -> HTTPResponse:
        return self.request("PATCH", path, json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("DELETE", path, **kwargs)

    def create(self, **fields: Any) -> dict[str, Any]:
        """Create a note (content defaults to a fresh string) and return it."""
        fields.setdefault("content", f"note {uuid.uuid4()}")
        response = self.post("/notes", fields)
        assert response.status_code == 201, response.body
        note: dict[str, Any] = response.json_body
        return note


@functools.cache
def aws_client(service: str) -> Any:
    return boto3.client(service, notes_app.settings.region)


@pytest.fixture(scope="session")
def aws_stack() -> Iterator[Provisioned]:
    """In-process AWS for the whole session, with the test stage provisioned once."""
    answer_as_aws()
    with mock_aws():
        stack = provision(
            STAGE, aws_client("cognito-idp"), aws_client("dynamodb"), aws_client("s3"), oauth=True
        )
        assert (stack.user_pool_arn, stack.user_pool_client_id, stack.table_name, stack.bucket_name) == (
            notes_app.settings.user_pool_arn,
            notes_app.settings.app_client_ids[0],
            notes_app.settings.table_name,
            notes_app.settings.bucket_name,
        ), "the test stage in .chalice/config.json must name what infra/description/ provisions"
        yield stack


@pytest.fixture
def aws(aws_stack: Provisioned) -> Provisioned:
    """The test stage with a new, empty notes table and an empty bucket: every test starts with
    no notes and no files."""
    dynamodb = aws_client("dynamodb")
    for table in TABLES:
        shape = description.create_table(STAGE, table)
        dynamodb.delete_table(TableName=shape["TableName"])
        dynamodb.create_table(**shape)
    s3 = aws_client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=aws_stack.bucket_name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=aws_stack.bucket_name, Key=item["Key"])
    return aws_stack


@pytest.fixture
def dynamodb(aws: Provisioned) -> None:
    """The notes table (and the rest of the test stage) exists and is empty."""


@contextlib.contextmanager
def recorded_dynamodb_calls(clients: list[Any] | None = None) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB API call the app makes on ``clients`` (by default the notes table's: PynamoDB
    gives each table's model a client of its own), as (operation, a copy of its parameters), in
    the order made, from botocore's events."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, copy.deepcopy(params)))

    watched = clients if clients is not None else [client_of(notes_app.services.note_model)]
    for client in watched:
        client.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        yield calls
    finally:
        for client in watched:
            client.meta.events.unregister("before-parameter-build.dynamodb", record)


@pytest.fixture
def dynamodb_calls(dynamodb: None) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB API call the app makes during the test."""
    with recorded_dynamodb_calls() as calls:
        yield calls


def feeder_of(consumer: Consumer[Any], function: Callable[[dict[str, Any], Any], Any]) -> StreamFeeder:
    """The stream of ``consumer``'s table, delivered to the app's ``function`` as Lambda delivers it:
    only the records the consumer's declared filter matches."""
    settings = notes_app.settings
    return StreamFeeder(
        settings.name_of(consumer.table),
        settings.region,
        lambda event: function(event, None),
        consumer=consumer,
    )


def time_to_live_of(
    consumer: Consumer[Any], handler: Callable[[dict[str, Any]], Any], clock: LocalClock
) -> TtlSweep:
    """The time to live of ``consumer``'s table on ``clock``, its removals handed to ``handler``
    through the consumer's filter, as the local stack applies it (and DynamoDB's TTL and the stream's
    filter do deployed)."""
    table = notes_app.settings.name_of(consumer.table)
    aws_client("dynamodb").update_time_to_live(
        TableName=table, TimeToLiveSpecification=description.time_to_live(consumer.table.ttl_attribute or "")
    )
    return TtlSweep(aws_client("dynamodb"), {table: delivering(consumer, handler)}, clock)


def time_to_live_sweep(table: Table, clock: LocalClock) -> TtlSweep:
    """The time to live of the stage's ``table``, one no stream function follows, on ``clock``, as the
    local stack applies it (the tests make the tables anew, without it)."""
    name = notes_app.settings.name_of(table)
    aws_client("dynamodb").update_time_to_live(
        TableName=name, TimeToLiveSpecification=description.time_to_live(table.ttl_attribute or "")
    )
    return TtlSweep(aws_client("dynamodb"), {name: None}, clock)


def stream_feeder() -> StreamFeeder:
    """The notes table's stream, delivered to the app's two functions of it, as Lambda's two
    mappings deliver it: the indexer (``app.index_notes``) and the change feed's
    (``app.follow_changes``)."""
    settings = notes_app.settings
    functions = [
        delivering(INDEXER, lambda event: notes_app.index_notes(event, None)),
        delivering(FOLLOWER, lambda event: notes_app.follow_changes(event, None)),
    ]

    def deliver(event: dict[str, Any]) -> None:
        for function in functions:
            function(event)

    return StreamFeeder(settings.name_of(NOTES), settings.region, deliver, name="the notes' functions")


def jobs_feeder() -> StreamFeeder:
    """The account table's stream, delivered to the app's jobs function (``app.run_jobs``)."""
    return feeder_of(JOBS, notes_app.run_jobs)


@pytest.fixture
def feeder(dynamodb: None) -> StreamFeeder:
    return stream_feeder()


@pytest.fixture
def jobs(dynamodb: None) -> StreamFeeder:
    return jobs_feeder()


def indexed(http: Any, feeder: StreamFeeder, jobs: StreamFeeder | None = None) -> Any:
    """``http`` whose every request is followed by the streams' delivery to the jobs function and
    the indexer: deployed, Lambda delivers a moment after the write; here, before the next request."""
    send = http.request

    def request(*args: Any, **kwargs: Any) -> HTTPResponse:
        response = send(*args, **kwargs)
        if jobs is not None:
            jobs.deliver()
        feeder.deliver()
        return response

    http.request = request
    return http


@pytest.fixture
def http(dynamodb: None, feeder: StreamFeeder, jobs: StreamFeeder) -> Any:
    """The chalice test client's HTTP side, on the test stage, with the search index and the
    background jobs in step."""
    return indexed(Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http, feeder, jobs)


def new_user(http: Any, email: str | None = None, groups: list[str] | None = None) -> ApiUser:
    """A new user, signed up, confirmed and signed in at the stage's user pool.

    The one place tests get a token: a real ID token from the emulated Cognito.
    """
    settings = notes_app.settings
    cognito = aws_client("cognito-idp")
    client_id = settings.app_client_ids[0]
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=settings.user_pool_id, Username=email)
    for group in groups or []:
        try:
            cognito.create_group(GroupName=group, UserPoolId=settings.user_pool_id)
        except cognito.exceptions.GroupExistsException:
            pass
        cognito.admin_add_user_to_group(UserPoolId=settings.user_pool_id, Username=email, GroupName=group)
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    sub = jwt.decode(result["IdToken"], options={"verify_signature": False})["sub"]
    return ApiUser(http, sub, email, result["IdToken"])


@pytest.fixture
def sign_in(http: Any) -> Callable[..., ApiUser]:
    """Sign a new user in: ``sign_in()`` or ``sign_in("a@example.com", groups=["admin"])``."""
    return functools.partial(new_user, http)


@pytest.fixture
def tokens(aws_stack: Provisioned) -> TokenFactory:
    """Signs tokens with the emulated pool's key, for cases Cognito would not issue."""
    settings = notes_app.settings
    key = in_process_pool_key(settings.user_pool_id, settings.region)
    return TokenFactory(issuer(settings), settings.app_client_ids[0], key)


@pytest.fixture
def alice(sign_in: Callable[..., ApiUser]) -> ApiUser:
    return sign_in(f"alice-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture
def bob(sign_in: Callable[..., ApiUser]) -> ApiUser:
    return sign_in(f"bob-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture
def real_http() -> Iterator[None]:
    """``requests`` talks to the network as it is (loopback only, as ever) for this test.

    The in-process emulator, once started for the session, intercepts ``requests`` to serve
    AWS's addresses; other addresses pass through, but only after a streamed body has been read
    whole, and a refused connection surfaces differently. Tests of how a transfer streams or
    fails over real HTTP turn that off.
    """
    from moto.core.models import responses_mock

    active = responses_mock._patcher is not None
    if active:
        responses_mock.stop(allow_assert=False)
    try:
        yield
    finally:
        if active:
            responses_mock.start()


# ---- marks: what a test needs, given by what it uses, so that a new test is marked too ----------

# What starts the real local stack (make run, or its API alone) in a subprocess: a test whose own
# code or any of whose fixtures' code names one of these is marked ``stack``.
STACK_STARTERS = frozenset({"running_stack", "start_stack", "chalice_local_command"})
# The fixtures of headless Chromium: a test using one (or any test under tests/web) is ``browser``.
BROWSER_FIXTURES = frozenset({"browser", "context", "tab"})
BROWSER_FOLDER = ROOT / "tests" / "web"
# notes login (scoped) listens on the fixed port 8976: the tests that sign in through it, or run
# its callback, hold this lock while they run, so that no two run at once on this machine (in two
# xdist workers, or in two runs).
CALLBACK_PORT_LOCK = Path(tempfile.gettempdir()) / f"notes-login-callback-port-{os.getuid()}.lock"
USES_CALLBACK_PORT = pytest.StashKey[bool]()


def _names(code: types.CodeType) -> Iterator[str]:
    """The global names ``code`` (and every function defined in it) loads or imports."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _names(constant)


def _code_of(function: Any) -> types.CodeType | None:
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def _fixture_functions(item: pytest.Item) -> list[tuple[str, Any, str]]:
    """Each fixture ``item`` uses, directly or through another: (name, function, scope)."""
    info = getattr(item, "_fixtureinfo", None)
    found = []
    for name, definitions in (getattr(info, "name2fixturedefs", None) or {}).items():
        for definition in definitions:
            found.append((name, definition.func, definition.scope))
    return found


def _starts_a_stack(function: Any) -> bool:
    code = _code_of(function)
    return code is not None and not STACK_STARTERS.isdisjoint(_names(code))


def _marks(item: pytest.Item) -> tuple[bool, bool, bool]:
    """Whether ``item`` needs a stack, a browser, and notes login's callback port."""
    fixtures = _fixture_functions(item)
    stack = any(_starts_a_stack(function) for _, function, _ in fixtures)
    stack = stack or _starts_a_stack(getattr(item, "function", None))
    path = Path(str(item.path))
    used = set(getattr(item, "fixturenames", ()))
    browser = path.is_relative_to(BROWSER_FOLDER) or not BROWSER_FIXTURES.isdisjoint(used)
    scoped_login = "scoped_stack" in used and path.is_relative_to(ROOT / "tests" / "notes_cli")
    callback = scoped_login or getattr(getattr(item, "module", None), "browser_sign_in", None) is not None
    return stack, browser, callback


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        stack, browser, callback = _marks(item)
        if stack:
            item.add_marker(pytest.mark.stack)
        if browser:
            item.add_marker(pytest.mark.browser)
        item.stash[USES_CALLBACK_PORT] = callback


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if not item.stash.get(USES_CALLBACK_PORT, False):
        return (yield)
    with CALLBACK_PORT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another process's test holds it
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test not marked ``stack`` that starts one anyway fails, saying so (tests/stack.py)."""
    from tests import stack

    stack.marked_stack = item.get_closest_marker("stack") is not None


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real local stack (``make run``) for the whole session, over HTTP on 127.0.0.1."""
    from tests.stack import running_stack

    with running_stack(tmp_path_factory.mktemp("local-stack")) as stack:
        yield stack
        stack.interrupt()


@pytest.fixture(scope="session")
def scoped_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real local stack in scoped mode (``make run SCOPED=1``) for the whole session."""
    from tests.stack import running_stack

    with running_stack(tmp_path_factory.mktemp("scoped-stack"), "SCOPED=1") as stack:
        yield stack
        stack.interrupt()
