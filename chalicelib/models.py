"""The PynamoDB model of a note: declaration only.

The table name and region belong to the stage, so ``bind`` makes a
subclass bound to them; no endpoint is set here, so botocore's standard
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL`` decide where requests go.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    Attribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    Index,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
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


class TableModel(Model):
    """A model of one of the app's tables, each keyed by its owner's ``sub`` first: its items' keys,
    as PynamoDB's queries take them, and how long a call to the table may take."""

    class Meta:
        # The stage's, set where the model is bound to its table (``bind``).
        table_name: str
        region: str
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = MAX_RETRY_ATTEMPTS

    userId = UnicodeAttribute(hash_key=True)

    @classmethod
    def key_attributes(cls, index: Index[Any] | None = None) -> dict[str, Attribute[Any]]:
        """The attributes of an item's key, by name: the table's, and with ``index`` the index's."""
        attributes = cls.get_attributes()
        table = [name for name, attribute in attributes.items() if attribute.is_hash_key]
        table += [name for name, attribute in attributes.items() if attribute.is_range_key]
        also = [name for name in (index.Meta.attributes if index is not None else {}) if name not in table]
        return {name: attributes[name] for name in table + also}

    def key(self) -> tuple[Any, ...]:
        """The item's key: its partition key's value, then its sort key's."""
        return tuple(getattr(self, name) for name in self.key_attributes())

    def last_key(self, index: Index[Any] | None = None) -> dict[str, dict[str, Any]]:
        """Where a Query of the table (or of ``index``) goes on after this item, as PynamoDB's
        ``last_evaluated_key`` is written: each key attribute's value as DynamoDB holds it. Only
        the key's values need be set (``Model(owner, key)``)."""
        return {
            attribute.attr_name: {attribute.attr_type: attribute.serialize(getattr(self, name))}
            for name, attribute in self.key_attributes(index).items()
        }


class NoteItemModel(TableModel):
    """A note's item as stored, in whichever table holds it: every field, its version written as
    given (``NoteModel`` counts it up itself)."""

    noteId = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute(default="")
    content = UnicodeAttribute(default="")
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    # Stored as "file": items written when the attachment was a client-set string kept it under
    # "attachment", which is left alone and never read.
    attachment = AttachmentAttribute(null=True, attr_name="file")
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    version = NumberAttribute()
    # The uploads issued for this note and not yet attached, by uploadId: what the server declared
    # of each file ({"name", "size", "contentType"}), the only facts an attach may record.
    uploads = MapAttribute[str, object](null=True)


class NoteModel(NoteItemModel):
    """One note, keyed by its owner's ``sub`` and a time-ordered id; each write of the whole note
    counts its version up (PynamoDB's version attribute)."""

    version = VersionAttribute()


_M = TypeVar("_M", bound=Model)


def note_items_of(notes: type[NoteModel]) -> type[NoteItemModel]:
    """A ``NoteItemModel`` subclass of the table and region of ``notes``: a note put back as it was
    kept, at the version it is given."""
    return bind(NoteItemModel, notes.Meta.table_name, notes.Meta.region)


# The trash's index by deletion (``TrashedNoteModel.deletedKey``).
TRASH_INDEX = "byDeletion"


class ByDeletion(LocalSecondaryIndex["TrashedNoteModel"]):
    """A user's trashed notes by ``deletedKey``: the most recently deleted last."""

    class Meta:
        index_name = TRASH_INDEX
        projection = AllProjection()

    userId = UnicodeAttribute(hash_key=True)
    deletedKey = UnicodeAttribute(range_key=True)


class TrashedNoteModel(NoteItemModel):
    """A note in the trash: the note as it was, kept at the version it had (never counted up: a
    trashed note is not changed, only moved), and when it goes.

    ``deletedKey`` (``<deletedAt>#<noteId>``) orders a user's trash by deletion, in the local
    secondary index ``byDeletion``; DynamoDB's TTL removes the item after ``purgeAtEpoch`` (whole
    seconds since 1970, read as a UTC datetime).
    """

    deletedAt = UnicodeAttribute()
    deletedKey = UnicodeAttribute()
    purgeAtEpoch = TTLAttribute()
    by_deletion = ByDeletion()


class AccountItemModel(TableModel):
    """What the account itself holds, keyed by its owner's ``sub``: ``item`` is ``deleted`` (the
    account is being or has been deleted: its tokens are refused), ``export#<exportId>``, or
    ``exporting`` (its ``exportId`` names the export pending, while it is).

    DynamoDB's TTL removes an item after ``expiresAtEpoch`` (whole seconds since 1970, read as a
    UTC datetime), when it has one.
    """

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
    expiresAtEpoch = TTLAttribute(null=True)


