"""Who may call the emulator: the requests AWS refuses are refused here, in each service's words,
before the emulator sees them (WSGI, in front of it).

- **S3**: every request is signed with the local pair (``local_stack.credentials``): an
  ``Authorization: AWS4-HMAC-SHA256 …`` header, a presigned URL's query (not expired), or a
  presigned POST form whose policy holds (``local_stack.post_policy``). Anything else is
  ``403 AccessDenied``, as S3 answers an anonymous caller of a private bucket.
- **DynamoDB**: every request is signed, its body included.
- **Cognito**: what an app calls without AWS credentials (sign-up, sign-in, tokens, the pool's
  public keys) is open, as in AWS; every other action (the administrator's and the other
  IAM-authenticated ones) must be signed, but ``AdminConfirmSignUp``: locally no email is sent,
  and confirming without a code stands in for the emailed one.
- Anything else the emulator could answer (its own control paths, other services) is refused.

Checking a signature of a body (DynamoDB's, Cognito's, S3's with ``x-amz-content-sha256``)
reads the body first; the emulator then reads it again.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wsgi import get_input_stream

from local_stack import post_policy
from local_stack.credentials import Keys
from local_stack.signatures import (
    UNSUPPORTED,
    Checker,
    Clock,
    Incoming,
    Refusal,
    access_denied,
    parse_authorization,
)

COGNITO_TARGET = "AWSCognitoIdentityProviderService."
DYNAMODB_TARGET = "DynamoDB_20120810."
# The user pool actions an app calls without AWS credentials (unsigned in AWS); Cognito checks
# their tokens, passwords and codes itself.
OPEN_COGNITO_ACTIONS = frozenset(
    {
        "AssociateSoftwareToken",
        "ChangePassword",
        "CompleteWebAuthnRegistration",
        "ConfirmDevice",
        "ConfirmForgotPassword",
        "ConfirmSignUp",
        "DeleteUser",
        "DeleteUserAttributes",
        "DeleteWebAuthnCredential",
        "ForgetDevice",
        "ForgotPassword",
        "GetDevice",
        "GetTokensFromRefreshToken",
        "GetUser",
        "GetUserAttributeVerificationCode",
        "GetUserAuthFactors",
        "GlobalSignOut",
        "InitiateAuth",
        "ListDevices",
        "ListWebAuthnCredentials",
        "ResendConfirmationCode",
        "RespondToAuthChallenge",
        "RevokeToken",
        "SetUserMFAPreference",
        "SetUserSettings",
        "SignUp",
        "StartWebAuthnRegistration",
        "UpdateDeviceStatus",
        "UpdateUserAttributes",
        "VerifySoftwareToken",
        "VerifyUserAttribute",
    }
)
# Locally no email is sent: confirming without the code (notes confirm) stands in for it, as the
# open ConfirmSignUp accepts any code here.
LOCALLY_OPEN_COGNITO_ACTIONS = frozenset({"AdminConfirmSignUp"})
# The pool's signing keys and discovery document: public, as Cognito serves them.
PUBLIC_PATHS = ("/.well-known/jwks.json", "/.well-known/openid-configuration")
# The emulator's own control and dashboard paths: never served.
CONTROL_PATHS = ("/moto-api", "/favicon.ico", "/latest/")
PRESIGNED_PARAMETERS = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# S3's refusals as DynamoDB and Cognito word them (their status is 400).
_JSON_REFUSALS = {
    "AccessDenied": ("IncompleteSignatureException", None),
    "AuthorizationHeaderMalformed": ("IncompleteSignatureException", None),
    "InvalidAccessKeyId": (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    "SignatureDoesNotMatch": ("InvalidSignatureException", None),
    "RequestTimeTooSkewed": (
        "InvalidSignatureException",
        "Signature expired: the request's time is more than 15 minutes from the current time.",
    ),
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Guard:
    """WSGI: refuses what AWS refuses, and passes the rest to ``app`` (the emulator)."""

    def __init__(self, app: Any, keys: Keys, clock: Clock = utc_now) -> None:
        self._app = app
        self.checker = Checker(keys, clock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        service = service_of(environ)
        try:
            self._admit(environ, service)
        except Refusal as refusal:
            return refused(environ, service, refusal, start_response)
        return self._app(environ, start_response)

    def _admit(self, environ: dict[str, Any], service: str) -> None:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(CONTROL_PATHS):
            raise access_denied()
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return  # a browser's preflight, never signed: local_stack.cors answers the web app's only
        incoming = Incoming.from_environ(environ)
        if service == "cognito-idp":
            self._cognito(environ, incoming)
        elif service == "dynamodb":
            self._signed_json(environ, incoming, service)
        elif service == "s3":
            self._s3(environ, incoming, path)
        else:
            raise Refusal(
                "UnknownOperationException", "This emulator serves Cognito, DynamoDB and S3 only.", 400
            )

    def _cognito(self, environ: dict[str, Any], incoming: Incoming) -> None:
        action = str(environ.get("HTTP_X_AMZ_TARGET", ""))[len(COGNITO_TARGET) :]
        if action not in OPEN_COGNITO_ACTIONS | LOCALLY_OPEN_COGNITO_ACTIONS:
            self._signed_json(environ, incoming, "cognito-idp")
            return
        # As in AWS, an open call's signature is not looked at; one that does not name Cognito is
        # dropped, so that the call reaches the pool whatever it says.
        authorization = incoming.header("authorization")
        if authorization is not None and not _names_service(authorization, "cognito-idp"):
            del environ["HTTP_AUTHORIZATION"]

    def _signed_json(self, environ: dict[str, Any], incoming: Incoming, service: str) -> None:
        authorization = incoming.header("authorization")
        if authorization is None:
            raise Refusal(
                "MissingAuthenticationTokenException", "Request is missing Authentication Token", 400
            )
        if authorization.startswith("AWS "):
            raise UNSUPPORTED
        body = _buffered(environ)
        self.checker.check_header(incoming, service, hashlib.sha256(body).hexdigest())

    def _s3(self, environ: dict[str, Any], incoming: Incoming, path: str) -> None:
        authorization = incoming.header("authorization")
        if _public(environ, path, authorization):
            return  # the pool's public keys (the emulator serves them on paths S3 could have)
        if authorization is not None:
            self._s3_header(environ, incoming, authorization)
            return
        names = {name for name, _ in incoming.query_pairs()}
        if names & PRESIGNED_PARAMETERS:
            self.checker.check_query(incoming)
        elif names & {"AWSAccessKeyId", "Signature"}:
            raise UNSUPPORTED
        elif environ.get("REQUEST_METHOD") == "POST" and _form_upload(environ, path):
            self._form(environ, path.strip("/"))
        else:
            raise access_denied()

    def _s3_header(self, environ: dict[str, Any], incoming: Incoming, authorization: str) -> None:
        if authorization.startswith("AWS "):
            raise UNSUPPORTED
        payload = incoming.header("x-amz-content-sha256")
        if payload is None:
            raise Refusal(
                "InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400
            )
        self.checker.check_header(incoming, "s3", payload)
        # A hash names the body exactly; the other values (UNSIGNED-PAYLOAD, STREAMING-…) leave it
        # unsigned, or signed chunk by chunk.
        if _SHA256_HEX.fullmatch(payload) and hashlib.sha256(_buffered(environ)).hexdigest() != payload:
            raise Refusal(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
            )

    def _form(self, environ: dict[str, Any], bucket: str) -> None:
        form = post_policy.read_form(_buffered(environ), str(environ.get("CONTENT_TYPE", "")))
        post_policy.check(form, bucket, self.checker)
        body, content_type = post_policy.encoded(form)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = content_type


def service_of(environ: dict[str, Any]) -> str:
    """The service a request is for, as the emulator routes it: by its target, else S3."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target is None:
        return "s3"
    if str(target).startswith(COGNITO_TARGET):
        return "cognito-idp"
    if str(target).startswith(DYNAMODB_TARGET):
        return "dynamodb"
    return "other"


