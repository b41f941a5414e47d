"""`make run` end to end: the real stack in a subprocess, on free loopback ports, over real HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local_stack.api import chalice_local_command
from local_stack.gateway_http import MAX_URL_CHARS
from tests.conftest import PASSWORD, ROOT, WEB_RULES
from tests.stack import (
    START_TIMEOUT,
    Stack,
    free_port,
    new_user,
    port_is_free,
    processes_mentioning,
    running_stack,
    start_stack,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as started:
        yield started


def test_stack_file_names_what_a_client_needs(stack: Stack) -> None:
    assert set(json.loads(Path(stack.stack_file).read_text())) == {
        "apiUrl",
        "wsUrl",
        "awsEndpoint",
        "region",
        "userPoolId",
        "userPoolClientId",
        "tableName",
        "bucketName",
        "webUrl",
        "awsAccessKeyId",
        "awsSecretAccessKey",
        "mode",
    }
    assert stack.facts.mode == "id"
    assert stack.facts.api_url == f"http://127.0.0.1:{stack.port}"
    assert stack.facts.ws_url.startswith("ws://127.0.0.1:") and stack.facts.ws_url != stack.facts.api_url
    assert stack.facts.aws_endpoint == f"http://127.0.0.1:{stack.emulator_port}"
    pool = stack.cognito().describe_user_pool(UserPoolId=stack.facts.user_pool_id)["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    s3 = stack.client("s3")
    bucket = stack.facts.bucket_name
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["Filter"] == {
        "Prefix": "uploads/"
    }
    # The local web app's origin (its port is WEB_PORT) may upload and download.
    origins = s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"]
    assert len(origins) == 2 and all(
        origin.startswith(("http://127.0.0.1:", "http://localhost:")) for origin in origins
    )


def test_the_web_app_is_served_with_its_config_and_a_strict_policy(stack: Stack) -> None:
    web = stack.facts.web_url
    config = requests.get(f"{web}/config.json", timeout=5)
    assert config.status_code == 200
    # The local stage's pool and client (.chalice/config.json), on the ports the stack was given.
    assert config.json() == {
        "apiUrl": f"http://127.0.0.1:{stack.port}",
        "wsUrl": stack.facts.ws_url,
        "region": "us-east-1",
        "userPoolId": "us-east-1_0ed93881d95cc3974122945fcc350ddbf5f06c9176237",
        "userPoolClientId": "18653cf933ed58756b0efdaf12",
        "cognitoEndpoint": f"http://127.0.0.1:{stack.emulator_port}/",
        "maxAttachmentBytes": 10 * 1024 * 1024,
        **WEB_RULES,
        "local": True,
        "mode": "id",
    }
    policy = config.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    api, emulator = f"http://127.0.0.1:{stack.port}", f"http://127.0.0.1:{stack.emulator_port}"
    # The page follows changes over make run's own live endpoint; its service worker is its own file.
    assert f"connect-src 'self' {api} {stack.facts.ws_url} {emulator};" in policy
    assert "worker-src 'self';" in policy
    # An attached image is shown from its download URL, the emulator's (as the bucket's deployed).
    assert f"img-src 'self' data: {emulator};" in policy
    # A module is a script, asked for again at every load, with the same policy.
    module = requests.get(f"{web}/app.js", timeout=5)
    assert module.status_code == 200
    assert module.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert module.headers["Cache-Control"] == "no-cache"
    assert module.headers["Content-Security-Policy"] == policy
    assert config.headers["X-Content-Type-Options"] == "nosniff"
    assert config.headers["X-Frame-Options"] == "DENY"
    for path in ("/../README.md", "/%2e%2e/README.md", "/.gitignore", "/nothing-here.js", "/web/"):
        assert requests.get(f"{web}{path}", timeout=5).status_code == 404, path
    # Names no file has: a NUL, a control character, a name longer than the file system allows.
    for path in ("/%00", "/app.js%00.png", "/a%0ab.js", "/" + "a" * 300):
        answer = requests.get(f"{web}{path}", timeout=5)
        assert answer.status_code == 404, path
        assert answer.text == "not found\n"


def test_the_api_allows_exactly_the_web_apps_origin(stack: Stack) -> None:
    def preflight(origin: str) -> requests.Response:
        return requests.options(
            f"{stack.facts.api_url}/notes",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,if-match",
            },
            timeout=5,
        )

    allowed = preflight(stack.facts.web_url)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == stack.facts.web_url
    assert "If-Match" in allowed.headers["Access-Control-Allow-Headers"]
    other = preflight("http://127.0.0.1:1")
    assert other.headers.get("Access-Control-Allow-Origin") != "http://127.0.0.1:1"
    # A refused token is readable by the page, as API Gateway's own 401 is deployed.
    refused = requests.get(
        f"{stack.facts.api_url}/notes",
        headers={"Origin": stack.facts.web_url, "Authorization": "not-a-token"},
        timeout=5,
    )
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == stack.facts.web_url


def test_the_request_log_is_readable_on_the_terminal(stack: Stack) -> None:
    token = stack.id_token("log-reader@example.com")
    assert requests.get(f"{stack.facts.api_url}/notes", headers={"Authorization": token}, timeout=5).ok
    printed = stack.printed("GET /notes 200")
    line = next(line for line in printed.splitlines() if line.startswith("GET /notes 200"))
    assert " ms  DynamoDB 2  S3 0  sub " in line  # the account's check, then the listing
    assert '"logger"' not in printed  # the JSON lines are made readable
    assert "127.0.0.1 - - [" not in printed  # chalice's own request lines are left out


def test_full_crud_over_http_with_real_emulator_tokens(stack: Stack) -> None:
    api = stack.facts.api_url
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
    run("rm", "--yes", note_id)
    assert json.loads(run("ls", "--json"))["notes"] == []


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
def test_bad_tokens_are_refused_over_http(stack: Stack, token: str | None) -> None:
    headers = {"Authorization": token} if token is not None else {}
    response = requests.get(f"{stack.facts.api_url}/notes", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is (what no HTTP library sends); the answer's status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.read()


def test_every_method_the_api_has_no_route_for_is_answered_in_json(stack: Stack) -> None:
    api = stack.facts.api_url
    for method in ("TRACE", "CONNECT", "PROPFIND"):
        # A method the path does not have, as for PUT /health: the app's 405 naming it.
        answer = requests.request(method, f"{api}/notes", timeout=5)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json() == {"Code": "MethodNotAllowedError", "Message": f"Unsupported method: {method}"}
        assert set(answer.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
        # A path the API does not have, as for any method: the gateway's 403.
        nowhere = requests.request(method, f"{api}/nowhere", timeout=5)
        assert nowhere.status_code == 403, (method, nowhere.text)
        assert nowhere.json() == {"message": "Missing Authentication Token"}
    # CONNECT as a proxy's client sends it: no path at all.
    status, headers, body = raw_request(stack.port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 403
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"message": "Missing Authentication Token"}


@pytest.mark.parametrize("length", [MAX_URL_CHARS + 1, 100_000])
def test_a_url_longer_than_api_gateway_takes_is_a_json_414(stack: Stack, length: int) -> None:
    def get(target_length: int) -> requests.Response:
        target = "/notes?q="
        target += "a" * (target_length - len(target))
        return requests.get(stack.facts.api_url + target, headers={"Origin": stack.facts.web_url}, timeout=10)

    answer = get(length)
    assert answer.status_code == 414
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {
        "message": f"The request's URL is longer than the {MAX_URL_CHARS:,} characters API Gateway takes"
    }
    # As API Gateway's own refusals deployed: the page can read it.
    assert answer.headers["Access-Control-Allow-Origin"] == stack.facts.web_url
    # A URL of the length API Gateway still takes reaches the gateway's token check.
    longest = get(MAX_URL_CHARS)
    assert longest.status_code == 401 and longest.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", 400, "Content-Length"),
        (b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 505, "HTTP version (9.9)"),
        (b"GET  /health  HTTP/1.1  extra\r\nHost: x\r\n\r\n", 400, "Bad request"),
        (b"GET /health HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431, "Too many headers"),
    ],
)
def test_a_request_the_api_cannot_read_is_refused_in_json(
    stack: Stack, request_bytes: bytes, status: int, message: str
) -> None:
    answered, headers, body = raw_request(stack.port, request_bytes)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert message in json.loads(body)["message"]
    assert b"<" not in body and b"Traceback" not in body


def test_a_client_that_leaves_before_its_answer_prints_no_traceback(stack: Stack) -> None:
    web_port = int(stack.facts.web_url.rsplit(":", 1)[1])
    requests_sent = [
        (stack.port, b"GET /notes HTTP/1.1\r\nHost: x\r\nAuthorization: not-a-token\r\n\r\n"),
        (stack.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
        (web_port, b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n"),
        (stack.emulator_port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]
    for port, request in requests_sent * 5:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(request)
            # Gone at once, as a closed tab: a reset, not a polite close.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # A request whose line the API prints, once the others have been served.
    time.sleep(1)
    marker = "GET /notes/{note_id} 404"
    before = stack.output.text().count(marker)
    assert new_user(stack, "after-resets").note("no-such-note").status_code == 404
    deadline = time.monotonic() + 10
    while stack.output.text().count(marker) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    printed = stack.output.text()
    assert "Traceback" not in printed
    assert "Exception occurred during processing of request" not in printed
    assert printed.count(marker) == before + 1


def test_the_output_holds_no_credential_lines(stack: Stack) -> None:
    user = new_user(stack, "quiet")
    note = user.create_note("a note")
    assert user.note(note["noteId"]).status_code == 200
    assert user.call("GET", "/notes").status_code == 200
    printed = stack.printed("GET /notes 200")
    assert "POST /notes 201" in printed
    assert "Found credentials" not in printed


def test_the_api_and_the_emulator_answer_both_names_of_the_web_apps_origin(stack: Stack) -> None:
    """A browser names the page http://127.0.0.1:<WEB_PORT> or http://localhost:<WEB_PORT>."""
    api = stack.facts.api_url
    web_port = stack.facts.web_url.rsplit(":", 1)[1]
    user = new_user(stack, "origins")
    for origin in (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"):
        preflight = requests.options(
            f"{api}/notes",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
            timeout=5,
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in preflight.headers["Vary"]
        listed = requests.get(
            f"{api}/notes", headers={"Origin": origin, "Authorization": user.token}, timeout=5
        )
        assert listed.status_code == 200
        assert listed.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in listed.headers["Vary"]
        refused = requests.get(f"{api}/notes", headers={"Origin": origin, "Authorization": "x"}, timeout=5)
        assert refused.status_code == 401
        assert refused.headers["Access-Control-Allow-Origin"] == origin
        # The emulator (Cognito, as the page signs in) answers the same two.
        signed_in = stack.pool_call(
            "InitiateAuth",
            {
                "ClientId": stack.facts.user_pool_client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user.email, "PASSWORD": PASSWORD},
            },
            origin=origin,
        )
        assert signed_in.status_code == 200
        assert signed_in.headers["Access-Control-Allow-Origin"] == origin
    for other in (
        "http://localhost:1",
        f"http://localhost.example:{web_port}",
        f"https://localhost:{web_port}",
    ):
        preflight = requests.options(
            f"{api}/notes", headers={"Origin": other, "Access-Control-Request-Method": "GET"}, timeout=5
        )
        assert preflight.headers.get("Access-Control-Allow-Origin") != other
        listed = requests.get(
            f"{api}/notes", headers={"Origin": other, "Authorization": user.token}, timeout=5
        )
        assert listed.headers.get("Access-Control-Allow-Origin") != other
        refused_preflight = requests.options(
            f"{stack.facts.aws_endpoint}/",
            headers={"Origin": other, "Access-Control-Request-Method": "POST"},
            timeout=5,
        )
        assert refused_preflight.status_code == 403


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
    process = subprocess.Popen(
        chalice_local_command("local", port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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
    output = stack.interrupt()
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


def test_the_four_ports_must_differ(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack",
            *("--port", str(port), "--emulator-port", str(free_port())),
            *("--web-port", str(port), "--ws-port", str(free_port())),
            *("--state", str(tmp_path / "state.pickle")),
        ],
        cwd=ROOT,
        env={**os.environ, "NOTES_STACK_FILE": str(tmp_path / "stack.json")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PORT, EMULATOR_PORT, WEB_PORT and WS_PORT must differ" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
