"""The endpoints under the pool's issuer, as a Flask app: Authlib's authorization server for the
protocol, the sign-in pages (``pages``) for the person signing in.

Every path is ``<issuer path><route>`` (``ROUTES``); ``mounted_paths`` tells the emulator which of
its paths are this app's. The token endpoints answer the web app's origins across origins.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from flask import Flask, Response, redirect, request, session

from contract.passwords import PasswordPolicy
from infra import description
from local_stack import user_pool
from local_stack.oauth import pages, revocation
from local_stack.oauth.clients import existing_scopes, find_client, signed_in_user
from local_stack.oauth.grants import CodeGrant, RefreshGrant, S256Only
from local_stack.oauth.records import Pool, kept
from local_stack.oauth.revocation import Revocation
from local_stack.oauth.tokens import PoolLookup, Tokens

# Paths under the issuer that this app answers (everything else is the emulator's): the view of
# ``SignInServer`` for each, and its methods.
ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/.well-known/openid-configuration": ("discovery", ("GET",)),
    "/oauth2/authorize": ("authorize", ("GET",)),
    "/login": ("login", ("POST",)),
    "/signup": ("signup", ("GET", "POST")),
    "/confirm": ("confirm", ("POST",)),
    "/oauth2/token": ("token", ("POST", "OPTIONS")),
    "/oauth2/revoke": ("revoke", ("POST", "OPTIONS")),
    "/oauth2/userInfo": ("user_info", ("GET", "POST", "OPTIONS")),
    "/logout": ("logout", ("GET",)),
}
# The answers a page may read across origins (the web app exchanges its code with fetch).
CORS_PATHS = ("/oauth2/token", "/oauth2/revoke", "/oauth2/userInfo")


def oauth_app(
    issuer: str, pool: PoolLookup, web_origins: Iterable[str] = (), clock: Callable[[], float] = time.time
) -> Flask:
    """The endpoints of the pool at ``issuer``; ``web_origins`` may call the token endpoints."""
    # Authlib refuses plain HTTP unless told: the local stack is on loopback only.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    revocation.install()
    app = Flask("notes-sign-in")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_NAME="notes-sign-in", SESSION_COOKIE_SAMESITE="Lax")
    SignInServer(app, Tokens(issuer, pool, clock), frozenset(web_origins))
    return app


def mounted_paths(issuer: str) -> list[str]:
    """The emulator's paths this app answers, for ``emulator.Mounts``."""
    return [issuer_path(issuer) + path for path in ROUTES]


def issuer_path(issuer: str) -> str:
    """The issuer's path on the emulator: ``/<pool id>``."""
    return "/" + issuer.rstrip("/").rsplit("/", 1)[1]


def password_policy(pool: Pool) -> PasswordPolicy:
    """The pool's password policy, as it was created (Cognito's defaults for what it leaves out)."""
    return PasswordPolicy.from_cognito(
        (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}
    )


