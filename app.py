"""The notes API: a Chalice app whose routes sit behind a Cognito user pool authorizer.

Each route reads the request, finds the caller, calls one service verb and
returns. Validation and storage live in ``chalicelib``; domain errors become
HTTP answers in one place (``chalicelib.errors``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Chalice, CognitoUserPoolAuthorizer, CORSConfig, Response
from chalice.app import Request, WebsocketEvent

from chalicelib import changes as feed
from chalicelib import request_log, validation
from chalicelib.account import CONFIRM_HEADER
from chalicelib.auth import Caller, caller_from_context
from chalicelib.errors import SharedNotFound, Unauthenticated, handle_errors, to_response
from chalicelib.services import Services
from chalicelib.settings import Settings
from chalicelib.sharing import PUBLIC_HEADERS
from chalicelib.stream_consumers import FOLLOWER, INDEXER, JOBS, PURGER

settings = Settings.from_env()

app = Chalice(app_name="notes")
app.debug = False  # tracebacks never reach clients
# The stage's WebSocket API (live updates, chalicelib.live): Chalice's support is experimental.
app.experimental_feature_flags.update(["WEBSOCKETS"])
request_log.install(app)  # one JSON line per request; errors on the same request id
if settings.cors_allow_origin:
    app.api.cors = CORSConfig(
        allow_origin=settings.cors_allow_origin,
        allow_headers=["If-Match", "X-Confirm-Delete"],
        expose_headers=["ETag", "Location"],
        max_age=600,
    )

authorizer = CognitoUserPoolAuthorizer(
    "NotesUserPool", provider_arns=[settings.user_pool_arn], header="Authorization"
)
# Scoped stages accept access tokens carrying any one of the method's scopes.
read_authorizer = authorizer.with_scopes(list(settings.read_scopes)) if settings.scoped else authorizer
write_authorizer = authorizer.with_scopes(list(settings.write_scopes)) if settings.scoped else authorizer

services = Services.build(settings)

# Deployed, API Gateway checks tokens. Locally, whoever runs Chalice's local gateway (make run's
# API, the test client) installs the local stack's checks on it (local_stack.gateway_auth).


def route(path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.route``, with the error map (``handle_errors``) around the view: every route's one way in.

    Not a middleware: Chalice answers any exception a view raises with its own 500 (and logs
    "Caught exception") inside the route's handling, before any middleware sees a response; the
    one exception it lets through, ChaliceUnhandledError, also skips the route's CORS headers.
    Between Chalice and the view, a domain error's answer gets the CORS headers, and the request
    log line its status, like any answer the view returns.
    """

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        registered: Callable[..., Any] = app.route(path, **options)(handle_errors(view))
        return registered

    return register


def current_request() -> Request:
    request = app.current_request
    if request is None:  # only outside a request, never in a view
        raise RuntimeError("no request is being handled")
    return request


def current_caller() -> Caller:
    """The signed-in caller; raises Unauthenticated when the authorizer gave no claims, or when
    the caller's account is being or has been deleted (its tokens live on until they expire)."""
    caller = caller_from_context(current_request().context)
    if services.deletion.refuses(caller.user_id):
        raise Unauthenticated("the account has been deleted")
    return caller


def request_body() -> dict[str, Any]:
    """The request body as a JSON object; raises InvalidInput."""
    return validation.parse_json_object(current_request().raw_body)


def request_fields(*, partial: bool) -> dict[str, Any]:
    """The validated note fields of the request body; raises InvalidInput."""
    return validation.note_fields(request_body(), partial=partial)


def query_params(*allowed: str) -> dict[str, list[str]]:
    """The query string's parameters, each with every value given; raises InvalidInput for one
    not ``allowed``."""
    query = current_request().query_params
    params = {name: query.getlist(name) for name in query} if query else {}
    validation.check_query_params(params, allowed)
    return params


def request_precondition() -> validation.Precondition | None:
    return validation.parse_if_match(current_request().headers.get("if-match"))


def note_response(note: dict[str, Any], status_code: int = 200) -> Response:
    headers: dict[str, str | list[str]] = {"ETag": f'"{note["version"]}"'}
    if status_code == 201:
        headers["Location"] = f"/notes/{note['noteId']}"
    return Response(body=note, status_code=status_code, headers=headers)


@route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@route("/me", methods=["GET"], authorizer=read_authorizer)
def me() -> dict[str, Any]:
    return current_caller().to_public()


@route("/me", methods=["DELETE"], authorizer=write_authorizer)
def delete_account() -> Response:
    caller = current_caller()
    services.deletion.request(
        caller.user_id, caller.email, current_request().headers.get(CONFIRM_HEADER.lower())
    )
    return Response(body="", status_code=202)


