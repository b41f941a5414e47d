"""Input shapes: the request body, query parameters and ``If-Match``.

Every function raises ``InvalidInput`` with a message that names the offending
field or parameter; none of them touches storage.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple

from chalicelib import words
from chalicelib.errors import InvalidInput
from chalicelib.queries import CREATED, SORTS, Search

MAX_CONTENT_BYTES = 100_000
MAX_TITLE_CHARS = 200
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_FILE_NAME_CHARS = 255
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

EDITABLE_FIELDS = ("title", "content", "tags")
SERVER_FIELDS = ("noteId", "userId", "attachment", "createdAt", "updatedAt", "version")
DEFAULTS: dict[str, Any] = {"title": "", "tags": []}
UPLOAD_FIELDS = ("name", "contentType", "size")
ATTACH_FIELDS = ("uploadId",)

# If-Match: "*" or a list of strong entity tags, each a quoted version number.
# Only ASCII digits are numbers here (``\d`` would take any script's, such as "５").
_ETAG_LIST = re.compile(r'\s*"[0-9]{1,15}"(\s*,\s*"[0-9]{1,15}")*\s*', re.ASCII)
_LIMIT = re.compile(r"[0-9]{1,6}", re.ASCII)
# DynamoDB compares a value with at most 100 others in one condition (IN).
MAX_IF_MATCH_VERSIONS = 100
# RFC 6838 type/subtype, without parameters: the upload policy matches it exactly.
MEDIA_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
_MEDIA_TYPE = re.compile(MEDIA_TYPE_PATTERN)
# A time-ordered id (UUIDv7, lower case), as the API makes every note id and upload id.
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Precondition(NamedTuple):
    """What ``If-Match`` asked for: any existing version (no ``tags``), or one of ``versions``.

    Entity tags are compared strongly, character by character (RFC 9110, section 8.8.3.2): a
    version's ETag is ``"<version>"`` in its shortest form, so ``"0001"`` is no version's and
    matches none. ``tags`` holds every tag as sent (for the 412's message), ``versions`` the
    versions they are ETags of; when no tag is one, ``versions`` is empty and nothing matches.
    """

    versions: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def any_version(self) -> bool:
        return not self.tags

    def holds(self, version: int) -> bool:
        """Whether a note at ``version`` meets the precondition."""
        return self.any_version or version in self.versions


def no_body(raw: bytes | str | None) -> None:
    """A route that takes no body: nothing, or an empty JSON object. Raises InvalidInput."""
    if raw is None or not (raw.strip() if isinstance(raw, (bytes, str)) else raw):
        return
    if parse_json_object(raw):
        raise InvalidInput("this request takes no body: send none (or {})")


def parse_json_object(raw: bytes | str | None) -> dict[str, Any]:
    """Decode a request body that must be a JSON object.

    The one place a body is decoded: anything it cannot turn into an object is
    InvalidInput, never another exception. Raises InvalidInput for an empty body,
    bytes that are not UTF-8, text that is not JSON (including NaN/Infinity,
    repeated keys and integers too long to convert), nesting too deep to decode,
    or a non-object.
    """
    if not raw or not raw.strip():
        raise InvalidInput("request body is required: a JSON object")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise InvalidInput("request body must be UTF-8 encoded JSON") from error
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"request body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    except RecursionError as error:
        # The decoder recurses once per nested array or object: a small body
        # such as [[[[…]]]] a thousand deep exhausts the stack.
        raise InvalidInput("request body nests arrays or objects too deeply to be a note") from error
    except ValueError as error:
        # What the decoder raises besides JSONDecodeError: an integer of more
        # digits than Python converts (sys.get_int_max_str_digits).
        raise InvalidInput(
            f"request body holds a number longer than {sys.get_int_max_str_digits():,} digits"
        ) from error
    if not isinstance(value, dict):
        raise InvalidInput(f"request body must be a JSON object, not {_json_type(value)}")
    return value


def note_fields(body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate the editable fields of a note.

    For a full body (POST, PUT) ``content`` is required and omitted optional
    fields take their defaults; for a partial one (PATCH) only the given fields
    are returned, and at least one is required. Raises InvalidInput.
    """
    for name in body:
        if name in SERVER_FIELDS:
            raise InvalidInput(f"field '{name}' is set by the server and cannot be sent")
        if name not in EDITABLE_FIELDS:
            raise InvalidInput(
                f"unknown field '{_clip(name)}'; allowed fields: {', '.join(sorted(EDITABLE_FIELDS))}"
            )
    if partial:
        if not body:
            raise InvalidInput(
                f"request body names no field to change; give one of: {', '.join(EDITABLE_FIELDS)}"
            )
        fields = dict(body)
    else:
        if "content" not in body:
            raise InvalidInput("field 'content' is required")
        fields = {**DEFAULTS, **body}
    for name, value in fields.items():
        _CHECKS[name](value)
    return fields


def _check_content(value: Any) -> None:
    text = _string("content", value)
    size = len(text.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidInput(
            f"field 'content' is {size:,} bytes in UTF-8; at most {MAX_CONTENT_BYTES:,} are allowed"
        )


def _check_title(value: Any) -> None:
    text = _string("title", value)
    if len(text) > MAX_TITLE_CHARS:
        raise InvalidInput(f"field 'title' is {len(text)} characters; at most {MAX_TITLE_CHARS} are allowed")


def _check_tags(value: Any) -> None:
    if not isinstance(value, list):
        raise InvalidInput(f"field 'tags' must be a list of strings, not {_json_type(value)}")
    if len(value) > MAX_TAGS:
        raise InvalidInput(f"field 'tags' has {len(value)} items; at most {MAX_TAGS} are allowed")
    seen: set[str] = set()
    for index, tag in enumerate(value):
        name = f"tags[{index}]"
        text = _string(name, tag)
        if not 1 <= len(text) <= MAX_TAG_CHARS:
            raise InvalidInput(f"field '{name}' must be 1 to {MAX_TAG_CHARS} characters long")
        if text in seen:
            raise InvalidInput(f"field '{name}' repeats the tag {_clip(text)!r}; tags must be unique")
        seen.add(text)


_CHECKS = {
    "content": _check_content,
    "title": _check_title,
    "tags": _check_tags,
}


class UploadRequest(NamedTuple):
    """What a client declares of the file it is about to upload."""

    name: str
    content_type: str
    size: int


def upload_request(body: Mapping[str, Any], max_bytes: int) -> UploadRequest:
    """Validate ``{"name", "contentType", "size"}``; raises InvalidInput naming the field."""
    _only_fields(body, UPLOAD_FIELDS)
    for name in UPLOAD_FIELDS:
        if name not in body:
            raise InvalidInput(f"field '{name}' is required")
    name = check_file_name(_string("name", body["name"]))
    content_type = check_media_type(_string("contentType", body["contentType"]))
    size = body["size"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidInput(f"field 'size' must be a whole number of bytes, not {_json_type(size)}")
    if not 1 <= size <= max_bytes:
        raise InvalidInput(
            f"field 'size' must be from 1 to {max_bytes:,} bytes (the largest file allowed), got {size:,}"
        )
    return UploadRequest(name, content_type.lower(), size)


def check_file_name(name: str) -> str:
    """``name`` if it is a file name the API keeps; raises InvalidInput naming ``name``."""
    if not 1 <= len(name) <= MAX_FILE_NAME_CHARS:
        raise InvalidInput(f"field 'name' must be 1 to {MAX_FILE_NAME_CHARS} characters long")
    for char in name:
        if char in "/\\" or unicodedata.category(char) in _NOT_IN_NAMES:
            raise InvalidInput(
                f"field 'name' must not contain {_codepoint(char)}: a file name has no '/', '\\', "
                "control, format (such as right-to-left overrides) or line and paragraph separator characters"
            )
    return name


# Control, format (bidirectional overrides, zero-width characters) and line or paragraph
# separators: each can make a name show as another one.
_NOT_IN_NAMES = ("Cc", "Cf", "Zl", "Zp")
# The same rule as a pattern a browser compiles (JavaScript, with the "u" flag): the web app's.
FILE_NAME_FORBIDDEN_PATTERN = "[/\\\\" + "".join(f"\\p{{{category}}}" for category in _NOT_IN_NAMES) + "]"


def _codepoint(char: str) -> str:
    """How a refused character is named: visibly, whatever it does to text around it."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def check_media_type(value: str) -> str:
    """``value`` if it is a media type without parameters; raises InvalidInput naming ``contentType``."""
    if not _MEDIA_TYPE.match(value):
        raise InvalidInput(
            f"field 'contentType' must be a media type such as application/pdf (type/subtype, "
            f"no parameters), got {_clip(value)!r}"
        )
    return value


def attach_request(body: Mapping[str, Any]) -> str:
    """The ``uploadId`` of ``{"uploadId"}``; raises InvalidInput naming the field."""
    _only_fields(body, ATTACH_FIELDS)
    if "uploadId" not in body:
        raise InvalidInput(
            "field 'uploadId' is required: the uploadId that POST /notes/{noteId}/attachment gave"
        )
    upload_id = _string("uploadId", body["uploadId"])
    if not UUID7.match(upload_id):
        raise InvalidInput(
            f"field 'uploadId' is not an upload id of this API, got {_clip(upload_id)!r}; "
            "pass back 'uploadId' exactly as POST /notes/{noteId}/attachment gave it"
        )
    return upload_id


SHARE_FIELDS = ("expiresInDays",)
SHARE_DEFAULT_DAYS = 30
SHARE_MAX_DAYS = 365


def share_request(raw: bytes | str | None) -> int:
    """The days a new link lives, from ``{"expiresInDays": n}`` (no body, or ``{}``: 30). Raises
    InvalidInput naming the field."""
    if raw is None or not (raw.strip() if isinstance(raw, (bytes, str)) else raw):
        return SHARE_DEFAULT_DAYS
    body = parse_json_object(raw)
    _only_fields(body, SHARE_FIELDS)
    days = body.get("expiresInDays", SHARE_DEFAULT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= SHARE_MAX_DAYS:
        raise InvalidInput(
            f"field 'expiresInDays' must be a whole number of days from 1 to {SHARE_MAX_DAYS}, "
            f"got {_clip(json.dumps(days))}"
        )
    return days


def _only_fields(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise InvalidInput(f"unknown field '{_clip(name)}'; allowed fields: {', '.join(allowed)}")


def parse_limit(
    params: Mapping[str, list[str]], default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT
) -> int:
    """The page size from ``?limit=``; raises InvalidInput unless it is 1 to ``maximum``."""
    value = single_param(params, "limit")
    if value is None:
        return default
    if not _LIMIT.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise InvalidInput(
            f"query parameter 'limit' must be an integer from 1 to {maximum}, got {_clip(value)!r}"
        )
    return int(value)


MAX_QUERY_CHARS = 200


def parse_search(params: Mapping[str, list[str]]) -> Search:
    """``q``, ``tag`` and ``sort`` of a listing; raises InvalidInput naming what is wrong."""
    query = single_param(params, "q")
    if query is not None:
        if not 1 <= len(query) <= MAX_QUERY_CHARS:
            raise InvalidInput(
                f"query parameter 'q' must be 1 to {MAX_QUERY_CHARS} characters long, got {len(query):,}"
            )
        if not words.words(query):
            raise InvalidInput("query parameter 'q' must hold at least one word (letters or digits)")
    tag = single_param(params, "tag")
    if tag is not None and not 1 <= len(tag) <= MAX_TAG_CHARS:
        raise InvalidInput(
            f"query parameter 'tag' must be 1 to {MAX_TAG_CHARS} characters long, got {len(tag):,}"
        )
    sort = single_param(params, "sort")
    if sort is not None and sort not in SORTS:
        raise InvalidInput(f"query parameter 'sort' must be one of {', '.join(SORTS)}, got {_clip(sort)!r}")
    return Search.of(query, tag, sort or CREATED)


def single_param(params: Mapping[str, list[str]], name: str) -> str | None:
    """The one value of query parameter ``name``; raises InvalidInput if repeated."""
    values = params.get(name) or []
    if len(values) > 1:
        raise InvalidInput(f"query parameter '{name}' is given more than once")
    return values[0] if values else None


def check_query_params(params: Mapping[str, list[str]], allowed: tuple[str, ...]) -> None:
    """Raises InvalidInput naming the first query parameter not in ``allowed``."""
    for name in params:
        if name not in allowed:
            raise InvalidInput(f"unknown query parameter '{_clip(name)}'; allowed: {', '.join(allowed)}")


def parse_if_match(header: str | None) -> Precondition | None:
    """The precondition of an ``If-Match`` header, or None when there is none.

    Accepts ``*`` or strong entity tags such as ``"3"`` or ``"3", "4"``; a weak
    tag never matches under If-Match, so it is refused like any other bad value. A tag of
    digits that is no version's ETag (``"03"``) is kept: it matches nothing, so the write is a
    412 (a 404 for a missing note), as for a version the note does not have.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return Precondition()
    if not _ETAG_LIST.fullmatch(header):
        raise InvalidInput(
            "header 'If-Match' must be * or a quoted version from the note's ETag, such as \"3\""
        )
    tags = tuple(dict.fromkeys(re.findall(r"[0-9]+", header)))
    if len(tags) > MAX_IF_MATCH_VERSIONS:
        raise InvalidInput(
            f"header 'If-Match' names {len(tags):,} versions; at most {MAX_IF_MATCH_VERSIONS} are allowed"
        )
    return Precondition(tuple(int(tag) for tag in tags if tag == str(int(tag))), tags)


def _string(name: str, value: Any, nullable: bool = False) -> str:
    if not isinstance(value, str):
        kind = "a string or null" if nullable else "a string"
        raise InvalidInput(f"field '{name}' must be {kind}, not {_json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput(
            f"field '{name}' is not valid Unicode text (it holds an unpaired surrogate)"
        ) from error
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidInput(f"request body repeats the field '{_clip(key)}'")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"request body is not valid JSON: {name} is not a JSON number")


def _clip(text: str, width: int = 64) -> str:
    return text if len(text) <= width else text[:width] + "…"
