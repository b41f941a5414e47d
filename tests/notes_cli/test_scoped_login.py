"""``notes login`` on a scoped stage: the sign-in page in a browser, the access token at the API.

The suite's scoped stack (``make run SCOPED=1``) serves the pool's OAuth 2.0 endpoints, and its
API takes only access tokens with ``notes/read`` (reads) or ``notes/write`` (writes). The login
runs as a real process whose ``BROWSER`` is ``sign_in_browser.py``, which signs in at the page
over HTTP and follows its answer to the CLI's loopback callback; the other commands then run
in-process on the same credentials file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from infra import description
from notes_cli import browser_sign_in
from notes_cli.credentials import Session, token_claims
from notes_cli.stack import resolve
from tests.conftest import PASSWORD
from tests.notes_cli.helpers import (
    Notes,
    as_a_process,
    assert_one_line_error,
    create_user,
    expiry_of,
    write_stack_file,
)
from tests.stack import SignIn, Stack, port_is_free

BROWSER_PROGRAM = Path(__file__).with_name("sign_in_browser.py")
BROWSER = f"{shlex.join([sys.executable, str(BROWSER_PROGRAM)])} %s"
TIMEOUT = 10


@pytest.fixture
def scoped(scoped_stack: Stack, tmp_path: Path) -> Notes:
    """The CLI pointed at the scoped stack, with a config directory of its own (nobody logged in)."""
    stack_file = write_stack_file(tmp_path / "stack.json", scoped_stack.facts.to_json())
    return Notes(scoped_stack.facts.api_url, stack_file, tmp_path / "config")


@pytest.fixture
def user(scoped_stack: Stack) -> str:
    """A confirmed account of the scoped stack's pool; the sign-in page signs it in."""
    return create_user(scoped_stack)


def oauth(stack: Stack) -> dict[str, Any]:
    assert stack.facts.oauth is not None, "not a scoped stack"
    return stack.facts.oauth


def client_id(stack: Stack, kind: str) -> str:
    return str(oauth(stack)["clients"][kind]["clientId"])


