"""Scoped mode on the local stack (``make run SCOPED=1``): what the API, the web app, the facts file
and the emulator are given beside ID-token mode's settings.

The API then takes access tokens carrying the resource server's scopes (``COGNITO_READ_SCOPES``,
``COGNITO_WRITE_SCOPES``), issued by the pool's sign-in endpoints (``local_stack.oauth``) under the
issuer ``http://127.0.0.1:<emulator port>/<pool id>``, which the local token checks are told
(``NOTES_TOKEN_ISSUER``): deployed, the issuer is Cognito's own address.
"""

from __future__ import annotations

from typing import Any

from infra import description
from local_stack.emulator import Mounts
from local_stack.gateway_auth import ISSUER_ENV
from local_stack.provisioning import Provisioned, redirect_uris
from notes_cli.stack_file import oauth_json


def issuer(endpoint: str, made: Provisioned) -> str:
    """The tokens' ``iss`` on this stack: the pool's path on the emulator (also the sign-in domain)."""
    return f"{endpoint.rstrip('/')}/{made.user_pool_id}"


def oauth_facts(endpoint: str, made: Provisioned, web_origins: tuple[str, ...]) -> dict[str, Any]:
    """``oauth`` in ``.local/stack.json``: the issuer, the sign-in domain, the scopes and the clients."""
    clients = {
        kind: (client_id, redirect_uris(kind, web_origins)) for kind, client_id in made.oauth_clients.items()
    }
    scopes = (description.READ_SCOPE, description.WRITE_SCOPE)
    return oauth_json(issuer(endpoint, made), issuer(endpoint, made), scopes, clients)


def web_oauth(endpoint: str, made: Provisioned, web_url: str) -> dict[str, str]:
    """The page's ``oauth`` settings in its ``config.json`` (the deployed page's shape)."""
    return description.web_oauth(issuer(endpoint, made), made.oauth_clients["web"], web_url)


def api_environment(endpoint: str, made: Provisioned) -> dict[str, str]:
    """What ``chalice local`` is given in scoped mode (the local stage names no scopes itself)."""
    return {
        "COGNITO_READ_SCOPES": description.READ_SCOPE,
        "COGNITO_WRITE_SCOPES": description.WRITE_SCOPE,
        ISSUER_ENV: issuer(endpoint, made),
    }


def mount_sign_in(mounts: Mounts, endpoint: str, made: Provisioned, web_origins: tuple[str, ...]) -> None:
    """Serve the pool's OAuth 2.0 endpoints beside the emulator, over its own pool."""
    from moto.cognitoidp.models import cognitoidp_backends

    from local_stack import oauth

    account = made.account

    def pool() -> Any:
        return cognitoidp_backends[account][made.region].user_pools[made.user_pool_id]

    url = issuer(endpoint, made)
    mounts.add(oauth.mounted_paths(url), oauth.oauth_app(url, pool, web_origins))
