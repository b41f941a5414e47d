"""`make run` keeps its data: the real stack stopped and started again on the same saved state.

Each test runs its own stacks on a folder of its own (the saved state lives there, never in the
tree). What a person sees is asserted: the same account and ``sub``, an old token still good,
the notes and the file, and the lines the stack prints.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from local_stack import state_file as local_state
from local_stack.__main__ import Stop, _raise_stop
from local_stack.emulator import Mounts, OneAtATime
from local_stack.keeper import SAVE_INTERVAL_SECONDS, StateKeeper
from tests.conftest import PASSWORD, ROOT
from tests.stack import MAKE, Stack, port_is_free, processes_mentioning, running_stack, send_to_s3

TIMEOUT = 10


def sign_in(stack: Stack, email: str) -> str:
    """An ID token for an existing user, with the password."""
    auth = stack.cognito().initiate_auth(
        ClientId=stack.facts.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return str(auth["AuthenticationResult"]["IdToken"])


def sub_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def call(stack: Stack, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{stack.facts.api_url}{path}", headers={"Authorization": token}, timeout=TIMEOUT, **kwargs
    )


def notes_of(stack: Stack, token: str) -> list[str]:
    response = call(stack, token, "GET", "/notes")
    assert response.status_code == 200, response.text
    return [note["content"] for note in response.json()["notes"]]


def attach(stack: Stack, token: str, note_id: str, data: bytes) -> None:
    path = f"/notes/{note_id}/attachment"
    asked = call(
        stack, token, "POST", path, json={"name": "kept.bin", "contentType": "x/y", "size": len(data)}
    )
    assert asked.status_code == 201, asked.text
    form = asked.json()
    sent = send_to_s3(form, data)
    assert sent.status_code in (200, 204), sent.text
    assert call(stack, token, "PUT", path, json={"uploadId": form["uploadId"]}).status_code == 200


def download(stack: Stack, token: str, note_id: str) -> bytes:
    link = call(stack, token, "GET", f"/notes/{note_id}/attachment")
    assert link.status_code == 200, link.text
    return requests.get(link.json()["url"], timeout=TIMEOUT).content


def wait_until_gone(stack: Stack) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not (
        port_is_free(stack.port) and port_is_free(stack.emulator_port)
    ):
        time.sleep(0.1)
    assert processes_mentioning(f"--port {stack.port}") == []


def test_accounts_notes_and_files_survive_a_restart(tmp_path: Path) -> None:
    email = f"kept-{uuid.uuid4().hex[:8]}@example.com"
    data = os.urandom(3000)
    with running_stack(tmp_path) as first:
        assert "starting empty: no data saved yet" in first.output.text()
        token = first.id_token(email)
        ids = [
            call(first, token, "POST", "/notes", json={"content": f"note {i}"}).json()["noteId"]
            for i in (1, 2)
        ]
        attach(first, token, ids[0], data)
        output = first.interrupt()
    assert f"your data is saved in {tmp_path / 'state.pickle'}" in output
    wait_until_gone(first)

    with running_stack(tmp_path) as second:
        assert f"loaded the data saved in {tmp_path / 'state.pickle'}" in second.output.text()
        # The token issued before the restart still verifies: same pool, client and signing key, the
        # pool's own (saved with its data), which its JWKS publishes alone.
        assert notes_of(second, token) == ["note 2", "note 1"]
        jwks = requests.get(
            f"{second.facts.aws_endpoint}/{second.facts.user_pool_id}/.well-known/jwks.json", timeout=TIMEOUT
        ).json()
        assert [key["kid"] for key in jwks["keys"]] == [jwt.get_unverified_header(token)["kid"]]
        assert jwks["keys"][0]["kid"] != "dummy"
        assert download(second, token, ids[0]) == data
        again = sign_in(second, email)  # the old password
        assert sub_of(again) == sub_of(token)
        assert call(second, again, "GET", "/me").json()["userId"] == sub_of(token)
        assert (second.facts.user_pool_id, second.facts.user_pool_client_id) == (
            first.facts.user_pool_id,
            first.facts.user_pool_client_id,
        )
        second.interrupt()


def test_a_killed_stack_keeps_what_was_written_a_few_seconds_before(tmp_path: Path) -> None:
    with running_stack(tmp_path) as first:
        token = first.id_token(f"killed-{uuid.uuid4().hex[:8]}@example.com")
        assert call(first, token, "POST", "/notes", json={"content": "written"}).status_code == 201
        time.sleep(SAVE_INTERVAL_SECONDS + 1.5)
        os.killpg(first.process.pid, signal.SIGKILL)  # the whole group: make and the stack
        first.process.wait(TIMEOUT)
        wait_until_gone(first)  # the API went with it: nothing holds the port

    with running_stack(tmp_path) as second:
        assert notes_of(second, token) == ["written"]
        second.interrupt()


def test_an_unreadable_state_is_set_aside_and_the_stack_starts_empty(tmp_path: Path) -> None:
    state = tmp_path / "state.pickle"
    state.write_bytes(b"notes local state\n{not json}\n")
    with running_stack(tmp_path) as stack:
        printed = stack.output.text()
        [aside] = tmp_path.glob("state.unreadable-*.pickle")
        assert f"cannot be loaded (its header is not readable); it is kept as {aside}" in printed
        assert aside.read_bytes() == b"notes local state\n{not json}\n"  # set aside, never deleted
        token = stack.id_token(f"after-{uuid.uuid4().hex[:8]}@example.com")
        assert notes_of(stack, token) == []
        stack.interrupt()
    assert state.exists()  # the new state replaced nothing it should have kept


def test_fresh_starts_empty_and_keeps_the_previous_state(tmp_path: Path) -> None:
    email = f"fresh-{uuid.uuid4().hex[:8]}@example.com"
    with running_stack(tmp_path) as first:
        token = first.id_token(email)
        first.interrupt()
    saved = (tmp_path / "state.pickle").read_bytes()

    with running_stack(tmp_path, "FRESH=1") as fresh:
        previous = tmp_path / "state.pickle.previous"
        assert f"starting empty (FRESH=1); the data saved before is kept as {previous}" in fresh.output.text()
        assert previous.read_bytes() == saved
        cognito = fresh.cognito()
        with pytest.raises(cognito.exceptions.ClientError):
            sign_in(fresh, email)
        # The new pool has the same id but a signing key of its own: the old data's tokens are refused.
        assert call(fresh, token, "GET", "/me").status_code == 401
        fresh.interrupt()


def test_make_reset_deletes_the_saved_data_and_says_so(tmp_path: Path) -> None:
    state = tmp_path / "state.pickle"
    state.write_bytes(b"anything")

    def reset() -> str:
        done = subprocess.run(
            [MAKE, "--no-print-directory", "reset", f"STATE={state}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    assert f"deleted {state}: the next make run starts empty" in reset()
    assert not state.exists()
    assert "no data saved" in reset()


def test_the_api_starts_quietly(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        stack.printed("Ctrl-C stops everything")
        printed = stack.interrupt()
    for noise in ("Override settings for pynamo", "Using Default settings", "Serving on", "Found endpoint"):
        assert noise not in printed
    assert "notes is running on this machine" in printed


# ---- the state file itself, in-process ----------------------------------------------------------


def test_a_save_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    local_state.save(path, b"first")
    local_state.save(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["state.pickle"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[:-10], "checksum"),  # cut short
        (lambda data: data.replace(b'"format": 1', b'"format": 9'), "format 9"),
        (lambda data: data.replace(b'"emulator": "', b'"emulator": "0.'), "emulator version 0."),
        (lambda data: b"PK\x03\x04" + data, "not a state file"),
    ],
    ids=["torn", "other format", "other emulator", "another file"],
)
def test_a_damaged_or_foreign_state_is_refused_with_the_reason(
    tmp_path: Path, damage: Any, reason: str
) -> None:
    path = tmp_path / "state.pickle"
    # Every check comes before anything is put into the emulator: this process's is left alone.
    path.write_bytes(damage(local_state.snapshot()))
    with pytest.raises(local_state.UnreadableState, match=reason):
        local_state.load(path)
    aside = local_state.set_aside(path)
    assert not path.exists() and aside.exists() and "unreadable" in aside.name


def test_a_ctrl_c_passes_through_code_that_catches_exceptions() -> None:
    """A Ctrl-C that lands in a library's ``except Exception`` while make run starts still stops it."""
    with pytest.raises(Stop):
        try:
            _raise_stop(signal.SIGINT, None)
        except Exception:  # noqa: S110 - what such a library does
            pass


def test_every_write_is_saved_and_only_the_emulators_wake_its_listeners(tmp_path: Path) -> None:
    """A write a mounted app answers (the sign-in server's codes and tokens) is saved like any
    other, but wakes no stream feeder: no table changed."""
    keeper = StateKeeper(tmp_path / "state.pickle")
    woken: list[str] = []
    keeper.on_change(lambda: woken.append("woken"))
    mounts = Mounts(emulator=lambda environ, start_response: [b"emulator"])
    mounts.add(["/pool/oauth2/token"], lambda environ, start_response: [b"sign-in"])
    app = OneAtATime(mounts, keeper)

    def post(path: str) -> list[bytes]:
        answer: list[bytes] = app({"REQUEST_METHOD": "POST", "PATH_INFO": path}, lambda *_: None)
        return answer

    assert post("/pool/oauth2/token") == [b"sign-in"]
    assert keeper._dirty.is_set() and woken == []
    assert post("/") == [b"emulator"]
    assert woken == ["woken"]
