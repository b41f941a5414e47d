"""Domain errors, and the one place that turns them into HTTP responses.

The service raises these without knowing about HTTP; ``handle_errors`` wraps each
view (``app.py`` registers every route through one helper that applies it) so that
every route answers the same way for the same failure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice import Response


class NotesError(Exception):
    """Base of every error the notes service raises on purpose."""


class InvalidInput(NotesError):
    """The request broke a rule; the message names the field or parameter."""


class NoteNotFound(NotesError):
    """No such note for this owner (it may belong to someone else, or the id is invalid)."""

    def __init__(self, note_id: str) -> None:
        shown = note_id if len(note_id) <= 64 else note_id[:64] + "…"
        super().__init__(f"note {shown!r} not found")


class VersionMismatch(NotesError):
    """``If-Match`` named a version that is not the stored one."""

    def __init__(self, expected: tuple[str, ...]) -> None:
        wanted = ", ".join(f'"{tag}"' for tag in expected)
        super().__init__(f"If-Match {wanted} does not match the note's current version")


class VersionNotFound(NotesError):
    """The note keeps no such version (never written, the current one, expired, or not a version
    number at all)."""

    def __init__(self, note_id: str, version: str) -> None:
        shown = version if len(version) <= 20 else version[:20] + "…"
        super().__init__(
            f"version {shown!r} of note {note_id!r} is not kept: GET /notes/{{noteId}}/versions lists "
            "the versions kept"
        )


class ShareNotFound(NotesError):
    """The owner's note has no live link (never shared, stopped or expired)."""

    def __init__(self, note_id: str) -> None:
        shown = note_id if len(note_id) <= 64 else note_id[:64] + "…"
        super().__init__(f"note {shown!r} has no live link: POST /notes/{{noteId}}/share makes one")


class SharedNotFound(NotesError):
    """A link that opens nothing: unknown, expired, stopped, its note trashed or deleted, or its
    account deleted. One answer for every case: it tells nothing of which."""

    def __init__(self) -> None:
        super().__init__("this link opens no note: it may have expired or been stopped by its owner")


class ExportNotFound(NotesError):
    """No such export for this owner (it may belong to someone else, have been deleted, or the id
    is invalid)."""

    def __init__(self, export_id: str) -> None:
        shown = export_id if len(export_id) <= 64 else export_id[:64] + "…"
        super().__init__(f"export {shown!r} not found")


class StorageUnavailable(NotesError):
    """DynamoDB or S3 throttled the request or could not be reached; worth retrying."""

    RETRY_AFTER_SECONDS = 1

    def __init__(self, store: str = "notes store") -> None:
        super().__init__(f"the {store} is busy or unreachable; retry shortly")


class NoAttachment(NotesError):
    """The note exists but has no attachment."""

    def __init__(self, note_id: str) -> None:
        super().__init__(f"note {note_id!r} has no attachment")


class ResyncRequired(NotesError):
    """A change feed cursor older than the feed keeps deletions: the client starts again."""

    def __init__(self) -> None:
        super().__init__(
            "this cursor is older than the change feed keeps deleted notes; "
            "start again without 'since' to get every note"
        )


class Unauthenticated(NotesError):
    """The request context carries no usable identity (a misconfigured authorizer)."""


_CHALICE_SHAPE: dict[type[NotesError], tuple[int, str]] = {
    InvalidInput: (400, "BadRequestError"),
    NoteNotFound: (404, "NotFoundError"),
    NoAttachment: (404, "NotFoundError"),
    VersionNotFound: (404, "NotFoundError"),
    ShareNotFound: (404, "NotFoundError"),
    SharedNotFound: (404, "NotFoundError"),
    ExportNotFound: (404, "NotFoundError"),
    VersionMismatch: (412, "PreconditionFailed"),
    ResyncRequired: (410, "ResyncRequired"),
    StorageUnavailable: (503, "ServiceUnavailable"),
}


def to_response(error: NotesError) -> Response:
    """The HTTP answer for a domain error."""
    if isinstance(error, Unauthenticated):
        # The shape API Gateway itself uses when its authorizer refuses a call.
        return Response(body={"message": "Unauthorized"}, status_code=401)
    status, code = _CHALICE_SHAPE[type(error)]
    headers: dict[str, str | list[str]] = {}
    if isinstance(error, StorageUnavailable):
        headers["Retry-After"] = str(error.RETRY_AFTER_SECONDS)
    return Response(body={"Code": code, "Message": str(error)}, status_code=status, headers=headers)


def handle_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a Chalice view so that domain errors become their HTTP answers."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except NotesError as error:
            return to_response(error)

    return wrapper
