"""The notes API: a Chalice app whose routes sit behind a Cognito user pool authorizer.

Each route reads the request, finds the caller, calls one service verb and
returns. Validation and storage live in ``chalicelib``; domain errors become
HTTP answers in one place (``chalicelib.errors``).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from chalice import Chalice, CognitoUserPoolAuthorizer, CORSConfig, Response
from chalice.app import Request

from chalicelib import request_log, validation
from chalicelib.auth import Caller, caller_from_context
from chalicelib.errors import handle_errors
from chalicelib.files import FileStore
from chalicelib.models import bind_note_model
from chalicelib.notes import NotesService
from chalicelib.settings import Settings

settings = Settings.from_env()

app = Chalice(app_name="notes")
app.debug = False  # tracebacks never reach clients
request_log.install(app)  # one JSON line per request; errors on the same request id
if settings.cors_allow_origin:
    app.api.cors = CORSConfig(
        allow_origin=settings.cors_allow_origin,
        allow_headers=["If-Match"],
        expose_headers=["ETag", "Location"],
        max_age=600,
    )

authorizer = CognitoUserPoolAuthorizer(
    "NotesUserPool", provider_arns=[settings.user_pool_arn], header="Authorization"
)
# Scoped stages accept access tokens carrying any one of the method's scopes.
read_authorizer = authorizer.with_scopes(list(settings.read_scopes)) if settings.scoped else authorizer
write_authorizer = authorizer.with_scopes(list(settings.write_scopes)) if settings.scoped else authorizer

note_model = bind_note_model(settings.table_name, settings.region)
notes = NotesService(
    note_model, FileStore(settings.bucket_name, settings.region), settings.attachment_max_bytes
)

# Locally (chalice local, the chalice test client) tokens are checked as API Gateway checks them,
# by the local stack's code. Deployed, Chalice's runtime has no local gateway (chalice.local), the
# local stack is not in the package, nothing of it is imported, and API Gateway checks.
if importlib.util.find_spec("chalice.local") is not None:
    from local_stack.gateway_auth import verify_tokens_locally

    verify_tokens_locally(app, settings)


def current_request() -> Request:
    request = app.current_request
    if request is None:  # only outside a request, never in a view
        raise RuntimeError("no request is being handled")
    return request


def current_caller() -> Caller:
    """The signed-in caller; raises Unauthenticated when the authorizer gave no claims."""
    return caller_from_context(current_request().context)


def request_body() -> dict[str, Any]:
    """The request body as a JSON object; raises InvalidInput."""
    return validation.parse_json_object(current_request().raw_body)


def request_fields(*, partial: bool) -> dict[str, Any]:
    """The validated note fields of the request body; raises InvalidInput."""
    return validation.note_fields(request_body(), partial=partial)


def request_precondition() -> validation.Precondition | None:
    return validation.parse_if_match(current_request().headers.get("if-match"))


def note_response(note: dict[str, Any], status_code: int = 200) -> Response:
    headers: dict[str, str | list[str]] = {"ETag": f'"{note["version"]}"'}
    if status_code == 201:
        headers["Location"] = f"/notes/{note['noteId']}"
    return Response(body=note, status_code=status_code, headers=headers)


@app.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/me", methods=["GET"], authorizer=read_authorizer)
@handle_errors
def me() -> dict[str, Any]:
    return current_caller().to_public()


@app.route("/notes", methods=["POST"], authorizer=write_authorizer)
@handle_errors
def create_note() -> Response:
    caller = current_caller()
    return note_response(notes.create_note(caller.user_id, request_fields(partial=False)), 201)


@app.route("/notes", methods=["GET"], authorizer=read_authorizer)
@handle_errors
def list_notes() -> dict[str, Any]:
    caller = current_caller()
    query = current_request().query_params
    params = {name: query.getlist(name) for name in query} if query else {}
    validation.check_query_params(params, ("limit", "cursor"))
    limit = validation.parse_limit(params)
    cursor = validation.single_param(params, "cursor")
    return notes.list_notes(caller.user_id, limit, cursor).to_public()


@app.route("/notes/{note_id}", methods=["GET"], authorizer=read_authorizer)
@handle_errors
def get_note(note_id: str) -> Response:
    caller = current_caller()
    return note_response(notes.get_note(caller.user_id, note_id))


@app.route("/notes/{note_id}", methods=["PUT"], authorizer=write_authorizer)
@handle_errors
def replace_note(note_id: str) -> Response:
    caller = current_caller()
    fields = request_fields(partial=False)
    return note_response(notes.replace_note(caller.user_id, note_id, fields, request_precondition()))


@app.route("/notes/{note_id}", methods=["PATCH"], authorizer=write_authorizer)
@handle_errors
def update_note(note_id: str) -> Response:
    caller = current_caller()
    fields = request_fields(partial=True)
    return note_response(notes.update_note(caller.user_id, note_id, fields, request_precondition()))


@app.route("/notes/{note_id}", methods=["DELETE"], authorizer=write_authorizer)
@handle_errors
def delete_note(note_id: str) -> Response:
    caller = current_caller()
    notes.delete_note(caller.user_id, note_id, request_precondition())
    return Response(body="", status_code=204)


@app.route("/notes/{note_id}/attachment", methods=["POST"], authorizer=write_authorizer)
@handle_errors
def start_upload(note_id: str) -> Response:
    caller = current_caller()
    upload = validation.upload_request(request_body(), settings.attachment_max_bytes)
    return Response(body=notes.start_upload(caller.user_id, note_id, upload), status_code=201)


@app.route("/notes/{note_id}/attachment", methods=["PUT"], authorizer=write_authorizer)
@handle_errors
def attach_file(note_id: str) -> Response:
    caller = current_caller()
    upload_id = validation.attach_request(request_body())
    return note_response(notes.attach(caller.user_id, note_id, upload_id, request_precondition()))


@app.route("/notes/{note_id}/attachment", methods=["GET"], authorizer=read_authorizer)
@handle_errors
def download_file(note_id: str) -> dict[str, Any]:
    caller = current_caller()
    return notes.download(caller.user_id, note_id)


@app.route("/notes/{note_id}/attachment", methods=["DELETE"], authorizer=write_authorizer)
@handle_errors
def detach_file(note_id: str) -> Response:
    caller = current_caller()
    notes.detach(caller.user_id, note_id, request_precondition())
    return Response(body="", status_code=204)
