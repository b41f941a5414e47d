"""Tokens signed like the emulator's user pool signs them, with any claims a test needs.

The emulator signs every pool's tokens with one RSA key (key id ``dummy``) and
publishes its public half at ``/<poolId>/.well-known/jwks.json``; tests sign with
the same private key to build tokens Cognito would issue (and ones it never would).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

POOL_KID = "dummy"


class TokenFactory:
    def __init__(self, issuer: str, client_id: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.pool_key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
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
        self, claims: dict[str, Any], key: Any = None, kid: str = POOL_KID, algorithm: str = "RS256"
    ) -> str:
        return jwt.encode(claims, key or self.pool_key, algorithm=algorithm, headers={"kid": kid})

    def id_token(self, **overrides: Any) -> str:
        return self.sign(self.claims("id", **overrides))

    def access_token(self, scope: str, **overrides: Any) -> str:
        return self.sign(self.claims("access", scope=scope, **overrides))
