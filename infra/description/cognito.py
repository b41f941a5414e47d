"""The stage's user pool and its app clients, as the parameters of the Cognito calls that make them.

ID-token mode: the pool and its password client. Scoped mode (a stage's "auth" in
.chalice/config.json): the API takes access tokens carrying one of a route's OAuth scopes, which
Cognito puts only into tokens from its token endpoint. The pool then has a domain (its sign-in
pages), a resource server with a read and a write scope, and three public OAuth clients
(authorization code with PKCE, no secret). The scopes and the password rules are the contract's
(``contract.scopes``, ``contract.passwords``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract.passwords import POOL_POLICY
from contract.scopes import READ_SCOPE, RESOURCE_SERVER, USER_ADMIN_SCOPE, WRITE_SCOPE
from infra.description.names import APP_NAME, check_stage, user_pool_client_name, user_pool_name

# The pool's password policy: the rules are the product's one definition (contract.passwords).
PASSWORD_POLICY: dict[str, Any] = {**POOL_POLICY.cognito(), "TemporaryPasswordValidityDays": 7}


def user_pool(stage: str) -> dict[str, Any]:
    """CreateUserPool parameters: email is the username, verified automatically."""
    return {
        "PoolName": user_pool_name(stage),
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "Policies": {"PasswordPolicy": dict(PASSWORD_POLICY)},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "MfaConfiguration": "OFF",
        "DeletionProtection": "ACTIVE" if stage == "prod" else "INACTIVE",
    }


def retained(stage: str) -> bool:
    """Whether deleting the stage's stack keeps its user pool (the notes, trash and account tables
    are always kept)."""
    return stage == "prod"


# What every app client's tokens are: revocable, ID and access tokens an hour, refresh tokens 30 days.
TOKEN_MINUTES = 60
REFRESH_TOKEN_DAYS = 30
CLIENT_TOKENS: dict[str, Any] = {
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "AccessTokenValidity": TOKEN_MINUTES,
    "IdTokenValidity": TOKEN_MINUTES,
    "RefreshTokenValidity": REFRESH_TOKEN_DAYS,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
}


def user_pool_client(stage: str) -> dict[str, Any]:
    """CreateUserPoolClient parameters (UserPoolId aside): no secret; password, SRP and refresh flows,
    and the password flow for tools holding IAM credentials (``AdminInitiateAuth``)."""
    return {
        "ClientName": user_pool_client_name(stage),
        "GenerateSecret": False,
        "ExplicitAuthFlows": [
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        **CLIENT_TOKENS,
    }


MODES = ("id", "scoped")
# web: the page signs in and out at the stage's address; cli: ``notes login``'s loopback callback
# (Cognito allows http only for localhost and 127.0.0.1, on a fixed port); readOnly: for tools
# that must never write.
OAUTH_CLIENTS = ("web", "cli", "readOnly")
CLI_CALLBACK_PORT = 8976
CLI_CALLBACK_URL = f"http://127.0.0.1:{CLI_CALLBACK_PORT}/callback"
# What Cognito accepts for a code's PKCE challenge: S256 only.
CODE_CHALLENGE_METHODS = ("S256",)
AUTHORIZATION_CODE_SECONDS = 300


def oauth_client_name(stage: str, kind: str) -> str:
    if kind not in OAUTH_CLIENTS:
        raise ValueError(f"unknown OAuth client {kind!r}; clients: {', '.join(OAUTH_CLIENTS)}")
    return f"{APP_NAME}-{check_stage(stage)}-oauth-{kind}"


def oauth_scopes(kind: str) -> list[str]:
    """The scopes the ``kind`` client may ask for: the read-only client never gets the write scope."""
    if kind == "readOnly":
        return ["openid", READ_SCOPE]
    if kind in OAUTH_CLIENTS:
        # The user's own pool APIs too (ChangePassword with the access token): a client that writes
        # may change its user's password; the read-only one may not.
        return ["openid", "email", USER_ADMIN_SCOPE, READ_SCOPE, WRITE_SCOPE]
    raise ValueError(f"unknown OAuth client {kind!r}; clients: {', '.join(OAUTH_CLIENTS)}")


def web_oauth(domain: str, client_id: str, page_url: str) -> dict[str, str]:
    """The page's ``oauth`` settings in its ``config.json`` on a scoped stage, deployed and locally:
    the pool's sign-in domain, the web client, the scopes it asks for, the page's own address
    (where the sign-in and the sign-out come back to), and the scope an access token needs to change
    the password."""
    page = page_url.rstrip("/") + "/"
    return {
        "domain": domain.rstrip("/"),
        "clientId": client_id,
        "scopes": " ".join(oauth_scopes("web")),
        "redirectUri": page,
        "logoutUri": page,
        "passwordScope": USER_ADMIN_SCOPE,
    }


def resource_server(stage: str) -> dict[str, Any]:
    """CreateResourceServer parameters (UserPoolId aside): the API, with its read and write scope."""
    return {
        "Identifier": RESOURCE_SERVER,
        "Name": f"{APP_NAME}-{check_stage(stage)}-api",
        "Scopes": [
            {"ScopeName": READ_SCOPE.split("/", 1)[1], "ScopeDescription": "Read your notes and files"},
            {
                "ScopeName": WRITE_SCOPE.split("/", 1)[1],
                "ScopeDescription": "Create, change and delete your notes",
            },
        ],
    }


def oauth_client(
    stage: str, kind: str, callback_urls: Sequence[Any], logout_urls: Sequence[Any]
) -> dict[str, Any]:
    """CreateUserPoolClient parameters (UserPoolId aside) for a public OAuth client: no secret,
    the authorization code flow only (with PKCE: it has no secret), sign-in with the pool's own
    users, and the refresh token."""
    return {
        "ClientName": oauth_client_name(stage, kind),
        "GenerateSecret": False,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": oauth_scopes(kind),
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": list(callback_urls),
        "LogoutURLs": list(logout_urls),
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        **CLIENT_TOKENS,
    }
