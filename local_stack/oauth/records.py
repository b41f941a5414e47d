"""What the sign-in server keeps on the emulator's pool: its codes and refresh tokens.

They live on the pool object, so they are saved with the rest of the emulator's data: a refresh
token outlives a restart, as deployed, and so does its revocation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local_stack.oauth.clients import Client

Pool = Any  # the emulator's user pool object
RECORDS_ATTRIBUTE = "oauth_records"  # where a pool keeps them


@dataclass
class Code:
    """An authorization code: bound to its client, redirect URI and PKCE challenge."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    nonce: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class RefreshToken:
    """A refresh token, and the session (``origin_jti``) of the tokens made from it."""

    token: str
    client_id: str
    username: str
    scope: str
    origin_jti: str
    auth_time: int
    expires_at: float
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Kept:
    """The sign-in server's records, one set per pool."""

    codes: dict[str, Code] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)

    def revoked(self, origin_jti: object) -> bool:
        """Whether the session ``origin_jti`` (a refresh token and the tokens made from it) was revoked."""
        return any(held.revoked and held.origin_jti == origin_jti for held in self.refresh_tokens.values())


def kept(pool: Pool) -> Kept:
    """The pool's records, made empty on first need."""
    records = pool.__dict__.get(RECORDS_ATTRIBUTE)
    if not isinstance(records, Kept):
        records = pool.__dict__[RECORDS_ATTRIBUTE] = Kept()
    return records


def revoked_here(pool: Pool, origin_jti: object) -> bool:
    """Whether the pool's sign-in server revoked the session ``origin_jti`` (False for a pool whose
    sign-in page was never used: it has no records, and none are made to answer)."""
    records = pool.__dict__.get(RECORDS_ATTRIBUTE)
    return isinstance(records, Kept) and records.revoked(origin_jti)
