"""Sharing: one live read-only link per note, which anyone can open without a token
(``GET /shared/{shareId}``), until it expires or its owner stops it.

**The link.** ``POST /notes/{id}/share`` puts the note's one share item (``ShareModel``, keyed by
owner and note): a new ``shareId`` of 192 random bits, and when it expires (1 to 365 days, 30 by
default). Asking again puts a new item in its place, so the previous link stops working at once;
``DELETE`` deletes it. DynamoDB's TTL removes an expired item within days; the API answers none
past its time whatever the TTL has done.

**Opening it, without a token.** The link's id is looked up in the table's global secondary index
(keys only, eventually consistent), then the share item is read again, consistently, and must
still hold that id and be live: a link stopped or replaced a moment ago opens nothing. The owner's
account must not be being deleted, and the note must be in the notes (a note in the trash opens
nothing until it is restored). Every failure is the same 404, so nothing tells a stopped link
from one that never was. The answer holds the note's title, content, tags and ``updatedAt``, and
nothing that names the owner or the note: its file is copied to ``shared/<shareId>``
(``chalicelib.storage_layout``) and the download URL (5 minutes) is that copy's, made again
every half day while the link is opened, and deleted by the bucket's lifecycle a day after.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import writes
from chalicelib.attachments import DOWNLOAD_URL_SECONDS
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import SharedNotFound, ShareNotFound
from chalicelib.files import FileStore
from chalicelib.models import NoteModel, ShareModel
from chalicelib.shapes import Page, iso_time, parse_time
from chalicelib.storage_layout import SHARED_PREFIX

SHARE_ID_BYTES = 24  # 192 random bits, 32 characters of base64url
_SHARE_ID = re.compile(r"[A-Za-z0-9_-]{32}")
# The web app's page for a link, the link's id in its fragment (a fragment never leaves the
# browser: the id is in no request line of the page's host).
LINK_PAGE = "shared.html#"
# A shared file's copy is made again when it is older than this (the lifecycle deletes it after a
# day, counted from its making).
COPY_REFRESH_SECONDS = 12 * 3600
CURSOR_BINDING = "shares"
# A listing's Queries at most per page (links past their time are passed over).
MAX_QUERIES_PER_PAGE = 4
# The headers of every answer of GET /shared/{shareId}: kept by no cache, indexed by no engine.
PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


class Sharing:
    """The links of ``notes`` kept in ``shares``; ``web_url`` is the web app's address, whose page
    opens a link. ``clock``: the time it reads (seconds since 1970), the time DynamoDB's TTL
    follows (the local stack gives it its own clock)."""

    def __init__(
        self,
        shares: type[ShareModel],
        notes: type[NoteModel],
        files: FileStore,
        deleted: Callable[[str], bool],
        web_url: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``deleted``: whether an account is being or has been deleted (its links open nothing)."""
        self._shares = shares
        self._notes = notes
        self._files = files
        self._deleted = deleted
        self._web_url = web_url or ""
        self.clock = clock

    # The owner's routes.

    def share(self, owner: str, note_id: str, days: int) -> dict[str, Any]:
        """POST /notes/{id}/share: a new link, ``days`` long, in place of any earlier one. Raises
        NoteNotFound, StorageUnavailable."""
        writes.check_note(self._notes, owner, note_id)
        now = datetime.fromtimestamp(self.clock(), UTC)
        expires = now + timedelta(days=days)
        item = self._shares(
            owner,
            note_id,
            shareId=secrets.token_urlsafe(SHARE_ID_BYTES),
            createdAt=iso_time(now),
            expiresAt=iso_time(expires),
            expiresAtEpoch=expires,
        )
        with writes.dynamodb():
            item.save()  # the note's one item: an earlier link's id is gone with it
        return self.link(item)

    def current(self, owner: str, note_id: str) -> dict[str, Any]:
        """GET /notes/{id}/share: the note's live link. Raises NoteNotFound, ShareNotFound,
        StorageUnavailable."""
        writes.check_note(self._notes, owner, note_id)
        item = self._item(owner, note_id)
        if item is None or self._expired(item):
            raise ShareNotFound(note_id)
        return self.link(item)

    def stop(self, owner: str, note_id: str) -> None:
        """DELETE /notes/{id}/share: the link stops working at once (also of a note in the trash,
        whose link would work again were it restored). Raises NoteNotFound (an id that cannot
        be a note's), ShareNotFound, StorageUnavailable."""
        writes.check_id(note_id)
        model = self._shares
        old = writes.delete_returning_old(model, owner, note_id, model.noteId.exists())
        if old is None or self._expired(old):
            raise ShareNotFound(note_id)

    def list(self, owner: str, limit: int, cursor: str | None) -> Page:
        """GET /shares: the owner's live links, by note id. Raises InvalidInput (cursor),
        StorageUnavailable."""
        start = decode_cursor(owner, cursor, CURSOR_BINDING) if cursor is not None else None
        after = self._shares(owner, start) if start is not None else None
        found: list[ShareModel] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            items, after = writes.query_page(
                self._shares, owner, count=limit + 1 - len(found), after=after, consistent=True
            )
            found.extend(item for item in items if not self._expired(item))
            if len(found) > limit or after is None:
                break
        shown = found[:limit]
        more = len(found) > limit or (after is not None and bool(shown))
        next_cursor = encode_cursor(owner, shown[-1].noteId, CURSOR_BINDING) if more else None
        return Page([{"noteId": item.noteId, **self.link(item)} for item in shown], next_cursor)

    def forget(self, owner: str, note_id: str) -> None:
        """A note deleted for good: its link goes too. Raises StorageUnavailable."""
        with writes.dynamodb():
            self._shares(owner, note_id).delete()

    def link(self, item: ShareModel) -> dict[str, Any]:
        """What the owner sees of a link."""
        return {
            "shareId": item.shareId,
            "url": f"{self._web_url}/{LINK_PAGE}{item.shareId}",
            "expiresAt": item.expiresAt,
        }

    # The public route.

    def open(self, share_id: str) -> dict[str, Any]:
        """GET /shared/{shareId}, without a token: the note's title, content, tags and updatedAt,
        and its file's download URL. Raises SharedNotFound (whatever the reason),
        StorageUnavailable."""
        if not _SHARE_ID.fullmatch(share_id):
            raise SharedNotFound()
        found, _ = writes.query_page(self._shares, share_id, count=1, index=self._shares.by_share)
        if not found:
            raise SharedNotFound()
        owner, note_id = found[0].userId, found[0].noteId
        item = self._item(owner, note_id)  # again, consistently: stopped or replaced is gone
        if item is None or not hmac.compare_digest(item.shareId, share_id) or self._expired(item):
            raise SharedNotFound()
        if self._deleted(owner):
            raise SharedNotFound()
        try:
            with writes.dynamodb():
                note = self._notes.get(owner, note_id, consistent_read=True)
        except self._notes.DoesNotExist:
            raise SharedNotFound() from None
        return {
            "title": note.title,
            "content": note.content,
            "tags": list(note.tags or []),
            "updatedAt": note.updatedAt,
            "attachment": self._file(item, note),
        }

    def _file(self, item: ShareModel, note: NoteModel) -> dict[str, Any] | None:
        """The note's file as the link downloads it: its copy under the link's own key, made again
        when the note's file changed or the copy is half a day old."""
        found = note.attachment
        if found is None:
            return None
        key = f"{SHARED_PREFIX}{item.shareId}"
        now = self.clock()
        made = parse_time(item.copiedAt).timestamp() if item.copiedAt else 0.0
        if item.copiedFrom != found.key or now - made >= COPY_REFRESH_SECONDS:
            if not self._files.copy(found.key, key):
                raise SharedNotFound()  # the file was replaced or removed this moment
            copied = iso_time(datetime.fromtimestamp(now, UTC))
            model = self._shares
            try:
                with writes.dynamodb():
                    item.update(
                        actions=[model.copiedFrom.set(found.key), model.copiedAt.set(copied)],
                        condition=model.shareId == item.shareId,
                    )
            except writes.ConditionFailed:  # the link was stopped or replaced meanwhile
                self._files.delete_quietly(key)  # no copy stays for it
                raise SharedNotFound() from None
        return {
            "name": found.name,
            "size": int(found.size),
            "contentType": found.contentType,
            "url": self._files.download_url(key, found.name, found.contentType, DOWNLOAD_URL_SECONDS),
        }

    def _item(self, owner: str, note_id: str) -> ShareModel | None:
        try:
            with writes.dynamodb():
                return self._shares.get(owner, note_id, consistent_read=True)
        except self._shares.DoesNotExist:
            return None

    def _expired(self, item: ShareModel) -> bool:
        return bool(item.expiresAtEpoch <= datetime.fromtimestamp(self.clock(), UTC))
