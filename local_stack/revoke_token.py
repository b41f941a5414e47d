"""``RevokeToken`` for the emulator's user pools, answered as Cognito answers it.

The web app's and the CLI's sign-out revoke the refresh token (an unauthenticated call, as for
Cognito). The emulator has no such action; this one revokes the refresh token and the access
tokens made from it (their ``origin_jti``), so neither works afterwards: refreshing is
``NotAuthorizedException`` and ``GetUser`` with such an access token too.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def install() -> None:
    """Give the emulator's Cognito the action (once per process)."""
    from moto.cognitoidp.responses import CognitoIdpResponse

    if not hasattr(CognitoIdpResponse, "revoke_token"):
        CognitoIdpResponse.revoke_token = _revoke_token  # type: ignore[attr-defined]


def _revoke_token(self: Any) -> Any:
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import EmptyResult

    token, client_id = self._get_param("Token"), self._get_param("ClientId")
    for name, value in (("Token", token), ("ClientId", client_id)):
        if not isinstance(value, str) or not value:
            raise JsonRESTError("InvalidParameterException", f"{name} is required")
    pool = _pool_of_client(self.backend, client_id)
    if pool is None:
        raise JsonRESTError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")
    issued = pool.refresh_tokens.get(token)
    if issued is None:  # unknown, or revoked already: nothing is left to revoke
        return EmptyResult()
    issued_to, _username, origin_jti = issued
    if issued_to != client_id:
        raise JsonRESTError("UnauthorizedException", "Invalid token for this client")
    pool.refresh_tokens[token] = None
    for access_token in list(pool.access_tokens):
        if _claims(access_token).get("origin_jti") == origin_jti:
            pool.access_tokens.pop(access_token, None)
    return EmptyResult()


def _pool_of_client(backend: Any, client_id: str) -> Any:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool
    return None


def _claims(token: str) -> dict[str, Any]:
    """The payload of a token the emulator issued itself (its signature needs no check here)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
