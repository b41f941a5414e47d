"""The stage's user pool answers as Cognito's: SRP that checks the password, the pool's own signing
key, the user's email in every ID token, usernames without case and no user existence errors.

In-process (the test client's pool) through pycognito, a client library nobody here wrote, and
through boto3 as the project's own clients call it; ``test_user_pool_http.py`` does the same over
HTTP against ``make run``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

import app as notes_app
from local_stack.provisioning import Provisioned
from tests.conftest import PASSWORD, ApiUser, aws_client

INCORRECT = "Incorrect username or password."


def settings() -> Any:
    return notes_app.settings


def new_email(prefix: str = "pool") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def signed_up(email: str, confirm: bool = True) -> str:
    """A user of the stage's pool; their sub."""
    cognito = aws_client("cognito-idp")
    answer = cognito.sign_up(ClientId=settings().app_client_ids[0], Username=email, Password=PASSWORD)
    if confirm:
        cognito.admin_confirm_sign_up(UserPoolId=settings().user_pool_id, Username=email)
    return str(answer["UserSub"])


def srp(email: str, password: str = PASSWORD) -> AWSSRP:
    return AWSSRP(
        username=email,
        password=password,
        pool_id=settings().user_pool_id,
        client_id=settings().app_client_ids[0],
        client=aws_client("cognito-idp"),
    )


