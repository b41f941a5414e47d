"""Revocation as Cognito does it: a refresh token, and the access tokens of its session.

After ``<issuer>/oauth2/revoke``, refreshing is refused, and so are the session's access tokens at
userInfo and at the pool's user APIs (``GetUser``…). The API, as API Gateway, still takes them
until they expire: it checks their signature and expiry only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.oauth2.rfc7009 import RevocationEndpoint

from local_stack import revoke_token
from local_stack.oauth.grants import tokens_of
from local_stack.oauth.records import RefreshToken, kept, revoked_here


class Revocation(RevocationEndpoint):
    """Revokes a refresh token and the access tokens made from it."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    SUPPORTED_TOKEN_TYPES = ("refresh_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> RefreshToken | None:
        return kept(tokens_of(self).pool()).refresh_tokens.get(token_string)

    def revoke_token(self, token: RefreshToken, oauth_request: Any) -> None:
        token.revoked = True
        revoke_token.forget_access_tokens(tokens_of(self).pool(), token.origin_jti)


def install() -> None:
    """Have the emulator's ``GetUser`` refuse an access token of a revoked session in Cognito's
    words (once per process): the emulator, not knowing the token any more, says only that it is
    invalid."""
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    get_user = CognitoIdpBackend.get_user
    if getattr(get_user, "knows_revoked_sessions", False):
        return

    def checked_get_user(backend: Any, access_token: str) -> Any:
        try:
            return get_user(backend, access_token)
        except NotAuthorizedError:
            claims = revoke_token.unverified_claims(access_token)
            for pool in backend.user_pools.values():
                issued_here = str(claims.get("iss", "")).endswith(f"/{pool.id}")
                if issued_here and revoked_here(pool, claims.get("origin_jti")):
                    raise NotAuthorizedError("Access Token has been revoked") from None
            raise

    checked_get_user.knows_revoked_sessions = True  # type: ignore[attr-defined]
    CognitoIdpBackend.get_user = checked_get_user  # type: ignore[method-assign,assignment]