class SignInServer:
    """The routes of the pool's endpoints on ``app``: Authlib's server, and the sign-in pages."""

    def __init__(self, app: Flask, tokens: Tokens, origins: frozenset[str]) -> None:
        self.tokens = tokens
        self.origins = origins
        self.base = issuer_path(tokens.issuer)
        self.server = AuthorizationServer(
            app, query_client=lambda client_id: find_client(tokens.pool(), client_id), save_token=_nothing
        )
        self.server.tokens = tokens
        self.server.register_grant(CodeGrant, [S256Only(required=False)])
        self.server.register_grant(RefreshGrant)
        self.server.register_endpoint(Revocation)
        app.after_request(self.headers)
        for path, (view, methods) in ROUTES.items():
            app.add_url_rule(self.base + path, view, getattr(self, view), methods=list(methods))

    def headers(self, answer: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin in self.origins and request.path[len(self.base) :] in CORS_PATHS:
            answer.headers["Access-Control-Allow-Origin"] = origin
            answer.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            answer.headers["Access-Control-Allow-Methods"] = "GET, POST"
            answer.headers["Vary"] = "Origin"
        answer.headers.setdefault("Cache-Control", "no-store")
        return answer

    def discovery(self) -> Any:
        issuer = self.tokens.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth2/authorize",
            "token_endpoint": f"{issuer}/oauth2/token",
            "revocation_endpoint": f"{issuer}/oauth2/revoke",
            "userinfo_endpoint": f"{issuer}/oauth2/userInfo",
            "end_session_endpoint": f"{issuer}/logout",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": list(description.CODE_CHALLENGE_METHODS),
            "scopes_supported": sorted(existing_scopes(self.tokens.pool())),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    def consent(self) -> tuple[Any, Response | None]:
        """The validated authorize request, or (None, the answer to give instead).

        An unknown client or a redirect URI it did not register gets an error page, never a
        redirect; any other error goes back to the redirect URI with ``error`` and the state.
        """
        try:
            return self.server.get_consent_grant(end_user=None), None
        except OAuth2Error as error:
            if error.redirect_uri:
                return None, self.server.handle_error_response(None, error)
            return None, pages.error_page("Sign-in error", error.description or error.error)
        except ValueError:  # Authlib's error could not name the redirect URI: it holds a quote
            return None, pages.error_page("Sign-in error", "Redirect URI is not supported by client.")

    def sign_in(self, grant: Any, user: Any) -> Any:
        session.clear()
        session["username"] = user.username
        session["auth_time"] = int(self.tokens.clock())
        return self.server.create_authorization_response(grant_user=user, grant=grant)

    def authorize(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        user = signed_in_user(self.tokens.pool(), session.get("username"))
        if user is not None and request.args.get("prompt") != "login":
            return self.server.create_authorization_response(grant_user=user, grant=grant)  # the session's
        # No session, or prompt=login: the password is asked again, for the email the client hints.
        return pages.sign_in_page(self.base, email=(request.args.get("login_hint") or "").strip())

    def login(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        if not pages.csrf_ok():
            return pages.sign_in_page(self.base, "The sign-in form expired: try again.", status=400)
        email = (request.form.get("username") or "").strip()
        user = self.tokens.pool()._get_user(email) if email else None
        if user is None or not user.enabled or user.password != (request.form.get("password") or ""):
            return pages.sign_in_page(self.base, "Incorrect username or password.", email, status=400)
        if user.status != "CONFIRMED":
            session["pending"] = user.username
            return pages.confirm_page(self.base, email, "This account is not confirmed yet: enter the code.")
        return self.sign_in(grant, user)

    def signup(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        pool = self.tokens.pool()
        policy = password_policy(pool)
        if request.method == "GET":
            return pages.sign_up_page(self.base, policy)
        if not pages.csrf_ok():
            return pages.sign_up_page(self.base, policy, "The sign-up form expired: try again.", status=400)
        email = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        try:
            user, _ = pool.backend.sign_up(
                grant.request.client.client_id, email, password, [{"Name": "email", "Value": email}]
            )
        except Exception as error:  # the emulator's Cognito errors, in Cognito's words: said for people
            refusal = pages.sign_up_refusal(error, policy, password)
            return pages.sign_up_page(self.base, policy, refusal, email, status=400)
        session["pending"] = user.username
        return pages.confirm_page(self.base, email)

    def confirm(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        email = (request.form.get("username") or "").strip()
        if not pages.csrf_ok() or not (request.form.get("code") or "").strip():
            return pages.confirm_page(self.base, email, "Enter the confirmation code.", status=400)
        pool = self.tokens.pool()
        user = pool._get_user(email) if email else None
        if user is None or session.get("pending") != user.username:
            return pages.sign_in_page(self.base, "Sign in to confirm your account.", email, status=400)
        pool.backend.confirm_sign_up(grant.request.client.client_id, email)  # locally, any code
        return self.sign_in(grant, user)

    def token(self) -> Any:
        if request.method == "OPTIONS":
            return Response(status=204)
        if not request.form.get("grant_type"):  # RFC 6749 5.2: a missing parameter, not an unknown grant
            return self.server.handle_error_response(None, InvalidRequestError("Missing 'grant_type'"))
        return self.server.create_token_response()

    def revoke(self) -> Any:
        if request.method == "OPTIONS":
            return Response(status=204)
        return self.server.create_endpoint_response(Revocation.ENDPOINT_NAME)

    def user_info(self) -> Any:
        if request.method == "OPTIONS":
            return Response(status=204)
        bearer = request.headers.get("Authorization") or ""
        claims = self.tokens.claims(bearer[7:].strip()) if bearer[:7].lower() == "bearer " else None
        pool = self.tokens.pool()
        if claims is not None and kept(pool).revoked(claims.get("origin_jti")):
            return _invalid_token("Access token has been revoked")
        user = signed_in_user(pool, claims.get("username")) if claims else None
        if claims is None or user is None or "openid" not in str(claims.get("scope", "")).split():
            return _invalid_token("Access token is not valid")
        return {
            "sub": user.id,
            "email_verified": str(user_pool.email_verified(user)).lower(),  # a string, as Cognito's
            "email": user_pool.attribute(user, "email"),
            "username": user.username,
        }

    def logout(self) -> Any:
        client = find_client(self.tokens.pool(), request.args.get("client_id"))
        target = request.args.get("logout_uri") or ""
        if client is None or target not in client.logout_uris:
            return pages.error_page("Sign-out error", "Unknown client, or a logout_uri it did not register.")
        session.clear()
        return redirect(target, 302)


def _invalid_token(description: str) -> Response:
    """userInfo's refusal of a bearer token (RFC 6750 3.1)."""
    body = json.dumps({"error": "invalid_token", "error_description": description})
    answer = Response(body, 401, mimetype="application/json")
    answer.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{description}"'
    return answer


def _nothing(token: Any, oauth_request: Any) -> None:
    """Authlib's save_token: the grants keep what they issue themselves."""
