"""A bounded fuzzing run of the real local stack (``make run``) against docs/openapi.yaml.

Schemathesis draws requests from the document, valid ones and invalid ones (bodies that break a
rule, bad ``limit``/``If-Match``/ids, other content types), sends them over HTTP with a real ID
token, and requires of every answer: no 5xx; a status, content type, headers and body that the
document gives for that operation; and invalid input refused with a 4xx. Valid requests on
``/notes/{noteId}`` and ``/notes/{noteId}/attachment`` are pointed at a note that exists, so that
the success paths (200 + ``ETag``, 201, 204, 412) are exercised and not only 404: for ``GET`` and
``DELETE`` of an attachment, a note with a file attached (uploaded to the emulator's bucket with
the form the API issued); for ``PUT``, every other valid body names a real upload of that note,
and the rest keep their drawn ``uploadId``, which names no upload (a documented 400).

Beside what Schemathesis draws, every body operation is sent a fixed set of pathological bodies
(``PATHOLOGICAL_BODIES``: nesting a thousand deep, numbers too long to convert) that a generator
rarely reaches, and ``PUT /notes/{noteId}/attachment`` upload ids of the right form whose time
lies at the edges of what a date holds (``UPLOAD_IDS_AT_THE_EDGES_OF_TIME``); each must be a
documented 400.

The run is bounded (a few dozen requests per operation, no shrinking, a fixed seed), so it is
repeatable; Hypothesis's example database is off, so nothing is written to the tree.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir
from requests.adapters import HTTPAdapter
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from urllib3.util.retry import Retry

from tests.conftest import ROOT
from tests.stack import Stack

DOCUMENT = ROOT / "docs" / "openapi.yaml"
# Hypothesis keeps caches under ./.hypothesis, from collection on; inside the project, chalice
# local's auto-reload would take each write for an edit and restart the API mid-run.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / f"notes-hypothesis-{os.getuid()}")
SEED = 20261122
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_path(
    DOCUMENT,
    # Explicit, so that no schemathesis.toml found around the checkout changes the run.
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all"},
            "phases": {
                "examples": {"enabled": True},
                # The methods chalice local routes; its HTTP server answers any other (TRACE,
                # QUERY) with its own 501 page before the app sees it, as API Gateway would not.
                "coverage": {
                    "enabled": True,
                    "unexpected-methods": ["get", "put", "post", "delete", "patch", "options"],
                },
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    ),
)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # Invalid input (in any part of the request) must be refused with a 4xx.
    negative_data_rejection,
    # A request without the Authorization header must be a 401.
    missing_required_header,
    # Locally, a method the path does not have is Chalice's 405 with Allow.
    unsupported_method,
    # Not positive_data_acceptance: a valid request may rightly be refused. An id of the right
    # form names no note (404), a cursor of the right type is not one this listing gave (400), an
    # uploadId of the right form names no upload (400), a size of the right type is above the
    # stage's maximum (400), a note has no attachment to download or remove (404), and an
    # If-Match of the right form names another version (412).
]
ATTACHMENT_PATH = "/notes/{noteId}/attachment"
FILE = b"fuzz target attachment\n"


@dataclass(frozen=True)
class Caller:
    """A signed-in user of the running stack."""

    base_url: str
    headers: dict[str, str]
    session: requests.Session

    def create_note(self) -> str:
        response = self.session.post(
            f"{self.base_url}/notes", json={"content": "fuzz target"}, headers=self.headers, timeout=10
        )
        assert response.status_code == 201, response.text
        note_id: str = response.json()["noteId"]
        return note_id

    def upload(self, note_id: str) -> str:
        """Upload a small file for the note, as a client does; its ``uploadId``, not attached yet."""
        declared: dict[str, str | int] = {"name": "fuzz.txt", "contentType": "text/plain", "size": len(FILE)}
        response = self.session.post(
            f"{self.base_url}/notes/{note_id}/attachment", json=declared, headers=self.headers, timeout=10
        )
        assert response.status_code == 201, response.text
        form = response.json()
        # Every field of the form, then the file as the last field.
        sent = self.session.post(
            form["url"], data=form["fields"], files={"file": ("fuzz.txt", FILE, "text/plain")}, timeout=10
        )
        assert sent.status_code in (200, 201, 204), sent.text
        upload_id: str = form["uploadId"]
        return upload_id

    def attach_file(self, note_id: str) -> None:
        upload_id = self.upload(note_id)
        response = self.session.put(
            f"{self.base_url}/notes/{note_id}/attachment",
            json={"uploadId": upload_id},
            headers=self.headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def caller(local_stack: Stack) -> Iterator[Caller]:
    token = local_stack.id_token(f"fuzz-{uuid.uuid4().hex[:12]}@example.com")
    with requests.Session() as session:
        # chalice local restarts its server whenever any file under the project changes (a commit,
        # a cache), closing every connection. A new connection per request never meets a closed
        # one; one refused while the server restarts is tried again, and so is one dropped before
        # an answer, whatever the method: a repeated write is still a documented answer (a second
        # note, or a 404 for a note already deleted).
        session.headers["Connection"] = "close"
        retry = Retry(
            total=None, connect=20, read=2, redirect=0, status=0, allowed_methods=None, backoff_factor=0.1
        )
        session.mount("http://", HTTPAdapter(max_retries=retry))
        yield Caller(local_stack.facts.api_url, {"Authorization": f"Bearer {token}"}, session)


@pytest.fixture(scope="module")
def real_upload_turns() -> Iterator[bool]:
    """True for every other valid attach request: that one names a real upload."""
    return itertools.cycle((True, False))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_documented(
    case: schemathesis.Case, caller: Caller, real_upload_turns: Iterator[bool]
) -> None:
    meta = case.meta
    if "noteId" in (case.path_parameters or {}) and meta is not None and meta.generation.mode.is_positive:
        note_id = case.path_parameters["noteId"] = caller.create_note()
        if case.operation.path == ATTACHMENT_PATH:
            if case.method in ("GET", "DELETE"):
                caller.attach_file(note_id)
            elif case.method == "PUT" and isinstance(case.body, dict) and next(real_upload_turns):
                case.body["uploadId"] = caller.upload(note_id)
    case.call_and_validate(
        base_url=caller.base_url, session=caller.session, headers=caller.headers, checks=CHECKS
    )


def assert_a_documented_400(caller: Caller, case: schemathesis.Case) -> None:
    """Send one fixed case: it must be a 400 ``BadRequestError`` of the documented shape."""
    response = case.call_and_validate(
        base_url=caller.base_url,
        session=caller.session,
        headers=caller.headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    assert response.status_code == 400, response.text
    assert response.json()["Code"] == "BadRequestError"


# Small bodies that break the decoder rather than a rule: each must be a 400, never a 5xx.
PATHOLOGICAL_BODIES = {
    "array nested 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "content nested 1,000 deep": b'{"content": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "objects nested 1,000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "unclosed nesting 100,000 deep": b'{"content": ' + b"[" * 100_000,
    "number of 5,000 digits": b'{"content": "a", "title": ' + b"9" * 5000 + b"}",
}
BODY_OPERATIONS = [
    (operation.path, operation.method.upper())
    for operation in (result.ok() for result in schema.get_all_operations() if isinstance(result, Ok))
    if any(body.media_type == "application/json" for body in operation.body)
]


@pytest.mark.parametrize("body", sorted(PATHOLOGICAL_BODIES))
@pytest.mark.parametrize(("path", "method"), BODY_OPERATIONS)
def test_pathological_bodies_are_documented_400s(caller: Caller, path: str, method: str, body: str) -> None:
    operation = schema[path][method]
    parameters = {"noteId": caller.create_note()} if "{noteId}" in path else {}
    case = operation.Case(
        body=PATHOLOGICAL_BODIES[body], media_type="application/json", path_parameters=parameters
    )
    assert_a_documented_400(caller, case)


# Upload ids of the right form whose time (the first 48 bits, Unix milliseconds) lies at the edges
# of what a date can hold: each names no upload of the caller's, so each must be a documented 400.
UPLOAD_IDS_AT_THE_EDGES_OF_TIME = {
    "the Unix epoch": "00000000-0000-7000-8000-000000000000",
    "the last millisecond of 9999": "e677d21f-dbff-7000-8000-000000000000",
    "the largest time, in 10889": "ffffffff-ffff-7fff-bfff-ffffffffffff",
}


@pytest.mark.parametrize("upload_id", sorted(UPLOAD_IDS_AT_THE_EDGES_OF_TIME))
def test_upload_ids_at_the_edges_of_time_are_documented_400s(caller: Caller, upload_id: str) -> None:
    operation = schema[ATTACHMENT_PATH]["PUT"]
    case = operation.Case(
        body={"uploadId": UPLOAD_IDS_AT_THE_EDGES_OF_TIME[upload_id]},
        media_type="application/json",
        path_parameters={"noteId": caller.create_note()},
    )
    assert_a_documented_400(caller, case)
