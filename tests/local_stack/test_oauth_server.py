"""The sign-in server of ``make run SCOPED=1`` in this process, on a clock the tests move: codes
expire after five minutes, and what it issued is saved with the emulator's data."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.cognitoidp.models import cognitoidp_backends

from infra import description
from local_stack import oauth, state_file
from local_stack.provisioning import Provisioned
from tests.conftest import PASSWORD, aws_client

START = 2_000_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pool_lookup(aws_stack: Provisioned) -> Callable[[], Any]:
    account = aws_stack.user_pool_arn.split(":")[4]

    def pool() -> Any:
        return cognitoidp_backends[account][aws_stack.region].user_pools[aws_stack.user_pool_id]

    return pool


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(aws_stack: Provisioned, pool_lookup: Callable[[], Any], clock: Clock) -> Any:
    issuer = f"http://127.0.0.1:1/{aws_stack.user_pool_id}"
    return oauth.oauth_app(issuer, pool_lookup, clock=clock).test_client(), issuer


@pytest.fixture
def email(aws_stack: Provisioned) -> str:
    cognito = aws_client("cognito-idp")
    address = f"clock-{secrets.token_hex(5)}@example.com"
    cognito.sign_up(ClientId=aws_stack.user_pool_client_id, Username=address, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=aws_stack.user_pool_id, Username=address)
    return address


def code_for(server: Any, client_id: str, email: str, verifier: str) -> str:
    browser, issuer = server
    base = urlsplit(issuer).path
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = browser.get(f"{base}/oauth2/authorize", query_string=query)
    if answer.status_code == 200:  # the sign-in page; else its session signed in already
        csrf = re.search(r'name="csrf" value="([^"]+)"', answer.text)
        assert csrf is not None
        form = {**query, "csrf": csrf[1], "username": email, "password": PASSWORD}
        answer = browser.post(f"{base}/login", data=form)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def exchange(server: Any, client_id: str, code: str, verifier: str) -> Any:
    browser, issuer = server
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    return browser.post(f"{urlsplit(issuer).path}/oauth2/token", data=form)


def test_a_code_is_good_for_five_minutes_and_no_longer(
    server: Any, aws_stack: Provisioned, clock: Clock, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    late = code_for(server, cli, email, verifier)
    in_time = code_for(server, cli, email, verifier)
    clock.now += description.AUTHORIZATION_CODE_SECONDS - 1
    assert exchange(server, cli, in_time, verifier).status_code == 200
    clock.now += 2
    expired = exchange(server, cli, late, verifier)
    assert (expired.status_code, expired.get_json()["error"]) == (400, "invalid_grant")


def test_tokens_carry_the_clocks_time(server: Any, aws_stack: Provisioned, clock: Clock, email: str) -> None:
    import jwt

    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (access["iat"], access["auth_time"], access["exp"]) == (START, START, START + 3600)


def test_a_refresh_token_outlives_a_saved_and_restored_emulator(
    server: Any, aws_stack: Provisioned, email: str, pool_lookup: Callable[[], Any], tmp_path: Path
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    state = tmp_path / "state.pickle"
    state_file.save(state, state_file.snapshot())
    oauth.kept(pool_lookup()).refresh_tokens.clear()  # what a new process would hold without the file
    browser, issuer = server
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": cli}
    token_path = f"{urlsplit(issuer).path}/oauth2/token"
    assert browser.post(token_path, data=form).status_code == 400
    state_file.load(state)
    renewed = browser.post(token_path, data=form)
    assert renewed.status_code == 200, renewed.text
    assert "access_token" in renewed.get_json()


def test_a_refresh_token_lasts_thirty_days(
    server: Any, aws_stack: Provisioned, clock: Clock, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    browser, issuer = server
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": cli}
    token_path = f"{urlsplit(issuer).path}/oauth2/token"
    clock.now += oauth.REFRESH_TOKEN_SECONDS - 60
    assert browser.post(token_path, data=form).status_code == 200
    clock.now += 120
    expired = browser.post(token_path, data=form)
    assert (expired.status_code, expired.get_json()["error"]) == (400, "invalid_grant")
