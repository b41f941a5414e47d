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

from uuid6 import uuid7

from chalicelib import writes
from chalicelib.errors import InvalidInput, NoAttachment, NoteNotFound, VersionMismatch
from chalicelib.files import FileStore
from chalicelib.models import AttachmentAttribute, NoteModel
from chalicelib.shapes import iso_time, to_public, utc_now
from chalicelib.storage_layout import FILES_PREFIX, UPLOADS_PREFIX
from chalicelib.validation import Precondition, UploadRequest, check_file_name, check_media_type

# An upload form is valid for 15 minutes; what it uploaded can be attached within the hour.
UPLOAD_FORM_SECONDS = 15 * 60
UPLOAD_ATTACH_SECONDS = 60 * 60
DOWNLOAD_URL_SECONDS = 5 * 60


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
        """A presigned POST for one file of this note. Raises NoteNotFound, StorageUnavailable.

        One GetItem (the note must be the owner's); presigning makes no S3 call.
        """
        writes.owned_note(self._model, owner, note_id)
        upload_id = uuid7()
        form = self._files.upload_form(
            _upload_key(owner, note_id, str(upload_id)),
            upload.name,
            upload.content_type,
            upload.size,
            UPLOAD_FORM_SECONDS,
        )
        expires = datetime.now(UTC) + timedelta(seconds=UPLOAD_FORM_SECONDS)
        return {
            "uploadId": str(upload_id),
            "url": form["url"],
            "fields": form["fields"],
            "expiresAt": iso_time(expires),
        }

    def attach(
        self, owner: str, note_id: str, upload_id: str, precondition: Precondition | None
    ) -> dict[str, Any]:
        """Record an uploaded file as the note's attachment, then delete the one it replaces.

        HeadObject checks the upload, CopyObject moves it out of the lifecycle rule's reach,
        one conditional UpdateItem records it, and one DeleteObjects removes the upload and
        the replaced file. Raises InvalidInput (the upload), NoteNotFound, VersionMismatch,
        StorageUnavailable; on any of them the note is unchanged.
        """
        writes.check_id(note_id)
        upload_key = _upload_key(owner, note_id, upload_id)
        if _created_ms(upload_id) + UPLOAD_ATTACH_SECONDS * 1000 < datetime.now(UTC).timestamp() * 1000:
            self._refuse(
                owner, note_id, f"upload {upload_id} has expired: attach within an hour of asking for it"
            )
        found = self._files.head(upload_key)
        if found is None:
            self._refuse(
                owner,
                note_id,
                f"upload {upload_id} holds no file for this note: the file was never uploaded, "
                "or it was uploaded for another note, or it is already attached",
            )
        if found.size > self._max_file_bytes or found.size != found.declared_size:
            self._files.delete_quietly(upload_key)
            declared = "" if found.declared_size is None else f"; {found.declared_size:,} were declared"
            self._refuse(
                owner,
                note_id,
                f"upload {upload_id} is {found.size:,} bytes{declared}, and at most "
                f"{self._max_file_bytes:,} are allowed: it has been deleted, upload the file again",
            )
        try:
            # What the upload form fixed; an emulator that does not enforce its policy lets a
            # client change them, so they are checked again as they were stored.
            name = check_file_name(found.declared_name or "")
            content_type = check_media_type(found.content_type)
        except InvalidInput as error:
            self._files.delete_quietly(upload_key)
            self._refuse(
                owner,
                note_id,
                f"upload {upload_id} was stored with other fields than its form gave ({error}): "
                "it has been deleted, upload the file again with the form's fields unchanged",
            )
        file_key = f"{FILES_PREFIX}{owner}/{note_id}/{uuid7()}"
        if not self._files.copy(upload_key, file_key, found.etag):
            self._refuse(
                owner, note_id, f"upload {upload_id} changed or vanished while it was being attached"
            )
        now = self._clock()
        attachment = AttachmentAttribute(
            key=file_key,
            name=name,
            size=found.size,
            contentType=content_type,
            uploadedAt=now,
        )
        model = self._model
        try:
            old = writes.update_returning_old(
                model,
                owner,
                note_id,
                [model.attachment.set(attachment), model.updatedAt.set(now), model.version.add(1)],
                writes.condition_for(model, precondition),
                precondition,
            )
        except (NoteNotFound, VersionMismatch):
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


def _upload_key(owner: str, note_id: str, upload_id: str) -> str:
    return f"{UPLOADS_PREFIX}{owner}/{note_id}/{upload_id}"


def _created_ms(upload_id: str) -> int:
    """When a time-ordered id was made, in Unix milliseconds (its first 48 bits).

    A number, not a datetime: an id of the right form may carry any time, past the year 9999
    included, and is then simply an upload that does not exist.
    """
    return int(upload_id.replace("-", "")[:12], 16)
