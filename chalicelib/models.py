"""The PynamoDB model of a note: declaration only.

The table name and region belong to the stage, so ``bind_note_model`` makes a
subclass bound to them; no endpoint is set here, so botocore's standard
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL`` decide where requests go.
"""

from __future__ import annotations

from typing import TypeVar

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model

# A stalled table must answer well inside API Gateway's 29-second limit:
# at most 1 + MAX_RETRY_ATTEMPTS attempts of CONNECT + READ seconds each.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 2
MAX_RETRY_ATTEMPTS = 2


class AttachmentAttribute(MapAttribute[str, object]):
    """A note's file: where it is in the bucket (never shown) and what the owner sees of it."""

    key = UnicodeAttribute()
    name = UnicodeAttribute()
    size = NumberAttribute()
    contentType = UnicodeAttribute()
    uploadedAt = UnicodeAttribute()


class NoteModel(Model):
    """One note, keyed by its owner's ``sub`` and a time-ordered id."""

    class Meta:
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = MAX_RETRY_ATTEMPTS

    userId = UnicodeAttribute(hash_key=True)
    noteId = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute(default="")
    content = UnicodeAttribute(default="")
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    # Stored as "file": items written when the attachment was a client-set string kept it under
    # "attachment", which is left alone and never read.
    attachment = AttachmentAttribute(null=True, attr_name="file")
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = VersionAttribute()
    # The uploads issued for this note and not yet attached, by uploadId: what the server declared
    # of each file ({"name", "size", "contentType"}), the only facts an attach may record.
    uploads = MapAttribute[str, object](null=True)


_M = TypeVar("_M", bound=Model)


def bind_note_model(table_name: str, region: str) -> type[NoteModel]:
    """A ``NoteModel`` subclass that reads and writes ``table_name`` in ``region``."""
    return _bound(NoteModel, "Note", table_name, region)


# The trash's index by deletion (``TrashedNoteModel.deletedKey``).
TRASH_INDEX = "byDeletion"


class ByDeletion(LocalSecondaryIndex["TrashedNoteModel"]):
    """A user's trashed notes by ``deletedKey``: the most recently deleted last."""

    class Meta:
        index_name = TRASH_INDEX
        projection = AllProjection()

    userId = UnicodeAttribute(hash_key=True)
    deletedKey = UnicodeAttribute(range_key=True)


class TrashedNoteModel(NoteModel):
    """A note in the trash: the note as it was, kept at the version it had, and when it goes.

    ``deletedKey`` (``<deletedAt>#<noteId>``) orders a user's trash by deletion, in the local
    secondary index ``byDeletion``; DynamoDB's TTL removes the item after ``purgeAtEpoch``.
    """

    # Kept as it was, never counted up: a trashed note is not changed, only moved.
    _version_attribute_name = None
    version = NumberAttribute()
    deletedAt = UnicodeAttribute()
    deletedKey = UnicodeAttribute()
    purgeAtEpoch = NumberAttribute()
    by_deletion = ByDeletion()


def bind_trash_model(table_name: str, region: str) -> type[TrashedNoteModel]:
    """A ``TrashedNoteModel`` subclass that reads and writes ``table_name`` in ``region``."""
    return _bound(TrashedNoteModel, "TrashedNote", table_name, region)


class AccountItemModel(Model):
    """What the account itself holds, keyed by its owner's ``sub``: ``item`` is ``deleted`` (the
    account is being or has been deleted: its tokens are refused), ``export#<exportId>``, or
    ``exporting`` (its ``exportId`` names the export pending, while it is).

    DynamoDB's TTL removes an item after ``expiresAtEpoch``, when it has one.
    """

    class Meta:
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = MAX_RETRY_ATTEMPTS

    userId = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute(null=True)
    readyAt = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    done = NumberAttribute(null=True)
    total = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    exportId = UnicodeAttribute(null=True)
    expiresAtEpoch = NumberAttribute(null=True)


def bind_account_model(table_name: str, region: str) -> type[AccountItemModel]:
    """An ``AccountItemModel`` subclass that reads and writes ``table_name`` in ``region``."""
    return _bound(AccountItemModel, "AccountItem", table_name, region)


class SearchEntryModel(Model):
    """One entry of the search index (``chalicelib.search``), keyed by its owner's ``sub``.

    The entry says all there is: ``w#<word>#<noteId>`` (the note holds a word starting so),
    ``t#<tag>#<noteId>`` (it carries the tag) or ``u#<updatedAt>#<noteId>`` (it last changed then).
    """

    class Meta:
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = MAX_RETRY_ATTEMPTS

    userId = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)


def bind_search_model(table_name: str, region: str) -> type[SearchEntryModel]:
    """A ``SearchEntryModel`` subclass that reads and writes ``table_name`` in ``region``."""
    return _bound(SearchEntryModel, "SearchEntry", table_name, region)


def _bound(model: type[_M], name: str, table_name: str, region: str) -> type[_M]:
    meta = type("Meta", (model.Meta,), {"table_name": table_name, "region": region})  # type: ignore[arg-type]
    return type(name, (model,), {"Meta": meta})
