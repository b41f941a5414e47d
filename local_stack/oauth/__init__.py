"""The user pool's OAuth 2.0 endpoints on the local stack (``make run SCOPED=1``).

Deployed, Cognito serves them on the pool's domain: a sign-in page, and the authorization code
flow whose tokens are the only ones to carry the resource server's custom scopes. The emulator
serves none of them (its access tokens always say ``aws.cognito.signin.user.admin``), so a scoped
stage could not be used locally. This package serves them over the emulator's own users, app
clients and resource servers, on the emulator's port, under the pool's issuer::

    <issuer>/.well-known/openid-configuration   discovery
    <issuer>/oauth2/authorize                    the sign-in page (sign in, sign up, confirm)
    <issuer>/oauth2/token                        authorization_code (PKCE S256), refresh_token
    <issuer>/oauth2/revoke                       a refresh token, and its access tokens
    <issuer>/oauth2/userInfo                     who an access token names
    <issuer>/logout                              ends the sign-in page's session

where ``<issuer>`` is ``http://127.0.0.1:<emulator port>/<pool id>``, the tokens' ``iss``.

The protocol is Authlib's authorization server; what is Cognito's is here, a module each:

- ``records``     the codes and refresh tokens kept on the pool (saved with the emulator's data)
- ``clients``     the clients' settings (``AllowedOAuthFlows``, ``AllowedOAuthScopes``,
                  ``CallbackURLs``, ``LogoutURLs``) and the scopes that exist (OpenID's and the
                  resource servers'; asking for another is ``invalid_scope``)
- ``tokens``      the tokens, with the claims of Cognito's, signed with the pool's key
- ``grants``      the code (PKCE when a client sends a challenge, then ``S256`` only; single-use,
                  bound to its client, redirect URI and challenge, valid five minutes) and refresh
- ``revocation``  revocation that reaches the session's access tokens
- ``pages``       the sign-in pages, from the Jinja2 templates in ``templates/``
- ``routes``      the Flask app: each endpoint, and the paths the emulator hands it
"""

from __future__ import annotations

# Code, Kept and RefreshToken are named here too: data saved before they had modules of their own
# (a pickle) names them as local_stack.oauth's.
from local_stack.oauth.records import Code, Kept, RefreshToken, kept
from local_stack.oauth.routes import mounted_paths, oauth_app
from local_stack.oauth.tokens import REFRESH_TOKEN_SECONDS

__all__ = ["REFRESH_TOKEN_SECONDS", "Code", "Kept", "RefreshToken", "kept", "mounted_paths", "oauth_app"]