@route("/exports", methods=["POST"], authorizer=write_authorizer)
def start_export() -> Response:
    caller = current_caller()
    validation.no_body(current_request().raw_body)
    started = services.exports.start(caller.user_id)
    return Response(body=started, status_code=202, headers={"Location": f"/exports/{started['exportId']}"})


@route("/exports/{export_id}", methods=["GET"], authorizer=read_authorizer)
def export_status(export_id: str) -> dict[str, Any]:
    caller = current_caller()
    return services.exports.status(caller.user_id, export_id)


@route("/notes", methods=["POST"], authorizer=write_authorizer)
def create_note() -> Response:
    caller = current_caller()
    return note_response(services.notes.create_note(caller.user_id, request_fields(partial=False)), 201)


@route("/notes", methods=["GET"], authorizer=read_authorizer)
def list_notes() -> dict[str, Any]:
    caller = current_caller()
    params = query_params("limit", "cursor", "q", "tag", "sort")
    limit = validation.parse_limit(params)
    cursor = validation.single_param(params, "cursor")
    search = validation.parse_search(params)
    if search.plain:
        return services.notes.list_notes(caller.user_id, limit, cursor).to_public()
    return services.finder.find(caller.user_id, search, limit, cursor).to_public()


@route("/notes/{note_id}", methods=["GET"], authorizer=read_authorizer)
def get_note(note_id: str) -> Response:
    caller = current_caller()
    return note_response(services.notes.get_note(caller.user_id, note_id))


@route("/notes/{note_id}", methods=["PUT"], authorizer=write_authorizer)
def replace_note(note_id: str) -> Response:
    caller = current_caller()
    fields = request_fields(partial=False)
    return note_response(services.notes.replace_note(caller.user_id, note_id, fields, request_precondition()))


@route("/notes/{note_id}", methods=["PATCH"], authorizer=write_authorizer)
def update_note(note_id: str) -> Response:
    caller = current_caller()
    fields = request_fields(partial=True)
    return note_response(services.notes.update_note(caller.user_id, note_id, fields, request_precondition()))


@route("/notes/{note_id}", methods=["DELETE"], authorizer=write_authorizer)
def delete_note(note_id: str) -> Response:
    caller = current_caller()
    services.trash.move(caller.user_id, note_id, request_precondition())
    return Response(body="", status_code=204)


@route("/notes/{note_id}/versions", methods=["GET"], authorizer=read_authorizer)
def list_versions(note_id: str) -> dict[str, Any]:
    caller = current_caller()
    params = query_params("limit", "cursor")
    limit = validation.parse_limit(params)
    cursor = validation.single_param(params, "cursor")
    return services.history.list(caller.user_id, note_id, limit, cursor).to_public()


@route("/notes/{note_id}/versions/{version}", methods=["GET"], authorizer=read_authorizer)
def get_version(note_id: str, version: str) -> dict[str, Any]:
    caller = current_caller()
    return services.history.get(caller.user_id, note_id, version)


@route("/notes/{note_id}/versions/{version}/restore", methods=["POST"], authorizer=write_authorizer)
def restore_version(note_id: str, version: str) -> Response:
    caller = current_caller()
    validation.no_body(current_request().raw_body)
    return note_response(services.history.restore(caller.user_id, note_id, version, request_precondition()))


@route("/notes/{note_id}/share", methods=["POST"], authorizer=write_authorizer)
def share_note(note_id: str) -> Response:
    caller = current_caller()
    days = validation.share_request(current_request().raw_body)
    return Response(body=services.sharing.share(caller.user_id, note_id, days), status_code=201)


@route("/notes/{note_id}/share", methods=["GET"], authorizer=read_authorizer)
def get_share(note_id: str) -> dict[str, Any]:
    caller = current_caller()
    return services.sharing.current(caller.user_id, note_id)


@route("/notes/{note_id}/share", methods=["DELETE"], authorizer=write_authorizer)
def stop_sharing(note_id: str) -> Response:
    caller = current_caller()
    services.sharing.stop(caller.user_id, note_id)
    return Response(body="", status_code=204)


@route("/shares", methods=["GET"], authorizer=read_authorizer)
def list_shares() -> dict[str, Any]:
    caller = current_caller()
    params = query_params("limit", "cursor")
    limit = validation.parse_limit(params)
    return services.sharing.list(caller.user_id, limit, validation.single_param(params, "cursor")).to_public()


# The one route besides /health that no authorizer guards: a shared note's link, opened by anyone.
# Every answer, the 404 too, is kept by no cache and indexed by no search engine.


