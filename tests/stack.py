"""Start the real local stack (``make run``) from tests, on free loopback ports; its users over
HTTP; and the presigned POST every client of the attachments makes."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import requests

from notes_cli.stack_file import StackFacts
from tests.conftest import PASSWORD, ROOT

START_TIMEOUT = 90.0
# Starts tried when a port chosen free was taken before the stack could listen on it.
START_ATTEMPTS = 3
MAKE = shutil.which("make") or "make"
TIMEOUT = 10
# Under pytest, whether the running test is marked ``stack`` (tests/conftest.py sets it before
# each test); None elsewhere (make bench, make screenshots). An unmarked test that starts a stack
# fails: ``make check`` runs the tests not marked ``stack`` and must start none.
marked_stack: bool | None = None


def send_to_s3(
    form: dict[str, Any],
    data: bytes,
    content_type: str = "application/octet-stream",
    timeout: float = TIMEOUT,
) -> requests.Response:
    """What a browser or curl does with a presigned POST: every field of the form, then the file last."""
    return requests.post(
        form["url"],
        data=list(form["fields"].items()),
        files={"file": ("file", data, content_type)},
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on: each is held until all are chosen."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def port_is_free(port: int) -> bool:
    """Nothing listens on it (connections of the run that stopped may linger in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


class Output:
    """Everything a running process prints, read as it comes.

    The stack logs a line per request: a pipe nobody reads fills after some 64 KiB, and then
    the process blocks on its next line and stops answering.
    """

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._lines: list[str] = []
        self._thread = threading.Thread(target=self._drain, args=(process,), daemon=True)
        self._thread.start()

    def _drain(self, process: subprocess.Popen[str]) -> None:
        if process.stdout is not None:
            for line in process.stdout:
                self._lines.append(line)

    def text(self, wait: float = 0.0) -> str:
        """What was printed so far; ``wait`` for the process to close its output first."""
        self._thread.join(wait)
        return "".join(self._lines)


class Stack:
    def __init__(
        self, process: subprocess.Popen[str], output: Output, stack_file: Path, port: int, emulator_port: int
    ) -> None:
        self.process = process
        self.output = output
        self.stack_file = str(stack_file)
        self.facts = StackFacts.read(stack_file)
        self.port = port
        self.emulator_port = emulator_port

    def printed(self, text: str, timeout: float = 30) -> str:
        """What the stack printed so far, once it holds ``text``."""
        deadline = time.monotonic() + timeout
        while text not in (output := self.output.text()):
            assert time.monotonic() < deadline, output
            time.sleep(0.05)
        return output

    def interrupt(self, timeout: float = 30) -> str:
        """Ctrl-C, as a terminal sends it to the whole foreground group; what the stack printed."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout)
        return self.output.text(wait=timeout)

    def client(self, service: str, endpoint_url: str | None = None) -> Any:
        """A client of the stack's emulator (or of ``endpoint_url``), signing with the stack's pair."""
        return boto3.client(
            service,
            region_name=self.facts.region,
            endpoint_url=endpoint_url or self.facts.aws_endpoint,
            # The stack's own pair: its emulator takes no other signature.
            aws_access_key_id=self.facts.aws_access_key_id,
            aws_secret_access_key=self.facts.aws_secret_access_key,
        )

    def cognito(self) -> Any:
        return self.client("cognito-idp")

    def signing_key(self, timeout: float = 30) -> dict[str, Any]:
        """The private JWK the stack's pool signs its tokens with, read from its saved data (as its
        owner can, and no one else): in a child process, so that this one's emulator is untouched."""
        state = Path(self.stack_file).parent / "state.pickle"
        script = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from local_stack import state_file, user_pool\n"
            "from moto.cognitoidp.models import cognitoidp_backends\n"
            "state_file.load(Path(sys.argv[1]))\n"
            "for regions in cognitoidp_backends.values():\n"
            "    for backend in regions.values():\n"
            "        pool = backend.user_pools.get(sys.argv[2])\n"
            "        key = getattr(pool, user_pool.KEY_ATTRIBUTE, None)\n"
            "        if key is not None and key.kid not in (None, user_pool.SHIPPED_KEY_ID):\n"
            "            print(json.dumps(key.as_dict(private=True)))\n"
        )
        deadline = time.monotonic() + timeout
        while True:  # the stack saves its data a moment after it changed
            found = subprocess.run(
                [sys.executable, "-c", script, str(state), self.facts.user_pool_id],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if found.stdout.strip():
                key: dict[str, Any] = json.loads(found.stdout)
                return key
            assert time.monotonic() < deadline, found.stderr
            time.sleep(0.5)

    def pool_call(self, action: str, body: dict[str, Any], origin: str | None = None) -> requests.Response:
        """A call of the user pool's JSON API as the web app makes it: unsigned, from ``origin``."""
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            **({"Origin": origin} if origin else {}),
        }
        return requests.post(
            f"{self.facts.aws_endpoint}/", data=json.dumps(body), headers=headers, timeout=TIMEOUT
        )

    def bucket_keys(self, prefix: str = "") -> list[str]:
        """Every key in the stack's attachments bucket under ``prefix``."""
        listed = self.client("s3").list_objects_v2(Bucket=self.facts.bucket_name, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def id_token(self, email: str) -> str:
        cognito = self.cognito()
        client_id = self.facts.user_pool_client_id
        cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
        cognito.admin_confirm_sign_up(UserPoolId=self.facts.user_pool_id, Username=email)
        auth = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        return str(auth["AuthenticationResult"]["IdToken"])


def start_stack(
    stack_file: Path,
    port: int,
    emulator_port: int,
    *make_args: str,
    checkout: Path = ROOT,
    web_port: int | None = None,
    ws_port: int | None = None,
) -> subprocess.Popen[str]:
    """``make run`` in ``checkout``, with its facts and its saved data beside ``stack_file`` (never in
    the tree)."""
    assert marked_stack is not False, (
        "this test starts the local stack but is not marked stack: call running_stack or start_stack "
        "in the test or one of its fixtures (tests/conftest.py marks those), or mark it @pytest.mark.stack"
    )
    env = {**os.environ, "NOTES_STACK_FILE": str(stack_file)}
    return subprocess.Popen(
        [
            MAKE,
            "--no-print-directory",
            "run",
            f"PORT={port}",
            f"EMULATOR_PORT={emulator_port}",
            f"WEB_PORT={web_port or free_port()}",
            f"WS_PORT={ws_port or free_port()}",
            f"STATE={stack_file.parent / 'state.pickle'}",
            *make_args,
        ],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


@contextmanager
def running_stack(
    folder: Path, *make_args: str, checkout: Path = ROOT, timeout: float = START_TIMEOUT
) -> Iterator[Stack]:
    """``make run`` in ``checkout`` on free ports, until /health answers; killed on the way out if
    still running. The one way the suite, ``make bench`` and the tools start the real stack.

    Its data is saved in ``folder``: a second stack on the same folder starts from it.
    """
    stack_file = folder / "stack.json"
    deadline = time.monotonic() + timeout
    for attempt in range(1, START_ATTEMPTS + 1):
        # Free when chosen; another process (a test in another worker) may take one before the
        # stack does: the stack then stops saying so, and starts again on other ports.
        port, emulator_port, web_port, ws_port = free_ports(4)
        process = start_stack(
            stack_file, port, emulator_port, *make_args, checkout=checkout, web_port=web_port, ws_port=ws_port
        )
        output = Output(process)
        try:
            if _serving(process, output, port, deadline, retry=attempt < START_ATTEMPTS):
                break
        except BaseException:
            _kill(process)
            raise
    try:
        yield Stack(process, output, stack_file, port, emulator_port)
    finally:
        _kill(process)


def _serving(
    process: subprocess.Popen[str], output: Output, port: int, deadline: float, *, retry: bool
) -> bool:
    """True once /health answers; False when the stack stopped because a port was taken since it
    was chosen (and ``retry``); else fails with what the stack printed."""
    while True:
        if process.poll() is not None:
            printed = output.text(wait=5)
            assert retry and "is already in use" in printed, printed
            return False
        assert time.monotonic() < deadline, "the stack did not come up"
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return True
        except (requests.ConnectionError, requests.Timeout):  # not yet listening, or not answering
            time.sleep(0.2)


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class StackUser:
    """A confirmed user of a running stack, calling its API over HTTP with their own session."""

    stack: Stack
    email: str
    password: str = PASSWORD
    http: requests.Session = field(default_factory=requests.Session)
    _token: str = ""

    @property
    def token(self) -> str:
        if not self._token:
            auth = self.stack.cognito().initiate_auth(
                ClientId=self.stack.facts.user_pool_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": self.email, "PASSWORD": self.password},
            )
            self._token = str(auth["AuthenticationResult"]["IdToken"])
        return self._token

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, if_match: str | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.http.request(
            method, self.stack.facts.api_url + path, json=body, headers=headers, timeout=TIMEOUT
        )

    def create_note(self, content: str = "", **fields: Any) -> dict[str, Any]:
        created = self.call("POST", "/notes", {"content": content, **fields})
        assert created.status_code == 201, created.text
        note: dict[str, Any] = created.json()
        return note

    def note(self, note_id: str) -> requests.Response:
        return self.call("GET", f"/notes/{note_id}")

    def ask_upload(
        self, note_id: str, name: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """The upload form for ``data`` (nothing sent to S3 yet)."""
        asked = self.call(
            "POST",
            f"/notes/{note_id}/attachment",
            {"name": name, "contentType": content_type, "size": len(data)},
        )
        assert asked.status_code == 201, asked.text
        form: dict[str, Any] = asked.json()
        return form

    def attach(
        self, note_id: str, name: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """The whole attachment flow, as any client runs it: the note, its file attached."""
        form = self.ask_upload(note_id, name, data, content_type)
        sent = send_to_s3(form, data, content_type)
        assert sent.status_code == 204, sent.text
        attached = self.call("PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
        assert attached.status_code == 200, attached.text
        note: dict[str, Any] = attached.json()
        return note


def new_user(stack: Stack, prefix: str = "user", email: str | None = None) -> StackUser:
    """A user signed up and confirmed at the stack's pool (not yet signed in)."""
    email = email or f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    cognito = stack.cognito()
    cognito.sign_up(ClientId=stack.facts.user_pool_client_id, Username=email, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=stack.facts.user_pool_id, Username=email)
    return StackUser(stack, email)


@dataclass
class SignIn:
    """One authorization code + PKCE sign-in at a scoped stack's sign-in page, as a browser runs it."""

    stack: Stack
    client: str = "web"  # a kind of oauth client: web, cli, readOnly
    scope: str | None = None  # None: the client's allowed scopes
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    browser: requests.Session = field(default_factory=requests.Session)

    @property
    def oauth(self) -> dict[str, Any]:
        assert self.stack.facts.oauth is not None, "not a scoped stack"
        return self.stack.facts.oauth

    @property
    def client_id(self) -> str:
        return str(self.oauth["clients"][self.client]["clientId"])

    @property
    def redirect_uri(self) -> str:
        return str(self.oauth["clients"][self.client]["redirectUris"][0])

    def url(self, path: str) -> str:
        return f"{self.oauth['domain']}{path}"

    def query(self, **changes: str) -> dict[str, str]:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=")
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
            **({"scope": self.scope} if self.scope is not None else {}),
        }
        query.update(changes)
        return {name: value for name, value in query.items() if value != ""}

    def authorize(self, **changes: str) -> requests.Response:
        """GET the authorize endpoint, not following a redirect."""
        url, query = self.url("/oauth2/authorize"), self.query(**changes)
        return self.browser.get(url, params=query, allow_redirects=False, timeout=TIMEOUT)

    def submit(self, page: requests.Response, action: str, **fields: str) -> requests.Response:
        """Post the page's form (its hidden fields, and ``fields``) to ``action``; no redirect followed."""
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        data = {name: html.unescape(value) for name, value in hidden.items()}
        return self.browser.post(
            self.url(action), data={**data, **fields}, allow_redirects=False, timeout=TIMEOUT
        )

    def code(self, email: str, password: str = PASSWORD, **changes: str) -> str:
        """Sign in through the page; the code the redirect carries (its state checked)."""
        answer = self.authorize(**changes)
        if answer.status_code == 200:  # the sign-in page; else its session signed in already
            answer = self.submit(answer, "/login", username=email, password=password)
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    def exchange(self, code: str, headers: dict[str, str] | None = None, **changes: str) -> requests.Response:
        """The token endpoint's answer to ``code`` (its form's fields changed by ``changes``)."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": self.verifier,
            **changes,
        }
        return requests.post(self.url("/oauth2/token"), data=data, headers=headers, timeout=TIMEOUT)

    def refresh(self, refresh_token: str, **changes: str) -> requests.Response:
        """The token endpoint's answer to a refresh token of this client (or ``client_id=``)."""
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        return requests.post(self.url("/oauth2/token"), data={**data, **changes}, timeout=TIMEOUT)

    def revoke(self, refresh_token: str) -> requests.Response:
        data = {"token": refresh_token, "client_id": self.client_id}
        return requests.post(self.url("/oauth2/revoke"), data=data, timeout=TIMEOUT)

    def tokens(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """The whole sign-in: the token endpoint's answer."""
        answer = self.exchange(self.code(email, password))
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens
