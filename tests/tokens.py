"""Tokens signed like the emulator's user pool signs them, with any claims a test needs.

Each pool of the local stack signs its tokens with a key of its own (``local_stack.user_pool``) and
publishes its public half at ``/<poolId>/.well-known/jwks.json``; tests sign with the same private
key to build tokens Cognito would issue (and ones it never would). ``SHIPPED_KEY`` is the key the
emulator package ships (key id ``dummy``), which anyone has: the local pools never accept it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

SHIPPED_KID = "dummy"


def shipped_key() -> Any:
    """The private key inside the emulator package, the same on every install."""
    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


def in_process_pool_key(pool_id: str, region: str) -> dict[str, Any]:
    """The private JWK of the in-process emulator's pool ``pool_id``."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    from local_stack import user_pool

    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools[pool_id]
    key: dict[str, Any] = user_pool.signing_key(pool).as_dict(private=True)
    return key


class TokenFactory:
    """Signs tokens with the private JWK ``pool_jwk`` (a pool's key: its ``kid`` goes in the header)."""

    def __init__(self, issuer: str, client_id: str, pool_jwk: dict[str, Any]) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.pool_key = jwt.PyJWK(pool_jwk).key
        self.pool_kid = str(pool_jwk["kid"])
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> bytes:
        return self.pool_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def claims(self, kind: str = "id", **overrides: Any) -> dict[str, Any]:
        """Claims of an ID (``kind="id"``) or access token; ``overrides`` replace any of them."""
        token_use = kind
        now = int(time.time())
        sub = str(overrides.pop("sub", uuid.uuid4()))
        claims: dict[str, Any] = {
            "sub": sub,
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        if token_use == "id":
            claims.update({"aud": self.client_id, "cognito:username": sub, "email": f"{sub[:8]}@example.com"})
            claims["email_verified"] = True
        else:
            claims.update(
                {"client_id": self.client_id, "username": sub, "scope": "aws.cognito.signin.user.admin"}
            )
        claims.update(overrides)
        return claims

    def sign(
        self, claims: dict[str, Any], key: Any = None, kid: str | None = None, algorithm: str = "RS256"
    ) -> str:
        headers = {"kid": self.pool_kid if kid is None else kid}
        return jwt.encode(claims, key or self.pool_key, algorithm=algorithm, headers=headers)

    def id_token(self, **overrides: Any) -> str:
        return self.sign(self.claims("id", **overrides))

    def access_token(self, scope: str, **overrides: Any) -> str:
        return self.sign(self.claims("access", scope=scope, **overrides))
