"""Cognito tokens checked as API Gateway's Cognito user pool authorizer checks them.

Deployed, API Gateway checks the REST API's tokens itself; its WebSocket API puts no authorizer
on ``$connect``, so the WebSocket connect handler checks the token offered there with this
(``chalicelib.live``). Locally, Chalice's gateway checks nothing, so the local stack checks the
REST API's tokens with the same verifier (``local_stack.gateway_auth``).

``CognitoVerifier`` checks the signature against the pool's JWKS (``JwksCache``: fetched on
first use, cached for the life of the process, fetched again at most once a minute for a key id
it does not hold), the issuer, the client (``aud`` of an ID token, ``client_id`` of an access
token), ``token_use``, the scopes a route takes, and the expiry.

The signature is checked with PyJWT and, where it is installed, ``cryptography``; the Lambda
package holds neither ``cryptography`` nor any compiled module, so there RS256 is python-rsa's
(``chalicelib.pure_rs256``, pure Python). Both are imported on the first check only: only the functions that
check tokens pay for them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.settings import ISSUER_VARIABLE, Settings

log = logging.getLogger(__name__)

UNAUTHORIZED = "Unauthorized"
EXPIRED = "The incoming token has expired"
KEY_REFRESH_SECONDS = 60.0  # at most one JWKS fetch a minute for unknown key ids
KEY_RETRY_SECONDS = 5.0  # while no keys were ever fetched, retry this often at most
JWKS_TIMEOUT_SECONDS = 3.0
# Tokens whose signature was checked, remembered so that a client's every request does not pay
# for the check again (API Gateway caches its authorizer's results too). Expiry, issuer, audience
# and scopes are still checked on every request; a token is forgotten when its key leaves the pool.
CHECKED_TOKENS = 1024
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
_DATE_CLAIMS = ("exp", "iat")
_LAST_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z
# The issuer to expect instead of Cognito's address: make run SCOPED=1's sign-in endpoints.
ISSUER_ENV = ISSUER_VARIABLE

Fetch = Callable[[str], Mapping[str, Any]]
Clock = Callable[[], float]


class TokenRejected(Exception):
    """The token must not pass; ``message`` is the body's message, as API Gateway words it."""

    def __init__(self, message: str = UNAUTHORIZED) -> None:
        super().__init__(message)
        self.message = message


class SigningKeysUnavailable(Exception):
    """The pool's JWKS could not be fetched and no key is cached."""


