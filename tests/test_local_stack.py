"""`make run` end to end: the real stack in a subprocess, on free loopback ports, over real HTTP."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.conftest import PASSWORD, ROOT

START_TIMEOUT = 90.0
MAKE = shutil.which("make") or "make"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


class Stack:
    def __init__(
        self, process: subprocess.Popen[str], stack_file: Path, port: int, emulator_port: int
    ) -> None:
        self.process = process
        self.stack_file = str(stack_file)
        facts: dict[str, str] = json.loads(stack_file.read_text())
        self.facts = facts
        self.port = port
        self.emulator_port = emulator_port

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            region_name=self.facts["region"],
            endpoint_url=self.facts["awsEndpoint"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def id_token(self, email: str) -> str:
        cognito = self.cognito()
        client_id = self.facts["userPoolClientId"]
        cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
        cognito.admin_confirm_sign_up(UserPoolId=self.facts["userPoolId"], Username=email)
        auth = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        return str(auth["AuthenticationResult"]["IdToken"])


def start_stack(stack_file: Path, port: int, emulator_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "NOTES_STACK_FILE": str(stack_file)}
    return subprocess.Popen(
        [MAKE, "--no-print-directory", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack_file = tmp_path_factory.mktemp("stack") / "stack.json"
    port, emulator_port = free_port(), free_port()
    process = start_stack(stack_file, port, emulator_port)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the stack did not come up"
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield Stack(process, stack_file, port, emulator_port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_stack_file_names_what_a_client_needs(stack: Stack) -> None:
    assert set(stack.facts) == {
        "apiUrl",
        "awsEndpoint",
        "region",
        "userPoolId",
        "userPoolClientId",
        "tableName",
    }
    assert stack.facts["apiUrl"] == f"http://127.0.0.1:{stack.port}"
    assert stack.facts["awsEndpoint"] == f"http://127.0.0.1:{stack.emulator_port}"
    pool = stack.cognito().describe_user_pool(UserPoolId=stack.facts["userPoolId"])["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]


def test_full_crud_over_http_with_real_emulator_tokens(stack: Stack) -> None:
    api = stack.facts["apiUrl"]
    token = stack.id_token("e2e-crud@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    me = requests.get(f"{api}/me", headers=auth, timeout=5)
    assert me.status_code == 200 and me.json()["email"] == "e2e-crud@example.com"

    created = requests.post(
        f"{api}/notes", json={"title": "t", "content": "over http"}, headers=auth, timeout=5
    )
    assert created.status_code == 201
    note_id = created.json()["noteId"]
    assert created.headers["Location"] == f"/notes/{note_id}"

    listed = requests.get(f"{api}/notes", headers=auth, timeout=5).json()
    assert [n["noteId"] for n in listed["notes"]] == [note_id]

    etag = requests.get(f"{api}/notes/{note_id}", headers=auth, timeout=5).headers["ETag"]
    patched = requests.patch(
        f"{api}/notes/{note_id}", json={"title": "u"}, headers={**auth, "If-Match": etag}, timeout=5
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = requests.put(
        f"{api}/notes/{note_id}", json={"content": "x"}, headers={**auth, "If-Match": etag}, timeout=5
    )
    assert stale.status_code == 412

    other = {"Authorization": stack.id_token("e2e-other@example.com")}
    assert requests.get(f"{api}/notes/{note_id}", headers=other, timeout=5).status_code == 404

    assert requests.delete(f"{api}/notes/{note_id}", headers=auth, timeout=5).status_code == 204
    assert requests.get(f"{api}/notes/{note_id}", headers=auth, timeout=5).status_code == 404


def test_the_notes_command_drives_the_stack(stack: Stack, tmp_path: Path) -> None:
    notes = Path(sys.executable).with_name("notes")
    env = {**os.environ, "NOTES_STACK_FILE": stack.stack_file, "NOTES_CONFIG_DIR": str(tmp_path)}

    def run(*args: str, stdin: str = "") -> str:
        result = subprocess.run(
            [str(notes), *args], input=stdin, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stdout

    run("signup", "e2e-cli@example.com", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    run("confirm", "e2e-cli@example.com")
    run("login", "e2e-cli@example.com", stdin=f"{PASSWORD}\n")
    assert "e2e-cli@example.com" in run("whoami")
    note_id = run("add", "from the command line", "--title", "cli", "--tag", "e2e").strip()
    listed = json.loads(run("ls", "--json"))
    assert [n["noteId"] for n in listed["notes"]] == [note_id]
    run("edit", note_id, "--title", "edited")
    assert json.loads(run("show", note_id, "--json"))["title"] == "edited"
    run("rm", note_id)
    assert json.loads(run("ls", "--json"))["notes"] == []


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
def test_bad_tokens_are_refused_over_http(stack: Stack, token: str | None) -> None:
    headers = {"Authorization": token} if token is not None else {}
    response = requests.get(f"{stack.facts['apiUrl']}/notes", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_a_port_in_use_is_named_with_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        process = start_stack(tmp_path / "stack.json", busy, free_port())
        output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert f"port {busy} (PORT) is already in use on 127.0.0.1" in output
    assert "make run PORT=" in output
    assert "Traceback" not in output
    assert not (tmp_path / "stack.json").exists()


def test_the_api_without_its_emulator_answers_clearly(tmp_path: Path) -> None:
    """``chalice local --stage local`` alone, with the emulator down: clear refusals, no traceback."""
    port, dead = free_port(), free_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{dead}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice), "local", "--stage", "local", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert time.monotonic() < deadline
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        header = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"dummy"}').rstrip(b"=").decode()
        token = f"{header}.e30.c2ln"  # well formed, so its key must be fetched
        response = requests.get(f"http://127.0.0.1:{port}/me", headers={"Authorization": token}, timeout=10)
        assert response.status_code == 503
        assert "signing keys" in response.json()["message"]
        assert f"127.0.0.1:{dead}" in response.json()["message"]
        assert "Traceback" not in response.text
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_sigint_stops_everything_and_frees_both_ports(stack: Stack) -> None:
    """Runs last in this module: Ctrl-C, as a terminal sends it, to the whole foreground group."""
    os.killpg(stack.process.pid, signal.SIGINT)
    output, _ = stack.process.communicate(timeout=30)
    assert "stopped" in output
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (
        port_is_free(stack.port) and port_is_free(stack.emulator_port)
    ):
        time.sleep(0.1)
    assert port_is_free(stack.port) and port_is_free(stack.emulator_port)
    assert processes_mentioning(f"--port {stack.port}") == []
    with pytest.raises(ProcessLookupError):
        os.killpg(stack.process.pid, 0)
