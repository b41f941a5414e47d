"""One structured line per request, and every log line of the app as JSON on the request's id.

The request line says what an operator needs to find a failing request and nothing a user wrote:
API Gateway's request id, the route (its template, never the concrete path), the method, the
status, the app's own latency, how many DynamoDB and S3 calls it made, and the caller's ``sub``.
Never a note's title, content or tags, a file name, an email address or a token: none of them is
ever passed to a logger here. Errors (Chalice's "Caught exception" with its traceback, the app's
warnings) are JSON on the same request id, and never reach the client.

The standard library's logging and json, both imported by the app's dependencies anyway: a
cold start pays nothing for them (see the README for the measurement behind this choice).

Calls are counted with botocore's own events: a handler added to its built-in list is registered
on every session made afterwards, so each client PynamoDB or the file store creates counts its
calls (``before-call`` fires once per API call, whatever botocore's retries do).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore import handlers as botocore_handlers
from chalice import Chalice
from chalice.app import Request, Response

REQUEST_LOGGER = "notes.request"
# The app's own loggers besides Chalice's (app.log, named after the app).
APP_LOGGERS = ("chalicelib",)

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_calls: ContextVar[dict[str, int] | None] = ContextVar("calls", default=None)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line, with the id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "logger": record.name}
        request_id = _request_id.get()
        if request_id is not None:
            line["requestId"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, trace = record.exc_info
            line["exception"] = {
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "traceback": "".join(traceback.format_exception(kind, error, trace)),
            }
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


def _count(service: str) -> Callable[..., None]:
    def count(**_: Any) -> None:
        calls = _calls.get()
        if calls is not None:
            calls[service] += 1

    return count


class _Stdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (Lambda's, a test's capture)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def install(app: Chalice) -> None:
    """Log every request of ``app`` as one JSON line; make the app's other log lines JSON too."""
    handler = _Stdout()
    handler.setFormatter(JsonFormatter())
    # Chalice's own logger (its "Caught exception" lines) writes JSON through the same handler.
    for name in (app.log.name, REQUEST_LOGGER, *APP_LOGGERS):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        if name != app.log.name:  # Chalice's stays at the level its debug setting gives it
            logger.setLevel(logging.INFO)
    for service in ("dynamodb", "s3"):
        spec = (f"before-call.{service}", _count(service))
        if spec not in botocore_handlers.BUILTIN_HANDLERS:
            botocore_handlers.BUILTIN_HANDLERS.append(spec)
    request_log = logging.getLogger(REQUEST_LOGGER)

    @app.middleware("http")
    def log_request(event: Request, get_response: Callable[[Request], Response]) -> Response:
        context = event.context or {}
        # API Gateway's id (the one its own access logs and the client's x-amzn-RequestId name).
        request_id = context.get("requestId") or getattr(event.lambda_context, "aws_request_id", None)
        with _serving(str(request_id or "-")) as calls:
            started = time.perf_counter()
            response = get_response(event)
            elapsed_ms = (time.perf_counter() - started) * 1000
            request_log.info(
                "request",
                extra={
                    "fields": {
                        "message": "request",
                        "method": event.method,
                        "route": context.get("resourcePath"),
                        "status": response.status_code,
                        "latencyMs": round(elapsed_ms, 2),
                        "dynamodbCalls": calls["dynamodb"],
                        "s3Calls": calls["s3"],
                        "sub": _sub(context),
                    }
                },
            )
        return response


@contextmanager
def _serving(request_id: str) -> Iterator[dict[str, int]]:
    calls = {"dynamodb": 0, "s3": 0}
    id_token, calls_token = _request_id.set(request_id), _calls.set(calls)
    try:
        yield calls
    finally:
        _request_id.reset(id_token)
        _calls.reset(calls_token)


def _sub(context: Mapping[str, Any]) -> str | None:
    authorizer = context.get("authorizer")
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    sub = claims.get("sub") if isinstance(claims, Mapping) else None
    return sub if isinstance(sub, str) and sub else None
