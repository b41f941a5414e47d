"""The ``notes`` CLI against a real local stack over HTTP.

The suite's one real local stack (``make run``: the emulator on 127.0.0.1 as Cognito,
DynamoDB and S3, the ``local`` stage provisioned into it, and ``chalice local`` as the API,
which checks every token against the emulated pool), shared with the other tests over HTTP.
The CLI runs in-process through click's runner, and as a real process where that is what is
being proven.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from notes_cli import files
from notes_cli import stack as stack_module
from notes_cli.api import NotesApi
from notes_cli.credentials import config_dir, token_expiry
from notes_cli.main import cli
from notes_cli.stack import resolve
from tests.conftest import PASSWORD, ROOT
from tests.stack import Stack, free_port, send_to_s3

HOST = "127.0.0.1"


class Notes:
    """The CLI, in-process, pointed at one stack file and one private config directory."""

    def __init__(self, api_url: str, stack_file: Path, config: Path) -> None:
        self.api_url = api_url
        self.stack_file = stack_file
        self.config = config
        self.env = {"NOTES_STACK_FILE": str(stack_file), "NOTES_CONFIG_DIR": str(config)}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        """``notes ARGS...``; ``input`` is stdin (also what the password prompts read)."""
        return CliRunner().invoke(cli, list(args), input=input, env=self.env, catch_exceptions=False)

    @property
    def credentials_path(self) -> Path:
        """Where the CLI keeps the tokens."""
        return self.config / "credentials.json"

    def credentials(self) -> dict[str, Any]:
        """The credentials file's content."""
        data: dict[str, Any] = json.loads(self.credentials_path.read_text())
        return data

    def session(self) -> dict[str, Any]:
        """The session stored for the stack's API."""
        session: dict[str, Any] = self.credentials()["sessions"][self.api_url]
        return session

    def edit_session(self, **changes: Any) -> None:
        """Change fields of the stored session, as time (or a tamperer) would."""
        data = self.credentials()
        data["sessions"][self.api_url].update(changes)
        self.credentials_path.write_text(json.dumps(data))


def write_stack_file(path: Path, facts: dict[str, str]) -> Path:
    """Write ``facts`` as a stack file at ``path``."""
    path.write_text(json.dumps(facts))
    return path


@pytest.fixture
def notes(local_stack: Stack, tmp_path: Path) -> Notes:
    """The CLI pointed at the local stack, with a config directory of its own (nobody logged in)."""
    stack_file = write_stack_file(tmp_path / "stack.json", local_stack.facts.to_json())
    return Notes(local_stack.facts.api_url, stack_file, tmp_path / "config")


def write_session(config: Path, api_url: str) -> None:
    """A stored, unexpired session at ``api_url``, as if logged in there."""
    config.mkdir(mode=0o700)
    session = {
        "email": "me@example.com",
        "idToken": "x",
        "accessToken": "x",
        "refreshToken": "x",
        "expiresAt": int(time.time()) + 3600,
    }
    (config / "credentials.json").write_text(json.dumps({"version": 1, "sessions": {api_url: session}}))


def expiry_of(token: str) -> int:
    """The ``exp`` claim of a JWT (which must have one)."""
    expiry = token_expiry(token)
    assert expiry is not None, token
    return expiry


def new_email() -> str:
    """An email no account uses yet."""
    return f"cli-{uuid.uuid4().hex[:12]}@example.com"


def create_user(local_stack: Stack, email: str | None = None) -> str:
    """A confirmed account, made straight at the pool (the CLI's own signup is tested separately)."""
    email = email or new_email()
    cognito = local_stack.cognito()
    cognito.sign_up(ClientId=local_stack.facts.user_pool_client_id, Username=email, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=local_stack.facts.user_pool_id, Username=email)
    return email


