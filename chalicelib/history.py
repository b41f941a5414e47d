"""History: every version of a note's text that a change replaced, kept 90 days after it was
replaced (``GET /notes/{id}/versions``, one version, and a restore of one).

**Kept from the notes table's stream, not by the write.** A write of a note stays one conditional
write: the stream function that writes the change feed (``app.follow_changes``) reads its record a
moment later, and when the record's old image has another title, content or tags than its new
one, it puts the old image into the versions table (``chalicelib.models.VersionModel``) under
``<noteId>#<version>``. Each write of a note makes one record with its own old version, so a
version is kept once however many devices write at once, and a batch that Lambda gives again
puts the same items again. A change of the attachment alone keeps no version; neither do a
move to the trash and back, which change no text.

**Read by the owner only.** Every key starts with the caller's ``sub``; a version of a note is
answered only while the note is in the notes (a trashed note keeps its versions, hidden until it
is restored). A version past its 90 days is not answered, whatever DynamoDB's TTL has removed yet.
**Restored** by an ordinary write of the note (``If-Match`` as on any write): the text it replaces
is kept in turn, and the change feed has it as any change.

**Deleted** with the note for good (the trash's purge, by request or by its time to live) and with
the account.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from chalicelib import writes
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import InvalidInput, VersionNotFound
from chalicelib.models import NoteItemModel, NoteModel, VersionModel
from chalicelib.notes import NotesService
from chalicelib.shapes import parse_time
from chalicelib.stream_records import StreamRecord
from chalicelib.validation import Precondition

KEEP_DAYS = 90
# The version in a key, written with this many digits so that a note's versions sort in order.
VERSION_DIGITS = 10
# A page is normally one Query; a page that DynamoDB cuts at 1 MB (versions of 100 kB each) may
# take more, and never more than this.
MAX_QUERIES_PER_PAGE = 4
# Keys deleted per Query as a note's versions are deleted.
KEYS_PER_QUERY = 1000
CURSOR_BINDING = "versions"
_VERSION = re.compile(rf"[1-9][0-9]{{0,{VERSION_DIGITS - 1}}}", re.ASCII)
# What a page of versions reads of each: its summary, and when it goes.
SUMMARY_ATTRIBUTES = ["versionKey", "version", "updatedAt", "title", "size", "expiresAtEpoch"]


def version_key(note_id: str, version: int) -> str:
    return f"{note_id}#{version:0{VERSION_DIGITS}d}"


def text_of(note: NoteItemModel | VersionModel) -> tuple[str, str, list[str]]:
    """What history keeps of a note: its title, content and tags."""
    return (note.title or "", note.content or "", [str(tag) for tag in note.tags or []])


def replaced(record: StreamRecord[NoteModel]) -> bool:
    """Whether a record of the notes table replaced a note's text (a MODIFY that changed it)."""
    return record.old is not None and record.new is not None and text_of(record.old) != text_of(record.new)


def summary(item: VersionModel) -> dict[str, Any]:
    """What a page of versions shows of one."""
    return {
        "version": int(item.version),
        "updatedAt": item.updatedAt,
        "title": item.title,
        "size": int(item.size),
    }


def version_public(item: VersionModel) -> dict[str, Any]:
    """The API's shape of a note as it was at a version."""
    return {
        "noteId": item.noteId,
        "title": item.title,
        "content": item.content,
        "tags": list(item.tags or []),
        "version": int(item.version),
        "updatedAt": item.updatedAt,
    }


class VersionPage(NamedTuple):
    versions: list[dict[str, Any]]
    next_cursor: str | None

    def to_public(self) -> dict[str, Any]:
        return {"versions": self.versions, "nextCursor": self.next_cursor}


