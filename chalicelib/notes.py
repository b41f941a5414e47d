"""The notes service: owner-scoped verbs over the notes table.

Every verb takes the owner (the caller's ``sub``) first, and every key it
builds starts with that owner, so no verb can reach another user's partition
or another user's files. Each change is one conditional DynamoDB write
(``chalicelib.writes``); the attachment workflow is ``chalicelib.attachments``, a deletion a
move to the trash (``chalicelib.trash``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.expressions.update import Action
from uuid6 import uuid7

from chalicelib import writes
from chalicelib.cursors import BY_ID, decode_cursor, encode_cursor
from chalicelib.files import FileStore
from chalicelib.models import NoteModel
from chalicelib.shapes import Page, to_public, utc_now
from chalicelib.validation import Precondition

# A page is normally one Query; only a page that DynamoDB cut short before
# proving whether more notes follow may take another, and never more than this.
MAX_QUERIES_PER_PAGE = 4


class NotesService:
    """Create, list, read, change and delete one owner's notes."""

    def __init__(self, model: type[NoteModel], files: FileStore, clock: Callable[[], str] = utc_now) -> None:
        self._model = model
        self._files = files
        self._clock = clock

    def create_note(self, owner: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a new note; never overwrites. Raises StorageUnavailable."""
        now = self._clock()
        note = self._model(
            owner,
            str(uuid7()),
            title=fields["title"],
            content=fields["content"],
            tags=fields["tags"],
            createdAt=now,
            updatedAt=now,
            uploads={},  # none waiting yet: asking for an upload is then one write
        )
        with writes.dynamodb():
            # The version attribute adds "version does not exist"; the key
            # condition says the same of the item itself.
            note.save(condition=self._model.noteId.does_not_exist())
        return to_public(note)

    def get_note(self, owner: str, note_id: str) -> dict[str, Any]:
        """One note. Raises NoteNotFound, StorageUnavailable."""
        return to_public(writes.owned_note(self._model, owner, note_id))

    def list_notes(self, owner: str, limit: int, cursor: str | None) -> Page:
        """One page of notes, newest first. Raises InvalidInput (cursor), StorageUnavailable.

        Asks for one note more than the page holds: that extra note proves
        another page exists, so ``next_cursor`` is None exactly when none does,
        whatever DynamoDB does at the edge (a final page cut at 1 MB, or a
        LastEvaluatedKey after the last item).
        """
        start = decode_cursor(owner, cursor, position=BY_ID) if cursor is not None else None
        after = self._model(owner, start) if start is not None else None
        found: list[NoteModel] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            items, last = self._query_page(owner, after, limit + 1 - len(found))
            found.extend(items)
            if len(found) > limit:
                shown = found[:limit]
                break
            if last is None:
                return Page([to_public(note) for note in found], None)
            if len(found) >= 2:
                # Cut short (1 MB): hold back the last note as the proof.
                shown = found[:-1]
                break
            after = last
        else:
            shown = found  # DynamoDB kept cutting pages short; resume where it stopped
        resume = shown[-1].noteId if shown else (after.noteId if after is not None else None)
        next_cursor = encode_cursor(owner, resume) if resume else None
        return Page([to_public(note) for note in shown], next_cursor)

    def replace_note(
        self, owner: str, note_id: str, fields: dict[str, Any], precondition: Precondition | None
    ) -> dict[str, Any]:
        """PUT: every editable field replaced. Raises NoteNotFound, VersionMismatch, StorageUnavailable."""
        return self._update(owner, note_id, fields, precondition)

    def update_note(
        self, owner: str, note_id: str, fields: dict[str, Any], precondition: Precondition | None
    ) -> dict[str, Any]:
        """PATCH: only the given fields changed. Raises NoteNotFound, VersionMismatch, StorageUnavailable."""
        return self._update(owner, note_id, fields, precondition)

    def _update(
        self, owner: str, note_id: str, fields: dict[str, Any], precondition: Precondition | None
    ) -> dict[str, Any]:
        note = writes.unversioned(self._model, owner, note_id)
        model = self._model
        attributes: dict[str, Attribute[Any]] = {
            "title": model.title,
            "content": model.content,
            "tags": model.tags,
        }
        actions: list[Action] = [
            attributes[name].remove() if value is None else attributes[name].set(value)
            for name, value in fields.items()
        ]
        actions.append(model.updatedAt.set(self._clock()))
        with writes.conditional(model, owner, note_id, precondition):
            note.update(
                actions=actions,
                condition=writes.condition_for(model, precondition),
                add_version_condition=False,
            )
        return to_public(note)

    def _query_page(
        self, owner: str, after: NoteModel | None, count: int
    ) -> tuple[list[NoteModel], NoteModel | None]:
        """Exactly one Query: up to ``count`` notes below ``after``, newest first."""
        return writes.query_page(self._model, owner, count=count, after=after, forward=False, consistent=True)
