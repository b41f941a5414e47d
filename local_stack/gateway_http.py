"""``chalice local``'s HTTP as API Gateway's: JSON errors, quiet disconnects, the web app's origins.

Why: ``chalice local`` serves the API with the standard library's ``BaseHTTPRequestHandler``,
which answers on its own, in HTML, what it cannot hand to the app (a 501 for a method it has no
handler for, such as ``TRACE`` or ``CONNECT``; a 414 for a request line over 64 KiB; a 400 for a
request it cannot read), where API Gateway answers ``{"message": "…"}``. A client that leaves
before its answer is written prints a traceback in ``make run``'s output. And the stage's CORS
names one origin, while a browser on this machine names the web app both
``http://127.0.0.1:<WEB_PORT>`` and ``http://localhost:<WEB_PORT>``.

How: ``install`` changes ``chalice.local.ChaliceRequestHandler`` once, at class level, as
``gateway_auth`` changes its authorizer (``chalice local`` makes a handler per connection):

- every method reaches the local gateway, as ``GET`` does: a method a path does not have is the
  app's ``405 MethodNotAllowedError`` (as for ``PUT /health``), an unknown path the gateway's
  ``403 {"message": "Missing Authentication Token"}``;
- a URL longer than API Gateway takes (``MAX_URL_CHARS``) is a 414, and what the handler cannot
  read (a bad request line, an HTTP version it does not speak, too many headers, a
  ``Content-Length`` that is no number) a 400, 505 or 431, each ``{"message": …}`` naming the
  problem; these and the gateway's own 403 carry the CORS headers API Gateway's own errors carry
  deployed (the template's ``DEFAULT_4XX``);
- a client gone before its answer is written ends its connection without a word: the app's
  request line has said what was asked;
- ``Access-Control-Allow-Origin`` names the request's ``Origin`` when it is one of the web app's
  local origins (``ORIGINS_ENV``, set by ``make run``), with ``Vary: Origin``; any other origin
  still gets the stage's one origin, which its browser refuses;
- botocore's INFO lines ("Found credentials in environment variables.") are left out of the
  output: ``chalice local`` sets the root logger to INFO, and they tell a developer nothing.
  botocore's warnings and errors still show.

Deployed, none of this is in the Lambda package, and API Gateway answers for itself.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from chalice import CORSConfig

# API Gateway's longest URL for an edge-optimized API (the endpoint type Chalice deploys).
MAX_URL_CHARS = 8192
# The origins of the web app on make run, separated by spaces (local_stack/api.py sets them).
ORIGINS_ENV = "NOTES_LOCAL_WEB_ORIGINS"
# How much of a refused request's head is read (and dropped) before the answer, so that closing
# the connection does not reset it under the client's feet; and how long it may take.
DISCARD_LIMIT_BYTES = 1024 * 1024
DISCARD_TIMEOUT_SECONDS = 1.0
_ALLOW_ORIGIN = "access-control-allow-origin"
_MESSAGES = {
    HTTPStatus.REQUEST_URI_TOO_LONG: (
        f"The request's URL is longer than the {MAX_URL_CHARS:,} characters API Gateway takes"
    ),
}


def install(chalice_local: Any) -> None:
    """Change ``chalice_local.ChaliceRequestHandler`` as the module's docstring says; once."""
    handler = chalice_local.ChaliceRequestHandler
    if getattr(handler, "answers_as_api_gateway", False):
        return
    # chalice local writes an answer's headers and body separately: without TCP_NODELAY a reused
    # connection (a browser's) waits for the peer's delayed ACK, some 40 ms per request.
    handler.disable_nagle_algorithm = True
    logging.getLogger("botocore").setLevel(logging.WARNING)
    origins = frozenset(os.environ.get(ORIGINS_ENV, "").split())
    handler.answers_as_api_gateway = True
    _any_method(handler, _checked_length(handler._generic_handle))
    handler.parse_request = _url_limited(handler.parse_request)
    handler.handle = _quiet_on_disconnect(handler.handle)
    handler.send_error = _json_error
    handler._send_error_response = _with_gateway_cors(handler._send_error_response)
    handler._send_http_response = _answering_origin(handler._send_http_response, origins)


Method = Callable[..., Any]