def srp_tokens(email: str, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = srp(email, password).authenticate_user()["AuthenticationResult"]
    return result


def password_tokens(email: str, password: str = PASSWORD) -> dict[str, Any]:
    answer = aws_client("cognito-idp").initiate_auth(
        ClientId=settings().app_client_ids[0],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def refused(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error: dict[str, str] = raised.value.response["Error"]
    return error


# ---- SRP -----------------------------------------------------------------------------------------


def test_srp_signs_in_with_the_right_password_and_the_api_takes_its_token(http: Any) -> None:
    email = new_email("srp")
    sub = signed_up(email)
    tokens = srp_tokens(email)
    identity = claims(tokens["IdToken"])
    assert (identity["sub"], identity["email"], identity["cognito:username"]) == (sub, email, sub)
    assert claims(tokens["AccessToken"])["username"] == sub
    me = ApiUser(http, sub, email, tokens["IdToken"]).get("/me")
    assert me.status_code == 200, me.body
    assert me.json_body["email"] == email  # not the sub the emulator used to put there


def test_srp_refuses_a_wrong_password_as_cognito_does() -> None:
    email = new_email("srp-wrong")
    signed_up(email)
    error = refused(lambda: srp(email, "Wrong-Horse-Battery-9").authenticate_user())
    assert error == {"Code": "NotAuthorizedException", "Message": INCORRECT}


def test_an_srp_challenge_is_answered_once_right_or_wrong() -> None:
    email = new_email("srp-once")
    signed_up(email)
    client = srp(email)
    cognito = aws_client("cognito-idp")
    started = cognito.initiate_auth(
        ClientId=settings().app_client_ids[0],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=client.get_auth_params(),
    )
    answer = client.process_challenge(started["ChallengeParameters"], client.get_auth_params())

    def respond() -> Any:
        return cognito.respond_to_auth_challenge(
            ClientId=settings().app_client_ids[0],
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )

    assert "IdToken" in respond()["AuthenticationResult"]
    assert refused(respond)["Code"] == "NotAuthorizedException"  # replayed: refused


def test_an_unknown_user_gets_a_simulated_srp_challenge_then_the_wrong_password_answer() -> None:
    cognito = aws_client("cognito-idp")
    email = new_email("nobody")

    def challenge() -> dict[str, str]:
        started = cognito.initiate_auth(
            ClientId=settings().app_client_ids[0],
            AuthFlow="USER_SRP_AUTH",
            AuthParameters=srp(email).get_auth_params(),
        )
        parameters: dict[str, str] = started["ChallengeParameters"]
        return parameters

    first, second = challenge(), challenge()
    # The same salt and id for the same name, as a real user's: nothing tells them apart.
    assert (first["SALT"], first["USER_ID_FOR_SRP"]) == (second["SALT"], second["USER_ID_FOR_SRP"])
    uuid.UUID(first["USER_ID_FOR_SRP"])
    assert refused(lambda: srp(email).authenticate_user()) == {
        "Code": "NotAuthorizedException",
        "Message": INCORRECT,
    }


# ---- every ID token carries the user's email ---------------------------------------------------


def test_every_flows_id_token_names_the_users_email() -> None:
    email = new_email("claims")
    sub = signed_up(email)
    by_password = password_tokens(email)
    refreshed = aws_client("cognito-idp").initiate_auth(
        ClientId=settings().app_client_ids[0],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": by_password["RefreshToken"]},
    )["AuthenticationResult"]
    admin = aws_client("cognito-idp").admin_initiate_auth(
        UserPoolId=settings().user_pool_id,
        ClientId=settings().app_client_ids[0],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    for tokens in (by_password, refreshed, admin, srp_tokens(email)):
        identity = claims(tokens["IdToken"])
        assert (identity["email"], identity["sub"], identity["email_verified"]) == (email, sub, True)


# ---- the pool's own key -------------------------------------------------------------------------


def test_tokens_are_signed_with_the_pools_own_key_which_its_jwks_publishes_alone(tokens: Any) -> None:
    import requests

    from local_stack.gateway_auth import jwks_url

    email = new_email("key")
    signed_up(email)
    issued = password_tokens(email)["IdToken"]
    published = requests.get(jwks_url(settings()), timeout=5).json()["keys"]
    assert (
        [key["kid"] for key in published] == [jwt.get_unverified_header(issued)["kid"]] == [tokens.pool_kid]
    )
    assert "d" not in published[0]  # the public half only
    key = jwt.PyJWK(published[0]).key
    assert (
        jwt.decode(issued, key, algorithms=["RS256"], audience=settings().app_client_ids[0])["email"] == email
    )


# ---- usernames without case -----------------------------------------------------------------------


def test_one_user_whatever_the_case_of_the_email(http: Any) -> None:
    email = new_email("case")
    sub = signed_up(email)
    error = refused(
        lambda: aws_client("cognito-idp").sign_up(
            ClientId=settings().app_client_ids[0], Username=email.upper(), Password=PASSWORD
        )
    )
    assert error["Code"] == "UsernameExistsException"
    for spelled in (email.upper(), email.capitalize()):
        assert claims(password_tokens(spelled)["IdToken"])["sub"] == sub
        assert claims(srp_tokens(spelled)["IdToken"])["sub"] == sub
    token = password_tokens(email.upper())["IdToken"]
    assert ApiUser(http, sub, email, token).get("/me").json_body["email"] == email


def test_deleting_the_account_takes_the_email_in_any_case(http: Any) -> None:
    email = new_email("delete-case")
    sub = signed_up(email)
    user = ApiUser(http, sub, email, srp_tokens(email)["IdToken"])
    answer = user.delete("/me", headers={"X-Confirm-Delete": email.upper()})
    assert answer.status_code == 202, answer.body


# ---- no user existence errors ----------------------------------------------------------------------


def test_an_unknown_email_is_answered_as_a_wrong_password() -> None:
    known = new_email("known")
    signed_up(known)
    unknown = refused(lambda: password_tokens(new_email("unknown")))
    wrong = refused(lambda: password_tokens(known, "Wrong-Horse-Battery-9"))
    assert unknown == wrong == {"Code": "NotAuthorizedException", "Message": INCORRECT}
    admin = refused(
        lambda: aws_client("cognito-idp").admin_initiate_auth(
            UserPoolId=settings().user_pool_id,
            ClientId=settings().app_client_ids[0],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": new_email("unknown"), "PASSWORD": PASSWORD},
        )
    )
    assert admin == unknown


def test_password_recovery_and_confirmation_do_not_tell_whether_an_account_exists() -> None:
    cognito = aws_client("cognito-idp")
    client_id = settings().app_client_ids[0]
    known, unconfirmed, unknown = new_email("k"), new_email("u"), new_email("n")
    signed_up(known)
    signed_up(unconfirmed, confirm=False)

    def delivery(answer: dict[str, Any]) -> dict[str, str]:
        details: dict[str, str] = answer["CodeDeliveryDetails"]
        return details

    masked = {"DeliveryMedium": "EMAIL", "AttributeName": "email"}
    for email in (known, unknown):
        sent = delivery(cognito.forgot_password(ClientId=client_id, Username=email))
        assert sent == {**masked, "Destination": f"{email[0]}***@e***"}
    for email in (unconfirmed, unknown):
        sent = delivery(cognito.resend_confirmation_code(ClientId=client_id, Username=email))
        assert sent == {**masked, "Destination": f"{email[0]}***@e***"}
    mismatch = refused(
        lambda: cognito.confirm_sign_up(ClientId=client_id, Username=unknown, ConfirmationCode="1")
    )
    assert mismatch["Code"] == "CodeMismatchException"
    mismatch = refused(
        lambda: cognito.confirm_forgot_password(
            ClientId=client_id, Username=unknown, ConfirmationCode="1", Password=PASSWORD
        )
    )
    assert mismatch["Code"] == "CodeMismatchException"
    already = refused(lambda: cognito.resend_confirmation_code(ClientId=client_id, Username=known))
    assert already["Code"] == "InvalidParameterException"


# ---- the auth flows each client enables -------------------------------------------------------------


def test_tools_with_iam_credentials_sign_in_with_admin_initiate_auth_and_only_enabled_flows() -> None:
    email = new_email("admin")
    sub = signed_up(email)
    cognito = aws_client("cognito-idp")
    answer = cognito.admin_initiate_auth(
        UserPoolId=settings().user_pool_id,
        ClientId=settings().app_client_ids[0],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    assert claims(answer["AuthenticationResult"]["IdToken"])["sub"] == sub
    # The scoped mode's OAuth clients enable no password flow: Cognito refuses one.
    pool_clients = cognito.list_user_pool_clients(UserPoolId=settings().user_pool_id, MaxResults=60)
    web = next(
        c["ClientId"] for c in pool_clients["UserPoolClients"] if c["ClientName"].endswith("-oauth-web")
    )
    error = refused(
        lambda: cognito.initiate_auth(
            ClientId=web,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
    )
    assert error["Code"] == "InvalidParameterException"


# ---- one search of the pool's users per sign-in -----------------------------------------------------


class SearchedUsers(dict[str, Any]):
    """A pool's users, counting each walk through all of them."""

    searches = 0

    def values(self) -> Any:
        self.searches += 1
        return super().values()


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"])
def test_a_password_sign_in_searches_the_pools_users_once(aws_stack: Provisioned, flow: str) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    email = new_email("search")
    sub = signed_up(email)
    account = aws_stack.user_pool_arn.split(":")[4]
    pool = cognitoidp_backends[account][aws_stack.region].user_pools[aws_stack.user_pool_id]
    users, pool.users = pool.users, SearchedUsers(pool.users)
    try:
        cognito = aws_client("cognito-idp")
        parameters = {"USERNAME": email.upper(), "PASSWORD": PASSWORD}  # found in any letter case
        if flow == "USER_PASSWORD_AUTH":
            answer = cognito.initiate_auth(
                ClientId=settings().app_client_ids[0], AuthFlow=flow, AuthParameters=parameters
            )
        else:
            answer = cognito.admin_initiate_auth(
                UserPoolId=settings().user_pool_id,
                ClientId=settings().app_client_ids[0],
                AuthFlow=flow,
                AuthParameters=parameters,
            )
        searches = pool.users.searches
    finally:
        users.update(pool.users)
        pool.users = users
    assert claims(answer["AuthenticationResult"]["IdToken"])["sub"] == sub
    assert searches == 1
