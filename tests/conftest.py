"""Fixtures: the app on the ``test`` stage, a fresh in-process DynamoDB per test,
and signed-in users.

The stage's environment is applied before ``app`` is imported, as Chalice does
for ``local``, ``package`` and ``deploy``. Nothing here reaches AWS: moto serves
DynamoDB in-process, and every endpoint or profile from the outer environment is
removed first.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGE = "test"
STAGE_ENV: dict[str, str] = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE][
    "environment_variables"
]

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
    }
)

from chalice.test import (
    Client,
    HTTPResponse,
)
from moto import mock_aws

import app as notes_app
from tests.tokens import TokenFactory

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


@pytest.fixture
def dynamodb() -> Iterator[None]:
    """A fresh, empty notes table for one test."""
    with mock_aws():
        notes_app.note_model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield


@pytest.fixture
def dynamodb_calls(dynamodb: None) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB API call the app makes, as (operation, parameters), from botocore's events."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    events = notes_app.note_model._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield calls
    events.unregister("before-parameter-build.dynamodb", record)


@pytest.fixture
def http(dynamodb: None) -> Any:
    """The chalice test client's HTTP side, on the test stage."""
    return Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http


TOKENS = TokenFactory()


def new_user(http: Any, email: str | None = None, groups: list[str] | None = None) -> ApiUser:
    """A new, signed-in user of ``http``: the one place tests get a token."""
    sub = str(uuid.uuid4())
    email = email or f"user-{sub[:8]}@example.com"
    return ApiUser(http, sub, email, TOKENS.id_token(sub=sub, email=email, groups=groups))


@pytest.fixture
def sign_in(http: Any) -> Callable[..., ApiUser]:
    """Sign a new user in: ``sign_in()`` or ``sign_in("a@example.com", groups=["admin"])``."""
    return functools.partial(new_user, http)


@pytest.fixture
def alice(sign_in: Callable[..., ApiUser]) -> ApiUser:
    return sign_in("alice@example.com")


@pytest.fixture
def bob(sign_in: Callable[..., ApiUser]) -> ApiUser:
    return sign_in("bob@example.com")
