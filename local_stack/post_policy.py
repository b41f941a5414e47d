"""A presigned POST (an HTML form upload into a bucket) checked as S3 checks it.

The form's ``policy`` is base64 JSON: an ``expiration`` and a list of ``conditions``. The form is
accepted only when the policy's signature (``x-amz-signature``, SigV4 with ``x-amz-credential``,
``x-amz-algorithm`` and ``x-amz-date``) was made with the local pair, the policy has not expired,
every condition holds — ``{"field": "value"}`` and ``["eq", "$field", "value"]`` exactly,
``["starts-with", "$field", "prefix"]``, ``{"bucket": …}`` against the bucket posted to,
``["content-length-range", min, max]`` against the file's real size — and every field of the form
is named by a condition, but those S3 exempts (``x-amz-signature``, ``file``, ``policy`` and any
``x-ignore-…``). Field names are compared without regard to case, values exactly.

As S3 does, the file is the form's last field: what follows it is ignored, and what is stored is
encoded again from exactly the fields checked (``encoded``).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from local_stack.signatures import ALGORITHM, UNSUPPORTED, Checker, Refusal, Scope, access_denied

# Fields a policy need not name.
EXEMPT_FIELDS = frozenset({"x-amz-signature", "file", "policy"})
IGNORED_PREFIX = "x-ignore-"
MAX_PARTS = 1000


@dataclass(frozen=True)
class Upload:
    """The file of a form: its bytes, and the name and type its part gave."""

    data: bytes
    filename: str
    content_type: str


@dataclass(frozen=True)
class Form:
    """A form upload: its fields before the file, in order, and the file."""

    fields: list[tuple[str, str]]
    file: Upload

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key.lower() == name), None)


def read_form(body: bytes, content_type: str) -> Form:
    """The form a ``multipart/form-data`` body holds. Raises Refusal when it is not one S3 takes."""
    kind, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    if kind != "multipart/form-data" or not boundary:
        raise _malformed()
    parts: list[tuple[Field | File, bytearray]] = []
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"), max_parts=MAX_PARTS)
    decoder.receive_data(body)
    decoder.receive_data(None)
    try:
        while not isinstance(event := decoder.next_event(), Epilogue):
            if isinstance(event, NeedData):  # the body ends before the form does
                raise _malformed()
            if isinstance(event, Field | File):
                parts.append((event, bytearray()))
            elif isinstance(event, Data) and parts:
                parts[-1][1].extend(event.data)
    except (ValueError, RequestEntityTooLarge) as error:
        raise _malformed() from error
    return _form(parts)


def check(form: Form, bucket: str, checker: Checker) -> None:
    """Refuse the form unless S3 would store it in ``bucket``. Raises Refusal."""
    if form.value("policy") is None:
        raise access_denied()  # an anonymous upload, into a bucket nobody may write anonymously
    if form.value("awsaccesskeyid") is not None or form.value("x-amz-algorithm") != ALGORITHM:
        raise UNSUPPORTED
    for name in ("x-amz-credential", "x-amz-date", "x-amz-signature", "key"):
        if not form.value(name):
            raise _invalid_argument(f"Bucket POST must contain a field named '{name}'.")
    credential = _invalid_argument("The x-amz-credential field is not a valid credential.")
    scope = Scope.parse(form.value("x-amz-credential") or "", credential)
    checker.check_scope(scope, "s3", credential)
    policy_text = form.value("policy") or ""
    checker.check_policy(scope, policy_text, form.value("x-amz-signature") or "")
    policy = _policy(policy_text)
    if checker.clock() >= policy.expiration:
        raise access_denied("Invalid according to Policy: Policy expired.")
    named: set[str] = set()
    sizes: list[tuple[int, int]] = []
    for condition in policy.conditions:
        constrained = _hold(condition, form, bucket, sizes)
        if constrained is not None:
            named.add(constrained)
    extra = [
        name
        for name, _ in form.fields
        if name.lower() not in named | EXEMPT_FIELDS and not name.lower().startswith(IGNORED_PREFIX)
    ]
    if extra:
        raise access_denied(f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    _check_size(len(form.file.data), sizes)


def encoded(form: Form) -> tuple[bytes, str]:
    """The form as a body again, exactly the fields checked and the file: ``(body, content type)``."""
    boundary = secrets.token_hex(16)
    chunks = []
    for name, value in form.fields:
        if not name.lower().startswith(IGNORED_PREFIX):  # S3 ignores them
            chunks.append(_part(boundary, f'name="{_quoted(name)}"', value.encode()))
    disposition = f'name="file"; filename="{_quoted(form.file.filename or "file")}"'
    chunks.append(_part(boundary, disposition, form.file.data, form.file.content_type))
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class _Policy:
    expiration: datetime
    conditions: list[Any]


def _form(parts: list[tuple[Field | File, bytearray]]) -> Form:
    """The fields before the file (each once), and the file; what follows it is ignored."""
    fields: list[tuple[str, str]] = []
    seen: set[str] = set()
    for event, data in parts:
        if event.name.lower() == "file":
            filename = event.filename if isinstance(event, File) else "file"
            kind = event.headers.get("Content-Type") or "application/octet-stream"
            return Form(fields, Upload(bytes(data), filename, kind))
        if isinstance(event, File) or event.name.lower() in seen:
            raise _invalid_argument(
                f"POST requires exactly one file upload per request, and each field once ({event.name})."
            )
        seen.add(event.name.lower())
        try:
            fields.append((event.name, bytes(data).decode("utf-8")))
        except UnicodeDecodeError as error:
            raise _malformed() from error
    raise _invalid_argument("POST requires exactly one file upload per request.")


def _policy(text: str) -> _Policy:
    try:
        found = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as error:
        raise _invalid_policy("Invalid Policy: Invalid JSON.") from error
    if not isinstance(found, dict) or not isinstance(found.get("expiration"), str):
        raise _invalid_policy("Invalid Policy: Policy missing expiration.")
    if not isinstance(found.get("conditions"), list):
        raise _invalid_policy("Invalid Policy: Policy missing conditions.")
    try:
        expiration = datetime.fromisoformat(found["expiration"])
    except ValueError as error:
        raise _invalid_policy(
            f"Invalid Policy: Invalid 'expiration' value: '{found['expiration']}'"
        ) from error
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return _Policy(expiration, found["conditions"])


def _hold(condition: Any, form: Form, bucket: str, sizes: list[tuple[int, int]]) -> str | None:
    """Refuse unless ``condition`` holds; the field it names (lower case), or None for a size range."""
    operator, name, expected = _parsed(condition)
    if operator == "content-length-range":
        sizes.append(expected)
        return None
    actual = bucket if name == "bucket" else form.value(name)
    if actual is None:
        holds = False
    elif operator == "eq":
        holds = actual == expected
    elif name == "content-type":  # a list of types: each must start so
        holds = all(item.strip().startswith(expected) for item in actual.split(","))
    else:
        holds = actual.startswith(expected)
    if not holds:
        shown = json.dumps([operator, f"${name}", expected])
        raise access_denied(f"Invalid according to Policy: Policy Condition failed: {shown}")
    return name


def _parsed(condition: Any) -> tuple[str, str, Any]:
    """A condition as ``(operator, field, value)``; a size range's value is ``(min, max)``."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        if isinstance(value, str):
            return "eq", str(name).lower(), value
    elif isinstance(condition, list) and len(condition) == 3 and isinstance(condition[0], str):
        operator, first, second = condition[0].lower(), condition[1], condition[2]
        if operator == "content-length-range" and _sizes(first, second):
            return operator, "", (first, second)
        if operator in ("eq", "starts-with") and isinstance(first, str) and first.startswith("$"):
            if isinstance(second, str):
                return operator, first[1:].lower(), second
    raise _invalid_policy(f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")


def _sizes(low: Any, high: Any) -> bool:
    numbers = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (low, high))
    return numbers and low <= high


def _check_size(size: int, ranges: list[tuple[int, int]]) -> None:
    for low, high in ranges:
        if size > high:
            raise Refusal("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        if size < low:
            raise Refusal(
                "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400
            )


def _part(boundary: str, disposition: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {_quoted(content_type)}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def _quoted(text: str) -> str:
    """As a browser writes a name into a part's header: no quote, no line break."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _malformed() -> Refusal:
    return Refusal(
        "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400
    )


def _invalid_argument(message: str) -> Refusal:
    return Refusal("InvalidArgument", message, 400)


def _invalid_policy(message: str) -> Refusal:
    return Refusal("InvalidPolicyDocument", message, 400)
