"""The whole product on one machine: ``make run``.

Starts, on 127.0.0.1 only:

1. the AWS emulator (Cognito, DynamoDB and S3), in this process, on ``--emulator-port``,
   with the data saved by the last run (``.local/state.pickle``; see ``infra/local_state.py``);
2. the ``local`` stage's user pool, app client, table and bucket, provisioned into it
   from ``infra/description.py`` (what a saved state already holds is reused);
3. the API, ``chalice local --stage local`` on ``--port``, which checks tokens against the
   emulator's pool as API Gateway would, restarted when the app's own code changes.

It writes the connection facts to ``.local/stack.json``, prints how to use the stack, and
stays in the foreground. While something changed, the emulator's data is saved every few
seconds, and once more when the stack stops. SIGINT (Ctrl-C) or SIGTERM stops all of it:
``chalice local`` runs in a session of its own, so it is stopped with its whole group, and the
facts file is removed. ``--fresh`` (``make run FRESH=1``) starts empty, keeping the previous
state beside it.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from infra.web_server import WebServer

ROOT = Path(__file__).resolve().parents[1]
STAGE = "local"
HOST = "127.0.0.1"
STACK_FILE = Path(os.environ.get("NOTES_STACK_FILE") or ROOT / ".local" / "stack.json")
STATE_FILE = Path(os.environ.get("NOTES_STATE_FILE") or ROOT / ".local" / "state.pickle")
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
# While something changed, the data is saved this often: a crash loses at most this much.
SAVE_INTERVAL_SECONDS = 2.0
# The app's own code: a change to any of these restarts the API (nothing else is watched).
APP_CODE = ("app.py", "chalicelib", ".chalice/config.json")
# What chalice local and the app print at start that tells a person nothing.
QUIET = (
    re.compile(r"^Override settings for pynamo (not )?available"),
    re.compile(r"^Using Default settings value"),
    re.compile(r"^Serving on http://"),
    re.compile(r'"GET /health HTTP/1\.1" 200'),
    re.compile(r"^Found endpoint for \S+ via: "),
    re.compile(r"^Aborted!$"),
)
# chalice local's own line per request ("127.0.0.1 - - [date] "GET /notes HTTP/1.1" 200 -").
CHALICE_REQUEST_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^]]*\] "')
# Emulator requests that only read (DynamoDB's and Cognito's reads are POSTs too).
READ_TARGETS = frozenset(
    {
        "DynamoDB_20120810.GetItem",
        "DynamoDB_20120810.BatchGetItem",
        "DynamoDB_20120810.Query",
        "DynamoDB_20120810.Scan",
        "DynamoDB_20120810.DescribeTable",
        "AWSCognitoIdentityProviderService.GetUser",
        "AWSCognitoIdentityProviderService.DescribeUserPool",
        "AWSCognitoIdentityProviderService.DescribeUserPoolClient",
    }
)
# Emulator credentials: never real ones, so nothing here can reach AWS.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    # The emulator derives pool and client ids from their settings, so the
    # local stage in .chalice/config.json can name them whatever the port.
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}


class LaunchError(Exception):
    """The stack cannot start; the message says why and what to do."""


class Stop(Exception):
    """A signal asked the stack to stop."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    keeper: StateKeeper | None = None
    try:
        _check_ports(args.port, args.emulator_port, args.web_port)
        keeper = StateKeeper(args.state)
        with _emulator(args.emulator_port, keeper, fresh=args.fresh) as endpoint, _stack_file() as stack_file:
            stage_env = _stage_environment()
            facts = _provision(endpoint, stage_env, web_origins(args.web_port))
            api_url = f"http://{HOST}:{args.port}"
            web = _web_server(args.web_port, api_url, endpoint, facts, stage_env)
            stack = {"apiUrl": api_url, "awsEndpoint": endpoint, "webUrl": web.url, **facts}
            stack_file.write_text(json.dumps(stack, indent=2) + "\n")
            api = Api(args.port, endpoint, web_origin=web.url)
            try:
                web.start()
                api.start()
                print(banner(stack, args.port, keeper.path), flush=True)
                api.serve(reload=args.reload)
            finally:
                api.stop()
                web.stop()
    except Stop:
        saved = f"; your data is saved in {_shown(keeper.path)}" if keeper and keeper.path.exists() else ""
        print(f"\nstopped: the API and the emulator are gone{saved}.", flush=True)
        return 0
    except LaunchError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 2


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT") or 8001))
    # The web app's port: its origin may upload to and download from the bucket.
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT") or 8002))
    parser.add_argument("--state", type=Path, default=STATE_FILE, help="where the data is saved")
    parser.add_argument("--fresh", action="store_true", default=_flag("FRESH"), help="start empty (FRESH=1)")
    parser.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        default=not _flag("NO_RELOAD"),
        help="do not restart the API when the app's code changes (NO_RELOAD=1)",
    )
    return parser.parse_args(argv)


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() not in ("", "0", "no", "false")


