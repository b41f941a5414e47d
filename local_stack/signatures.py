"""AWS Signature Version 4, checked as AWS checks it, against the local stack's one pair of keys.

Three forms are checked: the ``Authorization: AWS4-HMAC-SHA256 …`` header every SDK call
carries, a presigned URL's query (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``), and the signature of a
presigned POST's policy (``local_stack.post_policy``). botocore, the SDK's own signer, computes
the canonical request, the string to sign and the signing key: what is checked here is what a
client computed with the same code.

A refusal is a ``Refusal``: S3's error code, its message and HTTP status (the guard words it
for DynamoDB and Cognito as they would).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from local_stack.credentials import Keys

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# A signed request whose time is further from the emulator's than this is refused, as by AWS.
MAX_CLOCK_SKEW = timedelta(minutes=15)
# A presigned URL is valid for at most a week.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)

Clock = Callable[[], datetime]


class Refusal(Exception):
    """A request AWS refuses: S3's error code and message, and the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def access_denied(message: str = "Access Denied") -> Refusal:
    return Refusal("AccessDenied", message)


SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
# Signature Version 2 (an AccessKeyId and a Signature), which the local stack does not take.
UNSUPPORTED = Refusal(
    "InvalidRequest",
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    400,
)


@dataclass(frozen=True)
class Scope:
    """A credential: ``<key id>/<yyyymmdd>/<region>/<service>/aws4_request``."""

    access_key_id: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, text: str, refusal: Refusal) -> Scope:
        parts = text.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts) or not _is_date(parts[1]):
            raise refusal
        return cls(parts[0], parts[1], parts[2], parts[3])


