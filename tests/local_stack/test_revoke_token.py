"""Signing out: the local stack's Cognito answers ``RevokeToken`` as Cognito does, over HTTP, with
no traceback in the ``make run`` terminal and an answer a page on the web app's origin can read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD
from tests.stack import Stack


def signed_in(stack: Stack) -> dict[str, Any]:
    """A new user's tokens from the password client."""
    cognito = stack.cognito()
    email = f"revoke-{uuid.uuid4().hex[:8]}@example.com"
    cognito.sign_up(ClientId=stack.facts.user_pool_client_id, Username=email, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=stack.facts.user_pool_id, Username=email)
    auth = cognito.initiate_auth(
        ClientId=stack.facts.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    result: dict[str, Any] = auth["AuthenticationResult"]
    return result


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def test_a_revoked_refresh_token_and_its_access_token_stop_working(local_stack: Stack) -> None:
    tokens = signed_in(local_stack)
    cognito, client_id = local_stack.cognito(), local_stack.facts.user_pool_client_id
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    revoking = {"ClientId": client_id, "Token": tokens["RefreshToken"]}  # as the web app sends it

    answer = local_stack.pool_call("RevokeToken", revoking, local_stack.facts.web_url)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    assert answer.headers.get("Access-Control-Allow-Origin") == local_stack.facts.web_url

    refresh = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    assert (
        error_code(
            lambda: cognito.initiate_auth(
                ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh
            )
        )
        == "NotAuthorizedException"
    )
    assert error_code(lambda: cognito.get_user(AccessToken=tokens["AccessToken"])) == "NotAuthorizedException"
    # Revoking again, or signing out twice, is no error.
    again = local_stack.pool_call("RevokeToken", revoking, local_stack.facts.web_url)
    assert again.status_code == 200, again.text
    assert "Traceback" not in local_stack.output.text()


def test_revoking_one_session_leaves_the_others(local_stack: Stack) -> None:
    first, second = signed_in(local_stack), signed_in(local_stack)
    cognito, client_id = local_stack.cognito(), local_stack.facts.user_pool_client_id
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=client_id)
    renewed = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": second["RefreshToken"]},
    )
    assert renewed["AuthenticationResult"]["IdToken"]


def test_bad_revoke_requests_get_cognitos_errors_not_a_500(local_stack: Stack) -> None:
    tokens = signed_in(local_stack)
    client_id = local_stack.facts.user_pool_client_id
    cases = [
        ({"ClientId": client_id}, "InvalidParameterException"),
        ({"Token": tokens["RefreshToken"]}, "InvalidParameterException"),
        ({"ClientId": "nosuchclient", "Token": tokens["RefreshToken"]}, "ResourceNotFoundException"),
    ]
    for body, code in cases:
        answer = local_stack.pool_call("RevokeToken", body, local_stack.facts.web_url)
        assert answer.status_code == 400, (body, answer.text)
        assert code in answer.text, (body, answer.text)
    # None of them revoked the token.
    renewed = local_stack.cognito().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert renewed["AuthenticationResult"]["AccessToken"]
    assert "Traceback" not in local_stack.output.text()


def test_a_deleted_users_refresh_token_is_refused_not_a_500(local_stack: Stack) -> None:
    tokens = signed_in(local_stack)
    cognito = local_stack.cognito()
    user = cognito.get_user(AccessToken=tokens["AccessToken"])["Username"]
    cognito.admin_delete_user(UserPoolId=local_stack.facts.user_pool_id, Username=user)
    refresh = {"REFRESH_TOKEN": tokens["RefreshToken"]}

    def refreshed() -> Any:
        return cognito.initiate_auth(
            ClientId=local_stack.facts.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters=refresh,
        )

    assert error_code(refreshed) == "NotAuthorizedException"