def _web_server(
    web_port: int, api_url: str, endpoint: str, facts: dict[str, str], stage_env: dict[str, str]
) -> WebServer:
    """The web app's server, with the local stage's config.json and content security policy."""
    from chalicelib.storage_layout import DEFAULT_MAX_BYTES

    config = {
        "apiUrl": api_url,
        "region": facts["region"],
        "userPoolId": facts["userPoolId"],
        "userPoolClientId": facts["userPoolClientId"],
        "cognitoEndpoint": f"{endpoint}/",
        "maxAttachmentBytes": int(stage_env.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES),
        # Locally no email is sent and any confirmation code is accepted: the page says so.
        "local": True,
    }
    # The emulator answers for Cognito and S3 alike.
    from infra import description

    # The deployed page's policy, with the local addresses.
    policy = description.content_security_policy(api_url, f"{endpoint}/", [f"{endpoint}/"])
    return WebServer(web_port, config, policy)


def web_origins(web_port: int) -> tuple[str, ...]:
    """The origins of the local web app, as a browser on this machine names them."""
    return (f"http://{HOST}:{web_port}", f"http://localhost:{web_port}")


def _check_ports(port: int, emulator_port: int, web_port: int) -> None:
    named = {"PORT": port, "EMULATOR_PORT": emulator_port, "WEB_PORT": web_port}
    if len(set(named.values())) < len(named):
        raise LaunchError(
            f"PORT, EMULATOR_PORT and WEB_PORT must differ (got {port}, {emulator_port}, {web_port}); "
            "choose three ports, e.g. make run PORT=8000 EMULATOR_PORT=8001 WEB_PORT=8002"
        )
    for name, number in named.items():
        if not 1 <= number <= 65535:
            raise LaunchError(f"{name}={number} is not a TCP port (1-65535)")
        with socket.socket() as probe:
            # As the servers do: connections of an earlier run lingering in
            # TIME_WAIT do not make a port busy, a listening socket does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, number))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise LaunchError(f"cannot use {HOST}:{number} ({name}): {error.strerror}") from error
                raise LaunchError(
                    f"port {number} ({name}) is already in use on {HOST}; "
                    f"choose another with make run {name}=<port>"
                ) from error


class _OneAtATime:
    """A WSGI wrapper that lets the emulator answer one request at a time.

    DynamoDB applies conditional writes to an item one at a time; the
    emulator's conditional writes are not atomic between threads, so two
    racing ``If-Match`` writes could both win. Serialising requests keeps
    its answers true under load (the local stack is not about throughput),
    and lets the state keeper save the data between two requests. Every
    request that may change something is reported to it.
    """

    def __init__(self, app: Any, keeper: StateKeeper) -> None:
        self._app = app
        self._keeper = keeper

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._keeper.lock:
            # Read the whole answer inside the lock: a lazy body would run after it.
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
                if _may_change(environ):
                    self._keeper.changed()


def _may_change(environ: dict[str, Any]) -> bool:
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    return environ.get("HTTP_X_AMZ_TARGET") not in READ_TARGETS


