"""make run's web server on its own: a folder of its own, the local policy, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra import description
from local_stack.web_server import WebServer
from tests.stack import free_port

LIVE = "ws://127.0.0.1:8003"
WORKER = "self.addEventListener('fetch', () => {});\n"
LIBRARY = "export function render(text) { return text; }\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebServer]:
    (tmp_path / "index.html").write_text("<!doctype html><script type=module src=app.js></script>")
    (tmp_path / "app.js").write_text("navigator.serviceWorker.register('/sw.js', { scope: '/' });\n")
    (tmp_path / "sw.js").write_text(WORKER)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.js").write_text(LIBRARY)
    (tmp_path / "vendor" / "lib.LICENSE.txt").write_text("MIT\n")
    policy = description.content_security_policy(
        "http://127.0.0.1:8000", "http://127.0.0.1:8001/", ["http://127.0.0.1:8001/"], ws_url=LIVE
    )
    started = WebServer(free_port(), {"wsUrl": LIVE}, policy, tmp_path)
    started.start()
    try:
        yield started
    finally:
        started.stop()


def test_the_service_worker_is_a_script_asked_for_again_at_every_load(server: WebServer) -> None:
    for encoding in ("identity", "gzip"):
        answer = requests.get(f"{server.url}/sw.js", headers={"Accept-Encoding": encoding}, timeout=5)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.text == WORKER  # requests undoes the compression
        assert answer.headers.get("Content-Encoding") == ("gzip" if encoding == "gzip" else None)


def test_a_vendored_library_is_a_script_asked_for_again_and_its_licence_text(server: WebServer) -> None:
    for encoding in ("identity", "gzip"):
        answer = requests.get(f"{server.url}/vendor/lib.js", headers={"Accept-Encoding": encoding}, timeout=5)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.text == LIBRARY
        assert answer.headers.get("Content-Encoding") == ("gzip" if encoding == "gzip" else None)
    licence = requests.get(f"{server.url}/vendor/lib.LICENSE.txt", timeout=5)
    assert (licence.status_code, licence.headers["Content-Type"]) == (200, "text/plain; charset=utf-8")


def test_every_answer_allows_the_live_endpoint_and_the_pages_own_service_worker(server: WebServer) -> None:
    for path in ("/", "/app.js", "/sw.js", "/config.json", "/nothing-here.js"):
        policy = requests.get(f"{server.url}{path}", timeout=5).headers["Content-Security-Policy"]
        directives = {name: sources for name, *sources in (d.split() for d in policy.split(";"))}
        assert directives["connect-src"] == [
            "'self'",
            "http://127.0.0.1:8000",
            LIVE,
            "http://127.0.0.1:8001",
        ], path
        assert directives["worker-src"] == ["'self'"], path
        # An attached image, from its download URL: the bucket (locally, the emulator), no other site.
        assert directives["img-src"] == ["'self'", "data:", "http://127.0.0.1:8001"], path
        assert directives["default-src"] == ["'none'"] and directives["script-src"] == ["'self'"], path
