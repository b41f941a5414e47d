"""The pool's app clients and scopes, as the authorization server (Authlib) sees them.

A client may use the code flow as Cognito decides (``AllowedOAuthFlowsUserPoolClient``, ``code``
among ``AllowedOAuthFlows``), with its ``CallbackURLs``, ``LogoutURLs`` and the
``AllowedOAuthScopes`` that exist: Cognito's standard scopes and the pool's resource servers'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

from contract.scopes import USER_ADMIN_SCOPE
from local_stack.oauth.records import Pool

# The scopes every pool has (Cognito's standard ones); custom ones come from its resource servers.
STANDARD_SCOPES = ("openid", "email", "phone", "profile", USER_ADMIN_SCOPE)


@dataclass(frozen=True)
class Client(ClientMixin):
    client_id: str
    redirect_uris: tuple[str, ...]
    logout_uris: tuple[str, ...]
    scopes: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # Cognito needs redirect_uri on every request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The asked scopes, in the client's order; none asked: all of the client's.

        None (``invalid_scope``, as Cognito answers) when one asked is unknown or not the client's.
        """
        asked = set((scope or "").split())
        if not asked:
            return " ".join(self.scopes)
        if not asked <= set(self.scopes):
            return None
        return " ".join(allowed for allowed in self.scopes if allowed in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # public clients: no secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def existing_scopes(pool: Pool) -> set[str]:
    scopes = set(STANDARD_SCOPES)
    for server in pool.resource_servers.values():
        for scope in server.scopes or []:
            scopes.add(f"{server.identifier}/{scope['ScopeName']}")
    return scopes


def find_client(pool: Pool, client_id: str | None) -> Client | None:
    """The pool's app client ``client_id`` if it may use the code flow, as Cognito decides."""
    found = pool.clients.get(client_id or "")
    if found is None:
        return None
    config = found.extended_config
    if not config.get("AllowedOAuthFlowsUserPoolClient") or "code" not in (
        config.get("AllowedOAuthFlows") or []
    ):
        return None
    if found.generate_secret:
        return None  # this server speaks to public clients only
    known = existing_scopes(pool)
    return Client(
        client_id=found.id,
        redirect_uris=tuple(config.get("CallbackURLs") or ()),
        logout_uris=tuple(config.get("LogoutURLs") or ()),
        scopes=tuple(scope for scope in config.get("AllowedOAuthScopes") or () if scope in known),
    )


def signed_in_user(pool: Pool, username: str | None) -> Any | None:
    """The pool's user ``username`` if they may sign in now (confirmed and enabled)."""
    user = pool.users.get(username or "")
    if user is None or not user.enabled or user.status != "CONFIRMED":
        return None
    return user
