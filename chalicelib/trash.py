"""The trash: a deleted note kept, with its file, for 30 days, and given back on request.

A note moves between the notes table and the trash table in one transaction (TransactWriteItems:
the note's item deleted on the condition that it is still the version read, its copy put in the
trash), so it is in exactly one of them at every moment, and the search index (which follows the
notes table) drops it and takes it back by itself. Its file stays where it is, under the owner's
``files/`` prefix: only a deletion for good deletes it, after the item that points at it is gone.

At ``purgeAt`` (``deletedAt`` + 30 days) a trashed note is gone for its owner: no listing shows it,
no restore or deletion finds it. DynamoDB's TTL then removes the item (``purgeAtEpoch``), within a
few days; the removal reaches ``purge_expired`` through the table's stream, which deletes the file
and the versions and link, as a deletion for good does.
Nothing is deleted for good before ``purgeAt`` unless the owner asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from chalicelib import writes
from chalicelib.cursors import BY_DELETION, decode_cursor, encode_cursor
from chalicelib.errors import NoteNotFound, StorageUnavailable, VersionMismatch
from chalicelib.files import FileStore
from chalicelib.history import History
from chalicelib.models import NoteModel, TrashedNoteModel, note_items_of
from chalicelib.shapes import Page, iso_time, parse_time, to_public, utc_now
from chalicelib.sharing import Sharing
from chalicelib.stream_records import StreamRecord
from chalicelib.validation import Precondition

log = logging.getLogger(__name__)

TRASH_DAYS = 30
TRASH_SECONDS = TRASH_DAYS * 24 * 60 * 60
# Tries to move a note that keeps changing while it is moved.
MOVE_ATTEMPTS = 3
# A cursor of the trash is bound to it: never taken for a cursor of the notes.
CURSOR_BINDING = "trash"
TRASH_FIELDS = ("deletedAt", "deletedKey", "purgeAtEpoch")


def purge_at(deleted_at: str) -> str:
    return iso_time(parse_time(deleted_at) + timedelta(days=TRASH_DAYS))


def trashed_public(item: TrashedNoteModel) -> dict[str, Any]:
    """The API's shape of a trashed note: the note as stored, with when it was deleted and goes."""
    return {**to_public(item), "deletedAt": item.deletedAt, "purgeAt": purge_at(item.deletedAt)}


