"""The user pool side: sign up, confirm, sign in, refresh and revoke, with readable errors.

Every operation the CLI needs is one a public app client may call without AWS
credentials, except ``AdminConfirmSignUp``, which only the local emulator is
asked for (it accepts any signature there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore
import botocore.exceptions
from botocore.config import Config

from notes_cli.credentials import Session
from notes_cli.errors import CliError, SessionExpired
from notes_cli.stack import Connection

# The emulator tells services apart by the request's signature, so it gets
# signed requests; these keys are meaningless anywhere else.
EMULATOR_KEYS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=20,
    retries={"max_attempts": 2, "mode": "standard"},
)


class Cognito:
    """The stage's user pool, reached through its app client (which has no secret)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.region, self.client_id = connection.require_cognito()
        if connection.aws_endpoint:
            self.endpoint = connection.aws_endpoint
            self.client: Any = boto3.client(
                "cognito-idp",
                region_name=self.region,
                endpoint_url=self.endpoint,
                config=CLIENT_CONFIG,
                **EMULATOR_KEYS,
            )
        else:
            # Named explicitly so that an AWS_ENDPOINT_URL meant for the emulator
            # never sends a deployed stage's passwords there.
            self.endpoint = f"https://cognito-idp.{self.region}.amazonaws.com"
            self.client = boto3.client(
                "cognito-idp",
                region_name=self.region,
                endpoint_url=self.endpoint,
                config=CLIENT_CONFIG.merge(Config(signature_version=botocore.UNSIGNED)),
            )

    def sign_up(self, email: str, password: str) -> bool:
        """Create the account; returns whether the pool confirmed it already."""
        with self._errors("sign up", email):
            answer = self.client.sign_up(ClientId=self.client_id, Username=email, Password=password)
        return bool(answer.get("UserConfirmed"))

    def confirm(self, email: str, code: str | None) -> None:
        """Confirm the account with the emailed code, or, on the local emulator only, without one."""
        if code is not None:
            with self._errors("confirm", email):
                self.client.confirm_sign_up(ClientId=self.client_id, Username=email, ConfirmationCode=code)
            return
        if not self.connection.local:
            raise CliError(
                f"a confirmation code is needed: notes confirm {email} --code CODE (from the email)"
            )
        pool = self.connection.require_user_pool()
        with self._errors("confirm", email):
            self.client.admin_confirm_sign_up(UserPoolId=pool, Username=email)

    def log_in(self, email: str, password: str) -> Session:
        """Sign in with the password flow and return the new session."""
        with self._errors("log in", email):
            answer = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        result = answer.get("AuthenticationResult")
        if not result:
            challenge = answer.get("ChallengeName", "an unknown challenge")
            raise CliError(f"signing in needs {challenge}, which this CLI does not support")
        return Session.from_tokens(
            email, result["IdToken"], result["AccessToken"], result["RefreshToken"], result["ExpiresIn"]
        )

    def refresh(self, session: Session) -> Session:
        """New ID and access tokens from the refresh token; raises SessionExpired when refused."""
        try:
            answer = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": session.refresh_token},
            )
        except botocore.exceptions.ClientError as error:
            raise SessionExpired(session.email) from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error
        result = answer.get("AuthenticationResult") or {}
        if "IdToken" not in result:
            raise SessionExpired(session.email)
        # Cognito keeps the refresh token unless rotation hands out a new one.
        return Session.from_tokens(
            session.email,
            result["IdToken"],
            result["AccessToken"],
            result.get("RefreshToken") or session.refresh_token,
            result["ExpiresIn"],
        )

    def revoke(self, refresh_token: str) -> bool:
        """Revoke the refresh token, best effort; returns whether the pool confirmed it."""
        if self.connection.local:
            # The emulator does not implement RevokeToken (it answers 500), and
            # its tokens vanish with it anyway.
            return False
        try:
            self.client.revoke_token(Token=refresh_token, ClientId=self.client_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return False
        return True

    @contextmanager
    def _errors(self, action: str, email: str) -> Iterator[None]:
        try:
            yield
        except botocore.exceptions.ClientError as error:
            raise CliError(explain(error, action, email, self.client_id)) from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error

    def _unreachable(self, error: Exception) -> str:
        hint = " (is the local stack running? start it with make run)" if self.connection.local else ""
        return f"cannot reach Cognito at {self.endpoint}: {error}{hint}"


def explain(error: botocore.exceptions.ClientError, action: str, email: str, client_id: str) -> str:
    """One line for a Cognito error: what went wrong and, where there is one, what to do."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Error"))
    message = str(details.get("Message") or code)
    if code in ("NotAuthorizedException", "UserNotFoundException") and action == "log in":
        # One answer for both, as the pool gives when it hides which accounts exist.
        return "wrong email or password"
    known = {
        "UserNotConfirmedException": f"confirm first: notes confirm {email}",
        "UserNotFoundException": f"no account for {email}: notes signup {email}",
        "UsernameExistsException": f"an account for {email} already exists: notes login {email}",
        "InvalidPasswordException": f"password rejected: {message}",
        "CodeMismatchException": "wrong confirmation code: check the email and try again",
        "ExpiredCodeException": "the confirmation code has expired: ask for a new one",
        "TooManyRequestsException": f"too many requests, wait a moment and retry: {message}",
        "TooManyFailedAttemptsException": f"too many failed attempts, wait and retry: {message}",
        "LimitExceededException": f"too many attempts, wait and retry: {message}",
        "ResourceNotFoundException": (
            f"app client {client_id} not found in the user pool: check --client-id and --region "
            "(or restart make run)"
        ),
    }
    return known.get(code, f"cannot {action}: {code}: {message}")