class StateKeeper:
    """Saves the emulator's data while it changes, and once more at the end.

    A thread looks every ``SAVE_INTERVAL_SECONDS``: if a request changed something since the last
    save, it takes a snapshot between two requests (holding ``lock``) and writes it atomically.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-keeper", daemon=True)

    def load(self, fresh: bool) -> str:
        """Put the saved state into the emulator; a line that says what happened."""
        from infra import local_state

        where = _shown(self.path)
        if fresh:
            if not self.path.exists():
                return f"starting empty (FRESH=1); data will be saved in {where}"
            previous = self.path.with_name(self.path.name + ".previous")
            os.replace(self.path, previous)
            return f"starting empty (FRESH=1); the data saved before is kept as {_shown(previous)}"
        if not self.path.exists():
            return f"starting empty: no data saved yet; it will be saved in {where}"
        try:
            loaded = local_state.load(self.path)
        except local_state.UnreadableState as error:
            aside = local_state.set_aside(self.path)
            return (
                f"starting empty: the saved data in {where} cannot be loaded ({error}); "
                f"it is kept as {_shown(aside)}"
            )
        size = f"{loaded.bytes / 1024:,.0f} KiB"
        return f"loaded the data saved in {where} at {loaded.saved_at} ({size})"

    def start(self) -> None:
        self._thread.start()

    def changed(self) -> None:
        self._dirty.set()

    def close(self) -> None:
        """Stop the thread and save what changed since its last save."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._save_if_changed()

    def _run(self) -> None:
        while not self._stop.wait(SAVE_INTERVAL_SECONDS):
            try:
                self._save_if_changed()
            except OSError as error:  # a full disk: say so, keep serving, try again later
                print(f"make run: could not save the data in {_shown(self.path)}: {error}", flush=True)
                self._dirty.set()

    def _save_if_changed(self) -> None:
        from infra import local_state

        if not self._dirty.is_set():
            return
        with self.lock:
            self._dirty.clear()
            data = local_state.snapshot()
        local_state.save(self.path, data)


