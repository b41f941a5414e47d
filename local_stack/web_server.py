"""The web app on ``make run``: the files of ``web/`` and the stage's ``config.json``, on 127.0.0.1.

It sends what the deployed page's CloudFront sends: a Content-Security-Policy without inline
script (the same directives, with the local addresses), and the same security headers. Text
files are compressed when the browser asks, as CloudFront does. Only files of ``web/`` are
served: no directory listing, nothing above the folder, no dotfiles.
"""

from __future__ import annotations

import gzip
import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from infra import description, stages
from infra.web_config import build_web_config
from local_stack import HOST, ROOT, STAGE
from local_stack.provisioning import Provisioned

WEB = ROOT / "web"
CONFIG_PATH = "/config.json"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}
COMPRESSED = (".html", ".js", ".css", ".json", ".svg", ".webmanifest", ".txt")


def local_web_server(
    web_port: int, api_url: str, ws_url: str, endpoint: str, stage: Provisioned, *, scoped: bool = False
) -> WebServer:
    """The web app's server, with the local stage's config.json and content security policy."""
    from local_stack import scoped as scoped_mode

    web_url = f"http://{HOST}:{web_port}"
    # The deployed page's settings, with the local addresses: the emulator answers for Cognito.
    # Locally no email is sent and any confirmation code is accepted: the page says so (local).
    config = build_web_config(
        api_url=api_url,
        ws_url=ws_url,
        region=stage.region,
        user_pool_id=stage.user_pool_id,
        client_id=stage.user_pool_client_id,
        mode="scoped" if scoped else "id",
        max_attachment_bytes=stages.max_attachment_bytes(STAGE),
        oauth=scoped_mode.web_oauth(endpoint, stage, web_url) if scoped else None,
        cognito_endpoint=f"{endpoint}/",
        local=True,
    )
    # The deployed page's policy, with the local addresses: the emulator answers for Cognito and
    # S3 alike, and the live endpoint is make run's own, on its port.
    policy = description.content_security_policy(api_url, f"{endpoint}/", [f"{endpoint}/"], ws_url=ws_url)
    return WebServer(web_port, config, policy)


def security_headers(csp: str) -> dict[str, str]:
    """The headers every answer carries, as the deployed page's response headers policy sets them."""
    return {"Content-Security-Policy": csp, **description.WEB_SECURITY_HEADERS}


class WebServer:
    """Serves ``folder`` and ``config`` on ``127.0.0.1:port`` from a thread, until ``stop``."""

    def __init__(self, port: int, config: dict[str, Any], csp: str, folder: Path = WEB) -> None:
        self.url = f"http://{HOST}:{port}"
        handler = _handler(folder.resolve(), json.dumps(config, indent=2).encode(), security_headers(csp))
        self._server = ThreadingHTTPServer((HOST, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="web", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(folder: Path, config: bytes, headers: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"folder": folder, "config": config, "extra": headers})


class _Handler(BaseHTTPRequestHandler):
    server_version = "notes-web"
    disable_nagle_algorithm = True  # no wait for the browser's delayed ACK on a reused connection
    sys_version = ""
    folder: Path
    config: bytes
    extra: dict[str, str]

    def handle(self) -> None:
        try:
            super().handle()
        # The browser left before its answer was written (a reload, a closed tab): nothing to tell.
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == CONFIG_PATH:
            self._send(200, "application/json", self.config, body)
            return
        found = _file(self.folder, "/index.html" if path == "/" else path)
        if found is None:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", body)
            return
        kind = TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        self._send(200, kind, found.read_bytes(), body, compress=found.suffix in COMPRESSED)

    def _send(self, status: int, kind: str, data: bytes, body: bool, *, compress: bool = False) -> None:
        gzipped = compress and "gzip" in (self.headers.get("Accept-Encoding") or "")
        if gzipped:
            data = gzip.compress(data, mtime=0)
        self.send_response(status)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        # Locally the files change as they are edited: the browser asks again every time.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Vary", "Accept-Encoding")
        for name, value in self.extra.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the page's files are not news; the API logs its own requests


def _file(folder: Path, path: str) -> Path | None:
    """The file of ``folder`` that ``path`` names, or None (outside it, hidden, or not a file)."""
    parts = [part for part in path.split("/") if part]
    if not parts or any(part.startswith(".") or "\\" in part or not part.isprintable() for part in parts):
        return None  # no file of web/ has a NUL, a control character or a hidden part in its name
    try:
        candidate = folder.joinpath(*parts).resolve()
        if folder not in candidate.parents or not candidate.is_file() or candidate.name == "config.json":
            return None
    except (OSError, ValueError):  # a name too long for the file system, say: no such file
        return None
    return candidate