class SearchEntryModel(TableModel):
    """One entry of the search index (``chalicelib.search``), keyed by its owner's ``sub``.

    The entry says all there is: ``w#<word>#<noteId>`` (the note holds a word starting so),
    ``t#<tag>#<noteId>`` (it carries the tag) or ``u#<updatedAt>#<noteId>`` (it last changed then).
    """

    entry = UnicodeAttribute(range_key=True)


class ChangeModel(TableModel):
    """One entry of a user's change feed (``chalicelib.changes``), keyed by its owner's ``sub`` and
    its place in the feed: ``seq`` 1, 2, 3… for each change of a note (``noteId``, ``changedAt``),
    written by the notes table's stream function at ``writtenAt`` (milliseconds since 1970).

    ``seq`` 0 is the feed's head: ``last``, the last place given out. DynamoDB's TTL removes an
    entry after ``expiresAtEpoch`` (whole seconds since 1970, read as a UTC datetime).
    """

    seq = NumberAttribute(range_key=True)
    noteId = UnicodeAttribute(null=True)
    changedAt = UnicodeAttribute(null=True)
    writtenAt = NumberAttribute(null=True)
    last = NumberAttribute(null=True)
    expiresAtEpoch = TTLAttribute(null=True)


class ConnectionModel(TableModel):
    """An open WebSocket connection of a user (``chalicelib.live``), keyed by its owner's ``sub`` and
    the connection's id as API Gateway names it. DynamoDB's TTL removes it after
    ``expiresAtEpoch``: API Gateway closes every connection within two hours."""

    connectionId = UnicodeAttribute(range_key=True)
    connectedAt = UnicodeAttribute()
    expiresAtEpoch = TTLAttribute()


class VersionModel(TableModel):
    """A replaced version of a note (``chalicelib.history``), keyed by its owner's ``sub`` and
    ``<noteId>#<version>`` (the version written with ten digits, so that a note's versions sort in
    order): the title, content and tags it had, when it was written (``updatedAt``) and replaced
    (``replacedAt``), and its content's UTF-8 length (``size``). DynamoDB's TTL removes it after
    ``expiresAtEpoch`` (``replacedAt`` + 90 days, whole seconds since 1970, read as a UTC datetime).
    """

    versionKey = UnicodeAttribute(range_key=True)
    noteId = UnicodeAttribute()
    version = NumberAttribute()
    title = UnicodeAttribute(default="")
    content = UnicodeAttribute(default="")
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    size = NumberAttribute()
    updatedAt = UnicodeAttribute()
    replacedAt = UnicodeAttribute()
    expiresAtEpoch = TTLAttribute()


# The shares' index by link (``ShareModel.by_share``).
SHARE_INDEX = "byShare"


class ByShare(GlobalSecondaryIndex["ShareModel"]):
    """The shares by their link's id alone: which owner's note a link opens (keys only; the item
    itself is read again, consistently, from the table)."""

    class Meta:
        index_name = SHARE_INDEX
        projection = KeysOnlyProjection()

    shareId = UnicodeAttribute(hash_key=True)


class ShareModel(TableModel):
    """A note's live read-only link (``chalicelib.sharing``), keyed by its owner's ``sub`` and the
    note's id (a note has at most one): ``shareId`` (random, the link's), when it was made and when
    it expires; DynamoDB's TTL removes it after ``expiresAtEpoch`` (whole seconds since 1970, read
    as a UTC datetime). The global secondary index ``byShare`` finds it by ``shareId`` alone.

    ``copiedFrom`` / ``copiedAt``: the note's file last copied to the link's own key for the
    public page, and when (the public answer names no key of the owner's).
    """

    noteId = UnicodeAttribute(range_key=True)
    shareId = UnicodeAttribute()
    createdAt = UnicodeAttribute()
    expiresAt = UnicodeAttribute()
    expiresAtEpoch = TTLAttribute()
    copiedFrom = UnicodeAttribute(null=True)
    copiedAt = UnicodeAttribute(null=True)
    by_share = ByShare()


def bind(model: type[_M], table_name: str, region: str) -> type[_M]:
    """A subclass of ``model`` that reads and writes ``table_name`` in ``region`` (``NoteModel``'s is
    ``Note``)."""
    meta = type("Meta", (model.Meta,), {"table_name": table_name, "region": region})  # type: ignore[arg-type]
    return type(model.__name__.removesuffix("Model"), (model,), {"Meta": meta})
