"""The access, ID and refresh tokens' lifetimes, and the access and ID tokens with Cognito's claims.

Tokens are signed with the key the pool's JWKS publishes (``<issuer>/.well-known/jwks.json``,
served by the emulator), so the API checks them as it checks any other token of the pool.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from infra import description
from local_stack import user_pool
from local_stack.oauth.clients import USER_ADMIN_SCOPE
from local_stack.oauth.records import Pool

# The clients' token validity (infra/description/).
TOKEN_SECONDS = description.TOKEN_MINUTES * 60
REFRESH_TOKEN_SECONDS = description.REFRESH_TOKEN_DAYS * 24 * 3600

PoolLookup = Callable[[], Pool]


class Tokens:
    """Makes the access, ID and refresh tokens Cognito's token endpoint answers."""

    def __init__(self, issuer: str, pool: PoolLookup, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.pool = pool
        self.clock = clock

    def issue(
        self, client_id: str, user: Any, scope: str, auth_time: int, origin_jti: str, nonce: str | None = None
    ) -> dict[str, Any]:
        pool = self.pool()
        now = int(self.clock())
        groups = sorted(group.group_name for group in user.groups)
        event_id = str(uuid.uuid4())
        access: dict[str, Any] = {
            "sub": user.id,
            **({"cognito:groups": groups} if groups else {}),
            "iss": self.issuer,
            "version": 2,
            "client_id": client_id,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": auth_time,
            "exp": now + TOKEN_SECONDS,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        access_token = user_pool.sign(pool, access)  # the key the pool's JWKS publishes
        if USER_ADMIN_SCOPE in scope.split():
            # The pool's own user APIs (ChangePassword, GetUser…) take it, as Cognito's take a token
            # with this scope: the emulator knows only the access tokens it issued itself.
            pool.access_tokens[access_token] = (client_id, user.username)
        answer: dict[str, Any] = {"access_token": access_token}
        if "openid" in scope.split():
            email = user_pool.attribute(user, "email")
            identity: dict[str, Any] = {
                "at_hash": _at_hash(access_token),
                "sub": user.id,
                **({"cognito:groups": groups} if groups else {}),
                "email_verified": user_pool.email_verified(user),
                "iss": self.issuer,
                "cognito:username": user.username,
                **({"nonce": nonce} if nonce else {}),
                "origin_jti": origin_jti,
                "aud": client_id,
                "event_id": event_id,
                "token_use": "id",
                "auth_time": auth_time,
                "exp": now + TOKEN_SECONDS,
                "iat": now,
                "jti": str(uuid.uuid4()),
                **({"email": email} if email else {}),
            }
            answer["id_token"] = user_pool.sign(pool, identity)
        answer.update({"token_type": "Bearer", "expires_in": TOKEN_SECONDS})
        return answer

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token this pool signed and that has not expired, else None."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            decoded = jwt.decode(token, user_pool.signing_key(self.pool()), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        claims = dict(decoded.claims)
        exp = claims.get("exp")
        if (
            claims.get("iss") != self.issuer
            or claims.get("token_use") != "access"
            or not isinstance(exp, int)
            or exp <= self.clock()
        ):
            return None
        return claims


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
