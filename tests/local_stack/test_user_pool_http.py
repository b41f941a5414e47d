"""``make run``'s user pool over HTTP, driven by pycognito as any application would drive Cognito: SRP
that checks the password, tokens it verifies against the pool's published keys, the user's email in
them, usernames without case and no user existence errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from pycognito import Cognito

from tests.conftest import PASSWORD
from tests.stack import TIMEOUT, Stack

INCORRECT = "Incorrect username or password."


@pytest.fixture(autouse=True)
def local_endpoint(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """pycognito's client calls the stack's pool (botocore's endpoint setting for Cognito)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", local_stack.facts.aws_endpoint)


@pytest.fixture
def published_keys(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The pool's JWKS, handed to pycognito as it takes it for a pool it cannot reach at Cognito's
    address: it verifies every token against these keys and the pool's issuer."""
    facts = local_stack.facts
    jwks: dict[str, Any] = requests.get(
        f"{facts.aws_endpoint}/{facts.user_pool_id}/.well-known/jwks.json", timeout=TIMEOUT
    ).json()
    monkeypatch.setenv("COGNITO_JWKS", json.dumps(jwks))
    return jwks


def cognito(stack: Stack, email: str) -> Cognito:
    facts = stack.facts
    return Cognito(
        facts.user_pool_id,
        facts.user_pool_client_id,
        username=email,
        user_pool_region=facts.region,
        access_key=facts.aws_access_key_id,
        secret_key=facts.aws_secret_access_key,
    )


def test_srp_signs_in_with_the_right_password_only(
    local_stack: Stack, published_keys: dict[str, Any]
) -> None:
    email = f"pyco-{uuid.uuid4().hex[:8]}@example.com"
    user = cognito(local_stack, email)
    user.register(email, PASSWORD)
    local_stack.cognito().admin_confirm_sign_up(UserPoolId=local_stack.facts.user_pool_id, Username=email)

    with pytest.raises(ClientError) as wrong:
        cognito(local_stack, email).authenticate(password="Wrong-Horse-Battery-9")
    assert wrong.value.response["Error"] == {"Code": "NotAuthorizedException", "Message": INCORRECT}

    user = cognito(local_stack, email.upper())
    user.authenticate(password=PASSWORD)  # verifies both tokens against the published key
    assert user.id_claims["email"] == email
    assert [key["kid"] for key in published_keys["keys"]] == [_kid(user.id_token)]
    me = requests.get(
        f"{local_stack.facts.api_url}/me", headers={"Authorization": user.id_token}, timeout=TIMEOUT
    )
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email
    deleted = requests.delete(
        f"{local_stack.facts.api_url}/me",
        headers={"Authorization": user.id_token, "X-Confirm-Delete": email},
        timeout=TIMEOUT,
    )
    assert deleted.status_code == 202, deleted.text


def test_a_second_sign_up_in_other_letters_is_the_same_user(local_stack: Stack) -> None:
    email = f"pyco-{uuid.uuid4().hex[:8]}@example.com"
    cognito(local_stack, email).register(email, PASSWORD)
    with pytest.raises(ClientError) as again:
        cognito(local_stack, email.upper()).register(email.upper(), PASSWORD)
    assert again.value.response["Error"]["Code"] == "UsernameExistsException"


def test_an_unknown_user_is_told_nothing_more_than_a_wrong_password(
    local_stack: Stack, published_keys: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as unknown:
        cognito(local_stack, f"nobody-{uuid.uuid4().hex[:8]}@example.com").authenticate(password=PASSWORD)
    assert unknown.value.response["Error"] == {"Code": "NotAuthorizedException", "Message": INCORRECT}


def _kid(token: str) -> str:
    import jwt

    return str(jwt.get_unverified_header(token)["kid"])
