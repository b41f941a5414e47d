"""Page cursors: where a page ended and a tag binding it to its owner and its query, unpadded base64url.

The position is the last note's id, or for a listing by last change its time and id. The plain
listing's cursors bind no query, so they stay what they always were.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from chalicelib.errors import InvalidInput

_CURSOR_TAG_BYTES = 8
# The last note's id and an 8-byte tag, unpadded base64url. Sort keys are at most 1,024 bytes.
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{12,1380}$")


def _cursor_tag(owner: str, note_id: str, binding: str) -> bytes:
    # Binds a cursor to its owner (and query), so a cursor from another user or another query
    # (or an edited one) is refused instead of silently starting elsewhere. The cursor never
    # carries the partition key: the owner always comes from the token.
    message = (
        f"{owner}\x00{note_id}".encode() if not binding else f"{owner}\x00{binding}\x00{note_id}".encode()
    )
    return hashlib.blake2b(message, digest_size=_CURSOR_TAG_BYTES, person=b"notes-cursor").digest()


def encode_cursor(owner: str, note_id: str, binding: str = "") -> str:
    # The id as stored, whatever wrote it: a cursor never fails to continue a walk.
    raw = note_id.encode() + _cursor_tag(owner, note_id, binding)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(owner: str, cursor: str, binding: str = "") -> str:
    """The position a cursor continues after. Raises InvalidInput for any other cursor, and for
    one made for another query (``binding``)."""
    bad = InvalidInput(
        "query parameter 'cursor' is not a cursor from this listing with these parameters; "
        "pass back 'nextCursor' exactly as received, with the same q, tag and sort"
    )
    if not _CURSOR.match(cursor):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        note_id = raw[:-_CURSOR_TAG_BYTES].decode()
    except (binascii.Error, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise bad from error
    if not note_id or not hmac.compare_digest(raw[-_CURSOR_TAG_BYTES:], _cursor_tag(owner, note_id, binding)):
        raise bad
    return note_id
