"""Page cursors: where a page ended and a tag binding it to its owner and its query, unpadded base64url.

The position is the last note's id, or for a listing by last change or by deletion its time and
id. The plain listing's cursors bind no query, so they stay what they always were.

The tag is a checksum, not a signature: the stage holds no secret to key it with, so a client
that knows this format can make a cursor that passes it. What keeps such a cursor harmless is
the position's own check, made before anything is read: only a position that a page of that
listing can end at is taken (``Position``), a key DynamoDB can hold where the listing uses it,
and the partition is never the cursor's but always the caller's, from the token. A made cursor
can do no more than start a page of the caller's own notes somewhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NamedTuple

from chalicelib.errors import InvalidInput
from chalicelib.search import UPDATED

_CURSOR_TAG_BYTES = 8
# DynamoDB's longest sort key (of a table or of a local secondary index), in bytes of UTF-8.
MAX_SORT_KEY_BYTES = 1024
# The longest position and its tag, unpadded base64url: nothing longer is decoded at all.
_MAX_CURSOR_CHARS = -(-(MAX_SORT_KEY_BYTES + _CURSOR_TAG_BYTES) * 4 // 3)
_CURSOR = re.compile(rf"^[A-Za-z0-9_-]{{12,{_MAX_CURSOR_CHARS}}}$")
# A time as the API writes it (``shapes.iso_time``), then ``#`` and a note's id.
_TIMED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z#[^#]+")


class Position(NamedTuple):
    """Where a page of one listing can end, as its cursors hold it."""

    # "<time>#<note id>" (the order of last change, the trash's order of deletion), or a note's
    # id alone (as stored, whatever wrote it: a cursor never fails to continue a walk).
    timed: bool
    # The longest the position can be: the key it becomes is at most MAX_SORT_KEY_BYTES.
    max_bytes: int = MAX_SORT_KEY_BYTES

    def holds(self, position: str) -> bool:
        if not position or len(position.encode()) > self.max_bytes:
            return False
        return bool(_TIMED.fullmatch(position)) if self.timed else True


# The notes by creation: a note's id (a key of the notes table).
BY_ID = Position(timed=False)
# The notes by last change: "<updatedAt>#<noteId>", read as the search index's "u#<position>".
BY_CHANGE = Position(timed=True, max_bytes=MAX_SORT_KEY_BYTES - len(UPDATED.encode()))
# The trash by deletion: "<deletedAt>#<noteId>", the key of its index.
BY_DELETION = Position(timed=True)


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


def decode_cursor(owner: str, cursor: str, binding: str = "", position: Position = BY_ID) -> str:
    """The position a cursor continues after. Raises InvalidInput for any other cursor, for one
    made for another query (``binding``), and for a position no page of the listing can end at
    (``position``): all before anything is read."""
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
    if not position.holds(note_id):
        raise bad
    return note_id
