"""Tokens shaped like the stage's Cognito ID tokens, for the test client."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

STAGE_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_NotesTest"
STAGE_CLIENT_ID = "notestestclient"


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


class TokenFactory:
    """Makes ID tokens carrying the claims Cognito puts in them."""

    def id_token(self, sub: str, email: str, groups: list[str] | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "email": email,
            "email_verified": True,
            "cognito:username": sub,
            "iss": STAGE_ISSUER,
            "aud": STAGE_CLIENT_ID,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
        }
        if groups is not None:
            claims["cognito:groups"] = groups
        header = {"kid": "test", "alg": "RS256"}
        return f"{_segment(header)}.{_segment(claims)}.c2lnbmF0dXJl"