@dataclass(frozen=True)
class Incoming:
    """What a signature covers of a request, as it arrived: its method, its path and query as
    sent (percent-encoded), and its headers."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # by WSGI's name: CONTENT_TYPE, X_AMZ_DATE, …

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Incoming:
        raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
        if raw.startswith("/"):
            path = raw.split("?", 1)[0]
        elif raw:  # the absolute form, http://host/path
            path = urlsplit(raw).path or "/"
        else:
            path = quote(str(environ.get("PATH_INFO", "")))
        headers = {key[5:]: str(value) for key, value in environ.items() if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key] = str(environ[key])
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=path,
            query=str(environ.get("QUERY_STRING", "")),
            headers=headers,
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.upper().replace("-", "_"))

    def query_pairs(self) -> list[tuple[str, str]]:
        """Every parameter of the query, decoded, in order (a name alone has the value "")."""
        pairs = []
        for item in self.query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((_decoded(name), _decoded(value)))
        return pairs

    def query_value(self, name: str) -> str | None:
        return next((value for key, value in self.query_pairs() if key == name), None)


class Checker:
    """Checks signatures made with ``keys``; ``clock`` is the time they are checked at."""

    def __init__(self, keys: Keys, clock: Clock) -> None:
        self.keys = keys
        self.clock = clock
        self._credentials = Credentials(keys.access_key_id, keys.secret_access_key)

    def check_header(self, incoming: Incoming, service: str, payload_hash: str) -> Scope:
        """The ``Authorization`` header's signature over the request; its scope."""
        scope, signed, given = parse_authorization(incoming.header("authorization") or "")
        self.check_scope(scope, service, malformed("AuthorizationHeaderMalformed"))
        stamp = _request_time(incoming)
        if abs(self.clock() - stamp) > MAX_CLOCK_SKEW:
            raise Refusal(
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        params = incoming.query_pairs()
        expected = self._signature(incoming, scope, stamp, signed, params, payload_hash, s3=service == "s3")
        _compare(expected, given)
        return scope

    def check_query(self, incoming: Incoming) -> Scope:
        """A presigned URL's signature and expiry; its scope."""
        params = incoming.query_pairs()
        found = dict(params)
        if found.get("X-Amz-Algorithm") != ALGORITHM:
            raise malformed(
                "AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
            )
        if any(not found.get(name) for name in QUERY_PARAMETERS):
            raise malformed(
                "AuthorizationQueryParametersError",
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            )
        scope = Scope.parse(found["X-Amz-Credential"], malformed("AuthorizationQueryParametersError"))
        self.check_scope(scope, "s3", malformed("AuthorizationQueryParametersError"))
        stamp = _timestamp(found["X-Amz-Date"], malformed("AuthorizationQueryParametersError"))
        expires = found["X-Amz-Expires"]
        if not expires.isdigit() or int(expires) > MAX_EXPIRES_SECONDS:
            raise malformed(
                "AuthorizationQueryParametersError",
                f"X-Amz-Expires must be a number of seconds from 0 to {MAX_EXPIRES_SECONDS} (a week)",
            )
        now = self.clock()
        if now > stamp + timedelta(seconds=int(expires)):
            raise access_denied("Request has expired")
        if stamp > now + MAX_CLOCK_SKEW:
            raise access_denied("Request is not valid yet")
        signed = found["X-Amz-SignedHeaders"].split(";")
        unsigned = [(name, value) for name, value in params if name != "X-Amz-Signature"]
        expected = self._signature(incoming, scope, stamp, signed, unsigned, UNSIGNED_PAYLOAD, s3=True)
        _compare(expected, found["X-Amz-Signature"])
        return scope

    def check_policy(self, scope: Scope, policy: str, given: str) -> None:
        """A presigned POST's ``x-amz-signature``: its base64 policy signed with the scope's key."""
        signer = SigV4Auth(self._credentials, scope.service, scope.region)
        request = AWSRequest(method="POST", url="http://localhost/")
        request.context["timestamp"] = f"{scope.date}T000000Z"
        _compare(str(signer.signature(policy, request)), given)

    def check_scope(self, scope: Scope, service: str, refusal: Refusal) -> None:
        """Refuse a scope of another key than the local one, or of another service (``refusal``'s code)."""
        if scope.access_key_id != self.keys.access_key_id:
            raise Refusal(
                "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
            )
        if scope.service != service:
            raise Refusal(refusal.code, f"Credential should be scoped to correct service: '{service}'.", 400)

    def _signature(
        self,
        incoming: Incoming,
        scope: Scope,
        stamp: datetime,
        signed: list[str],
        params: list[tuple[str, str]],
        payload_hash: str,
        *,
        s3: bool,
    ) -> str:
        headers = {}
        for name in signed:
            value = incoming.header(name)
            if value is None:  # a signed header that is not there: the signature cannot match
                raise Refusal("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
            headers[name] = value
        signer = _Recomputed(self._credentials, scope, headers, payload_hash, s3=s3)
        path = _canonical_s3_path(incoming.path) if s3 else incoming.path
        request = AWSRequest(method=incoming.method, url=f"http://localhost{path}", params=params)
        request.context["timestamp"] = stamp.strftime(TIMESTAMP_FORMAT)
        canonical = signer.canonical_request(request)
        return str(signer.signature(signer.string_to_sign(request, canonical), request))


class _Recomputed(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client signed and the payload hash it named."""

    def __init__(
        self, credentials: Credentials, scope: Scope, headers: dict[str, str], payload_hash: str, *, s3: bool
    ) -> None:
        super().__init__(credentials, scope.service, scope.region)
        self._headers = headers
        self._payload_hash = payload_hash
        self._s3 = s3

    def headers_to_sign(self, request: Any) -> Any:
        found = HTTPHeaders()
        for name, value in self._headers.items():
            found[name] = value
        return found

    def payload(self, request: Any) -> str:
        return self._payload_hash

    def _normalize_url_path(self, path: str) -> str:
        # S3 signs the path as it is (made canonical before); the other services normalise it.
        return path if self._s3 else str(super()._normalize_url_path(path))


def malformed(code: str, message: str = "The authorization parameters are malformed.") -> Refusal:
    return Refusal(code, message, 400)


def parse_authorization(header: str) -> tuple[Scope, list[str], str]:
    """The scope, the signed headers and the signature an ``Authorization`` header names."""
    bad = malformed("AuthorizationHeaderMalformed", "The authorization header is malformed.")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise bad
    parts = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals:
            raise bad
        parts[name] = value.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= set(parts):
        raise bad
    signed = parts["SignedHeaders"].split(";")
    return Scope.parse(parts["Credential"], bad), signed, parts["Signature"]


def _request_time(incoming: Incoming) -> datetime:
    """When a header-signed request says it was signed: ``X-Amz-Date``, else ``Date``."""
    missing = access_denied("AWS authentication requires a valid Date or x-amz-date header")
    stamp = incoming.header("x-amz-date")
    if stamp is not None:
        return _timestamp(stamp, missing)
    date = incoming.header("date")
    if date is None:
        raise missing
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError) as error:
        raise missing from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timestamp(text: str, refusal: Refusal) -> datetime:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:
        raise refusal from error


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return len(text) == 8


def _compare(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Refusal("SignatureDoesNotMatch", SIGNATURE_MISMATCH)


def _decoded(text: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as error:
        raise Refusal("SignatureDoesNotMatch", SIGNATURE_MISMATCH) from error


def _canonical_s3_path(raw: str) -> str:
    """S3's canonical URI: the path's bytes, each encoded once as the SDKs encode a key."""
    return quote(unquote_to_bytes(raw), safe="/~")
