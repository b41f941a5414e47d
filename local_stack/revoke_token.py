"""``RevokeToken`` for the emulator's user pools, answered as Cognito answers it.

The web app's and the CLI's sign-out revoke the refresh token (an unauthenticated call, as for
Cognito). The emulator has no such action; this one revokes the refresh token and the access
tokens made from it (their ``origin_jti``), so neither works afterwards: refreshing is
``NotAuthorizedException`` and ``GetUser`` with such an access token too.

Deleting a user (``AdminDeleteUser``, as an account deletion does) revokes its tokens the same way:
refreshing one is ``NotAuthorizedException``, where the emulator failed with a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def install() -> None:
    """Give the emulator's Cognito the action (once per process)."""
    from moto.cognitoidp.models import CognitoIdpUserPool
    from moto.cognitoidp.responses import CognitoIdpResponse

    if not hasattr(CognitoIdpResponse, "revoke_token"):
        CognitoIdpResponse.revoke_token = _revoke_token  # type: ignore[attr-defined]
    refresh = CognitoIdpUserPool.create_tokens_from_refresh_token
    if not getattr(refresh, "checks_the_user", False):

        def create_tokens_from_refresh_token(pool: Any, refresh_token: str) -> Any:
            from moto.cognitoidp.exceptions import NotAuthorizedError

            issued = pool.refresh_tokens.get(refresh_token)
            if issued is not None and issued[1] and pool._get_user(issued[1]) is None:
                raise NotAuthorizedError(refresh_token)  # the user was deleted since
            return refresh(pool, refresh_token)

        create_tokens_from_refresh_token.checks_the_user = True  # type: ignore[attr-defined]
        CognitoIdpUserPool.create_tokens_from_refresh_token = create_tokens_from_refresh_token  # type: ignore[method-assign,assignment]


def _revoke_token(self: Any) -> Any:
    from moto.cognitoidp.exceptions import ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import EmptyResult

    from local_stack import user_pool

    token, client_id = self._get_param("Token"), self._get_param("ClientId")
    for name, value in (("Token", token), ("ClientId", client_id)):
        if not isinstance(value, str) or not value:
            raise JsonRESTError("InvalidParameterException", f"{name} is required")
    try:
        pool, _client = user_pool.pool_of_client(self.backend, client_id)
    except ResourceNotFoundError:
        raise JsonRESTError(
            "ResourceNotFoundException", f"User pool client {client_id} does not exist."
        ) from None
    issued = pool.refresh_tokens.get(token)
    if issued is None:  # unknown, or revoked already: nothing is left to revoke
        return EmptyResult()
    issued_to, _username, origin_jti = issued
    if issued_to != client_id:
        raise JsonRESTError("UnauthorizedException", "Invalid token for this client")
    pool.refresh_tokens[token] = None
    forget_access_tokens(pool, origin_jti)
    return EmptyResult()


def forget_access_tokens(pool: Any, origin_jti: str) -> None:
    """The pool's user APIs no longer take the access tokens of the session ``origin_jti`` (the
    emulator takes only those it holds)."""
    for access_token in list(pool.access_tokens):
        if unverified_claims(access_token).get("origin_jti") == origin_jti:
            pool.access_tokens.pop(access_token, None)


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a token the emulator holds, unchecked: only to find the tokens of a session
    (the emulator issued them itself, so their signature needs no check here)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
