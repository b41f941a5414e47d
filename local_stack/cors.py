"""CORS on the emulator (WSGI, in front of it): only the web app's pages may read its answers.

A request from one of the web app's origins is answered with the emulator's CORS headers (the
bucket's CORS rule for S3), and a refusal carries ``Access-Control-Allow-Origin`` too, so that the
page can say what went wrong. From any other origin a preflight is refused (403), and every other
answer loses its ``Access-Control-*`` headers: the browser then keeps it from the page. Requests
without an ``Origin`` (SDKs, the command line) are not concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

REFUSED_PREFLIGHT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed. "
    b"This is usually because the evaluation of Origin, request method / Access-Control-Request-Method "
    b"or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.</Message></Error>"
)


class Cors:
    """WSGI: the emulator's CORS for ``origins`` only."""

    def __init__(self, app: Any, origins: Iterable[str]) -> None:
        self._app = app
        self.origins = frozenset(origins)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return self._app(environ, start_response)
        allowed = origin in self.origins
        if not allowed and environ.get("REQUEST_METHOD") == "OPTIONS":
            start_response(
                "403 Forbidden",
                [
                    ("Content-Type", "application/xml"),
                    ("Content-Length", str(len(REFUSED_PREFLIGHT))),
                    ("Vary", "Origin"),
                ],
            )
            return [REFUSED_PREFLIGHT]

        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if not _is_cors(name)]
            if allowed:
                cors = [(name, value) for name, value in headers if _is_cors(name)]
                cors = [
                    (name, value) for name, value in cors if name.lower() != "access-control-allow-origin"
                ]
                kept += [("Access-Control-Allow-Origin", origin), *cors]
            if not any(name.lower() == "vary" for name, _ in kept):
                kept.append(("Vary", "Origin"))
            return start_response(status, kept, exc_info)

        return self._app(environ, answer)


def _is_cors(name: str) -> bool:
    return name.lower().startswith("access-control-")
