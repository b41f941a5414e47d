"""What the API shows of stored notes: a note, its attachment, a page of notes, a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from chalicelib.models import AttachmentAttribute, NoteItemModel


class Page(NamedTuple):
    notes: list[dict[str, Any]]
    next_cursor: str | None

    def to_public(self) -> dict[str, Any]:
        return {"notes": self.notes, "nextCursor": self.next_cursor}


def utc_now() -> str:
    """The current time as the API shows it: ISO 8601, UTC, milliseconds."""
    return iso_time(datetime.now(UTC))


def iso_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(moment: str) -> datetime:
    """A time as the API shows it (``iso_time``), read back."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def epoch_seconds(moment: str) -> int:
    """A time as the API shows it, in whole seconds since 1970 (as a TTL attribute holds it)."""
    return int(parse_time(moment).timestamp())


def to_public(note: NoteItemModel) -> dict[str, Any]:
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