def jwks_headers(url: str) -> dict[str, str]:
    """The headers of a JWKS request to ``url``."""
    headers = {"Accept": "application/json"}
    if not url.startswith("https://cognito-idp."):
        # An emulator serves every AWS service on one address and picks the
        # service from the request's credential scope: name cognito-idp.
        headers["Authorization"] = (
            "AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
    return headers


def jwks_document(url: str, document: Any) -> Mapping[str, Any]:
    """``document`` if it is a JWKS document; raises SigningKeysUnavailable naming ``url``."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise SigningKeysUnavailable(f"{url} did not answer with a JWKS document")
    return document


def fetch_jwks(url: str) -> Mapping[str, Any]:
    """GET a JWKS document (the standard library's HTTP client: the Lambda package holds no other).
    Raises SigningKeysUnavailable."""
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise SigningKeysUnavailable(f"cannot fetch the user pool's signing keys from {url}: not a URL")
    request = urllib.request.Request(url, headers=jwks_headers(url))  # noqa: S310 - http(s), checked
    try:
        with urllib.request.urlopen(request, timeout=JWKS_TIMEOUT_SECONDS) as answer:  # noqa: S310
            document = json.loads(answer.read())
    except (OSError, ValueError) as error:  # URLError, HTTPError and timeouts are OSErrors
        raise SigningKeysUnavailable(
            f"cannot fetch the user pool's signing keys from {url}: {error}"
        ) from error
    return jwks_document(url, document)


class JwksCache:
    """The pool's RSA signing keys by key id, fetched lazily and refreshed sparingly."""

    def __init__(self, url: str, fetch: Fetch = fetch_jwks, clock: Clock = time.monotonic) -> None:
        self.url = url
        self.fetches = 0
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._last_attempt: float | None = None
        self._unavailable: SigningKeysUnavailable | None = None  # why the cache is still cold
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any | None:
        """The public key for ``kid``, or None. Raises SigningKeysUnavailable on a cold cache."""
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if kid not in self._keys and self._may_fetch():
                self._refresh()
            elif self._unavailable is not None:
                # Still cold and waiting to retry: the same refusal, not a 401 that would send a
                # caller with a good token off to sign in again.
                raise SigningKeysUnavailable(str(self._unavailable))
        return self._keys.get(kid)

    def cached(self, kid: str) -> Any | None:
        """The public key for ``kid`` if the cache holds it; never fetches."""
        return self._keys.get(kid)

    def _may_fetch(self) -> bool:
        if self._last_attempt is None:
            return True
        wait = KEY_REFRESH_SECONDS if self._keys else KEY_RETRY_SECONDS
        return self._clock() - self._last_attempt >= wait

    def _refresh(self) -> None:
        from jwt.exceptions import InvalidKeyError

        self._last_attempt = self._clock()
        self.fetches += 1
        try:
            document = self._fetch(self.url)
        except SigningKeysUnavailable as error:
            if not self._keys:
                self._unavailable = error
                raise
            log.warning("keeping cached signing keys: %s could not be fetched", self.url)
            return
        keys = {}
        for jwk in document.get("keys", []):
            if isinstance(jwk, dict) and jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str):
                try:
                    keys[jwk["kid"]] = _rs256().from_jwk(jwk)
                except (InvalidKeyError, ValueError, TypeError):
                    log.warning("ignoring a malformed signing key %r from %s", jwk["kid"], self.url)
        self._keys = keys
        self._unavailable = None


class CognitoVerifier:
    """Checks a token as API Gateway's Cognito user pool authorizer does."""

    def __init__(
        self, issuer: str, client_ids: tuple[str, ...], keys: JwksCache, clock: Clock = time.time
    ) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.keys = keys
        self._clock = clock
        # token -> (key id, key object, claims) for signatures already checked, oldest first.
        self._checked: OrderedDict[str, tuple[str, Any, dict[str, Any]]] = OrderedDict()
        self._checked_lock = threading.Lock()

    @property
    def checked_tokens(self) -> int:
        """How many tokens with a checked signature are remembered."""
        return len(self._checked)

    def verify(self, header_value: str | None, scopes: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
        """The token's claims as API Gateway hands them on, all strings.

        ``scopes`` are the route's: none means an ID token is required, else an
        access token carrying any one of them. Raises TokenRejected, or
        SigningKeysUnavailable when no key can be had to check the signature.
        """
        claims = self._verified_claims(_token(header_value))
        if claims.get("iss") != self.issuer:
            raise TokenRejected()
        # Cognito's dates are whole seconds in the years it can write: a validly signed token with
        # any other exp or iat (a string, 10^30, Infinity) is refused, as any token it never issues.
        exp = claims.get("exp")
        if not isinstance(exp, int) or not all(_is_date(claims.get(name)) for name in _DATE_CLAIMS):
            raise TokenRejected()
        if not self._for_route(claims, scopes):
            raise TokenRejected()
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenRejected()
        if exp <= self._clock():
            raise TokenRejected(EXPIRED)
        return gateway_claims(claims)

    def _for_route(self, claims: Mapping[str, Any], scopes: list[str] | tuple[str, ...]) -> bool:
        """Whether the token is of the kind the route takes, from one of the clients."""
        if not scopes:
            # Cognito's ID tokens name their one client as a string, never a list of audiences.
            audience = claims.get("aud")
            return (
                claims.get("token_use") == "id" and isinstance(audience, str) and audience in self.client_ids
            )
        scope, client_id = claims.get("scope", ""), claims.get("client_id")
        if (
            claims.get("token_use") != "access"
            or not isinstance(client_id, str)
            or not isinstance(scope, str)
        ):
            return False
        return client_id in self.client_ids and bool(set(scope.split()) & set(scopes))

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature is good, checked once while its key is in the pool."""
        remembered = self._checked.get(token)
        if remembered is not None:
            kid, key, claims = remembered
            if self.keys.cached(kid) is key:
                return claims
        kid, key, claims = self._check_signature(token)
        with self._checked_lock:
            self._checked[token] = (kid, key, claims)
            while len(self._checked) > CHECKED_TOKENS:
                self._checked.popitem(last=False)
        return claims

    def _check_signature(self, token: str) -> tuple[str, Any, dict[str, Any]]:
        import jwt

        header = _unverified_header(token)
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise TokenRejected()
        key = self.keys.key(kid)
        if key is None:
            raise TokenRejected()
        try:
            claims: dict[str, Any] = _jwt().decode(
                token,
                key,
                algorithms=["RS256"],
                options={
                    "verify_signature": True,
                    "verify_exp": False,  # checked after the issuer, with its own message
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        # A payload nested too deeply for the decoder is refused like any token that does not decode.
        except (jwt.PyJWTError, RecursionError) as error:
            raise TokenRejected() from error
        return kid, key, claims


def _is_date(value: Any) -> bool:
    """A date as Cognito writes one: whole seconds since 1970, up to the end of the year 9999."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _LAST_DATE


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the key: ``jwt.decode`` then checks the whole token.

    Why not ``jwt.get_unverified_header``: it validates every segment, as ``jwt.decode`` does
    again right after, and that doubled the cost of checking a token (``make bench``).
    Raises TokenRejected.
    """
    from jwt.utils import base64url_decode

    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64url_decode(segment))
    # binascii's, JSON's and UTF-8's errors are ValueErrors; a deeply nested header is too deep.
    except (ValueError, TypeError, RecursionError) as error:
        raise TokenRejected() from error
    if not isinstance(header, dict):
        raise TokenRejected()
    return header


def _token(header_value: str | None) -> str:
    token = _BEARER.sub("", (header_value or "").strip()).strip()
    if not token:
        raise TokenRejected()
    return token


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway (REST) passes them to the function: every value a string.

    ``exp`` and ``iat`` become dates such as ``Sun Nov 22 10:15:30 UTC 2026``;
    booleans ``true``/``false``; lists are joined with commas.
    """
    result = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, (int, float)) and not isinstance(value, bool):
            result[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, list):
            result[name] = ",".join(str(item) for item in value)
        elif isinstance(value, dict):
            result[name] = json.dumps(value, separators=(",", ":"))
        else:
            result[name] = str(value)
    return result


def jwks_url(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """Where the stage's pool publishes its signing keys (the emulator's, if one is configured)."""
    env = os.environ if environ is None else environ
    endpoint = env.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        return f"{endpoint.rstrip('/')}/{settings.user_pool_id}/.well-known/jwks.json"
    return f"{issuer(settings)}/.well-known/jwks.json"


def stage_verifier(settings: Settings, fetch: Fetch = fetch_jwks) -> CognitoVerifier:
    """The checks of the stage's tokens: its pool's issuer (or the one the settings name), its app
    clients, its pool's keys fetched with ``fetch``."""
    expected = settings.token_issuer or issuer(settings)
    return CognitoVerifier(expected, settings.app_client_ids, JwksCache(jwks_url(settings), fetch))


def issuer(settings: Settings) -> str:
    return f"https://cognito-idp.{settings.region}.amazonaws.com/{settings.user_pool_id}"


def _has_cryptography() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True


_ALGORITHM: list[Any] = []  # the one RS256 implementation, chosen on first use
_DECODER: list[Any] = []


def _rs256() -> Any:
    """RS256: PyJWT's own where ``cryptography`` is installed, else python-rsa's."""
    if not _ALGORITHM:
        if _has_cryptography():
            from jwt.algorithms import RSAAlgorithm

            _ALGORITHM.append(RSAAlgorithm(RSAAlgorithm.SHA256))
        else:
            from chalicelib.pure_rs256 import PureRS256

            _ALGORITHM.append(PureRS256())
    return _ALGORITHM[0]


def _jwt() -> Any:
    """A PyJWT decoder that knows RS256 alone, as ``_rs256`` implements it."""
    if not _DECODER:
        from jwt import PyJWT
        from jwt.api_jws import PyJWS

        jws = PyJWS(algorithms=[])
        jws.register_algorithm("RS256", _rs256())
        decoder = PyJWT()
        decoder._jws = jws  # PyJWT decodes through its own PyJWS instance
        _DECODER.append(decoder)
    return _DECODER[0]
