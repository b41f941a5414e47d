"""The API on ``make run``: ``chalice local --stage local``, supervised, its output made readable,
restarted when the app's own code changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, NoReturn

from infra import log_lines
from local_stack import HOST, ROOT, STAGE, LaunchError
from local_stack.credentials import Keys
from local_stack.emulator import FOREIGN_CREDENTIALS, client_environment
from local_stack.gateway_http import ORIGINS_ENV

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
# Asks the kernel for SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG), then becomes chalice.
_DIE_WITH_PARENT = """
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    if os.getppid() != int(sys.argv[1]):
        os._exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""
# What chalice local prints that tells a person nothing.
QUIET = (
    re.compile(r"^Serving on http://"),
    re.compile(r'"GET /health HTTP/1\.1" 200'),
    re.compile(r"^Found endpoint for \S+ via: "),
    re.compile(r"^Aborted!$"),
)
# chalice local's own line per request ("127.0.0.1 - - [date] "GET /notes HTTP/1.1" 200 -"): the app's
# own request line says it, and more.
CHALICE_REQUEST_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^]]*\] "')


def readable(line: str) -> str | None:
    """A line of the API's output as a person reads it, or None to leave it out."""
    if any(pattern.search(line) for pattern in QUIET) or CHALICE_REQUEST_LINE.search(line):
        return None
    return log_lines.readable(line)


# The app's own code: a change to any of these restarts the API (nothing else is watched).
APP_CODE = ("app.py", "chalicelib", ".chalice/config.json")


def chalice_local_command(stage: str, port: int) -> list[str]:
    """``chalice local`` for ``stage`` on 127.0.0.1:``port``, its tokens checked as API Gateway checks
    them (``local_stack.chalice_local``), without its own reloader: it walks the whole tree, .venv
    included, and restarts on any write (``Api.serve`` watches the app's code)."""
    chalice_local = [sys.executable, "-m", "local_stack.chalice_local"]
    return [*chalice_local, "local", "--stage", stage, "--host", HOST, "--port", str(port), "--no-autoreload"]


class Api:
    """``chalice local`` in a process group of its own, its output relayed without the noise,
    restarted when the app's own code changes."""

    def __init__(
        self,
        port: int,
        endpoint: str,
        web_origins: tuple[str, ...],
        keys: Keys,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self._keys = keys
        self._environment = dict(environment or {})
        self.url = f"http://{HOST}:{port}"
        self._endpoint = endpoint
        self._web_origins = web_origins
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Killed when this process dies, even by SIGKILL, so that a killed stack never leaves its
        # API holding the port (Linux; elsewhere the wrapper only runs chalice).
        wrapper = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid())]
        command = wrapper + chalice_local_command(STAGE, self.port)
        env = {
            **os.environ,
            # The run's own pair: the emulator takes nothing else.
            **client_environment(self._keys),
            "AWS_ENDPOINT_URL": self._endpoint,
            # The local stage's CORS origin is the web app's, whatever WEB_PORT is; the local
            # gateway answers each name a browser gives it (gateway_http).
            "CORS_ALLOW_ORIGIN": self._web_origins[0],
            # Links to shared notes open the local web app's page.
            "NOTES_WEB_APP_URL": self._web_origins[0],
            ORIGINS_ENV: " ".join(self._web_origins),
            "PYTHONUNBUFFERED": "1",
            **self._environment,
        }
        for name in FOREIGN_CREDENTIALS:
            env.pop(name, None)
        # A session of its own: the terminal's Ctrl-C reaches us only, and we stop it as a group.
        self._process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=_relay, args=(self._process,), name="api-output", daemon=True).start()
        _wait_until_ready(self._process, self.url)

    def serve(self, reload: bool) -> NoReturn:
        """Until a signal stops the stack; raises LaunchError if the API dies."""
        changed = threading.Event()
        observer = _watch_app_code(changed) if reload else None
        try:
            while True:
                if changed.wait(0.5):
                    time.sleep(0.2)  # an editor's save is often several writes
                    changed.clear()
                    print("the app's code changed: restarting the API", flush=True)
                    self.stop()
                    self.start()
                    print(f"the API is back on {self.url}", flush=True)
                elif self._process is None or self._process.poll() is not None:
                    code = self._process.returncode if self._process else None
                    raise LaunchError(f"chalice local stopped unexpectedly (exit code {code})")
        finally:
            if observer is not None:
                observer.stop()
                observer.join()

    def stop(self) -> None:
        if self._process is None:
            return
        # Stopping is not interrupted by a second Ctrl-C.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            _stop_group(self._process)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self._process = None


def _relay(process: subprocess.Popen[bytes]) -> None:
    """Copy what the API prints to our output, line by line, leaving out what tells nothing and
    making the app's JSON lines readable."""
    for raw in process.stdout or ():
        line = readable(raw.decode("utf-8", "replace"))
        if line is not None:
            sys.stdout.write(line)
            sys.stdout.flush()


def _watch_app_code(changed: threading.Event) -> Any:
    """Set ``changed`` when a file of the app's own code changes (inotify: no polling)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    watched = tuple(str(ROOT / name) for name in APP_CODE)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
            if event.event_type in ("opened", "closed_no_write"):
                return
            for path in paths:
                if (
                    path.startswith(watched)
                    and "__pycache__" not in path
                    and not path.endswith((".pyc", "~"))
                ):
                    changed.set()

    observer = Observer()
    handler = Handler()
    observer.schedule(handler, str(ROOT / "chalicelib"), recursive=True)
    observer.schedule(handler, str(ROOT / ".chalice"), recursive=False)
    observer.schedule(handler, str(ROOT), recursive=False)
    observer.start()
    return observer


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, STOP_TIMEOUT_SECONDS), (signal.SIGKILL, STOP_TIMEOUT_SECONDS)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(process.pid):
            process.poll()
            time.sleep(0.05)
        if not _group_alive(process.pid):
            break
    process.poll()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_ready(api: subprocess.Popen[bytes], api_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise LaunchError(f"chalice local exited with code {api.returncode} before it served {api_url}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise LaunchError(f"the API did not answer {api_url}/health within {READY_TIMEOUT_SECONDS:.0f} s")