@route("/shared/{share_id}", methods=["GET"])
def open_shared(share_id: str) -> Response:
    try:
        shared = services.sharing.open(share_id)
    except SharedNotFound as error:
        refused = to_response(error)
        refused.headers.update(PUBLIC_HEADERS)
        return refused
    return Response(body=shared, status_code=200, headers=dict(PUBLIC_HEADERS))


@route("/changes", methods=["GET"], authorizer=read_authorizer)
def list_changes() -> dict[str, Any]:
    caller = current_caller()
    params = query_params("since", "limit")
    limit = validation.parse_limit(params, feed.DEFAULT_LIMIT, feed.MAX_LIMIT)
    return services.changes.page(caller.user_id, validation.single_param(params, "since"), limit).to_public()


@route("/trash", methods=["GET"], authorizer=read_authorizer)
def list_trash() -> dict[str, Any]:
    caller = current_caller()
    params = query_params("limit", "cursor")
    limit = validation.parse_limit(params)
    return services.trash.list(caller.user_id, limit, validation.single_param(params, "cursor")).to_public()


@route("/trash/{note_id}/restore", methods=["POST"], authorizer=write_authorizer)
def restore_note(note_id: str) -> Response:
    caller = current_caller()
    validation.no_body(current_request().raw_body)
    return note_response(services.trash.restore(caller.user_id, note_id))


@route("/trash/{note_id}", methods=["DELETE"], authorizer=write_authorizer)
def purge_note(note_id: str) -> Response:
    caller = current_caller()
    services.trash.purge(caller.user_id, note_id)
    return Response(body="", status_code=204)


@route("/notes/{note_id}/attachment", methods=["POST"], authorizer=write_authorizer)
def start_upload(note_id: str) -> Response:
    caller = current_caller()
    upload = validation.upload_request(request_body(), settings.attachment_max_bytes)
    return Response(body=services.attachments.start_upload(caller.user_id, note_id, upload), status_code=201)


@route("/notes/{note_id}/attachment", methods=["PUT"], authorizer=write_authorizer)
def attach_file(note_id: str) -> Response:
    caller = current_caller()
    upload_id = validation.attach_request(request_body())
    return note_response(
        services.attachments.attach(caller.user_id, note_id, upload_id, request_precondition())
    )


@route("/notes/{note_id}/attachment", methods=["GET"], authorizer=read_authorizer)
def download_file(note_id: str) -> dict[str, Any]:
    caller = current_caller()
    return services.attachments.download(caller.user_id, note_id)


@route("/notes/{note_id}/attachment", methods=["DELETE"], authorizer=write_authorizer)
def detach_file(note_id: str) -> Response:
    caller = current_caller()
    services.attachments.detach(caller.user_id, note_id, request_precondition())
    return Response(body="", status_code=204)


# The WebSocket API: API Gateway puts no authorizer on $connect, so its handler checks the token the
# client offers as a subprotocol beside "notes" (chalicelib.live). A client's messages (keep-alive
# pings) need no answer. A closed connection's record goes at its first message that finds it gone,
# or by its time to live.


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response:
    headers = event.to_dict().get("headers") or {}
    answer = services.live.connect(headers, event.connection_id)
    body = "" if answer.status == 200 else json.dumps({"message": answer.reason or "Unauthorized"})
    return Response(body=body, status_code=answer.status, headers=dict(answer.headers))


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> dict[str, int]:
    return {"statusCode": 200}


# The functions the tables' streams invoke: which records reach each is declared once
# (chalicelib.stream_consumers), as the template's filters and the local stack's delivery; each
# reads only those (``Consumer.records``), whatever it is handed.


@app.lambda_function(name=PURGER.name)
def purge_trash(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The trash table's stream, only the items DynamoDB's TTL removed: their files and versions go too."""
    return {"records": len(event.get("Records") or []), **services.trash.purge_expired(PURGER.records(event))}


@app.lambda_function(name=JOBS.name)
def run_jobs(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The account table's stream, its jobs only: exports to make, accounts to delete."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return services.jobs.run(JOBS.records(event), (lambda: remaining() / 1000) if remaining else None)


@app.lambda_function(name=INDEXER.name)
def index_notes(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The notes table's stream, in batches: the search index follows every change (``chalicelib.search``)."""
    changes = services.search_index.apply_stream(INDEXER.records(event))
    return {
        "records": len(event.get("Records") or []),
        "put": len(changes.puts),
        "deleted": len(changes.deletes),
    }


@app.lambda_function(name=FOLLOWER.name)
def follow_changes(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The notes table's stream, in batches: the text each change replaced kept as a version
    (``chalicelib.history``), each changed note into its owner's change feed (``chalicelib.changes``),
    then each owner's open WebSocket connections told (``chalicelib.live``)."""
    return {"records": len(event.get("Records") or []), **services.follow(FOLLOWER.records(event))}