class History:
    """The versions of ``notes`` kept in ``versions``; ``clock`` is the time it reads (seconds since
    1970), the time DynamoDB's TTL follows (the local stack gives it its own clock)."""

    def __init__(
        self,
        versions: type[VersionModel],
        notes: type[NoteModel],
        service: NotesService,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._versions = versions
        self._notes = notes
        self._service = service
        self.clock = clock

    # The stream function.

    def keep(self, records: Iterable[StreamRecord[NoteModel]]) -> int:
        """Put the text each record replaced into its owner's versions; how many. Raises what
        failed (Lambda gives the batch again, and the same items are put again)."""
        kept = [
            self._version_of(record.old, record.new)
            for record in records
            if record.old is not None and record.new is not None and replaced(record)
        ]
        if kept:
            with writes.dynamodb(), self._versions.batch_write() as batch:
                for item in kept:
                    batch.save(item)
        return len(kept)

    def _version_of(self, old: NoteModel, new: NoteModel) -> VersionModel:
        title, content, tags = text_of(old)
        return self._versions(
            old.userId,
            version_key(old.noteId, int(old.version)),
            noteId=old.noteId,
            version=int(old.version),
            title=title,
            content=content,
            tags=tags,
            size=len(content.encode()),
            updatedAt=old.updatedAt,
            replacedAt=new.updatedAt,
            expiresAtEpoch=parse_time(new.updatedAt) + timedelta(days=KEEP_DAYS),
        )

    # The API.

    def list(self, owner: str, note_id: str, limit: int, cursor: str | None) -> VersionPage:
        """GET /notes/{id}/versions: one page, newest first. Raises NoteNotFound, InvalidInput
        (cursor), StorageUnavailable."""
        after = self._start(owner, note_id, cursor) if cursor is not None else None
        writes.check_note(self._notes, owner, note_id)
        model = self._versions
        found: list[VersionModel] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            items, after = writes.query_page(
                model,
                owner,
                model.versionKey.startswith(f"{note_id}#"),
                count=limit + 1 - len(found),
                after=after,
                forward=False,
                consistent=True,
                attributes=SUMMARY_ATTRIBUTES,
            )
            found.extend(items)
            if len(found) > limit or after is None:
                break
        # The oldest go first: a version past its time ends the history.
        live = [item for item in found if not self._expired(item)]
        ended = after is None or len(live) < len(found)
        shown = live[:limit]
        more = len(live) > limit or (not ended and bool(shown))
        next_cursor = encode_cursor(owner, shown[-1].versionKey, CURSOR_BINDING) if more else None
        return VersionPage([summary(item) for item in shown], next_cursor)

    def get(self, owner: str, note_id: str, version: str) -> dict[str, Any]:
        """GET /notes/{id}/versions/{version}. Raises NoteNotFound, VersionNotFound,
        StorageUnavailable."""
        item = self._kept(owner, note_id, version)
        writes.check_note(self._notes, owner, note_id)
        return version_public(item)

    def restore(
        self, owner: str, note_id: str, version: str, precondition: Precondition | None
    ) -> dict[str, Any]:
        """POST /notes/{id}/versions/{version}/restore: the version's title, content and tags made
        the note's, one conditional write as any change (the attachment stays). Raises
        NoteNotFound, VersionNotFound, VersionMismatch, StorageUnavailable."""
        item = self._kept(owner, note_id, version)
        title, content, tags = text_of(item)
        return self._service.replace_note(
            owner, note_id, {"title": title, "content": content, "tags": tags}, precondition
        )

    # Deleting a note for good, or an account.

    def forget(self, owner: str, note_ids: Iterable[str]) -> int:
        """Delete every version of the owner's notes ``note_ids``; how many. Raises
        StorageUnavailable."""
        model = self._versions
        deleted = 0
        for note_id in note_ids:
            prefix = model.versionKey.startswith(f"{note_id}#")
            for items in writes.query_pages(
                model, owner, prefix, count=KEYS_PER_QUERY, attributes=["versionKey"]
            ):
                if items:
                    with writes.dynamodb(), model.batch_write() as batch:
                        for item in items:
                            batch.delete(model(owner, item.versionKey))
                deleted += len(items)
        return deleted

    def _kept(self, owner: str, note_id: str, version: str) -> VersionModel:
        writes.check_id(note_id)
        if not _VERSION.fullmatch(version):
            raise VersionNotFound(note_id, version)
        try:
            with writes.dynamodb():
                item = self._versions.get(owner, version_key(note_id, int(version)), consistent_read=True)
        except self._versions.DoesNotExist:
            raise VersionNotFound(note_id, version) from None
        if self._expired(item):
            raise VersionNotFound(note_id, version)
        return item

    def _start(self, owner: str, note_id: str, cursor: str) -> VersionModel:
        """Where a page goes on: after the version the cursor names, of this note only."""
        position = decode_cursor(owner, cursor, CURSOR_BINDING)
        if not re.fullmatch(re.escape(note_id) + rf"#[0-9]{{{VERSION_DIGITS}}}", position):
            raise InvalidInput(
                "query parameter 'cursor' is not a cursor of this note's versions; pass back "
                "'nextCursor' exactly as received"
            )
        return self._versions(owner, position)

    def _expired(self, item: VersionModel) -> bool:
        return bool(item.expiresAtEpoch <= datetime.fromtimestamp(self.clock(), UTC))
