"""Authlib's grants over the pool's records: the authorization code (PKCE as Cognito takes it) and
the refresh token.

Codes are single-use (their first redemption uses them up, refused or not), bound to their
client, redirect URI and challenge, and valid five minutes; a refresh token makes new access and
ID tokens of the same session, never a new refresh token.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import session

from infra import description
from local_stack.oauth.clients import Client, signed_in_user
from local_stack.oauth.records import Code, RefreshToken, kept
from local_stack.oauth.tokens import REFRESH_TOKEN_SECONDS, Tokens

CODE_SECONDS = description.AUTHORIZATION_CODE_SECONDS


class S256Only(CodeChallenge):
    """PKCE as Cognito takes it: ``S256`` only, and the method always named.

    Registered with ``required=False``, as Cognito does not require PKCE: a code asked for without
    a challenge is redeemed without a verifier (one sent anyway is refused, RFC 9700 4.8); a code
    asked for with one needs its verifier.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = list(description.CODE_CHALLENGE_METHODS)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("Missing 'code_challenge_method': only S256 is accepted")
        super().validate_code_challenge(grant, redirect_uri)


def tokens_of(grant: Any) -> Tokens:
    """The token maker of the server a grant (or endpoint) is registered with."""
    tokens: Tokens = grant.server.tokens
    return tokens


class CodeGrant(AuthorizationCodeGrant):
    """The authorization code grant over the pool's records."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def save_authorization_code(self, code: str, oauth_request: Any) -> None:
        tokens, data = tokens_of(self), oauth_request.payload.data
        kept(tokens.pool()).codes[code] = Code(
            code=code,
            client_id=oauth_request.client.client_id,
            redirect_uri=oauth_request.payload.redirect_uri,
            scope=oauth_request.scope,  # the asked scopes, checked against the client's
            username=oauth_request.user.username,
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            auth_time=int(session.get("auth_time") or tokens.clock()),
            nonce=data.get("nonce"),
            expires_at=tokens.clock() + CODE_SECONDS,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """The code, taken out of the records: any redemption uses it up, also one refused later
        for its verifier or redirect URI, or sent by another client (RFC 6749 4.1.2, 10.5)."""
        tokens = tokens_of(self)
        records = kept(tokens.pool()).codes
        for stale in [key for key, item in records.items() if item.expires_at <= tokens.clock()]:
            del records[stale]
        found = records.pop(code, None)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        kept(tokens_of(self).pool()).codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> Any | None:
        return signed_in_user(tokens_of(self).pool(), authorization_code.username)

    def generate_token(self, user: Any = None, scope: str | None = None, **_: Any) -> dict[str, Any]:
        tokens, code = tokens_of(self), self.request.authorization_code
        origin_jti = str(uuid.uuid4())
        answer = tokens.issue(code.client_id, user, code.scope, code.auth_time, origin_jti, code.nonce)
        refresh = secrets.token_urlsafe(48)
        kept(tokens.pool()).refresh_tokens[refresh] = RefreshToken(
            refresh,
            code.client_id,
            user.username,
            code.scope,
            origin_jti,
            code.auth_time,
            expires_at=tokens.clock() + REFRESH_TOKEN_SECONDS,
        )
        answer["refresh_token"] = refresh
        return answer


class RefreshGrant(RefreshTokenGrant):
    """New access and ID tokens for a refresh token (no new refresh token, as Cognito)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        tokens = tokens_of(self)
        found = kept(tokens.pool()).refresh_tokens.get(refresh_token)
        if found is None or found.revoked or found.expires_at <= tokens.clock():
            return None
        return found

    def authenticate_user(self, refresh_token: RefreshToken) -> Any | None:
        return signed_in_user(tokens_of(self).pool(), refresh_token.username)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        pass  # Cognito keeps a refresh token until it expires or is revoked

    def create_token_response(self) -> Any:
        if self.authenticate_user(self.request.refresh_token) is None:
            raise InvalidGrantError("The user of this refresh token cannot sign in.")
        return super().create_token_response()

    def generate_token(self, user: Any = None, scope: str | None = None, **_: Any) -> dict[str, Any]:
        held: RefreshToken = self.request.refresh_token
        return tokens_of(self).issue(held.client_id, user, held.scope, held.auth_time, held.origin_jti)
