"""The attachment workflow: an upload form, attaching what was uploaded, a download, detaching.

The order of the S3 and DynamoDB steps is what keeps files safe. A file is copied
into place before a note points at it, and deleted only after no note points at it
any more, so a crash between two steps can leave an unreferenced file behind
(logged with its key), never a note whose file is gone. As for the note verbs, every
key built here starts with the owner (the caller's ``sub``), and every change to a
note is one conditional write (``chalicelib.writes``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from uuid6 import uuid7

from chalicelib import writes
from chalicelib.errors import InvalidInput, NoAttachment, NoteNotFound, StorageUnavailable, VersionMismatch
from chalicelib.files import FileStore
from chalicelib.models import AttachmentAttribute, NoteModel
from chalicelib.shapes import iso_time, to_public, utc_now
from chalicelib.storage_layout import FILES_PREFIX, UPLOADS_PREFIX
from chalicelib.validation import Precondition, UploadRequest

# An upload form is valid for 15 minutes; what it uploaded can be attached within the hour.
UPLOAD_FORM_SECONDS = 15 * 60
UPLOAD_ATTACH_SECONDS = 60 * 60
DOWNLOAD_URL_SECONDS = 5 * 60
# Uploads a note may have waiting to be attached at once (each waits an hour at most).
MAX_WAITING_UPLOADS = 20
# Tries to record an upload while other uploads of the same note are recorded at the same moment.
RECORD_ATTEMPTS = 3


class Attachments:
    """Upload, attach, download and detach the one file of an owner's note."""

    def __init__(
        self,
        model: type[NoteModel],
        files: FileStore,
        max_file_bytes: int,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._model = model
        self._files = files
        self._max_file_bytes = max_file_bytes
        self._clock = clock

    def start_upload(self, owner: str, note_id: str, upload: UploadRequest) -> dict[str, Any]:
        """A presigned POST for one file of this note, and the server's record of what it declared.

        One conditional UpdateItem records the upload on the note (its version stays: the note did
        not change), if the note is the owner's and has room for another waiting upload;
        presigning makes no S3 call. Only when that condition fails is the note read, to answer
        404, or to forget the expired uploads and try again. Raises NoteNotFound, InvalidInput
        (too many uploads waiting), StorageUnavailable.
        """
        writes.check_id(note_id)
        upload_id = str(uuid7())
        declared = {"name": upload.name, "size": upload.size, "contentType": upload.content_type}
        model = self._model
        recorded = writes.update_if(
            model,
            owner,
            note_id,
            [Path(["uploads", upload_id]).set(declared)],
            model.noteId.exists() & model.uploads.exists() & (size(model.uploads) < MAX_WAITING_UPLOADS),
        )
        for _ in range(RECORD_ATTEMPTS):
            if recorded:
                break
            recorded = self._record_upload(writes.owned_note(model, owner, note_id), upload_id, declared)
        if not recorded:  # uploads asked for at the same moment kept changing the record
            raise StorageUnavailable("notes store")
        form = self._files.upload_form(
            _upload_key(owner, note_id, upload_id),
            upload.name,
            upload.content_type,
            upload.size,
            UPLOAD_FORM_SECONDS,
        )
        expires = datetime.now(UTC) + timedelta(seconds=UPLOAD_FORM_SECONDS)
        return {
            "uploadId": upload_id,
            "url": form["url"],
            "fields": form["fields"],
            "expiresAt": iso_time(expires),
        }

    def _record_upload(self, note: NoteModel, upload_id: str, declared: dict[str, Any]) -> bool:
        """Add ``upload_id`` to the note's waiting uploads, forgetting the expired ones (the note
        was read because the first try failed); False if the note changed meanwhile."""
        model = self._model
        waiting = _waiting_uploads(note)
        expired = [known for known in waiting if _expired(known)]
        if len(waiting) - len(expired) >= MAX_WAITING_UPLOADS:
            raise InvalidInput(
                f"note {note.noteId!r} already has {MAX_WAITING_UPLOADS} uploads waiting to be attached, "
                "the most a note can have: attach one of them, or ask again when they expire "
                "(an hour after each was asked for)"
            )
        condition = model.noteId.exists()
        actions: list[Action]
        if note.uploads is None:  # a note made before uploads were recorded
            actions = [model.uploads.set({upload_id: declared})]
            condition &= model.uploads.does_not_exist()
        else:
            actions = [Path(["uploads", upload_id]).set(declared)]
            actions += [Path(["uploads", known]).remove() for known in expired]
            condition &= model.uploads.exists()
        return writes.update_if(model, note.userId, note.noteId, actions, condition)

    def attach(
        self, owner: str, note_id: str, upload_id: str, precondition: Precondition | None
    ) -> dict[str, Any]:
        """Record an uploaded file as the note's attachment, then delete the one it replaces.

        HeadObject reads the upload, CopyObject moves it out of the lifecycle rule's reach, and
        one conditional UpdateItem records it only if it is what the server declared when it
        issued the upload (its size, type and name, under an id it issued and nobody attached
        yet), forgetting that upload in the same write; one DeleteObjects then removes the
        upload and the replaced file. So an upload is attached at most once, whatever races it.
        Raises InvalidInput (the upload), NoteNotFound, VersionMismatch, StorageUnavailable; on
        any of them the note is unchanged.
        """
        writes.check_id(note_id)
        upload_key = _upload_key(owner, note_id, upload_id)
        if _expired(upload_id):
            self._refuse(
                owner, note_id, f"upload {upload_id} has expired: attach within an hour of asking for it"
            )
        found = self._files.head(upload_key)
        if found is None:
            self._refuse(owner, note_id, _not_waiting(upload_id))
        if found.size > self._max_file_bytes:
            self._files.delete_quietly(upload_key)
            self._refuse(
                owner,
                note_id,
                f"upload {upload_id} is {found.size:,} bytes, and at most {self._max_file_bytes:,} "
                "are allowed: it has been deleted, upload the file again",
            )
        file_key = f"{FILES_PREFIX}{owner}/{note_id}/{uuid7()}"
        if not self._files.copy(upload_key, file_key, found.etag):
            # Gone: another attach of the same upload took it. Otherwise it was sent again meanwhile.
            vanished = self._files.head(upload_key) is None
            self._refuse(
                owner,
                note_id,
                _not_waiting(upload_id)
                if vanished
                else f"upload {upload_id} changed while it was being attached: attach it again",
            )
        now = self._clock()
        stored = {"name": found.declared_name or "", "size": found.size, "contentType": found.content_type}
        attachment = AttachmentAttribute(key=file_key, uploadedAt=now, **stored)
        model = self._model
        declared = writes.condition_for(model, precondition)
        for fact, value in stored.items():
            declared &= Path(["uploads", upload_id, fact]) == value

        def explain(note: NoteModel) -> None:
            self._explain_refusal(note, upload_id, stored, upload_key)

        try:
            old = writes.update_returning_old(
                model,
                owner,
                note_id,
                [
                    model.attachment.set(attachment),
                    model.updatedAt.set(now),
                    model.version.add(1),
                    Path(["uploads", upload_id]).remove(),
                ],
                declared,
                precondition,
                explain=explain,
            )
        except (InvalidInput, NoteNotFound, VersionMismatch):
            # Refused for certain: no note points at the copy. (After StorageUnavailable the write
            # may have happened with its answer lost, so the copy is kept: an orphan at worst.)
            self._files.delete_quietly(file_key)
            raise
        replaced = old.attachment.key if old.attachment is not None else None
        self._files.delete_quietly(upload_key, *([replaced] if replaced and replaced != file_key else []))
        old.attachment = attachment
        old.updatedAt = now
        old.version = (old.version or 0) + 1
        return to_public(old)

    def _explain_refusal(
        self, note: NoteModel, upload_id: str, stored: dict[str, Any], upload_key: str
    ) -> None:
        """Why an attach was refused, when the note exists: raises InvalidInput for the upload,
        or returns when the upload is what was declared (the version refused it)."""
        declared = _waiting_uploads(note).get(upload_id)
        if declared is None:
            raise InvalidInput(_not_waiting(upload_id))
        differences = [
            (
                f"it is {stored['size']:,} bytes; {int(declared.get('size') or 0):,} were declared"
                if fact == "size"
                else f"its {fact} is {stored[fact]!r}; {declared.get(fact)!r} was declared"
            )
            for fact in ("size", "contentType", "name")
            if stored[fact] != declared.get(fact)
        ]
        if differences:
            self._files.delete_quietly(upload_key)
            raise InvalidInput(
                f"upload {upload_id} is not the file that was declared ({'; '.join(differences)}): "
                "it has been deleted, upload the file again with the form's fields unchanged"
            )

    def download(self, owner: str, note_id: str) -> dict[str, Any]:
        """A presigned GET for the note's file. Raises NoteNotFound, NoAttachment, StorageUnavailable.

        One GetItem; presigning makes no S3 call.
        """
        note = writes.owned_note(self._model, owner, note_id)
        if note.attachment is None:
            raise NoAttachment(note_id)
        found = note.attachment
        url = self._files.download_url(found.key, found.name, found.contentType, DOWNLOAD_URL_SECONDS)
        expires = datetime.now(UTC) + timedelta(seconds=DOWNLOAD_URL_SECONDS)
        return {
            "url": url,
            "expiresAt": iso_time(expires),
            "name": found.name,
            "size": int(found.size),
            "contentType": found.contentType,
        }

    def detach(self, owner: str, note_id: str, precondition: Precondition | None) -> None:
        """Remove the note's attachment, then its file.

        Raises NoteNotFound, NoAttachment, VersionMismatch, StorageUnavailable.
        """
        writes.check_id(note_id)
        model = self._model
        old = writes.update_returning_old(
            model,
            owner,
            note_id,
            [model.attachment.remove(), model.updatedAt.set(self._clock()), model.version.add(1)],
            writes.condition_for(model, precondition) & model.attachment.exists(),
            precondition,
            needs_attachment=True,
        )
        if old.attachment is not None:
            self._files.delete_quietly(old.attachment.key)

    def _refuse(self, owner: str, note_id: str, message: str) -> NoReturn:
        """Refuse an upload (400), unless the note is not the owner's (404, as everywhere)."""
        writes.owned_note(self._model, owner, note_id)
        raise InvalidInput(message)


def _waiting_uploads(note: NoteModel) -> dict[str, dict[str, Any]]:
    """The uploads issued for this note and not attached yet: what the server declared of each."""
    if note.uploads is None:
        return {}
    return {str(known): dict(declared) for known, declared in note.uploads.as_dict().items()}


def _not_waiting(upload_id: str) -> str:
    return (
        f"upload {upload_id} holds no file waiting for this note: it was never asked for here, "
        "the file was never uploaded or was uploaded for another note, or it is already attached"
    )


def _expired(upload_id: str) -> bool:
    """Whether the hour to attach what ``upload_id`` uploaded has passed."""
    return _created_ms(upload_id) + UPLOAD_ATTACH_SECONDS * 1000 < datetime.now(UTC).timestamp() * 1000


def _upload_key(owner: str, note_id: str, upload_id: str) -> str:
    return f"{UPLOADS_PREFIX}{owner}/{note_id}/{upload_id}"


def _created_ms(upload_id: str) -> int:
    """When a time-ordered id was made, in Unix milliseconds (its first 48 bits).

    A number, not a datetime: an id of the right form may carry any time, past the year 9999
    included, and is then simply an upload that does not exist.
    """
    return int(upload_id.replace("-", "")[:12], 16)
