"""The OAuth scopes of scoped mode, defined once.

The pool's resource server (``notes``) has a read and a write scope: the API takes an access token
carrying the one its route needs (``COGNITO_READ_SCOPES``, ``COGNITO_WRITE_SCOPES``). Cognito's own
``aws.cognito.signin.user.admin`` lets an access token call the user's own pool APIs, ChangePassword
among them. The deploy description gives the pool and its clients these; the CLI asks for them; the
web app's ``config.json`` names the password scope (``oauth.passwordScope``).
"""

from __future__ import annotations

RESOURCE_SERVER = "notes"
READ_SCOPE = f"{RESOURCE_SERVER}/read"
WRITE_SCOPE = f"{RESOURCE_SERVER}/write"
# Cognito's scope for the user's own pool APIs (ChangePassword takes an access token carrying it).
USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
