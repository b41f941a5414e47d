"""The notes service: owner-scoped verbs over the notes table and the attachments bucket.

Every verb takes the owner (the caller's ``sub``) first, and every key it
builds starts with that owner, so no verb can reach another user's partition
or another user's files. Each change is one conditional DynamoDB write; a
failed condition is told apart (missing note, no attachment, stale version)
only after the fact, on the error path.

Attachments: the order of the S3 and DynamoDB steps is what keeps files safe.
A file is copied into place before a note points at it, and deleted only after
no note points at it any more, so a crash between two steps can leave an
unreferenced file behind (logged with its key), never a note whose file is gone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.attributes import Attribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from uuid6 import uuid7

from chalicelib.errors import (
    InvalidInput,
    NoAttachment,
    NoteNotFound,
    StorageUnavailable,
    VersionMismatch,
)
from chalicelib.files import FileStore
from chalicelib.models import AttachmentAttribute, NoteModel
from chalicelib.storage_layout import FILES_PREFIX, UPLOADS_PREFIX
from chalicelib.validation import Precondition, UploadRequest, check_file_name, check_media_type

log = logging.getLogger(__name__)

# Error codes after which DynamoDB is worth retrying later (botocore has
# already retried them): the caller gets 503 + Retry-After, not a 500.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
CONDITION_FAILED = "ConditionalCheckFailedException"
# A page is normally one Query; only a page that DynamoDB cut short before
# proving whether more notes follow may take another, and never more than this.
MAX_QUERIES_PER_PAGE = 4

# An upload form is valid for 15 minutes; what it uploaded can be attached within the hour.
UPLOAD_FORM_SECONDS = 15 * 60
UPLOAD_ATTACH_SECONDS = 60 * 60
DOWNLOAD_URL_SECONDS = 5 * 60

_NOTE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_CURSOR_TAG_BYTES = 8
# The last note's id and an 8-byte tag, unpadded base64url. Sort keys are at most 1,024 bytes.
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{12,1380}$")


@dataclass(frozen=True)
class Page:
    notes: list[dict[str, Any]]
    next_cursor: str | None

    def to_public(self) -> dict[str, Any]:
        return {"notes": self.notes, "nextCursor": self.next_cursor}


def utc_now() -> str:
    """The current time as the API shows it: ISO 8601, UTC, milliseconds."""
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class NotesService:
    """Create, list, read, change and delete one owner's notes and their attachments."""

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
        )
        with _dynamodb():
            # The version attribute adds "version does not exist"; the key
            # condition says the same of the item itself.
            note.save(condition=self._model.noteId.does_not_exist())
        return to_public(note)

    def get_note(self, owner: str, note_id: str) -> dict[str, Any]:
        """One note. Raises NoteNotFound, StorageUnavailable."""
        note = self._load(owner, note_id)
        if note is None:
            raise NoteNotFound(note_id)
        return to_public(note)

    def list_notes(self, owner: str, limit: int, cursor: str | None) -> Page:
        """One page of notes, newest first. Raises InvalidInput (cursor), StorageUnavailable.

        Asks for one note more than the page holds: that extra note proves
        another page exists, so ``next_cursor`` is None exactly when none does,
        whatever DynamoDB does at the edge (a final page cut at 1 MB, or a
        LastEvaluatedKey after the last item).
        """
        start = _decode_cursor(owner, cursor) if cursor is not None else None
        found: list[NoteModel] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            items, last_key = self._query_page(owner, start, limit + 1 - len(found))
            found.extend(items)
            if len(found) > limit:
                shown = found[:limit]
                break
            if last_key is None:
                return Page([to_public(note) for note in found], None)
            if len(found) >= 2:
                # Cut short (1 MB): hold back the last note as the proof.
                shown = found[:-1]
                break
            start = last_key["noteId"]["S"]
        else:
            shown = found  # DynamoDB kept cutting pages short; resume where it stopped
        resume = shown[-1].noteId if shown else start
        next_cursor = _encode_cursor(owner, resume) if resume else None
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

    def delete_note(self, owner: str, note_id: str, precondition: Precondition | None) -> None:
        """Remove a note, then its file. Raises NoteNotFound, VersionMismatch, StorageUnavailable."""
        _check_id(note_id)
        condition = self._precondition(precondition)
        with self._conditional(owner, note_id, precondition):
            answer = self._connection().delete_item(
                owner, note_id, condition=condition, return_values="ALL_OLD"
            )
        old = self._model.from_raw_data(answer["Attributes"])
        if old.attachment is not None:
            self._files.delete_quietly(old.attachment.key)

    def start_upload(self, owner: str, note_id: str, upload: UploadRequest) -> dict[str, Any]:
        """A presigned POST for one file of this note. Raises NoteNotFound, StorageUnavailable.

        One GetItem (the note must be the owner's); presigning makes no S3 call.
        """
        if self._load(owner, note_id) is None:
            raise NoteNotFound(note_id)
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
            "expiresAt": _iso(expires),
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
        _check_id(note_id)
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
            old = self._write_returning_old(
                owner,
                note_id,
                [model.attachment.set(attachment), model.updatedAt.set(now), model.version.add(1)],
                self._precondition(precondition),
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
        note = self._load(owner, note_id)
        if note is None:
            raise NoteNotFound(note_id)
        if note.attachment is None:
            raise NoAttachment(note_id)
        found = note.attachment
        url = self._files.download_url(found.key, found.name, found.contentType, DOWNLOAD_URL_SECONDS)
        expires = datetime.now(UTC) + timedelta(seconds=DOWNLOAD_URL_SECONDS)
        return {
            "url": url,
            "expiresAt": _iso(expires),
            "name": found.name,
            "size": int(found.size),
            "contentType": found.contentType,
        }

    def detach(self, owner: str, note_id: str, precondition: Precondition | None) -> None:
        """Remove the note's attachment, then its file.

        Raises NoteNotFound, NoAttachment, VersionMismatch, StorageUnavailable.
        """
        _check_id(note_id)
        model = self._model
        old = self._write_returning_old(
            owner,
            note_id,
            [model.attachment.remove(), model.updatedAt.set(self._clock()), model.version.add(1)],
            self._precondition(precondition) & model.attachment.exists(),
            precondition,
            needs_attachment=True,
        )
        if old.attachment is not None:
            self._files.delete_quietly(old.attachment.key)

    def _write_returning_old(
        self,
        owner: str,
        note_id: str,
        actions: list[Action],
        condition: Condition,
        precondition: Precondition | None,
        *,
        needs_attachment: bool = False,
    ) -> NoteModel:
        """One conditional UpdateItem; the note as it was before it."""
        with self._conditional(owner, note_id, precondition, needs_attachment=needs_attachment):
            answer = self._connection().update_item(
                owner, note_id, actions=actions, condition=condition, return_values="ALL_OLD"
            )
        return self._model.from_raw_data(answer["Attributes"])

    def _refuse(self, owner: str, note_id: str, message: str) -> NoReturn:
        """Refuse an upload (400), unless the note is not the owner's (404, as everywhere)."""
        if self._load(owner, note_id) is None:
            raise NoteNotFound(note_id)
        raise InvalidInput(message)

    def _connection(self) -> Any:
        return self._model._get_connection()

    def _update(
        self, owner: str, note_id: str, fields: dict[str, Any], precondition: Precondition | None
    ) -> dict[str, Any]:
        note = self._unversioned(owner, note_id)
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
        with self._conditional(owner, note_id, precondition):
            note.update(
                actions=actions,
                condition=self._precondition(precondition),
                add_version_condition=False,
            )
        return to_public(note)

    def _unversioned(self, owner: str, note_id: str) -> NoteModel:
        """A key-only instance for a blind conditional write.

        Any non-None version makes PynamoDB increment the stored version
        (``ADD version 1``) instead of initialising it; the version condition,
        if any, is ours (``_precondition``), so the value itself is never sent.
        Raises NoteNotFound for an id that cannot exist.
        """
        _check_id(note_id)
        note = self._model(owner, note_id)
        note.version = 0
        return note

    def _precondition(self, precondition: Precondition | None) -> Condition:
        condition = self._model.noteId.exists()
        if precondition is not None and not precondition.any_version:
            condition &= self._model.version.is_in(*precondition.versions)
        return condition

    @contextmanager
    def _conditional(
        self, owner: str, note_id: str, precondition: Precondition | None, *, needs_attachment: bool = False
    ) -> Iterator[None]:
        """Turn a failed write condition into NoteNotFound, VersionMismatch or NoAttachment.

        ``needs_attachment``: the condition also required the note to have an attachment.
        """
        try:
            with _dynamodb():
                yield
        except _ConditionFailed:
            versions = precondition.versions if precondition is not None else ()
            # Without a version or an attachment to compare, only "exists" could have failed.
            if not versions and not needs_attachment:
                raise NoteNotFound(note_id) from None
            note = self._load(owner, note_id)
            if note is None:
                raise NoteNotFound(note_id) from None
            version_held = not versions or note.version in versions
            if needs_attachment and version_held:
                raise NoAttachment(note_id) from None  # missing at the time of the write
            raise VersionMismatch(versions) from None

    def _load(self, owner: str, note_id: str) -> NoteModel | None:
        if not _NOTE_ID.match(note_id):
            return None
        try:
            with _dynamodb():
                return self._model.get(owner, note_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None

    def _query_page(
        self, owner: str, start: str | None, count: int
    ) -> tuple[list[NoteModel], dict[str, Any] | None]:
        """Exactly one Query: up to ``count`` notes below ``start``, newest first."""
        last_key = {"userId": {"S": owner}, "noteId": {"S": start}} if start else None
        with _dynamodb():
            pages = self._model.query(
                owner,
                scan_index_forward=False,
                consistent_read=True,
                limit=count,
                page_size=count,
                last_evaluated_key=last_key,
            ).page_iter
            page = next(pages)
        items = [self._model.from_raw_data(item) for item in page.get("Items", [])]
        return items, pages.last_evaluated_key


def to_public(note: NoteModel) -> dict[str, Any]:
    """The API's shape of a stored note."""
    return {
        "noteId": note.noteId,
        "userId": note.userId,
        "title": note.title,
        "content": note.content,
        "tags": list(note.tags or []),
        "attachment": attachment_public(note.attachment) if note.attachment is not None else None,
        "createdAt": note.createdAt,
        "updatedAt": note.updatedAt,
        "version": note.version,
    }


def attachment_public(attachment: AttachmentAttribute) -> dict[str, Any]:
    """What the owner sees of a file: never where it is kept."""
    return {
        "name": attachment.name,
        "size": int(attachment.size),
        "contentType": attachment.contentType,
        "uploadedAt": attachment.uploadedAt,
    }


def _check_id(note_id: str) -> None:
    """Raises NoteNotFound for an id that cannot name a note."""
    if not _NOTE_ID.match(note_id):
        raise NoteNotFound(note_id)


def _upload_key(owner: str, note_id: str, upload_id: str) -> str:
    return f"{UPLOADS_PREFIX}{owner}/{note_id}/{upload_id}"


def _created_ms(upload_id: str) -> int:
    """When a time-ordered id was made, in Unix milliseconds (its first 48 bits).

    A number, not a datetime: an id of the right form may carry any time, past the year 9999
    included, and is then simply an upload that does not exist.
    """
    return int(upload_id.replace("-", "")[:12], 16)


class _ConditionFailed(Exception):
    """A conditional write's condition did not hold."""


@contextmanager
def _dynamodb() -> Iterator[None]:
    """Translate PynamoDB failures into what the caller can act on.

    Throttling and unreachable-table errors (after botocore's own retries)
    become StorageUnavailable; a failed condition becomes _ConditionFailed;
    anything else propagates and is answered as a 500.
    """
    try:
        yield
    except PynamoDBException as error:
        # Look at the cause's type first: PynamoDB's cause_response_code
        # fails on a timeout, whose ``response`` attribute is None.
        cause = error.cause
        code = error.cause_response_code if isinstance(cause, ClientError) else None
        if code == CONDITION_FAILED:
            raise _ConditionFailed() from error
        if code in RETRYABLE_CODES or isinstance(cause, (HTTPClientError, BotocoreConnectionError)):
            log.warning("DynamoDB unavailable: %s", error)
            raise StorageUnavailable("notes store") from error
        raise


def _cursor_tag(owner: str, note_id: str) -> bytes:
    # Binds a cursor to its owner, so a cursor from another user (or an edited
    # one) is refused instead of silently starting elsewhere. The cursor never
    # carries the partition key: the owner always comes from the token.
    message = f"{owner}\x00{note_id}".encode()
    return hashlib.blake2b(message, digest_size=_CURSOR_TAG_BYTES, person=b"notes-cursor").digest()


def _encode_cursor(owner: str, note_id: str) -> str:
    # The id as stored, whatever wrote it: a cursor never fails to continue a walk.
    raw = note_id.encode() + _cursor_tag(owner, note_id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_cursor(owner: str, cursor: str) -> str:
    """The note id a cursor continues after. Raises InvalidInput for any other cursor."""
    bad = InvalidInput(
        "query parameter 'cursor' is not a cursor from this listing; "
        "pass back 'nextCursor' exactly as received"
    )
    if not _CURSOR.match(cursor):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        note_id = raw[:-_CURSOR_TAG_BYTES].decode()
    except (binascii.Error, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise bad from error
    if not note_id or not hmac.compare_digest(raw[-_CURSOR_TAG_BYTES:], _cursor_tag(owner, note_id)):
        raise bad
    return note_id
