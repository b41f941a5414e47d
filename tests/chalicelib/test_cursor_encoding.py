"""Page cursors themselves (chalicelib.cursors), without the API: the exact text a position and
its owner make, what is refused, and which positions each listing takes."""

from __future__ import annotations

import base64

import pytest

from chalicelib.cursors import (
    BY_CHANGE,
    BY_DELETION,
    BY_ID,
    MAX_SORT_KEY_BYTES,
    decode_cursor,
    encode_cursor,
)
from chalicelib.errors import InvalidInput

OWNER = "owner-1"
NOTE_ID = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
TIMED = f"2026-11-22T10:15:30.123Z#{NOTE_ID}"
SEARCH_UPDATED = "q=\x00tag=\x00sort=updated"
REFUSAL = (
    "query parameter 'cursor' is not a cursor from this listing with these parameters; "
    "pass back 'nextCursor' exactly as received, with the same q, tag and sort"
)

# Cursors clients hold: the position's UTF-8, then 8 bytes of BLAKE2b (person "notes-cursor") of
# "<owner>\0<position>" (or "<owner>\0<binding>\0<position>"), in unpadded base64url. Written out
# here, so that a change of the format (which would break every cursor a client holds) fails.
KNOWN = [
    (OWNER, NOTE_ID, "", "MDE5M2ExZTQtN2MyYi03ZDQxLTlhOGUtM2YxYzJiNGQ1ZTZm66KXRqLuQgE"),
    (
        OWNER,
        TIMED,
        SEARCH_UPDATED,
        "MjAyNi0xMS0yMlQxMDoxNTozMC4xMjNaIzAxOTNhMWU0LTdjMmItN2Q0MS05YThlLTNmMWMyYjRkNWU2ZuGtFfnwjfd9",
    ),
    (OWNER, "n1", "", "bjF9jc1SFn3LrQ"),
]


@pytest.mark.parametrize(("owner", "position", "binding", "cursor"), KNOWN)
def test_a_cursor_is_its_position_and_tag_as_clients_hold_them(
    owner: str, position: str, binding: str, cursor: str
) -> None:
    assert encode_cursor(owner, position, binding) == cursor
    timed = position == TIMED
    assert decode_cursor(owner, cursor, binding, BY_CHANGE if timed else BY_ID) == position


def refused(cursor: str, owner: str = OWNER, binding: str = "", position: object = BY_ID) -> str:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(owner, cursor, binding, position)  # type: ignore[arg-type]
    return str(raised.value)


def test_another_owner_or_another_query_is_refused() -> None:
    mine = encode_cursor(OWNER, NOTE_ID)
    assert refused(mine, owner="owner-2") == REFUSAL
    assert refused(mine, binding="trash") == REFUSAL
    searched = encode_cursor(OWNER, TIMED, SEARCH_UPDATED)
    assert refused(searched, binding="q=milk\x00tag=\x00sort=updated", position=BY_CHANGE) == REFUSAL
    assert decode_cursor(OWNER, searched, SEARCH_UPDATED, BY_CHANGE) == TIMED


def test_an_edited_cursor_is_refused() -> None:
    cursor = encode_cursor(OWNER, NOTE_ID)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    other_id = base64.urlsafe_b64encode(raw.replace(b"0193", b"0194", 1)).rstrip(b"=").decode()
    assert refused(other_id) == REFUSAL
    flipped_tag = base64.urlsafe_b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).rstrip(b"=").decode()
    assert refused(flipped_tag) == REFUSAL


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "short",  # fewer than 12 characters: no position and tag
        "bjF9jc1SFn3Lr",  # a known cursor less its last character
        "bjF9jc1SFn3LrQ==",  # padded
        "bjF9jc1SFn3L+Q",  # base64, not base64url
        "bjF9jc1SFn3L Q",
        "A" * 1377,  # longer than the longest position and tag
        base64.urlsafe_b64encode(b"\xff\xfe" + b"\x00" * 8).rstrip(b"=").decode(),  # not UTF-8
    ],
)
def test_what_is_no_cursor_at_all_is_refused(cursor: str) -> None:
    assert refused(cursor) == REFUSAL


def test_a_made_cursor_whose_position_no_page_ends_at_is_refused() -> None:
    # The tag is a checksum anyone can compute: the position's own check refuses these.
    assert refused(encode_cursor(OWNER, NOTE_ID), position=BY_CHANGE) == REFUSAL  # no time
    assert refused(encode_cursor(OWNER, "n" * 1025)) == REFUSAL  # more than a sort key holds
    assert refused(encode_cursor(OWNER, TIMED + "#x"), position=BY_DELETION) == REFUSAL


def test_each_listing_takes_the_positions_its_pages_end_at() -> None:
    assert MAX_SORT_KEY_BYTES == 1024
    # By creation: any id as stored, up to a sort key's 1,024 bytes of UTF-8.
    assert BY_ID.holds("x") and BY_ID.holds("n" * 1024) and BY_ID.holds("é" * 512)
    assert not BY_ID.holds("") and not BY_ID.holds("n" * 1025) and not BY_ID.holds("é" * 513)
    # By last change: "<time>#<id>", read as the index's "u#<time>#<id>", so 2 bytes fewer.
    assert BY_CHANGE.max_bytes == 1022
    assert BY_CHANGE.holds(TIMED)
    assert BY_CHANGE.holds("2026-11-22T10:15:30.123Z#" + "n" * 997)  # 1,022 bytes
    assert not BY_CHANGE.holds("2026-11-22T10:15:30.123Z#" + "n" * 998)
    for position in (
        NOTE_ID,
        f"yesterday#{NOTE_ID}",
        "2026-11-22T10:15:30Z#" + NOTE_ID,  # no milliseconds
        "2026-11-22 10:15:30.123Z#" + NOTE_ID,
        "2026-11-22T10:15:30.123Z#",
        f"{TIMED}#more",
    ):
        assert not BY_CHANGE.holds(position), position
    # The trash by deletion: "<deletedAt>#<id>", the index's own key, so 1,024 bytes.
    assert BY_DELETION.max_bytes == 1024
    assert BY_DELETION.holds("2026-11-22T10:15:30.123Z#" + "n" * 999)
    assert not BY_DELETION.holds("2026-11-22T10:15:30.123Z#" + "n" * 1000)
    assert not BY_DELETION.holds(NOTE_ID)
