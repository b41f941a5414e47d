"""What the CLI's tests share that is not a fixture: the CLI as a callable, the API as it
really is, and how a failure must look."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from notes_cli.api import NotesApi
from notes_cli.credentials import token_expiry
from notes_cli.main import cli
from tests.conftest import PASSWORD, ROOT
from tests.stack import Stack

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


def shown_ids(stdout: str) -> list[str]:
    """The ids a listing shows (``ls``, ``search``, ``trash``): each line's first column, the header
    and a found note's indented snippet left out."""
    return [line.split()[0] for line in stdout.splitlines()[1:] if line and not line[0].isspace()]


def full_ids(shown: list[str], ids: Iterable[str]) -> list[str]:
    """The whole id each of ``shown`` stands for among ``ids``: each must start exactly one of them
    and be at least 8 characters long, as notes ls shows ids."""
    known = list(ids)
    found = []
    for start in shown:
        matches = [note_id for note_id in known if note_id.startswith(start)]
        assert len(start) >= 8 and len(matches) == 1, (start, matches)
        found.append(matches[0])
    return found


def write_stack_file(path: Path, facts: dict[str, str]) -> Path:
    """Write ``facts`` as a stack file at ``path``."""
    path.write_text(json.dumps(facts))
    return path


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


def someone_else_writes_after_the_first_read(notes: Notes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first time the command reads a note, another client changes it before the command writes
    (once: what the command reads after that is the note as it now is)."""
    read = NotesApi.get_note
    written: list[str] = []

    def read_then_someone_else_writes(self: NotesApi, wanted: str) -> tuple[dict[str, Any], str]:
        found = read(self, wanted)
        if not written:
            changed = api_call(notes, "PATCH", f"/notes/{wanted}", {"title": "changed elsewhere"})
            assert changed.status_code == 200, changed.text
            written.append(wanted)
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


def write_file(path: Path, size: int) -> bytes:
    """A file of ``size`` random bytes at ``path``; its content."""
    data = os.urandom(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def no_account(local_stack: Stack, email: str) -> bool:
    """Whether the pool has no account for ``email``."""
    cognito = local_stack.cognito()
    try:
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        return True
    return False


def as_a_process(args: list[str], env: dict[str, str], **options: Any) -> dict[str, Any]:
    """The arguments that run ``python -m notes_cli.main ARGS`` as a real process, in a session of its
    own (no controlling terminal: a prompt reads the process's stdin), with ``options`` besides."""
    command = [sys.executable, "-m", "notes_cli.main", *args]
    return {"args": command, "cwd": ROOT, "env": env, "start_new_session": True, **options}
