"""Cognito token checks for ``chalice local`` and the chalice test client, as API Gateway makes them.

Why: deployed, API Gateway's ``COGNITO_USER_POOLS`` authorizer checks every token
before the function runs. Locally, Chalice's gateway only base64-decodes it: no
token, a forged one or an expired one all get through, claims keep their JSON
types, and a token without two dots crashes the gateway before any middleware
runs. Code that works locally could then fail, or be wide open, when deployed.

How: both ``chalice local`` and ``chalice.test.Client`` route each request
through ``chalice.local.LocalGateway``, which calls
``LocalGatewayAuthorizer.authorize`` before it builds the request, runs
middleware or calls the view. ``verify_tokens_locally(app, settings)`` wraps that
one method, once, at class level. For a route of a registered app whose
authorizer is a ``CognitoUserPoolAuthorizer``, the wrapper reads the header that
authorizer names (any letter case; raw token or ``Bearer <token>``) and lets
``CognitoVerifier`` check it; a refused token becomes the gateway's own 401, an
accepted one puts its claims, every value a string, in
``requestContext.authorizer.claims``. Every other route and app keeps Chalice's
behaviour.

The checks are ``chalicelib.tokens``' (the WebSocket connect handler makes the same ones
deployed). Signing keys come from the pool's JWKS: the emulator's
``<endpoint>/<poolId>/.well-known/jwks.json`` when botocore's
``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` or ``AWS_ENDPOINT_URL`` is set,
else the issuer's own. They are fetched on first use (never at import), cached
for the life of the process and fetched again at most once a minute, when a
token names a key id the cache does not hold.

Whoever runs Chalice's local gateway registers the app: ``make run``'s API process
(``local_stack.chalice_local``), the test suite and the bench. Deployed, neither ``chalice.local``
nor this package is in the Lambda package, ``app.py`` names nothing local, and API Gateway does
the checking. PyJWT and cryptography are imported on the first verification only.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Mapping
from typing import Any

from chalice import Chalice, CognitoUserPoolAuthorizer

from chalicelib.settings import Settings
from chalicelib.tokens import (
    EXPIRED,
    ISSUER_ENV,
    KEY_RETRY_SECONDS,
    UNAUTHORIZED,
    CognitoVerifier,
    JwksCache,
    SigningKeysUnavailable,
    TokenRejected,
    gateway_claims,
    issuer,
    jwks_document,
    jwks_headers,
    jwks_url,
    stage_verifier,
)
from local_stack import gateway_http

# The checks themselves are chalicelib.tokens' (the WebSocket connect handler makes the same ones
# deployed); these names are theirs.
__all__ = [
    "EXPIRED",
    "ISSUER_ENV",
    "UNAUTHORIZED",
    "CognitoVerifier",
    "JwksCache",
    "SigningKeysUnavailable",
    "TokenRejected",
    "fetch_jwks",
    "gateway_claims",
    "issuer",
    "jwks_url",
    "verify_tokens_locally",
]

log = logging.getLogger(__name__)

JWKS_TIMEOUT_SECONDS = 3.0


def fetch_jwks(url: str) -> Mapping[str, Any]:
    """GET a JWKS document with requests, which the emulator in the tests' own process answers
    (the standard library's client, ``chalicelib.tokens.fetch_jwks``, would leave the process).
    Raises SigningKeysUnavailable."""
    import requests  # development dependency: local runs only

    try:
        response = requests.get(url, headers=jwks_headers(url), timeout=JWKS_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SigningKeysUnavailable(
            f"cannot fetch the user pool's signing keys from {url}: {error}"
        ) from error
    return jwks_document(url, document)


_VERIFIERS: weakref.WeakKeyDictionary[Chalice, CognitoVerifier] = weakref.WeakKeyDictionary()


def verify_tokens_locally(app: Chalice, settings: Settings) -> CognitoVerifier | None:
    """Check tokens for ``app`` in ``chalice local`` and the test client.

    Returns the verifier, or None where Chalice's local gateway does not exist
    (in Lambda, where API Gateway checks tokens).
    """
    try:
        from chalice import local as chalice_local
    except ImportError:
        return None
    # make run SCOPED=1 names the issuer of its sign-in endpoints (local_stack/scoped.py), which the
    # settings read.
    verifier = stage_verifier(settings, fetch_jwks)
    _VERIFIERS[app] = verifier
    _install(chalice_local)
    return verifier


def _install(chalice_local: Any) -> None:
    gateway_authorizer = chalice_local.LocalGatewayAuthorizer
    if hasattr(gateway_authorizer, "chalice_authorize"):
        return  # installed already
    original = gateway_authorizer.chalice_authorize = gateway_authorizer.authorize
    # The HTTP side of the same gateway: its own errors as JSON, its answers to the web app's origins.
    gateway_http.install(chalice_local)

    class SigningKeysUnavailableError(chalice_local.LocalGatewayException):
        CODE = 503

    def authorize(self: Any, raw_path: str, lambda_event: dict[str, Any], lambda_context: Any) -> Any:
        verifier = _VERIFIERS.get(self._app_object)
        route = self._route_for_event(lambda_event)
        authorizer = route.authorizer if route else None
        if verifier is None or not isinstance(authorizer, CognitoUserPoolAuthorizer):
            return original(self, raw_path, lambda_event, lambda_context)
        header_name = str(authorizer.to_swagger()["name"]).lower()
        headers = {str(k).lower(): v for k, v in (lambda_event.get("headers") or {}).items()}
        error_headers = {
            "x-amzn-RequestId": lambda_context.aws_request_id,
            "Content-Type": "application/json",
            # As the deployed stage's gateway responses: a page can read its 401 or 503.
            **gateway_http.error_cors_headers(route.cors if route else None),
        }
        try:
            claims = verifier.verify(headers.get(header_name), authorizer.scopes)
        except TokenRejected as rejection:
            raise chalice_local.NotAuthorizedError(
                {**error_headers, "x-amzn-ErrorType": "UnauthorizedException"},
                json.dumps({"message": rejection.message}, separators=(",", ":")).encode(),
            ) from None
        except SigningKeysUnavailable as error:
            log.error("%s", error)
            # The cache tries the endpoint again after KEY_RETRY_SECONDS: no sooner is worth it.
            retry = {"Retry-After": str(int(KEY_RETRY_SECONDS))}
            raise SigningKeysUnavailableError(
                {**error_headers, **retry}, json.dumps({"message": str(error)}).encode()
            ) from None
        lambda_event["requestContext"]["authorizer"] = {"claims": claims}
        return lambda_event, lambda_context

    gateway_authorizer.authorize = authorize
