"""The user pool side: sign up, confirm, sign in, refresh and revoke, with readable errors.

Every operation the CLI needs is one a public app client may call without AWS
credentials, except ``AdminConfirmSignUp``, which only the local emulator is
asked for (it accepts any signature there).

``Cognito`` is the pool's API (ID-token mode's password sign-in, and sign-up for both modes);
``TokenEndpoint`` is the pool's OAuth 2.0 endpoints (scoped mode), where the authorization
code is exchanged for tokens, the tokens are refreshed and the refresh token is revoked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import boto3
import botocore
import botocore.exceptions
import requests
from botocore.config import Config

from notes_cli.credentials import API_GETS_ACCESS, Session, token_claims
from notes_cli.errors import CliError, SessionExpired, one_line
from notes_cli.stack import Connection

# The emulator tells services apart by the request's signature, so it gets
# signed requests; these keys are meaningless anywhere else.
EMULATOR_KEYS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=20,
    retries={"max_attempts": 2, "mode": "standard"},
)


class PasswordRefused(CliError):
    """The pool refused a new password; ``pool_message`` is what it said."""

    def __init__(self, pool_message: str) -> None:
        self.pool_message = pool_message
        super().__init__(f"password rejected: {pool_message}")


class WrongPassword(CliError):
    """The pool refused an email and password: the password is wrong, or no account has the email
    (the pool does not say which)."""

    def __init__(self) -> None:
        super().__init__("wrong email or password")


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
        """Sign in with the password flow and return the new session; raises WrongPassword when the
        pool refuses the email and password."""
        try:
            answer = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                # One answer for both, as the pool gives when it hides which accounts exist.
                raise WrongPassword() from error
            raise CliError(explain(error, "log in", email, self.client_id)) from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error
        result = answer.get("AuthenticationResult")
        if not result:
            challenge = answer.get("ChallengeName", "an unknown challenge")
            raise CliError(f"signing in needs {challenge}, which this CLI does not support")
        # The account's email as it signed up: the pool finds it whatever the letter case typed.
        signed_up_as = token_claims(result["IdToken"]).get("email")
        return Session.from_tokens(
            signed_up_as if isinstance(signed_up_as, str) and signed_up_as else email,
            result["IdToken"],
            result["AccessToken"],
            result["RefreshToken"],
            result["ExpiresIn"],
        )

    def user_gone(self, access_token: str) -> bool:
        """Whether the pool no longer has the user ``access_token`` was made for: GetUser answers
        that the user does not exist. False for any other answer, an expired token among them (the
        pool then tells nothing). The token's own user is all it asks about."""
        try:
            self.client.get_user(AccessToken=access_token)
        except botocore.exceptions.ClientError as error:
            return error.response.get("Error", {}).get("Code") == "UserNotFoundException"
        except botocore.exceptions.BotoCoreError:
            return False
        return False

    def refresh(self, session: Session) -> Session:
        """New ID and access tokens from the refresh token; raises SessionExpired when refused."""
        try:
            answer = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": session.refresh_token},
            )
        except botocore.exceptions.ClientError as error:
            raise SessionExpired(session.login_command) from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error
        result = answer.get("AuthenticationResult") or {}
        if "IdToken" not in result:
            raise SessionExpired(session.login_command)
        # Cognito keeps the refresh token unless rotation hands out a new one.
        return Session.from_tokens(
            session.email,
            result["IdToken"],
            result["AccessToken"],
            result.get("RefreshToken") or session.refresh_token,
            result["ExpiresIn"],
        )

    def change_password(self, session: Session, current: str, new: str) -> None:
        """ChangePassword with the session's access token; raises PasswordRefused for a new password
        the pool refuses, and CliError saying why for anything else."""
        try:
            self.client.change_password(
                PreviousPassword=current, ProposedPassword=new, AccessToken=session.access_token
            )
        except botocore.exceptions.ClientError as error:
            details = error.response.get("Error", {})
            code, message = str(details.get("Code", "")), str(details.get("Message") or "")
            if code == "InvalidPasswordException":
                raise PasswordRefused(message) from error
            if code == "NotAuthorizedException" and (
                "token" in message.lower() or message == session.access_token
            ):
                raise CliError(
                    f"the password was not changed: your session was refused; run {session.login_command}, "
                    "then notes passwd again"
                ) from error
            if code == "NotAuthorizedException":
                # The pool's answer to a wrong previous password ("Incorrect username or password.").
                raise CliError("the password was not changed: the current password is wrong") from error
            if code in ("LimitExceededException", "TooManyRequestsException"):
                raise CliError(
                    "the password was not changed: too many attempts; wait a while and try again"
                ) from error
            why = explain(error, "change the password", session.email, self.client_id)
            raise CliError(f"the password was not changed: {why}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error

    def forgot_password(self, email: str) -> str | None:
        """ForgotPassword: the pool sends a code to reset the password with; where it went
        (such as ``y***@e***``), when the pool says."""
        with self._errors("reset the password of", email):
            answer = self.client.forgot_password(ClientId=self.client_id, Username=email)
        destination = (answer.get("CodeDeliveryDetails") or {}).get("Destination")
        return str(destination) if destination else None

    def confirm_forgot_password(self, email: str, code: str, password: str) -> None:
        """ConfirmForgotPassword: the new password, with the code ForgotPassword sent."""
        try:
            self.client.confirm_forgot_password(
                ClientId=self.client_id, Username=email, ConfirmationCode=code, Password=password
            )
        except botocore.exceptions.ClientError as error:
            details = error.response.get("Error", {})
            code_name, message = str(details.get("Code", "")), str(details.get("Message") or "")
            again = f"notes reset-password {email}"
            known = {
                "CodeMismatchException": f"the code is wrong: check the email, then run {again} --code CODE",
                "ExpiredCodeException": f"the code has expired: run {again} for a new one",
                # With user existence errors prevented (deployed and locally) the pool answers an
                # unknown account as it does a wrong code; a pool without that setting names it.
                "UserNotFoundException": f"there is no account for {email}, or the code is not its",
                "ResourceNotFoundException": f"there is no account for {email}, or the code is not its",
                "TooManyFailedAttemptsException": "too many failed attempts; wait a while and try again",
                "LimitExceededException": "too many attempts; wait a while and try again",
            }
            if code_name == "InvalidPasswordException":
                raise PasswordRefused(message) from error
            if code_name in known:
                raise CliError(f"the password was not reset: {known[code_name]}") from error
            why = explain(error, "reset the password of", email, self.client_id)
            raise CliError(f"the password was not reset: {why}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error

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
            details = error.response.get("Error", {})
            if details.get("Code") == "InvalidPasswordException":
                raise PasswordRefused(str(details.get("Message") or "")) from error
            raise CliError(explain(error, action, email, self.client_id)) from error
        except botocore.exceptions.BotoCoreError as error:
            raise CliError(self._unreachable(error)) from error

    def _unreachable(self, error: Exception) -> str:
        hint = " (is the local stack running? start it with make run)" if self.connection.local else ""
        return f"cannot reach Cognito at {self.endpoint}: {error}{hint}"


class TokenEndpoint:
    """The pool's OAuth 2.0 endpoints under ``domain``, as one public app client (no secret)."""

    def __init__(
        self, domain: str, client_id: str, *, local: bool = False, http: requests.Session | None = None
    ) -> None:
        self.domain = domain
        self.client_id = client_id
        self.local = local
        self.http = http or requests.Session()

    def authorize_url(
        self, redirect_uri: str, scope: str, state: str, challenge: str, login_hint: str | None = None
    ) -> str:
        """The sign-in page's address for an authorization code with PKCE (S256)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            query["login_hint"] = login_hint
        return f"{self.domain}/oauth2/authorize?{urlencode(query)}"

    def exchange(self, code: str, redirect_uri: str, verifier: str, *, read_only: bool = False) -> Session:
        """The session the sign-in's code stands for; raises CliError when it is refused."""
        answer = self._post(
            "/oauth2/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "code_verifier": verifier,
            },
        )
        if answer.status_code != 200:
            raise CliError(f"the sign-in could not be completed: {self._refusal(answer)}")
        tokens = self._tokens(answer, ("access_token", "id_token", "refresh_token"))
        return Session.from_tokens(
            email_of(tokens["id_token"], tokens["access_token"]),
            tokens["id_token"],
            tokens["access_token"],
            tokens["refresh_token"],
            tokens["expires_in"],
            api_token=API_GETS_ACCESS,
            client_id=self.client_id,
            read_only=read_only,
        )

    def refresh(self, session: Session) -> Session:
        """New access and ID tokens from the refresh token; raises SessionExpired when refused."""
        answer = self._post(
            "/oauth2/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": session.refresh_token,
                "client_id": self.client_id,
            },
        )
        if answer.status_code == 400:
            raise SessionExpired(session.login_command)
        if answer.status_code != 200:
            raise CliError(f"cannot refresh the session: {self._refusal(answer)}")
        tokens = self._tokens(answer, ("access_token",))
        # The token endpoint keeps the refresh token: its answer carries none.
        return Session.from_tokens(
            session.email,
            tokens.get("id_token") or session.id_token,
            tokens["access_token"],
            tokens.get("refresh_token") or session.refresh_token,
            tokens["expires_in"],
            api_token=API_GETS_ACCESS,
            client_id=self.client_id,
            read_only=session.read_only,
        )

    def revoke(self, refresh_token: str) -> bool:
        """Revoke the refresh token (and the tokens made from it); returns whether it was accepted."""
        try:
            answer = self._post("/oauth2/revoke", {"token": refresh_token, "client_id": self.client_id})
        except CliError:
            return False
        return answer.status_code == 200

    def _post(self, path: str, form: dict[str, str]) -> requests.Response:
        try:
            return self.http.post(
                self.domain + path,
                data=form,
                headers={"Accept": "application/json"},
                timeout=(CLIENT_CONFIG.connect_timeout, CLIENT_CONFIG.read_timeout),
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as error:
            hint = " (is the local stack running? start it with make run SCOPED=1)" if self.local else ""
            raise CliError(f"cannot reach the sign-in endpoints at {self.domain}: {error}{hint}") from error

    def _tokens(self, answer: requests.Response, needed: tuple[str, ...]) -> dict[str, Any]:
        try:
            tokens = answer.json()
        except ValueError:
            tokens = None
        if not isinstance(tokens, dict) or not all(isinstance(tokens.get(name), str) for name in needed):
            raise CliError(f"the token endpoint at {self.domain} sent an answer without the tokens")
        expires_in = tokens.get("expires_in")
        tokens["expires_in"] = expires_in if isinstance(expires_in, int) else 3600
        return tokens

    def _refusal(self, answer: requests.Response) -> str:
        """The endpoint's ``error`` and ``error_description``, or its status."""
        try:
            body = answer.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            description = body.get("error_description")
            return f"{body['error']}: {description}" if description else body["error"]
        return f"{answer.status_code} {one_line(answer.text or answer.reason or '', 120)}".strip()


def email_of(id_token: str, access_token: str) -> str:
    """Who the tokens name: the ID token's email, else the pool's username."""
    identity, access = token_claims(id_token), token_claims(access_token)
    for value in (identity.get("email"), identity.get("cognito:username"), access.get("username")):
        if isinstance(value, str) and value:
            return value
    raise CliError("the sign-in's tokens name no user")


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
        "InvalidParameterException": f"cannot {action} {email}: {message}",
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