class Login:
    """``notes login ARGS`` as a real process, with the stand-in browser; what it printed and saw."""

    def __init__(self, notes: Notes, tmp_path: Path, *args: str, email: str = "", act: str = "sign-in"):
        self.report_path = tmp_path / f"browser-{time.monotonic_ns()}.json"
        self.env = {
            **os.environ,
            **notes.env,
            "BROWSER": BROWSER,
            "SIGN_IN_EMAIL": email,
            "SIGN_IN_PASSWORD": PASSWORD,
            "SIGN_IN_ACT": act,
            "SIGN_IN_REPORT": str(self.report_path),
        }
        self.process = as_a_process(["login", *args], self.env, stdin=subprocess.DEVNULL, text=True)

    def run(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(**self.process, capture_output=True, timeout=90, check=False)

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(**self.process, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    @property
    def seen(self) -> dict[str, Any]:
        """What the browser saw: the address it was given, the pages, the callback's answer."""
        seen: dict[str, Any] = json.loads(self.report_path.read_text())
        return seen


def log_in(notes: Notes, tmp_path: Path, email: str, *args: str) -> Login:
    login = Login(notes, tmp_path, *args, email=email)
    done = login.run()
    assert done.returncode == 0, (done.stdout, done.stderr, login.seen)
    return login


def refresh_answer(stack: Stack, session: dict[str, Any]) -> requests.Response:
    return SignIn(stack).refresh(session["refreshToken"], client_id=session["clientId"])


def api_status(notes: Notes, method: str, path: str, token: str, body: Any = None) -> int:
    answer = requests.request(
        method, notes.api_url + path, json=body, headers={"Authorization": token}, timeout=TIMEOUT
    )
    return answer.status_code


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every request the CLI sends in-process: (URL, Authorization header), in order."""
    requests_sent: list[tuple[str, str]] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        requests_sent.append((url, (kwargs.get("headers") or {}).get("Authorization", "")))
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return requests_sent


def test_login_through_the_browser_then_notes_with_the_access_token(
    scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path
) -> None:
    login = Login(scoped, tmp_path, email=user)
    done = login.run()
    assert done.returncode == 0, (done.stdout, done.stderr, login.seen)
    assert done.stderr == ""
    seen = login.seen
    domain = oauth(scoped_stack)["domain"]
    assert f"Open this address to sign in: {seen['address']}\n" in done.stdout
    assert done.stdout.endswith(f"Logged in as {user} at {scoped.api_url}\n")
    assert PASSWORD not in done.stdout

    # The address the browser got: the code flow with PKCE, for the cli client, back to the loopback.
    address = urlsplit(seen["address"])
    query = {name: values[0] for name, values in parse_qs(address.query).items()}
    assert f"{address.scheme}://{address.netloc}{address.path}" == f"{domain}/oauth2/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == client_id(scoped_stack, "cli")
    assert query["redirect_uri"] == description.CLI_CALLBACK_URL
    assert query["scope"].split() == [
        "openid",
        "email",
        "aws.cognito.signin.user.admin",
        "notes/read",
        "notes/write",
    ]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 16
    # The page the browser was left on, after the code was exchanged.
    assert seen["callbackStatus"] == 200, seen
    assert "Signed in" in seen["callbackPage"] and "you can close this tab" in seen["callbackPage"]

    session = scoped.session()
    access, identity = token_claims(session["accessToken"]), token_claims(session["idToken"])
    assert (session["apiToken"], session["clientId"], session["readOnly"]) == (
        "access",
        client_id(scoped_stack, "cli"),
        False,
    )
    assert access["token_use"] == "access" and {"notes/read", "notes/write"} <= set(access["scope"].split())
    assert session["scope"] == access["scope"]
    assert session["expiresAt"] == expiry_of(session["accessToken"]) > time.time()
    assert session["email"] == identity["email"] == user

    added = scoped("add", "from the browser's sign-in", "--title", "Scoped")
    assert added.exit_code == 0, added.output
    note_id = added.stdout.strip()
    listed = scoped("ls")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[1].startswith(f"{note_id[:8]}  ") and "Scoped" in listed.stdout
    whoami = scoped("whoami")
    assert whoami.exit_code == 0, whoami.output
    assert f"email    {user}\n" in whoami.stdout
    assert f"userId   {identity['sub']}\n" in whoami.stdout
    assert "access   read and write" in whoami.stdout

    # The scoped API takes the access token the CLI sends, and never the ID token.
    assert api_status(scoped, "GET", f"/notes/{note_id}", session["accessToken"]) == 200
    assert api_status(scoped, "GET", f"/notes/{note_id}", session["idToken"]) == 401


def test_the_email_given_is_offered_to_the_sign_in_page(
    scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path
) -> None:
    login = log_in(scoped, tmp_path, user, user)  # notes login EMAIL
    assert parse_qs(urlsplit(login.seen["address"]).query)["login_hint"] == [user]
    form = re.search(r'<input id="username"[^>]*>', login.seen["page"])
    assert form is not None and f'value="{user}"' in form.group(0), login.seen["page"]


def test_without_a_browser_it_says_at_once_what_to_do_and_waits(
    scoped: Notes, user: str, tmp_path: Path
) -> None:
    login = Login(scoped, tmp_path, user)
    login.env["BROWSER"] = "false %s"  # a browser that cannot start
    process = login.start()
    shown = printed_until_waiting(process)
    address = shown.split("Open this address to sign in: ", 1)[1].split("\n", 1)[0]
    said = shown.split("\n")[1]
    assert said.startswith("No browser could be started here"), shown
    assert "in a browser on this machine" in said and "ssh -L 8976:127.0.0.1:8976" in said
    # The person opens the address: the login still takes the sign-in's answer.
    browser = subprocess.run(
        [sys.executable, str(BROWSER_PROGRAM), address],
        env={**login.env, "SIGN_IN_EMAIL": user},
        timeout=60,
        check=False,
    )
    assert browser.returncode == 0 and login.seen["callbackStatus"] == 200, login.seen
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, (shown + stdout, stderr)
    assert stdout.endswith(f"Logged in as {user} at {scoped.api_url}\n")


def test_read_only_login_reads_but_never_writes(
    scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path
) -> None:
    log_in(scoped, tmp_path, user)  # first a note, written with write access
    assert scoped("add", "written before").exit_code == 0

    login = Login(scoped, tmp_path, "--read-only", email=user)
    done = login.run()
    assert done.returncode == 0, (done.stdout, done.stderr, login.seen)
    assert done.stdout.endswith(f"Logged in as {user} at {scoped.api_url} (read-only)\n")
    query = parse_qs(urlsplit(login.seen["address"]).query)
    assert query["client_id"] == [client_id(scoped_stack, "readOnly")]
    session = scoped.session()
    assert (session["clientId"], session["readOnly"]) == (client_id(scoped_stack, "readOnly"), True)
    assert "notes/write" not in token_claims(session["accessToken"])["scope"].split()

    listed = scoped("ls")
    assert listed.exit_code == 0, listed.output
    assert "written before" in listed.stdout
    assert "access   read only" in scoped("whoami").stdout

    refused = scoped("add", "may not be written")
    assert_one_line_error(refused, "may only read", "--read-only", "run notes login")
    assert "may not be written" not in scoped("ls").stdout
    shown = listed.stdout.splitlines()[1].split()[0]
    note_id = json.loads(scoped("ls", "--json").stdout)["notes"][0]["noteId"]
    assert note_id.startswith(shown)
    assert_one_line_error(scoped("rm", shown), f"note {note_id} was not moved to the trash", "may only read")
    assert "written before" in scoped("ls").stdout


def test_read_only_login_alone(scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path) -> None:
    log_in(scoped, tmp_path, user, "--read-only")
    listed = scoped("ls")
    assert listed.exit_code == 0, listed.output
    assert_one_line_error(scoped("add", "text"), "may only read")


def test_answers_with_another_state_are_ignored_and_the_login_goes_on(
    scoped: Notes, user: str, tmp_path: Path
) -> None:
    login = Login(scoped, tmp_path, email=user, act="forged-first")
    done = login.run()
    assert done.returncode == 0, (done.stdout, done.stderr, login.seen)
    seen = login.seen
    # The answers any page could send (the code with another state, and none) did not end the wait.
    assert seen["forgedStatus"] == [400, 400], seen
    for page in seen["forgedPages"]:
        assert "Not this sign-in" in page and "still waiting" in page
    assert done.stderr.count("Ignored a request to the callback without this login's state") == 2
    # The real answer then signed in.
    assert seen["callbackStatus"] == 200, seen
    assert "Signed in" in seen["callbackPage"]
    assert done.stdout.endswith(f"Logged in as {user} at {scoped.api_url}\n")
    assert scoped.session()["email"] == user
    assert port_is_free(browser_sign_in.CALLBACK_PORT)


def test_logout_revokes_the_refresh_token(
    scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path
) -> None:
    log_in(scoped, tmp_path, user)
    session = scoped.session()
    assert refresh_answer(scoped_stack, session).status_code == 200  # it works until the logout

    out = scoped("logout")
    assert out.exit_code == 0, out.output
    assert out.stdout == f"Logged out {user} from {scoped.api_url}\n"
    assert out.stderr == ""
    refused = refresh_answer(scoped_stack, session)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_grant"
    assert scoped.credentials()["sessions"] == {}
    assert_one_line_error(scoped("ls"), "not logged in: run notes login")


def test_an_expired_access_token_is_refreshed_at_the_token_endpoint(
    scoped: Notes, scoped_stack: Stack, user: str, tmp_path: Path, sent: list[tuple[str, str]]
) -> None:
    log_in(scoped, tmp_path, user)
    before = scoped.session()
    scoped.edit_session(accessToken="expired", expiresAt=int(time.time()) - 10)

    listed = scoped("ls")
    assert listed.exit_code == 0, listed.output
    after = scoped.session()
    domain = oauth(scoped_stack)["domain"]
    # Refreshed before the call, at the token endpoint; the API then got the new access token.
    assert sent == [(f"{domain}/oauth2/token", ""), (f"{scoped.api_url}/notes", after["accessToken"])]
    assert after["accessToken"] not in ("expired", before["accessToken"])
    assert token_claims(after["accessToken"])["token_use"] == "access"
    assert after["expiresAt"] == expiry_of(after["accessToken"]) > time.time() + 60
    assert (after["refreshToken"], after["apiToken"], after["clientId"]) == (
        before["refreshToken"],
        "access",
        before["clientId"],
    )

    # A token the API refuses is refreshed once, and the call sent again.
    sent.clear()
    scoped.edit_session(accessToken="not-a-token")
    assert scoped("ls").exit_code == 0
    renewed = scoped.session()["accessToken"]
    assert [token for url, token in sent if url.startswith(scoped.api_url)] == ["not-a-token", renewed]

    # Once the refresh token is revoked elsewhere, the session has expired.
    revoked = requests.post(
        f"{domain}/oauth2/revoke",
        data={"token": before["refreshToken"], "client_id": before["clientId"]},
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200
    scoped.edit_session(expiresAt=int(time.time()) + 30)
    assert_one_line_error(scoped("ls"), "session expired: run notes login")


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses the CLI asks to open, in-process, with no browser started."""
    opened: list[str] = []

    def record(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    return opened


@pytest.fixture
def port_taken() -> Iterator[socket.socket]:
    """Something else listening on the CLI's callback port."""
    with socket.socket() as taken:
        # Bound as the CLI binds it (connections of earlier logins may linger in TIME_WAIT).
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind((browser_sign_in.CALLBACK_HOST, browser_sign_in.CALLBACK_PORT))
        taken.listen()
        yield taken


def test_a_callback_port_in_use_is_named(
    scoped: Notes, no_browser: list[str], port_taken: socket.socket
) -> None:
    result = scoped("login")
    assert_one_line_error(result, "port 8976 is in use", "notes login")
    assert no_browser == []
    assert not scoped.credentials_path.exists()


def test_no_sign_in_in_time(scoped: Notes, no_browser: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_sign_in, "LOGIN_TIMEOUT_SECONDS", 1)
    result = scoped("login")
    assert_one_line_error(result, "no sign-in within 1 second", "not logged in")
    assert len(no_browser) == 1 and f"Open this address to sign in: {no_browser[0]}" in result.stdout
    assert not scoped.credentials_path.exists()
    assert port_is_free(browser_sign_in.CALLBACK_PORT)


def test_ctrl_c_cancels_the_wait(scoped: Notes, tmp_path: Path) -> None:
    process = Login(scoped, tmp_path, act="nothing").start()
    shown = printed_until_waiting(process)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, (shown + stdout, stderr)
    assert [line for line in stderr.splitlines() if line.strip()] == ["Error: login cancelled: not logged in"]
    assert not scoped.credentials_path.exists()
    assert port_is_free(browser_sign_in.CALLBACK_PORT)


def test_the_callback_is_the_one_the_pool_allows(scoped_stack: Stack) -> None:
    assert browser_sign_in.CALLBACK_URL == description.CLI_CALLBACK_URL
    assert browser_sign_in.CALLBACK_PORT == description.CLI_CALLBACK_PORT
    for kind in ("cli", "readOnly"):
        assert oauth(scoped_stack)["clients"][kind]["redirectUris"] == [description.CLI_CALLBACK_URL]


def test_id_token_stages_still_sign_in_with_a_password(notes: Notes) -> None:
    assert_one_line_error(notes("login"), "missing EMAIL", "notes login EMAIL")
    assert notes("login").exit_code == 2
    refused = notes("login", "me@example.com", "--read-only")
    assert_one_line_error(refused, "--read-only needs a scoped stage")
    assert refused.exit_code == 2


def test_sessions_stored_before_scoped_mode_still_load() -> None:
    older = {
        "email": "me@example.com",
        "idToken": "i",
        "accessToken": "a",
        "refreshToken": "r",
        "expiresAt": 9,
    }
    session = Session.from_json(older)
    assert session is not None
    assert (session.api_token, session.bearer, session.scoped, session.read_only) == ("id", "i", False, False)
    assert session.to_json() == older  # written back as it was
    scoped = Session.from_json(
        {**older, "apiToken": "access", "clientId": "c", "scope": "s", "readOnly": True}
    )
    assert scoped is not None
    assert (scoped.bearer, scoped.client_id, scoped.login_command) == ("a", "c", "notes login --read-only")
    assert Session.from_json(scoped.to_json()) == scoped
    assert Session.from_json({**older, "apiToken": "something else"}) is None


def test_scoped_facts_from_the_stack_file_or_the_options(scoped_stack: Stack, tmp_path: Path) -> None:
    stack_file = write_stack_file(tmp_path / "stack.json", scoped_stack.facts.to_json())
    none: dict[str, Any] = {"api": None, "region": None, "user_pool_id": None, "client_id": None}
    found = resolve(**none, stack_file=stack_file, cwd=tmp_path)
    assert (found.scoped, found.oauth_domain, found.oauth_client_id, found.read_only_client_id) == (
        True,
        oauth(scoped_stack)["domain"],
        client_id(scoped_stack, "cli"),
        client_id(scoped_stack, "readOnly"),
    )
    assert found.client_id == scoped_stack.facts.user_pool_client_id  # signup's client
    assert not resolve(**none, stack_file=write_stack_file(tmp_path / "id.json", {}), cwd=tmp_path).scoped

    # A deployed scoped stage: its sign-in domain and its two clients by option.
    deployed = resolve(
        api="https://notes.example.com",
        region=None,
        user_pool_id="eu-west-1_abc",
        client_id="cli-client",
        stack_file=stack_file,
        cwd=tmp_path,
        oauth_domain="https://notes-dev.auth.eu-west-1.amazoncognito.com/",
        read_only_client_id="read-client",
    )
    assert (deployed.oauth_domain, deployed.oauth_client_id, deployed.read_only_client_id) == (
        "https://notes-dev.auth.eu-west-1.amazoncognito.com",
        "cli-client",
        "read-client",
    )
    assert (deployed.region, deployed.local) == ("eu-west-1", False)
    assert deployed.require_oauth(read_only=True).scope == "openid notes/read"


def printed_until_waiting(process: subprocess.Popen[str]) -> str:
    """What ``notes login`` printed until it says it waits for the sign-in."""
    assert process.stdout is not None and process.stderr is not None
    shown = ""
    while "Waiting for the sign-in" not in shown:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        shown += line
    return shown