def refused(
    environ: dict[str, Any], service: str, refusal: Refusal, start_response: Callable[..., Any]
) -> list[bytes]:
    """The refusal as the service words it: S3's XML error, or DynamoDB's and Cognito's JSON."""
    request_id = secrets.token_hex(8).upper()
    if service == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        ).encode()
        status, content_type = refusal.status, "application/xml"
        headers = [("x-amz-request-id", request_id)]
    else:
        code, message = _JSON_REFUSALS.get(refusal.code, (refusal.code, None))
        answer = {"__type": f"com.amazon.coral.service#{code}", "message": message or refusal.message}
        body = json.dumps(answer).encode()
        version = "1.0" if service == "dynamodb" else "1.1"
        status, content_type = 400, f"application/x-amz-json-{version}"
        headers = [("x-amzn-RequestId", request_id)]
    if environ.get("REQUEST_METHOD") == "HEAD":
        body = b""
    start_response(
        f"{status} {_REASONS.get(status, 'Refused')}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


_REASONS = {400: "Bad Request", 403: "Forbidden"}


def _names_service(authorization: str, service: str) -> bool:
    try:
        scope, _, _ = parse_authorization(authorization)
    except Refusal:
        return False
    return scope.service == service


def _public(environ: dict[str, Any], path: str, authorization: str | None) -> bool:
    """A read of the pool's public keys or discovery document, unsigned or naming Cognito."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not path.endswith(PUBLIC_PATHS):
        return False
    return authorization is None or _names_service(authorization, "cognito-idp")


def _form_upload(environ: dict[str, Any], path: str) -> bool:
    """A browser form posted to a bucket (``/<bucket>``): a presigned POST."""
    kind = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
    return kind == "multipart/form-data" and "/" not in path.strip("/") and bool(path.strip("/"))


def _buffered(environ: dict[str, Any]) -> bytes:
    """The request's body, read once, and left for the emulator to read again."""
    data = get_input_stream(environ).read()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return data