def _shown(path: Path) -> str:
    """A path as a person in the project folder would type it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


@contextmanager
def _emulator(port: int, keeper: StateKeeper, *, fresh: bool) -> Iterator[str]:
    """The emulator with the saved data, serving until the block ends; then the data is saved."""
    os.environ.update(EMULATOR_ENV)
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    print(keeper.load(fresh), flush=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulator request
    app = _OneAtATime(DomainDispatcherApplication(create_backend_app), keeper)

    class Handler(MotoRequestHandler):
        # Answers without waiting for the peer's delayed ACK on a reused connection.
        disable_nagle_algorithm = True

    server = make_server(HOST, port, app, threaded=True, request_handler=Handler)
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    keeper.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        # Stopping is not interrupted by a second Ctrl-C: the last save must complete.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            server.shutdown()
            server.server_close()
            thread.join()
            keeper.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextmanager
def _stack_file() -> Iterator[Path]:
    STACK_FILE.parent.mkdir(exist_ok=True)
    try:
        yield STACK_FILE
    finally:
        STACK_FILE.unlink(missing_ok=True)


def _stage_environment() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env: dict[str, str] = config["stages"][STAGE]["environment_variables"]
    return env


def _provision(endpoint: str, stage_env: dict[str, str], web_origins: tuple[str, ...]) -> dict[str, str]:
    import boto3

    from infra.provision import provision

    region = stage_env["AWS_DEFAULT_REGION"]

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    made = provision(STAGE, client("cognito-idp"), client("dynamodb"), client("s3"), web_origins)
    named = (
        stage_env["COGNITO_USER_POOL_ARN"],
        stage_env["COGNITO_APP_CLIENT_IDS"],
        stage_env["NOTES_TABLE_NAME"],
        stage_env["NOTES_BUCKET_NAME"],
    )
    if (made.user_pool_arn, made.user_pool_client_id, made.table_name, made.bucket_name) != named:
        raise LaunchError(
            "the local stage in .chalice/config.json does not name what infra/description.py provisions: "
            f"set COGNITO_USER_POOL_ARN={made.user_pool_arn}, "
            f"COGNITO_APP_CLIENT_IDS={made.user_pool_client_id}, "
            f"NOTES_TABLE_NAME={made.table_name}, "
            f"NOTES_BUCKET_NAME={made.bucket_name}"
        )
    return {
        "region": made.region,
        "userPoolId": made.user_pool_id,
        "userPoolClientId": made.user_pool_client_id,
        "tableName": made.table_name,
        "bucketName": made.bucket_name,
    }


def chalice_local_command(stage: str, port: int) -> list[str]:
    """``chalice local`` for ``stage`` on 127.0.0.1:``port``, without its own reloader: it walks the
    whole tree, .venv included, and restarts on any write (``Api.serve`` watches the app's code)."""
    chalice = Path(sys.executable).with_name("chalice")
    return [str(chalice), "local", "--stage", stage, "--host", HOST, "--port", str(port), "--no-autoreload"]


class Api:
    """``chalice local`` in a process group of its own, its output relayed without the noise,
    restarted when the app's own code changes."""

    def __init__(self, port: int, endpoint: str, web_origin: str) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self._endpoint = endpoint
        self._web_origin = web_origin
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Killed when this process dies, even by SIGKILL, so that a killed stack never leaves its
        # API holding the port (Linux; elsewhere the wrapper only runs chalice).
        wrapper = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid())]
        command = wrapper + chalice_local_command(STAGE, self.port)
        env = {
            **os.environ,
            **EMULATOR_ENV,
            "AWS_ENDPOINT_URL": self._endpoint,
            # The local stage's CORS origin is the web app's, whatever WEB_PORT is.
            "CORS_ALLOW_ORIGIN": self._web_origin,
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
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
        """Until a signal stops the stack (Stop); raises LaunchError if the API dies."""
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


def readable(line: str) -> str | None:
    """A line of the API's output as a person reads it, or None to leave it out."""
    if not line.strip() or any(pattern.search(line) for pattern in QUIET):
        return None
    if CHALICE_REQUEST_LINE.search(line):
        return None  # the app's own request line says it, and more
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if record.get("logger") == "notes.request":
        if record.get("route") == "/health" and record.get("status") == 200:
            return None  # readiness probes, ours and others'
        sub = record.get("sub") or "-"
        return (
            f"{record.get('method')} {record.get('route')} {record.get('status')}"
            f"  {record.get('latencyMs')} ms  DynamoDB {record.get('dynamodbCalls')}"
            f"  S3 {record.get('s3Calls')}  sub {sub[:8]}  [{record.get('requestId')}]\n"
        )
    text = f"{record.get('level', '')} {record.get('message', '')}  [{record.get('requestId', '-')}]\n"
    exception = record.get("exception")
    if isinstance(exception, dict):
        text += str(exception.get("traceback", ""))
    return text


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


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop()


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


def banner(stack: dict[str, str], port: int, state: Path = STATE_FILE) -> str:
    endpoint = stack["awsEndpoint"]
    other_port = port + 10
    return f"""
notes is running on this machine (127.0.0.1 only)

  web app        {stack["webUrl"]}  (open it in a browser)
  API            {stack["apiUrl"]}
  AWS emulator   {endpoint}  (Cognito + DynamoDB + S3)
  user pool      {stack["userPoolId"]}
  app client     {stack["userPoolClientId"]}
  table          {stack["tableName"]}
  bucket         {stack["bucketName"]}  (attachments)
  facts          {_shown(STACK_FILE)}

Your data is kept in {_shown(state)}: it is there again at the next make run
(make run FRESH=1 starts empty; make reset deletes it).

Next, in another terminal:
  .venv/bin/notes signup you@example.com     # asks for a password: 12+ chars, upper, lower, digit, symbol
  .venv/bin/notes confirm you@example.com
  .venv/bin/notes login you@example.com
  .venv/bin/notes add "my first note"
  .venv/bin/notes ls

Or run chalice local yourself against this emulator:
  AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
    .venv/bin/chalice local --stage local --port {other_port}

Ctrl-C stops everything.
"""


if __name__ == "__main__":
    sys.exit(main())