@pytest.fixture
def logged_in(notes: Notes, local_stack: Stack) -> str:
    """A confirmed user, logged in through the CLI; returns the email."""
    email = create_user(local_stack)
    result = notes("login", email, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return email


def api_call(
    notes: Notes, method: str, path: str, body: dict[str, Any] | None = None, **headers: str
) -> requests.Response:
    """A request straight to the API with the CLI's stored token: what the API really holds."""
    sent = {"Authorization": notes.session()["idToken"], **headers}
    if body is not None:
        sent["Content-Type"] = "application/json"
    return requests.request(
        method,
        notes.api_url + path,
        data=json.dumps(body) if body is not None else None,
        headers=sent,
        timeout=10,
    )


def stored_note(notes: Notes, note_id: str) -> dict[str, Any]:
    """The note as the API holds it."""
    response = api_call(notes, "GET", f"/notes/{note_id}")
    assert response.status_code == 200, response.text
    note: dict[str, Any] = response.json()
    return note


def someone_else_writes_after_each_read(notes: Notes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each time the command reads a note, another client changes it before the command writes."""
    read = NotesApi.get_note

    def read_then_someone_else_writes(self: NotesApi, wanted: str) -> tuple[dict[str, Any], str]:
        found = read(self, wanted)
        changed = api_call(notes, "PATCH", f"/notes/{wanted}", {"title": "changed elsewhere"})
        assert changed.status_code == 200, changed.text
        return found

    monkeypatch.setattr(NotesApi, "get_note", read_then_someone_else_writes)


def assert_one_line_error(result: Result | subprocess.CompletedProcess[str], *expected: str) -> str:
    """A failure: non-zero exit, exactly one line on stderr, holding ``expected``, no traceback."""
    if isinstance(result, Result):
        code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    else:
        code, stdout, stderr = result.returncode, result.stdout, result.stderr
    assert code != 0, stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stdout + stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


# The whole journey.


def test_signup_confirm_login_and_every_note_command(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    cognito = local_stack.cognito()

    signed_up = notes("signup", email, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert signed_up.exit_code == 0, signed_up.output
    assert f"notes confirm {email}" in signed_up.stdout
    user = cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)
    assert user["UserStatus"] == "UNCONFIRMED"

    assert_one_line_error(
        notes("login", email, input=PASSWORD + "\n"), f"confirm first: notes confirm {email}"
    )
    assert not notes.credentials_path.exists()

    confirmed = notes("confirm", email)
    assert confirmed.exit_code == 0, confirmed.output
    assert (
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)["UserStatus"]
        == "CONFIRMED"
    )

    logged_in = notes("login", email, input=PASSWORD + "\n")
    assert logged_in.exit_code == 0, logged_in.output
    assert PASSWORD not in logged_in.output
    assert notes.session()["email"] == email

    whoami = notes("whoami")
    assert whoami.exit_code == 0, whoami.output
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    assert email in whoami.stdout and sub in whoami.stdout

    added = notes("add", "eggs, milk", "--title", "Groceries", "--tag", "home", "--tag", "shop")
    assert added.exit_code == 0, added.output
    groceries = added.stdout.strip()
    assert stored_note(notes, groceries) | {"createdAt": None, "updatedAt": None} == {
        "noteId": groceries,
        "userId": sub,
        "title": "Groceries",
        "content": "eggs, milk",
        "tags": ["home", "shop"],
        "attachment": None,
        "createdAt": None,
        "updatedAt": None,
        "version": 1,
    }

    piped = notes("add", input="line one\nline two\n")
    assert piped.exit_code == 0, piped.output
    letter = piped.stdout.strip()
    assert stored_note(notes, letter)["content"] == "line one\nline two\n"
    assert stored_note(notes, letter)["attachment"] is None

    listed = notes("ls")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(letter) and "line one" in lines[0] and "line two" not in lines[0]
    assert lines[1].startswith(groceries) and "Groceries" in lines[1] and "[home, shop]" in lines[1]
    assert stored_note(notes, groceries)["updatedAt"] in lines[1]

    shown = notes("show", groceries)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0] == "Groceries"
    for text in ("home, shop", "version     1", "eggs, milk", groceries):
        assert text in shown.stdout
    as_json = notes("show", groceries, "--json")
    assert json.loads(as_json.stdout) == stored_note(notes, groceries)

    edited = notes("edit", groceries, "--title", "Weekend groceries", "--clear-tags")
    assert edited.exit_code == 0, edited.output
    assert "version 2" in edited.stdout
    after = stored_note(notes, groceries)
    assert (after["title"], after["tags"], after["content"], after["version"]) == (
        "Weekend groceries",
        [],
        "eggs, milk",
        2,
    )

    rewritten = notes("edit", letter, "--content", "-", input="new text")
    assert rewritten.exit_code == 0, rewritten.output
    assert {k: stored_note(notes, letter)[k] for k in ("content", "title", "version")} == {
        "content": "new text",
        "title": "",
        "version": 2,
    }

    removed = notes("rm", groceries)
    assert removed.exit_code == 0, removed.output
    assert api_call(notes, "GET", f"/notes/{groceries}").status_code == 404
    remaining = notes("ls").stdout.splitlines()
    assert len(remaining) == 1 and remaining[0].startswith(letter)


def run_notes(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m notes_cli.main`` as a real process, without a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "notes_cli.main", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        # No controlling terminal, so the password prompt reads the piped stdin.
        start_new_session=True,
        check=False,
    )


def test_the_cli_works_as_a_real_process(notes: Notes, local_stack: Stack, tmp_path: Path) -> None:
    email = create_user(local_stack)
    env = {**os.environ, **notes.env}

    login = run_notes(["login", email], env, stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert f"Logged in as {email}" in login.stdout

    added = run_notes(["add", "--title", "From a pipe"], env, stdin="piped content\n")
    assert added.returncode == 0, added.stderr
    note_id = added.stdout.strip()
    assert stored_note(notes, note_id)["content"] == "piped content\n"

    listed = run_notes(["ls", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [note["noteId"] for note in json.loads(listed.stdout)["notes"]] == [note_id]

    missing = run_notes(["show", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"], env)
    assert_one_line_error(missing, "404", "not found")

    dead_url = f"http://{HOST}:{free_port()}"
    dead_config = tmp_path / "dead-config"
    write_session(dead_config, dead_url)
    unreachable = run_notes(["--api", dead_url, "ls"], {**env, "NOTES_CONFIG_DIR": str(dead_config)})
    assert_one_line_error(unreachable, f"cannot reach the API at {dead_url}", "make run")


# Accounts and sessions.


def test_login_with_a_wrong_password_or_unknown_email(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    assert_one_line_error(notes("login", email, input="Wrong-Horse-Battery-9\n"), "wrong email or password")
    assert_one_line_error(notes("login", new_email(), input=PASSWORD + "\n"), "wrong email or password")
    assert not notes.credentials_path.exists()


def test_signup_with_a_weak_password_is_refused(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    assert_one_line_error(notes("signup", email, input="short1!\nshort1!\n"), "password rejected")
    cognito = local_stack.cognito()
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)


def test_confirm_with_a_code(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    cognito = local_stack.cognito()
    cognito.sign_up(ClientId=local_stack.facts.user_pool_client_id, Username=email, Password=PASSWORD)
    result = notes("confirm", email, "--code", "123456")
    assert result.exit_code == 0, result.output
    assert (
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)["UserStatus"]
        == "CONFIRMED"
    )
    assert_one_line_error(notes("confirm", new_email()), "no account for", "notes signup")


def test_signup_twice_says_the_account_exists(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    assert_one_line_error(
        notes("signup", email, input=f"{PASSWORD}\n{PASSWORD}\n"), "already exists", f"notes login {email}"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["whoami"],
        ["ls"],
        ["add", "text"],
        ["show", "x"],
        ["rm", "x"],
        ["attach", "x", str(ROOT / "pyproject.toml")],
        ["download", "x"],
        ["detach", "x"],
    ],
)
def test_commands_need_a_login(notes: Notes, command: list[str]) -> None:
    assert_one_line_error(notes(*command), "not logged in: run notes login EMAIL")


def test_credentials_file_is_private_and_keyed_by_api(
    notes: Notes, logged_in: str, local_stack: Stack
) -> None:
    assert stat.S_IMODE(notes.credentials_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(notes.config.stat().st_mode) == 0o700
    assert list(notes.credentials()["sessions"]) == [local_stack.facts.api_url]
    session = notes.session()
    assert session["expiresAt"] == expiry_of(session["idToken"]) > time.time()

    # A session at another API (a deployed stage, say) is kept apart and survives logging out here.
    other = "https://notes.example.com/api"
    data = notes.credentials()
    data["sessions"][other] = {**session, "email": "me@example.com"}
    notes.credentials_path.write_text(json.dumps(data))

    out = notes("logout")
    assert out.exit_code == 0, out.output
    assert f"Logged out {logged_in}" in out.stdout
    assert list(notes.credentials()["sessions"]) == [other]
    assert stat.S_IMODE(notes.credentials_path.stat().st_mode) == 0o600
    assert_one_line_error(notes("whoami"), "not logged in")


@pytest.fixture
def sent_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Authorization header of every request the CLI sends, in order."""
    tokens: list[str] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        tokens.append((kwargs.get("headers") or {}).get("Authorization", ""))
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return tokens


def test_an_expired_token_is_refreshed_before_the_call_and_saved(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    before = notes.session()
    notes.edit_session(idToken="expired", expiresAt=int(time.time()) - 10)

    result = notes("whoami")
    assert result.exit_code == 0, result.output
    assert logged_in in result.stdout
    after = notes.session()
    # One request, already with the new token: refreshed before the call, not after a 401.
    assert sent_tokens == [after["idToken"]]
    assert after["idToken"] not in ("expired", before["idToken"])
    assert after["expiresAt"] == expiry_of(after["idToken"]) > time.time() + 60
    assert after["refreshToken"] == before["refreshToken"]


def test_a_token_about_to_expire_is_refreshed_too(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    before = notes.session()
    notes.edit_session(expiresAt=int(time.time()) + 30)
    assert notes("ls").exit_code == 0
    assert sent_tokens == [notes.session()["idToken"]] != [before["idToken"]]


def test_a_token_the_api_refuses_is_refreshed_once(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    notes.edit_session(idToken="not-a-token")  # its expiry is still in the future
    result = notes("ls")
    assert result.exit_code == 0, result.output
    assert sent_tokens == ["not-a-token", notes.session()["idToken"]]


def test_a_session_that_cannot_be_refreshed_has_expired(notes: Notes, logged_in: str) -> None:
    notes.edit_session(refreshToken="revoked", expiresAt=int(time.time()) + 30)
    assert_one_line_error(notes("ls"), f"session expired: run notes login {logged_in}")


# Notes.


def test_edit_refuses_to_overwrite_a_change_made_meanwhile(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "original", "--title", "mine").stdout.strip()
    someone_else_writes_after_each_read(notes, monkeypatch)
    assert_one_line_error(
        notes("edit", note_id, "--title", "my edit"),
        "the note changed since you read it (version 1); run the command again",
    )
    stored = stored_note(notes, note_id)
    assert (stored["title"], stored["content"], stored["version"]) == ("changed elsewhere", "original", 2)


def test_edit_needs_something_to_change(notes: Notes, logged_in: str) -> None:
    note_id = notes("add", "text").stdout.strip()
    assert_one_line_error(notes("edit", note_id), "nothing to change")
    assert_one_line_error(notes("edit", note_id, "--tag", "a", "--clear-tags"), "contradict")
    assert stored_note(notes, note_id)["version"] == 1


def test_add_needs_content(notes: Notes, logged_in: str) -> None:
    assert_one_line_error(notes("add", input=""), "no content")
    assert api_call(notes, "GET", "/notes").json()["notes"] == []


def test_ls_pages_and_all(notes: Notes, logged_in: str) -> None:
    ids = [notes("add", f"note {n}").stdout.strip() for n in range(3)]
    newest_first = ids[::-1]

    page = notes("ls", "--limit", "2")
    assert page.exit_code == 0, page.output
    assert [line.split()[0] for line in page.stdout.splitlines()] == newest_first[:2]
    assert "more notes follow" in page.stderr

    every = notes("ls", "--limit", "1", "--all")
    assert [line.split()[0] for line in every.stdout.splitlines()] == newest_first
    assert "more notes follow" not in every.stderr

    as_json = json.loads(notes("ls", "--all", "--json").stdout)
    assert [note["noteId"] for note in as_json["notes"]] == newest_first
    assert as_json["nextCursor"] is None


def test_api_errors_show_status_and_message(notes: Notes, logged_in: str) -> None:
    assert_one_line_error(
        notes("show", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"), "404 NotFoundError", "not found"
    )
    assert_one_line_error(notes("add", "text", "--title", "t" * 201), "400 BadRequestError", "title")
    assert api_call(notes, "GET", "/notes").json()["notes"] == []


def test_an_unexpected_exception_is_one_line(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: NotesApi) -> dict[str, Any]:
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(NotesApi, "me", broken)
    assert_one_line_error(notes("whoami"), "unexpected error (RuntimeError): something unforeseen")


# Attachments.


def write_file(path: Path, size: int) -> bytes:
    """A file of ``size`` random bytes at ``path``; its content."""
    data = os.urandom(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def bucket_keys(local_stack: Stack, prefix: str = "") -> list[str]:
    """Every key the bucket holds under ``prefix``."""
    listed = local_stack.client("s3").list_objects_v2(Bucket=local_stack.facts.bucket_name, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def note_keys(local_stack: Stack, notes: Notes, note_id: str) -> list[str]:
    """The keys of one note's files and uploads."""
    sub = api_call(notes, "GET", "/me").json()["userId"]
    return [key for key in bucket_keys(local_stack) if key.split("/")[1:3] == [sub, note_id]]


@pytest.fixture
def sent_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every request the CLI sends, in order."""
    urls: list[str] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        urls.append(f"{method} {url}")
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return urls


def test_attach_show_download_and_detach(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "my receipts", "--title", "Receipts").stdout.strip()
    data = write_file(tmp_path / "files" / "receipt 2024.pdf", 300_000)

    attached = notes("attach", note_id, str(tmp_path / "files" / "receipt 2024.pdf"))
    assert attached.exit_code == 0, attached.output
    assert attached.stderr == ""  # no progress bar when stderr is not a terminal
    stored = stored_note(notes, note_id)
    attachment = stored["attachment"]
    assert attachment == {
        "name": "receipt 2024.pdf",
        "size": 300_000,
        "contentType": "application/pdf",
        "uploadedAt": attachment["uploadedAt"],
    }
    assert stored["version"] == 2
    line = f"receipt 2024.pdf  300,000 bytes  application/pdf  uploaded {attachment['uploadedAt']}"
    assert attached.stdout == f"attached to {note_id} (version 2): {line}\n"
    assert len(note_keys(local_stack, notes, note_id)) == 1  # the file, and no upload left behind

    shown = notes("show", note_id)
    assert shown.exit_code == 0, shown.output
    assert f"  attachment  {line}\n" in shown.stdout

    # Saved under its own name in the current folder, with the same bytes.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    saved = notes("download", note_id)
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "saved receipt 2024.pdf (300,000 bytes)\n"
    assert (here / "receipt 2024.pdf").read_bytes() == data

    # Never over an existing file, unless --force (which leaves nothing else behind).
    (here / "receipt 2024.pdf").write_bytes(b"mine")
    assert_one_line_error(notes("download", note_id), "receipt 2024.pdf already exists", "--force", "-o")
    assert (here / "receipt 2024.pdf").read_bytes() == b"mine"
    forced = notes("download", note_id, "--force")
    assert forced.exit_code == 0, forced.output
    assert (here / "receipt 2024.pdf").read_bytes() == data
    assert sorted(path.name for path in here.iterdir()) == ["receipt 2024.pdf"]

    # -o: a file, or a folder to save it in under its own name.
    to_file = notes("download", note_id, "-o", str(tmp_path / "copy.bin"))
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == f"saved {tmp_path / 'copy.bin'} (300,000 bytes)\n"
    assert (tmp_path / "copy.bin").read_bytes() == data
    assert_one_line_error(notes("download", note_id, "-o", str(tmp_path / "copy.bin")), "already exists")
    folder = tmp_path / "folder"
    folder.mkdir()
    into_folder = notes("download", note_id, "--output", str(folder))
    assert into_folder.exit_code == 0, into_folder.output
    assert (folder / "receipt 2024.pdf").read_bytes() == data

    detached = notes("detach", note_id)
    assert detached.exit_code == 0, detached.output
    assert detached.stdout == f"detached receipt 2024.pdf from {note_id}\n"
    assert stored_note(notes, note_id)["attachment"] is None
    assert note_keys(local_stack, notes, note_id) == []
    assert "attachment" not in notes("show", note_id).stdout
    assert_one_line_error(notes("download", note_id), "404", "has no attachment")
    assert_one_line_error(notes("detach", note_id), f"note {note_id} has no attachment")
    assert (here / "receipt 2024.pdf").read_bytes() == data


def test_attach_guesses_the_type_and_replaces_the_file(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "notes.txt", 10)
    data = write_file(tmp_path / "blob", 2_000)

    assert notes("attach", note_id, str(tmp_path / "notes.txt")).exit_code == 0
    assert stored_note(notes, note_id)["attachment"]["contentType"] == "text/plain"
    replaced = notes("attach", note_id, str(tmp_path / "blob"))
    assert replaced.exit_code == 0, replaced.output
    stored = stored_note(notes, note_id)
    assert {key: stored["attachment"][key] for key in ("name", "size", "contentType")} == {
        "name": "blob",
        "size": 2_000,
        "contentType": "application/octet-stream",
    }
    assert stored["version"] == 3
    assert len(note_keys(local_stack, notes, note_id)) == 1  # the replaced file is gone
    assert notes("download", note_id, "-o", str(tmp_path / "back")).exit_code == 0
    assert (tmp_path / "back").read_bytes() == data


def test_attach_refuses_a_file_before_sending_it(
    notes: Notes, logged_in: str, tmp_path: Path, sent_urls: list[str]
) -> None:
    note_id = notes("add", "text").stdout.strip()
    sent_urls.clear()
    (tmp_path / "empty.txt").touch()
    (tmp_path / "folder").mkdir()
    huge = tmp_path / "huge.iso"
    with huge.open("wb") as sparse:
        sparse.truncate(5 * 1024**3 + 1)

    assert_one_line_error(notes("attach", note_id, str(tmp_path / "empty.txt")), "empty.txt is empty")
    assert_one_line_error(notes("attach", note_id, str(tmp_path / "folder")), "folder is not a regular file")
    assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "missing.txt")), "cannot read", "No such file or directory"
    )
    assert_one_line_error(notes("attach", note_id, str(huge)), "5,368,709,121 bytes", "no file over")
    assert sent_urls == []  # not even the API was asked

    # Over the stage's own limit: the API refuses the upload before a byte of it is sent.
    large = tmp_path / "large.bin"
    with large.open("wb") as sparse:
        sparse.truncate(10 * 1024**2 + 1)
    assert_one_line_error(
        notes("attach", note_id, str(large)),
        "400 BadRequestError",
        "field 'size' must be from 1 to 10,485,760",
    )
    assert [url.split()[0] for url in sent_urls] == ["POST"]
    assert stored_note(notes, note_id)["attachment"] is None


def test_attach_shows_the_api_refusing_the_upload(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    # The file never reaches the bucket: attaching it is a 400 from the API.
    monkeypatch.setattr(files.Upload, "send", lambda self, http, progress: None)
    assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "a.txt")),
        "400 BadRequestError",
        "holds no file for this note",
    )
    assert stored_note(notes, note_id)["attachment"] is None
    assert_one_line_error(
        notes("attach", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f", str(tmp_path / "a.txt")), "404", "not found"
    )


def spoil_upload_url(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """Every upload the API hands out goes to ``change(url)`` instead."""
    start = NotesApi.start_upload

    def spoiled(self: NotesApi, *args: Any) -> dict[str, Any]:
        form = start(self, *args)
        return {**form, "url": change(form["url"])}

    monkeypatch.setattr(NotesApi, "start_upload", spoiled)


def test_attach_shows_s3_refusing_the_upload(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    spoil_upload_url(monkeypatch, lambda url: url.replace(local_stack.facts.bucket_name, "no-such-bucket"))
    assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "a.txt")),
        "S3 refused the upload (404 NoSuchBucket): The specified bucket does not exist",
    )
    assert stored_note(notes, note_id)["attachment"] is None


def test_attach_and_download_say_when_s3_cannot_be_reached(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_http: None
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    dead = f"http://{HOST}:{free_port()}"

    def elsewhere(url: str) -> str:
        return dead + url[url.index("/", len("http://")) :]

    spoil_upload_url(monkeypatch, elsewhere)
    line = assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "a.txt")), f"cannot reach S3 at {dead} (connection refused"
    )
    assert stored_note(notes, note_id)["attachment"] is None
    monkeypatch.undo()

    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    link = NotesApi.download_link

    def link_elsewhere(self: NotesApi, wanted: str) -> dict[str, Any]:
        found = link(self, wanted)
        return {**found, "url": elsewhere(found["url"])}

    monkeypatch.setattr(NotesApi, "download_link", link_elsewhere)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").unlink()
    line = assert_one_line_error(notes("download", note_id), f"cannot reach S3 at {dead} (connection refused")
    assert "Signature" not in line and "?" not in line  # the presigned URL is never shown
    assert not (tmp_path / "a.txt").exists()


def test_download_shows_s3_refusing_and_leaves_nothing_behind(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    for key in note_keys(local_stack, notes, note_id):  # the file vanishes behind the API's back
        local_stack.client("s3").delete_object(Bucket=local_stack.facts.bucket_name, Key=key)
    out = tmp_path / "out"
    out.mkdir()
    for force in ([], ["--force"]):
        line = assert_one_line_error(notes("download", note_id, "-o", str(out / "a.txt"), *force))
        # S3's status, its code and its message (which status depends on who may list the bucket).
        assert re.search(r"S3 refused the download \(4\d\d [A-Za-z]+\): \w", line), line
    assert list(out.iterdir()) == []


def test_download_checks_the_size(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    link = NotesApi.download_link
    monkeypatch.setattr(NotesApi, "download_link", lambda self, wanted: {**link(self, wanted), "size": 101})
    out = tmp_path / "out"
    out.mkdir()
    assert_one_line_error(
        notes("download", note_id, "-o", str(out / "a.txt")), "the download holds 100 bytes, not the 101"
    )
    assert list(out.iterdir()) == []


def test_download_never_replaces_a_folder(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    here = tmp_path / "here"
    (here / "a.txt").mkdir(parents=True)
    monkeypatch.chdir(here)
    assert_one_line_error(notes("download", note_id), "a.txt already exists", "--force")
    assert_one_line_error(notes("download", note_id, "--force"), "cannot write a.txt", "directory")
    assert [path.name for path in here.iterdir()] == ["a.txt"] and (here / "a.txt").is_dir()


def attach_named(notes: Notes, note_id: str, name: str, data: bytes) -> None:
    """Attach ``data`` under ``name`` straight through the API, as another client could."""
    upload = api_call(
        notes,
        "POST",
        f"/notes/{note_id}/attachment",
        {"name": name, "contentType": "text/plain", "size": len(data)},
    )
    assert upload.status_code == 201, upload.text
    form = upload.json()
    sent = send_to_s3(form, data)
    assert sent.status_code in (200, 201, 204), sent.text
    attached = api_call(notes, "PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
    assert attached.status_code == 200, attached.text


@pytest.mark.parametrize("name", [".", "..", "x" * 200 + "é" * 50])
def test_download_asks_for_a_path_when_the_name_is_not_safe_here(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    note_id = notes("add", "text").stdout.strip()
    attach_named(notes, note_id, name, b"some text")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert_one_line_error(notes("download", note_id), "-o PATH", "is not a safe file name here")
    assert_one_line_error(notes("download", note_id, "-o", str(here)), "-o PATH")
    assert list(here.iterdir()) == []
    saved = notes("download", note_id, "-o", "safe.txt")
    assert saved.exit_code == 0, saved.output
    assert (here / "safe.txt").read_bytes() == b"some text"


def test_detach_refuses_when_the_note_changed_meanwhile(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    someone_else_writes_after_each_read(notes, monkeypatch)
    assert_one_line_error(
        notes("detach", note_id), "the note changed since you read it (version 2); run the command again"
    )
    assert stored_note(notes, note_id)["attachment"]["name"] == "a.txt"


class RecordingReader(io.BufferedReader):
    """A file that remembers how much each read asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(io.FileIO(path))
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.reads.append(len(data))
        return data


def test_an_upload_streams_the_file_and_reports_its_progress(
    notes: Notes, logged_in: str, tmp_path: Path, real_http: None
) -> None:
    note_id = notes("add", "text").stdout.strip()
    data = write_file(tmp_path / "big.bin", 3 * 1024**2)
    form = api_call(
        notes,
        "POST",
        f"/notes/{note_id}/attachment",
        {"name": "big.bin", "contentType": "x/y", "size": len(data)},
    ).json()
    progress: list[int] = []
    with RecordingReader(tmp_path / "big.bin") as file:
        upload = files.Upload(form, file, "big.bin", "x/y")
        upload.send(requests.Session(), progress.append)
    assert sum(file.reads) == len(data)
    assert max(file.reads) <= 1024**2  # read piece by piece as it is sent, never whole
    assert sum(progress) == upload.length > len(data)
    assert len(progress) > 10 and all(step >= 0 for step in progress)
    attached = api_call(notes, "PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
    assert attached.status_code == 200, attached.text
    assert notes("download", note_id, "-o", str(tmp_path / "back.bin")).exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == data


def run_with_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """``python -m notes_cli.main`` as a real process whose stderr is a terminal: (status, stdout,
    what the terminal showed)."""
    main, side = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "notes_cli.main", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=side,
        start_new_session=True,
    ) as process:
        os.close(side)
        shown = bytearray()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the process closed the terminal: it is done
                break
            if not chunk:
                break
            shown += chunk
        os.close(main)
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        status = process.wait(timeout=10)
    return status, stdout, shown.decode(errors="replace")


def test_a_terminal_shows_the_progress(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    note_id = notes("add", "text").stdout.strip()
    data = write_file(tmp_path / "photo.jpg", 2 * 1024**2)
    env = {**os.environ, **notes.env}

    status, stdout, shown = run_with_a_terminal(["attach", note_id, str(tmp_path / "photo.jpg")], env)
    assert status == 0, shown
    assert "uploading photo.jpg" in shown and "100%" in shown
    assert stdout.startswith(f"attached to {note_id} (version 2): photo.jpg  2,097,152 bytes  image/jpeg")

    status, stdout, shown = run_with_a_terminal(["download", note_id, "-o", str(tmp_path / "back.jpg")], env)
    assert status == 0, shown
    assert "downloading photo.jpg" in shown and "100%" in shown
    assert stdout == f"saved {tmp_path / 'back.jpg'} (2,097,152 bytes)\n"
    assert (tmp_path / "back.jpg").read_bytes() == data


# Where the CLI connects.


def test_an_api_that_is_not_running(notes: Notes, local_stack: Stack, tmp_path: Path) -> None:
    dead_url = f"http://{HOST}:{free_port()}"
    write_stack_file(notes.stack_file, {**local_stack.facts.to_json(), "apiUrl": dead_url})
    write_session(notes.config, dead_url)
    assert_one_line_error(notes("ls"), f"cannot reach the API at {dead_url}", "make run")


def test_an_emulator_that_is_not_running(notes: Notes, local_stack: Stack) -> None:
    dead_endpoint = f"http://{HOST}:{free_port()}"
    write_stack_file(notes.stack_file, {**local_stack.facts.to_json(), "awsEndpoint": dead_endpoint})
    assert_one_line_error(
        notes("signup", new_email(), input=f"{PASSWORD}\n{PASSWORD}\n"),
        f"cannot reach Cognito at {dead_endpoint}",
    )


def test_without_a_stack_file_or_options_it_says_how_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    env = {"NOTES_CONFIG_DIR": str(tmp_path / "config"), "NOTES_STACK_FILE": None}
    for command in (["ls"], ["login", "me@example.com"], ["signup", "me@example.com"]):
        result = CliRunner().invoke(cli, command, env=env, catch_exceptions=False)
        assert_one_line_error(result, "make run", "--api")


def test_a_deployed_stage_needs_the_emailed_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    options = ["--api", "https://notes.example.com", "--user-pool-id", "eu-west-1_abc", "--client-id", "abc"]
    result = CliRunner().invoke(cli, [*options, "confirm", "me@example.com"], catch_exceptions=False)
    assert_one_line_error(result, "confirmation code is needed", "--code")


def test_stack_file_lookup_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    outside.mkdir()
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", outside)
    facts = {
        "apiUrl": "http://127.0.0.1:8000/",
        "awsEndpoint": "http://127.0.0.1:8001",
        "region": "us-east-1",
        "userPoolId": "us-east-1_local",
        "userPoolClientId": "local-client",
    }
    (project / ".local").mkdir(parents=True)
    write_stack_file(project / ".local" / "stack.json", facts)
    nested = project / "a" / "b"
    nested.mkdir(parents=True)
    none: dict[str, Any] = {"api": None, "region": None, "user_pool_id": None, "client_id": None}

    found = resolve(**none, stack_file=None, cwd=nested)
    assert (found.api_url, found.aws_endpoint, found.client_id, found.local) == (
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8001",
        "local-client",
        True,
    )
    assert resolve(**{**none, "api": "http://127.0.0.1:9000"}, stack_file=None, cwd=nested).api_url == (
        "http://127.0.0.1:9000"
    )
    # Another pool is not in the emulator: its facts come from the options, its endpoint is AWS's.
    deployed = resolve(
        **{**none, "api": "https://x.example.com", "user_pool_id": "eu-west-1_abc", "client_id": "c"},
        stack_file=None,
        cwd=nested,
    )
    assert (deployed.region, deployed.aws_endpoint, deployed.local) == ("eu-west-1", None, False)
    assert resolve(**none, stack_file=None, cwd=outside).api_url is None
    # Else the repository's own stack file.
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", project)
    assert resolve(**none, stack_file=None, cwd=outside).api_url == "http://127.0.0.1:8000"


def test_config_dir_follows_the_environment(tmp_path: Path) -> None:
    assert config_dir({"NOTES_CONFIG_DIR": str(tmp_path)}) == tmp_path
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "notes"
    assert config_dir({"XDG_CONFIG_HOME": "relative"}) == Path.home() / ".config" / "notes"
    assert config_dir({}) == Path.home() / ".config" / "notes"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = ("signup", "confirm", "login", "logout", "whoami", "add", "ls", "show", "edit", "rm")
    for command in (*commands, "attach", "download", "detach"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize("command", ["add", "edit"])
def test_the_attachment_is_no_note_field_on_the_command_line(command: str) -> None:
    shown = CliRunner().invoke(cli, [command, "--help"])
    assert shown.exit_code == 0
    assert "--attachment" not in shown.stdout and "--clear-attachment" not in shown.stdout
    assert "notes attach" in shown.stdout
    refused = CliRunner().invoke(cli, [command, "x", "--attachment", "key"])
    assert refused.exit_code == 2 and "No such option '--attachment'" in refused.stderr