class Trash:
    """Move an owner's notes to the trash, list it, restore from it, delete from it for good."""

    def __init__(
        self,
        notes: type[NoteModel],
        trash: type[TrashedNoteModel],
        files: FileStore,
        history: History,
        sharing: Sharing,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._notes = notes
        # The notes table's items as kept in the trash: a note put back at the version it is given.
        self._kept = note_items_of(notes)
        self._trash = trash
        self._files = files
        self._history = history
        self._sharing = sharing
        self._clock = clock

    def move(self, owner: str, note_id: str, precondition: Precondition | None) -> None:
        """DELETE /notes/{id}: the note and its file into the trash. One consistent GetItem and one
        TransactWriteItems of two items. Raises NoteNotFound, VersionMismatch, StorageUnavailable."""
        writes.check_id(note_id)
        for _ in range(MOVE_ATTEMPTS):
            note = writes.owned_note(self._notes, owner, note_id)
            if precondition is not None and not precondition.holds(note.version):
                raise VersionMismatch(precondition.tags)
            now = self._clock()
            kept = {
                **note.attribute_values,
                "uploads": None,  # uploads waiting to be attached die with the move (their objects expire)
                "deletedAt": now,
                "deletedKey": f"{now}#{note_id}",
                "purgeAtEpoch": parse_time(now) + timedelta(seconds=TRASH_SECONDS),
            }
            item = self._trash(**kept)
            move = writes.Transaction(self._notes)
            move.delete(note, self._notes.noteId.exists() & (self._notes.version == note.version))
            move.save(item, self._trash.noteId.does_not_exist())
            refused = move.commit()
            if not refused:
                return
            if item in refused:  # a trashed copy under this id: the note was restored while it was moved
                continue
        raise StorageUnavailable("notes store")  # it kept changing: the caller may try again

    def list(self, owner: str, limit: int, cursor: str | None) -> Page:
        """GET /trash: one page, most recently deleted first, none past its purge time. One Query
        on the trash's index (another only if DynamoDB cut a page short). Raises InvalidInput
        (cursor), StorageUnavailable."""
        start = decode_cursor(owner, cursor, CURSOR_BINDING, BY_DELETION) if cursor is not None else None
        oldest = iso_time(parse_time(self._clock()) - timedelta(days=TRASH_DAYS))
        model = self._trash
        found: list[TrashedNoteModel] = []
        # The position's note: its id ends ``deletedKey``.
        after = model(owner, start.rsplit("#", 1)[-1], deletedKey=start) if start else None
        while True:
            items, after = writes.query_page(
                model,
                owner,
                model.deletedKey > oldest,
                count=limit + 1 - len(found),
                after=after,
                forward=False,
                consistent=True,
                index=model.by_deletion,
            )
            found.extend(items)
            if len(found) > limit or after is None:
                break
        shown = found[:limit]
        more = len(found) > limit
        next_cursor = encode_cursor(owner, shown[-1].deletedKey, CURSOR_BINDING) if more and shown else None
        return Page([trashed_public(item) for item in shown], next_cursor)

    def restore(self, owner: str, note_id: str) -> dict[str, Any]:
        """POST /trash/{id}/restore: the note back as it was, its file attached, ``version`` + 1.
        Raises NoteNotFound (not in the trash, or past its purge time), StorageUnavailable."""
        item = self._trashed(owner, note_id)
        note = self._kept.from_raw_data(
            {name: value for name, value in item.serialize().items() if name not in TRASH_FIELDS}
        )
        note.version = int(item.version or 0) + 1
        note.uploads = {}
        back = writes.Transaction(self._trash)
        back.delete(item, self._trash.deletedKey == item.deletedKey)
        back.save(note, self._kept.noteId.does_not_exist())
        if back.commit():
            raise NoteNotFound(note_id)  # restored or deleted for good meanwhile
        return to_public(note)

    def purge(self, owner: str, note_id: str) -> None:
        """DELETE /trash/{id}: the note, its file, versions and link deleted for good. Raises
        NoteNotFound, StorageUnavailable."""
        writes.check_id(note_id)
        model = self._trash
        condition = model.noteId.exists() & (model.purgeAtEpoch > parse_time(self._clock()))
        old = writes.delete_returning_old(model, owner, note_id, condition)
        if old is None:
            raise NoteNotFound(note_id)
        if old.attachment is not None:
            self._files.delete_quietly(old.attachment.key)
        self._history.forget(owner, [note_id])
        self._sharing.forget(owner, note_id)

    def purge_expired(self, records: Iterable[StreamRecord[TrashedNoteModel]]) -> dict[str, int]:
        """The trash table's stream, the items DynamoDB's TTL removed (``stream_consumers.PURGER``
        admits only those): each one's file, versions and link are deleted. How many files and
        versions."""
        purged = [record.old for record in records if record.old is not None]
        keys = [item.attachment.key for item in purged if item.attachment]
        self._files.delete(*keys)  # raises: the batch is given again
        versions = sum(self._history.forget(item.userId, [item.noteId]) for item in purged)
        for item in purged:
            self._sharing.forget(item.userId, item.noteId)
        return {"files": len(keys), "versions": versions}

    def _trashed(self, owner: str, note_id: str) -> TrashedNoteModel:
        writes.check_id(note_id)
        try:
            with writes.dynamodb():
                item = self._trash.get(owner, note_id, consistent_read=True)
        except self._trash.DoesNotExist:
            raise NoteNotFound(note_id) from None
        if item.purgeAtEpoch <= parse_time(self._clock()):
            raise NoteNotFound(note_id)
        return item
