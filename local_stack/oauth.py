"""The user pool's OAuth 2.0 endpoints on the local stack (``make run SCOPED=1``).

Deployed, Cognito serves them on the pool's domain: a sign-in page, and the authorization code
flow whose tokens are the only ones to carry the resource server's custom scopes. The emulator
serves none of them (its access tokens always say ``aws.cognito.signin.user.admin``), so a scoped
stage could not be used locally. This module serves them over the emulator's own users, app
clients and resource servers, on the emulator's port, under the pool's issuer::

    <issuer>/.well-known/openid-configuration   discovery
    <issuer>/oauth2/authorize                    the sign-in page (sign in, sign up, confirm)
    <issuer>/oauth2/token                        authorization_code (PKCE S256), refresh_token
    <issuer>/oauth2/revoke                       a refresh token, and its access tokens
    <issuer>/oauth2/userInfo                     who an access token names
    <issuer>/logout                              ends the sign-in page's session

where ``<issuer>`` is ``http://127.0.0.1:<emulator port>/<pool id>``, the tokens' ``iss``. Tokens
are signed with the key the emulator's JWKS publishes (``<issuer>/.well-known/jwks.json``, served
by the emulator), so the API checks them as it checks any other token.

The protocol is Authlib's authorization server; what is Cognito's is here: the clients' settings
(``AllowedOAuthFlows``, ``AllowedOAuthScopes``, ``CallbackURLs``, ``LogoutURLs``), the scopes that
exist (OpenID's and the resource servers'; asking for another is ``invalid_scope``), PKCE when a
client sends a challenge and then ``S256`` only, codes that are single-use (their first redemption
uses them up, refused or not), bound to their client, redirect URI and challenge, and valid five
minutes, revocation that reaches the session's access tokens, and the claims of Cognito's tokens.
Codes, refresh tokens and revocations live on the emulator's pool object, so they are saved with
the rest of its data: a refresh token outlives a restart, as deployed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, redirect, request, session

from infra import description
from local_stack import revoke_token, user_pool

# The clients' token validity (infra/description.py).
TOKEN_SECONDS = description.TOKEN_MINUTES * 60
REFRESH_TOKEN_SECONDS = description.REFRESH_TOKEN_DAYS * 24 * 3600
CODE_SECONDS = description.AUTHORIZATION_CODE_SECONDS
# The scopes every pool has (Cognito's standard ones); custom ones come from its resource servers.
USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
STANDARD_SCOPES = ("openid", "email", "phone", "profile", USER_ADMIN_SCOPE)
# Paths under the issuer that this module answers (everything else is the emulator's): the view
# of ``SignInServer`` for each, and its methods.
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
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

Pool = Any  # the emulator's user pool object
PoolLookup = Callable[[], Pool]


# --- what is kept on the pool (saved with the emulator's data) ------------------------------


@dataclass
class Code:
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
    records = pool.__dict__.get("oauth_records")
    if not isinstance(records, Kept):
        records = pool.__dict__["oauth_records"] = Kept()
    return records


# --- the pool's clients, as Authlib sees them -----------------------------------------------


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


# --- tokens with Cognito's claims ------------------------------------------------------------


class Tokens:
    """Makes the access, ID and refresh tokens Cognito's token endpoint answers."""

    def __init__(self, issuer: str, pool: PoolLookup, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.pool = pool
        self.clock = clock

    def issue(
        self, client_id: str, user: Any, scope: str, auth_time: int, origin_jti: str, nonce: str | None = None
    ) -> dict[str, Any]:
        pool = self.pool()
        now = int(self.clock())
        groups = sorted(group.group_name for group in user.groups)
        event_id = str(uuid.uuid4())
        access: dict[str, Any] = {
            "sub": user.id,
            **({"cognito:groups": groups} if groups else {}),
            "iss": self.issuer,
            "version": 2,
            "client_id": client_id,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": auth_time,
            "exp": now + TOKEN_SECONDS,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        access_token = user_pool.sign(pool, access)  # the key the pool's JWKS publishes
        if USER_ADMIN_SCOPE in scope.split():
            # The pool's own user APIs (ChangePassword, GetUser…) take it, as Cognito's take a token
            # with this scope: the emulator knows only the access tokens it issued itself.
            pool.access_tokens[access_token] = (client_id, user.username)
        answer: dict[str, Any] = {"access_token": access_token}
        if "openid" in scope.split():
            email = user_pool.attribute(user, "email")
            verified = user_pool.attribute(user, "email_verified")
            identity: dict[str, Any] = {
                "at_hash": _at_hash(access_token),
                "sub": user.id,
                **({"cognito:groups": groups} if groups else {}),
                "email_verified": verified == "true" if verified is not None else user.status == "CONFIRMED",
                "iss": self.issuer,
                "cognito:username": user.username,
                **({"nonce": nonce} if nonce else {}),
                "origin_jti": origin_jti,
                "aud": client_id,
                "event_id": event_id,
                "token_use": "id",
                "auth_time": auth_time,
                "exp": now + TOKEN_SECONDS,
                "iat": now,
                "jti": str(uuid.uuid4()),
                **({"email": email} if email else {}),
            }
            answer["id_token"] = user_pool.sign(pool, identity)
        answer.update({"token_type": "Bearer", "expires_in": TOKEN_SECONDS})
        return answer

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token this pool signed and that has not expired, else None."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            decoded = jwt.decode(token, user_pool.signing_key(self.pool()), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        claims = dict(decoded.claims)
        exp = claims.get("exp")
        if (
            claims.get("iss") != self.issuer
            or claims.get("token_use") != "access"
            or not isinstance(exp, int)
            or exp <= self.clock()
        ):
            return None
        return claims


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


# --- Authlib's grants, bound to the pool -----------------------------------------------------


class S256Only(CodeChallenge):
    """PKCE as Cognito takes it: ``S256`` only, and the method always named.

    Registered with ``required=False``, as Cognito does not require PKCE: a code asked for without
    a challenge is redeemed without a verifier (one sent anyway is refused, RFC 9700 4.8); a code
    asked for with one needs its verifier.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = list(description.CODE_CHALLENGE_METHODS)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("Missing 'code_challenge_method': only S256 is accepted")
        super().validate_code_challenge(grant, redirect_uri)


def _tokens(grant: Any) -> Tokens:
    tokens: Tokens = grant.server.tokens
    return tokens


class CodeGrant(AuthorizationCodeGrant):
    """The authorization code grant over the pool's records."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def save_authorization_code(self, code: str, oauth_request: Any) -> None:
        tokens, data = _tokens(self), oauth_request.payload.data
        kept(tokens.pool()).codes[code] = Code(
            code=code,
            client_id=oauth_request.client.client_id,
            redirect_uri=oauth_request.payload.redirect_uri,
            scope=oauth_request.scope,  # the asked scopes, checked against the client's
            username=oauth_request.user.username,
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            auth_time=int(session.get("auth_time") or tokens.clock()),
            nonce=data.get("nonce"),
            expires_at=tokens.clock() + CODE_SECONDS,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """The code, taken out of the records: any redemption uses it up, also one refused later
        for its verifier or redirect URI, or sent by another client (RFC 6749 4.1.2, 10.5)."""
        tokens = _tokens(self)
        records = kept(tokens.pool()).codes
        for stale in [key for key, item in records.items() if item.expires_at <= tokens.clock()]:
            del records[stale]
        found = records.pop(code, None)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        kept(_tokens(self).pool()).codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> Any | None:
        return signed_in_user(_tokens(self).pool(), authorization_code.username)

    def generate_token(self, user: Any = None, scope: str | None = None, **_: Any) -> dict[str, Any]:
        tokens, code = _tokens(self), self.request.authorization_code
        origin_jti = str(uuid.uuid4())
        answer = tokens.issue(code.client_id, user, code.scope, code.auth_time, origin_jti, code.nonce)
        refresh = secrets.token_urlsafe(48)
        kept(tokens.pool()).refresh_tokens[refresh] = RefreshToken(
            refresh,
            code.client_id,
            user.username,
            code.scope,
            origin_jti,
            code.auth_time,
            expires_at=tokens.clock() + REFRESH_TOKEN_SECONDS,
        )
        answer["refresh_token"] = refresh
        return answer


class RefreshGrant(RefreshTokenGrant):
    """New access and ID tokens for a refresh token (no new refresh token, as Cognito)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        tokens = _tokens(self)
        found = kept(tokens.pool()).refresh_tokens.get(refresh_token)
        if found is None or found.revoked or found.expires_at <= tokens.clock():
            return None
        return found

    def authenticate_user(self, refresh_token: RefreshToken) -> Any | None:
        return signed_in_user(_tokens(self).pool(), refresh_token.username)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        pass  # Cognito keeps a refresh token until it expires or is revoked

    def create_token_response(self) -> Any:
        if self.authenticate_user(self.request.refresh_token) is None:
            raise InvalidGrantError("The user of this refresh token cannot sign in.")
        return super().create_token_response()

    def generate_token(self, user: Any = None, scope: str | None = None, **_: Any) -> dict[str, Any]:
        held: RefreshToken = self.request.refresh_token
        return _tokens(self).issue(held.client_id, user, held.scope, held.auth_time, held.origin_jti)


class Revocation(RevocationEndpoint):
    """Revokes a refresh token and the access tokens made from it, as Cognito does: userInfo and
    the pool's user APIs (``GetUser``…) refuse them. The API, as API Gateway, still takes them
    until they expire: it checks their signature and expiry only."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    SUPPORTED_TOKEN_TYPES = ("refresh_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> RefreshToken | None:
        return kept(self.server.tokens.pool()).refresh_tokens.get(token_string)

    def revoke_token(self, token: RefreshToken, oauth_request: Any) -> None:
        token.revoked = True
        revoke_token.forget_access_tokens(self.server.tokens.pool(), token.origin_jti)


def install() -> None:
    """Have the emulator's ``GetUser`` refuse an access token of a revoked session in Cognito's
    words (once per process): the emulator, not knowing the token any more, says only that it is
    invalid."""
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    get_user = CognitoIdpBackend.get_user
    if getattr(get_user, "knows_revoked_sessions", False):
        return

    def checked_get_user(backend: Any, access_token: str) -> Any:
        try:
            return get_user(backend, access_token)
        except NotAuthorizedError:
            claims = revoke_token.unverified_claims(access_token)
            for pool in backend.user_pools.values():
                records = pool.__dict__.get("oauth_records")  # none: this pool never used the page
                issued_here = str(claims.get("iss", "")).endswith(f"/{pool.id}")
                if issued_here and isinstance(records, Kept) and records.revoked(claims.get("origin_jti")):
                    raise NotAuthorizedError("Access Token has been revoked") from None
            raise

    checked_get_user.knows_revoked_sessions = True  # type: ignore[attr-defined]
    CognitoIdpBackend.get_user = checked_get_user  # type: ignore[method-assign,assignment]


# --- the app -----------------------------------------------------------------------------------


def oauth_app(
    issuer: str, pool: PoolLookup, web_origins: Iterable[str] = (), clock: Callable[[], float] = time.time
) -> Flask:
    """The endpoints of the pool at ``issuer``; ``web_origins`` may call the token endpoints."""
    # Authlib refuses plain HTTP unless told: the local stack is on loopback only.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    install()
    app = Flask("notes-sign-in")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_NAME="notes-sign-in", SESSION_COOKIE_SAMESITE="Lax")
    SignInServer(app, Tokens(issuer, pool, clock), frozenset(web_origins))
    return app


class SignInServer:
    """The routes of the pool's endpoints on ``app``: Authlib's server, and the sign-in pages."""

    def __init__(self, app: Flask, tokens: Tokens, origins: frozenset[str]) -> None:
        self.tokens = tokens
        self.origins = origins
        self.base = _issuer_path(tokens.issuer)
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
            return None, _page("Sign-in error", _alert(error.description or error.error), 400)

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
        return _sign_in_page(self.base, email=(request.args.get("login_hint") or "").strip())

    def login(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        if not _csrf_ok():
            return _sign_in_page(self.base, "The sign-in form expired: try again.", status=400)
        email = (request.form.get("username") or "").strip()
        user = self.tokens.pool()._get_user(email) if email else None
        if user is None or not user.enabled or user.password != (request.form.get("password") or ""):
            return _sign_in_page(self.base, "Incorrect username or password.", email, status=400)
        if user.status != "CONFIRMED":
            session["pending"] = user.username
            return _confirm_page(self.base, email, "This account is not confirmed yet: enter the code.")
        return self.sign_in(grant, user)

    def signup(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        pool = self.tokens.pool()
        policy = password_policy(pool)
        if request.method == "GET":
            return _sign_up_page(self.base, policy)
        if not _csrf_ok():
            return _sign_up_page(self.base, policy, "The sign-up form expired: try again.", status=400)
        email = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        try:
            user, _ = pool.backend.sign_up(
                grant.request.client.client_id, email, password, [{"Name": "email", "Value": email}]
            )
        except Exception as error:  # the emulator's Cognito errors, in Cognito's words: said for people
            return _sign_up_page(
                self.base, policy, _sign_up_refusal(error, policy, password), email, status=400
            )
        session["pending"] = user.username
        return _confirm_page(self.base, email)

    def confirm(self) -> Any:
        grant, refused = self.consent()
        if refused is not None:
            return refused
        email = (request.form.get("username") or "").strip()
        if not _csrf_ok() or not (request.form.get("code") or "").strip():
            return _confirm_page(self.base, email, "Enter the confirmation code.", status=400)
        pool = self.tokens.pool()
        user = pool._get_user(email) if email else None
        if user is None or session.get("pending") != user.username:
            return _sign_in_page(self.base, "Sign in to confirm your account.", email, status=400)
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
        verified = user_pool.attribute(user, "email_verified")
        return {
            "sub": user.id,
            "email_verified": verified if verified is not None else str(user.status == "CONFIRMED").lower(),
            "email": user_pool.attribute(user, "email"),
            "username": user.username,
        }

    def logout(self) -> Any:
        client = find_client(self.tokens.pool(), request.args.get("client_id"))
        target = request.args.get("logout_uri") or ""
        if client is None or target not in client.logout_uris:
            return _page(
                "Sign-out error", _alert("Unknown client, or a logout_uri it did not register."), 400
            )
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


def _alert(text: str) -> str:
    return f'<p role="alert">{_e(text)}</p>'


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    return bool(expected) and secrets.compare_digest(str(expected), request.form.get("csrf") or "")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# The authorize request's parameters, carried by each form of the sign-in pages.
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
)


def _oauth_fields() -> str:
    """The hidden fields of a sign-in form: the authorize request, and the form's CSRF token."""
    csrf = session.setdefault("csrf", secrets.token_urlsafe(24))
    fields = [f'<input type="hidden" name="csrf" value="{_e(csrf)}">']
    for name in AUTHORIZE_PARAMETERS:
        value = request.values.get(name)
        if value is not None:
            fields.append(f'<input type="hidden" name="{name}" value="{_e(value)}">')
    return "".join(fields)


def _query() -> str:
    return urlencode({name: request.values[name] for name in AUTHORIZE_PARAMETERS if name in request.values})


def _sign_in_page(base: str, error: str = "", email: str = "", status: int = 200) -> Response:
    other = f'New here? <a href="{base}/signup?{_e(_query())}">Sign up</a>'
    return _credentials_page(base, "Sign in", "/login", "current-password", other, error, email, status)


def _sign_up_page(
    base: str, policy: dict[str, Any], error: str = "", email: str = "", status: int = 200
) -> Response:
    other = f'Have an account? <a href="{base}/oauth2/authorize?{_e(_query())}">Sign in</a>'
    items = "".join(f"<li>{_e(rule.words)}</li>" for rule in password_rules(policy))
    rules = f'<p id="password-rules-intro">The password needs:</p><ul id="password-rules">{items}</ul>'
    return _credentials_page(base, "Sign up", "/signup", "new-password", other, error, email, status, rules)


def _credentials_page(
    base: str,
    title: str,
    action: str,
    password_use: str,
    other: str,
    error: str,
    email: str,
    status: int,
    rules: str = "",
) -> Response:
    """A form of an email and a password, posting to ``action``, with a link to the other form;
    ``rules``: the password's, listed under it."""
    alert = _alert(error) if error else ""
    described = ' aria-describedby="password-rules-intro password-rules"' if rules else ""
    body = f"""{alert}
<form method="post" action="{base}{action}">{_oauth_fields()}
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" required value="{_e(email)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="{password_use}" required{described}>
{rules}<button type="submit">{title}</button>
</form>
<p>{other}</p>"""
    return _page(title, body, status, _form_action())


def _confirm_page(base: str, email: str, error: str = "", status: int = 200) -> Response:
    alert = _alert(error) if error else ""
    body = f"""{alert}
<p>The local stack sends no email: any confirmation code is accepted.</p>
<form method="post" action="{base}/confirm">{_oauth_fields()}
<input type="hidden" name="username" value="{_e(email)}">
<label for="code">Confirmation code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">Confirm</button>
</form>"""
    return _page("Confirm your account", body, status, _form_action())


def _form_action() -> str:
    """The sign-in pages' form-action: the page itself, and where its forms' answers redirect.

    A browser checks form-action on every redirect a form's answer makes, so the redirect to the
    client's callback (already checked against the client's CallbackURLs) must be allowed too.
    """
    target = urlsplit(request.values.get("redirect_uri") or "")
    allowed = target.scheme in ("http", "https") and all(c not in target.netloc for c in " ;,'\"")
    return f"form-action 'self' {target.scheme}://{target.netloc}" if allowed and target.netloc else ""


def _page(title: str, body: str, status: int, form_action: str = "") -> Response:
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{_e(title)} · notes</title>
<style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.3rem 0;box-sizing:border-box}}
input,button{{padding:.5rem;font:inherit}}[role=alert]{{color:#a00}}</style></head>
<body><main><h1>{_e(title)}</h1>{body}</main></body></html>"""
    answer = Response(document, status, mimetype="text/html")
    answer.headers["Content-Security-Policy"] = (
        PAGE_CSP.replace("form-action 'self'", form_action) if form_action else PAGE_CSP
    )
    answer.headers["X-Frame-Options"] = "DENY"
    answer.headers["Referrer-Policy"] = "no-referrer"
    return answer


# --- the pool's password policy, in the words the web app's sign-up form uses (web/config.js) ----

# The characters Cognito counts as symbols.
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
# The rules a policy switches on, by name: as listed, as said in a sentence, the characters needed.
SWITCHED_RULES: dict[str, tuple[str, str, frozenset[str]]] = {
    "RequireUppercase": ("An upper-case letter", "an upper-case letter", frozenset(string.ascii_uppercase)),
    "RequireLowercase": ("A lower-case letter", "a lower-case letter", frozenset(string.ascii_lowercase)),
    "RequireNumbers": ("A digit", "a digit", frozenset(string.digits)),
    "RequireSymbols": ("A symbol, such as ! ? # - or _", "a symbol", SYMBOLS),
}


@dataclass(frozen=True)
class PasswordRule:
    words: str  # as the sign-up form lists it
    brief: str  # as a sentence says it
    length: int = 0  # the fewest characters, or
    characters: frozenset[str] = frozenset()  # one of them at least

    def met(self, password: str) -> bool:
        if self.characters:
            return any(character in self.characters for character in password)
        return len(password) >= self.length


def password_policy(pool: Pool) -> dict[str, Any]:
    """The pool's ``PasswordPolicy``, as it was created (Cognito's defaults for what it leaves out)."""
    policy = (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}
    return dict(policy)


def password_rules(policy: dict[str, Any]) -> list[PasswordRule]:
    """The rules of ``policy``, in the order the pool checks them."""
    length = int(policy.get("MinimumLength", 8))
    characters = f"{length} character{'' if length == 1 else 's'}"
    rules = [PasswordRule(f"At least {characters}", f"at least {characters}", length=length)]
    for name, (words, brief, needed) in SWITCHED_RULES.items():
        if policy.get(name, True):
            rules.append(PasswordRule(words, brief, characters=needed))
    return rules


def _sentence(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _sign_up_refusal(error: Exception, policy: dict[str, Any], password: str) -> str:
    """The pool's refusal of a sign-up, in words for the person who typed it."""
    kind = type(error).__name__
    if kind == "UsernameExistsException":
        return "An account with this email already exists: sign in with it, or sign up with another email."
    if kind == "InvalidPasswordException":
        missing = [rule.brief for rule in password_rules(policy) if not rule.met(password)]
        if missing:
            return f"This password cannot be used: it needs {_sentence(missing)}."
        return "This password cannot be used: choose another that follows the rules below."
    if kind == "InvalidParameterException":
        return "This email cannot be used: check it, and try again."
    return "The account could not be created: try again in a moment."


def mounted_paths(issuer: str) -> list[str]:
    """The emulator's paths this module answers, for ``emulator.Mounts``."""
    return [_issuer_path(issuer) + path for path in ROUTES]


def _issuer_path(issuer: str) -> str:
    """The issuer's path on the emulator: ``/<pool id>``."""
    return "/" + issuer.rstrip("/").rsplit("/", 1)[1]