def _any_method(handler: Any, generic: Method) -> None:
    """Every method, those the handler names and any other, goes to the local gateway."""
    for name in [name for name in vars(handler) if name.startswith("do_")]:
        setattr(handler, name, generic)

    def method(self: Any, name: str) -> Method:
        if name.startswith("do_"):
            return generic.__get__(self)
        raise AttributeError(name)

    handler.__getattr__ = method


def _checked_length(generic: Method) -> Method:
    def handle(self: Any) -> None:
        length = self.headers.get("Content-Length")
        if length is not None and not (length.isascii() and length.isdigit()):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Content-Length is not a number of bytes: {length!r}")
            return
        generic(self)

    return handle


def _url_limited(parse_request: Method) -> Method:
    def parse(self: Any) -> bool:
        if not parse_request(self):
            return False
        if len(self.path) > MAX_URL_CHARS:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        return True

    return parse


def _quiet_on_disconnect(handle: Method) -> Method:
    def quiet(self: Any) -> None:
        try:
            handle(self)
        # The client's socket, gone: not a refused connection to the emulator, which is an error.
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    return quiet


def _json_error(self: Any, code: int, message: str | None = None, explain: str | None = None) -> None:
    """The handler's own refusal as API Gateway's: ``{"message": …}``, then the connection closes."""
    status = HTTPStatus(code)
    text = message or _MESSAGES.get(status) or status.phrase
    if not self.raw_requestline.endswith(b"\n"):
        _discard_head(self)  # a request line too long to read whole: its rest and the headers
    if self.request_version == "HTTP/0.9" and len(self.requestline.split()) != 2:
        # A request line that could not be read leaves the version at 0.9, whose answers are the
        # body alone: the client is owed a status line and headers.
        self.request_version = self.protocol_version
    self.log_error("code %d, message %s", code, text)
    headers = {**_stage_cors(self), "Connection": "close", "Content-Type": "application/json"}
    body = json.dumps({"message": text}).encode()
    no_body = self.command == "HEAD" or code < 200 or code in (204, 205, 304)
    self._send_http_response(code, headers, None if no_body else body)


def _discard_head(self: Any) -> None:
    previous = self.connection.gettimeout()
    self.connection.settimeout(DISCARD_TIMEOUT_SECONDS)
    read, at_line_start = 0, False
    try:
        while read < DISCARD_LIMIT_BYTES:
            line = self.rfile.readline(65537)
            read += len(line)
            if not line or (at_line_start and line in (b"\r\n", b"\n")):
                break
            at_line_start = line.endswith(b"\n")
    except OSError:  # a timeout among them
        pass  # whatever is left, the answer goes anyway
    finally:
        self.connection.settimeout(previous)


def error_cors_headers(cors: Any) -> dict[str, str]:
    """The CORS headers API Gateway's own 4xx and 5xx answers carry, for a route with CORS."""
    if not isinstance(cors, CORSConfig):
        return {}
    headers = cors.get_access_control_headers()
    wanted = ("Access-Control-Allow-Origin", "Access-Control-Allow-Headers")
    return {name: str(headers[name]) for name in wanted if name in headers}


def _stage_cors(self: Any) -> dict[str, str]:
    return error_cors_headers(self.local_gateway._app_object.api.cors)


def _with_gateway_cors(send_error_response: Method) -> Method:
    def send(self: Any, error: Any) -> None:
        error.headers = {**_stage_cors(self), **error.headers}
        send_error_response(self, error)

    return send


def _answering_origin(send: Method, origins: frozenset[str]) -> Method:
    def answer(self: Any, code: int, headers: dict[str, Any], body: Any) -> None:
        request = getattr(self, "headers", None)
        origin = request.get("Origin") if request is not None else None
        send(self, code, _for_origin(headers, origin, origins) if origins else headers, body)

    return answer


def _for_origin(headers: Mapping[str, Any], origin: str | None, origins: frozenset[str]) -> dict[str, Any]:
    """``headers`` allowing ``origin`` when it is one of ``origins`` and the answer allows one."""
    found = {name.lower(): name for name in headers}
    if _ALLOW_ORIGIN not in found:
        return dict(headers)
    answered = dict(headers)
    if origin in origins:
        answered[found[_ALLOW_ORIGIN]] = origin
    # The answer depends on the request's Origin: a browser's cache must not give it to the other.
    vary = str(answered.pop(found["vary"])) if "vary" in found else ""
    answered["Vary"] = vary if "origin" in vary.lower() else ", ".join(filter(None, (vary, "Origin")))
    return answered
