"""Conditional writes to the app's tables, pages of a partition, and what DynamoDB's failures
mean to the caller.

Each change is one conditional DynamoDB write; a failed condition is told apart
(missing note, no attachment, stale version) only after the fact, on the error
path. Every function takes the owner (the caller's ``sub``) with the note id, so
every key it builds starts with that owner. Everything here goes through PynamoDB's models;
the few calls their public API cannot make are ``chalicelib.dynamodb_calls``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import Index
from pynamodb.models import Model

from chalicelib import dynamodb_calls
from chalicelib.errors import NoAttachment, NoteNotFound, StorageUnavailable, VersionMismatch
from chalicelib.models import NoteModel, TableModel
from chalicelib.validation import UUID7, Precondition

# The notes service's logger: its lines keep the name they have always been logged under.
log = logging.getLogger("chalicelib.notes")

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
TRANSACTION_CANCELED = "TransactionCanceledException"
# The reason a transaction's item gives when its own condition refused the transaction.
TRANSACTION_CONDITION_FAILED = "ConditionalCheckFailed"
# A transaction refused for a conflict with another write (not for its own conditions).
TRANSACTION_CONFLICTS = frozenset({TRANSACTION_CANCELED, "TransactionConflictException"})

_T = TypeVar("_T", bound=TableModel)


def owned_note(model: type[NoteModel], owner: str, note_id: str) -> NoteModel:
    """The owner's note, read consistently. Raises NoteNotFound, StorageUnavailable.

    One GetItem, none for an id that cannot name a note.
    """
    note = _load(model, owner, note_id)
    if note is None:
        raise NoteNotFound(note_id)
    return note


def check_note(model: type[NoteModel], owner: str, note_id: str) -> None:
    """Raises NoteNotFound unless the owner has the note (in the notes, not the trash),
    StorageUnavailable. One consistent GetItem of its key alone, none for an id that cannot name
    a note."""
    check_id(note_id)
    try:
        with dynamodb():
            model.get(owner, note_id, consistent_read=True, attributes_to_get=["noteId"])
    except model.DoesNotExist:
        raise NoteNotFound(note_id) from None


def check_id(note_id: str) -> None:
    """Raises NoteNotFound for an id that cannot name a note."""
    if not UUID7.match(note_id):
        raise NoteNotFound(note_id)


def condition_for(model: type[NoteModel], precondition: Precondition | None) -> Condition:
    """A write's condition: the note exists, at one of the versions ``If-Match`` names if any."""
    condition = model.noteId.exists()
    if precondition is not None and not precondition.any_version:
        if precondition.versions:
            condition &= model.version.is_in(*precondition.versions)
        else:
            # No tag named is a version's ETag: a condition no stored note meets, so the answer
            # is still a 404 for a missing note and a 412 for one that exists.
            condition &= model.noteId.does_not_exist()
    return condition


def unversioned(model: type[NoteModel], owner: str, note_id: str) -> NoteModel:
    """A key-only instance for a blind conditional write.

    Any non-None version makes PynamoDB increment the stored version
    (``ADD version 1``) instead of initialising it; the version condition,
    if any, is ours (``condition_for``), so the value itself is never sent.
    Raises NoteNotFound for an id that cannot exist.
    """
    check_id(note_id)
    note = model(owner, note_id)
    note.version = 0
    return note


def update_returning_old(
    model: type[NoteModel],
    owner: str,
    note_id: str,
    actions: list[Action],
    condition: Condition,
    precondition: Precondition | None,
    *,
    needs_attachment: bool = False,
    explain: Callable[[NoteModel], None] | None = None,
) -> NoteModel:
    """One conditional UpdateItem of exactly ``actions``; the note as it was before it.

    ``explain``: when the condition failed on a note that exists, it is given the note as it is
    now and raises what refused the write, before the version is looked at.
    """
    with conditional(model, owner, note_id, precondition, needs_attachment=needs_attachment, explain=explain):
        return dynamodb_calls.update_item_returning_old(model, owner, note_id, actions, condition)


def update_if(
    model: type[NoteModel], owner: str, note_id: str, actions: list[Action], condition: Condition
) -> bool:
    """One conditional UpdateItem of exactly ``actions`` (the version is left as it is); False when
    its condition did not hold. Raises StorageUnavailable."""
    try:
        with dynamodb():
            dynamodb_calls.update_item(model, owner, note_id, actions, condition)
    except ConditionFailed:
        return False
    return True


def delete_returning_old(model: type[_T], owner: str, key: str, condition: Condition) -> _T | None:
    """One conditional DeleteItem; the item as it was, or None when the condition did not hold.
    Raises StorageUnavailable."""
    try:
        with dynamodb():
            return dynamodb_calls.delete_item(model, owner, key, condition)
    except ConditionFailed:
        return None


def query_page(
    model: type[_T],
    owner: str,
    range_key_condition: Condition | None = None,
    *,
    count: int,
    after: _T | None = None,
    forward: bool = True,
    consistent: bool = False,
    attributes: list[str] | None = None,
    index: Index[Any] | None = None,
) -> tuple[list[_T], _T | None]:
    """Exactly one Query of ``owner``'s partition (of ``index`` if given): up to ``count`` items
    from after the item ``after`` (only its key need be set), and the key-only item to go on
    after (None when DynamoDB saw the end). With ``attributes``, each item holds only those.
    Raises StorageUnavailable."""
    items, last = _query(
        model,
        owner,
        range_key_condition,
        count=count,
        after=after,
        forward=forward,
        consistent=consistent,
        attributes=attributes,
        index=index,
    )
    return [model.from_raw_data(item) for item in items], last


def query_pages(
    model: type[_T],
    owner: str,
    range_key_condition: Condition | None = None,
    *,
    count: int,
    attributes: list[str] | None = None,
) -> Iterator[list[_T]]:
    """Every page of ``owner``'s partition (the items ``range_key_condition`` admits), one Query of
    up to ``count`` items each (``query_page``), from the first to the last. Raises
    StorageUnavailable."""
    after: _T | None = None
    while True:
        items, after = query_page(
            model, owner, range_key_condition, count=count, after=after, attributes=attributes
        )
        yield items
        if after is None:
            return


def query_sort_keys(
    model: type[_T],
    owner: str,
    range_key_condition: Condition | None = None,
    *,
    count: int,
    after: _T | None = None,
    forward: bool = True,
    attributes: list[str] | None = None,
) -> tuple[list[Any], _T | None]:
    """``query_page``'s Query (the same request), answering each item's sort key alone, as its
    attribute reads it, and the key-only item to go on after: where a page holds up to a thousand
    items of which only the key is wanted (the search index's entries), no model is made of each.
    Raises StorageUnavailable."""
    items, last = _query(
        model, owner, range_key_condition, count=count, after=after, forward=forward, attributes=attributes
    )
    _, sort_key = model.key_attributes().values()
    return [sort_key.deserialize(sort_key.get_value(item[sort_key.attr_name])) for item in items], last


def _query(
    model: type[_T],
    owner: str,
    range_key_condition: Condition | None,
    *,
    count: int,
    after: _T | None,
    forward: bool,
    consistent: bool = False,
    attributes: list[str] | None,
    index: Index[Any] | None = None,
) -> tuple[list[dict[str, Any]], _T | None]:
    """``query_page``'s one Query: the page's items as DynamoDB answered them, and the key-only item
    to go on after."""
    with dynamodb():
        pages = model.query(
            owner,
            range_key_condition,
            scan_index_forward=forward,
            consistent_read=consistent,
            limit=count,
            page_size=count,
            last_evaluated_key=after.last_key(index) if after is not None else None,
            attributes_to_get=attributes,
            index_name=index.Meta.index_name if index is not None else None,
        ).page_iter
        # The page as DynamoDB answered it: PynamoDB's own iteration would go on to another Query
        # while a page cut short holds fewer items than asked for.
        page = next(pages)
    items: list[dict[str, Any]] = page.get("Items", [])
    last = pages.last_evaluated_key
    return items, (model.from_raw_data(last) if last is not None else None)


class Transaction:
    """One TransactWriteItems (PynamoDB's ``TransactWrite``): items deleted and saved, each on its
    own condition, all or none.

    Nothing counts a version up: a deleted item's condition is the one given, and the items saved
    are of models without a version attribute (a note as kept, a trashed note, an account item).
    """

    def __init__(self, table: type[Model]) -> None:
        """``table``: the model whose connection sends the transaction (its items may be of any)."""
        self._table = table
        self._deletes: list[tuple[Model, Condition]] = []
        self._saves: list[tuple[Model, Condition]] = []

    def delete(self, item: Model, condition: Condition) -> None:
        """Delete ``item`` (only its key need be set) if ``condition`` holds."""
        self._deletes.append((item, condition))

    def save(self, item: Model, condition: Condition) -> None:
        """Put ``item`` as it is if ``condition`` holds."""
        self._saves.append((item, condition))

    def commit(self) -> list[Model]:
        """Write every item or none. The items whose conditions refused the transaction (none when
        it was written). Raises StorageUnavailable when it was refused for another write on its
        items, throttled, or DynamoDB could not be reached."""
        # PynamoDB sends the deletions, then the puts: DynamoDB's reasons come in that order.
        sent = [item for item, _ in self._deletes] + [item for item, _ in self._saves]
        try:
            with dynamodb_calls.transaction(self._table) as write:
                for item, condition in self._deletes:
                    write.delete(item, condition, add_version_condition=False)
                for item, condition in self._saves:
                    write.save(item, condition)
        except TransactWriteError as error:
            refused = [
                item
                for item, reason in zip(sent, error.cancellation_reasons, strict=False)
                if reason is not None and reason.code == TRANSACTION_CONDITION_FAILED
            ]
            if _code(error.cause) == TRANSACTION_CANCELED and refused:
                return refused
            # Refused for a conflict with another write, or throttled: worth trying later.
            unavailable(error, error.cause, TRANSACTION_CONFLICTS)
            raise
        return []


@contextmanager
def conditional(
    model: type[NoteModel],
    owner: str,
    note_id: str,
    precondition: Precondition | None,
    *,
    needs_attachment: bool = False,
    explain: Callable[[NoteModel], None] | None = None,
) -> Iterator[None]:
    """Turn a failed write condition into NoteNotFound, VersionMismatch or NoAttachment.

    ``needs_attachment``: the condition also required the note to have an attachment.
    ``explain``: the condition held more than these; see ``update_returning_old``.
    """
    try:
        with dynamodb():
            yield
    except ConditionFailed:
        named = precondition is not None and not precondition.any_version
        # Without a version, an attachment or more to compare, only "exists" could have failed.
        if not named and not needs_attachment and explain is None:
            raise NoteNotFound(note_id) from None
        note = owned_note(model, owner, note_id)
        if explain is not None:
            explain(note)
        version_held = precondition is None or precondition.holds(note.version)
        if needs_attachment and version_held:
            raise NoAttachment(note_id) from None  # missing at the time of the write
        raise VersionMismatch(precondition.tags if precondition is not None else ()) from None


def _load(model: type[NoteModel], owner: str, note_id: str) -> NoteModel | None:
    if not UUID7.match(note_id):
        return None
    try:
        with dynamodb():
            return model.get(owner, note_id, consistent_read=True)
    except model.DoesNotExist:
        return None


class ConditionFailed(Exception):
    """A conditional write's condition did not hold."""


@contextmanager
def dynamodb() -> Iterator[None]:
    """Translate PynamoDB failures into what the caller can act on.

    Throttling and unreachable-table errors (after botocore's own retries)
    become StorageUnavailable; a failed condition becomes ConditionFailed;
    anything else propagates and is answered as a 500.
    """
    try:
        yield
    except PynamoDBException as error:
        # Look at the cause's type first: PynamoDB's cause_response_code
        # fails on a timeout, whose ``response`` attribute is None.
        cause = error.cause
        code = _code(cause)
        if code == CONDITION_FAILED:
            raise ConditionFailed() from error
        unavailable(error, cause)
        raise


def _code(error: BaseException | None) -> str | None:
    """A ClientError's code; None for any other failure (a timeout has no response to read)."""
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code")
    return None


def unavailable(
    error: BaseException, cause: BaseException | None, also: frozenset[str] = frozenset()
) -> None:
    """Raise StorageUnavailable from ``error`` when its ``cause`` says DynamoDB is worth trying
    later: throttled, failing inside (``RETRYABLE_CODES``, and ``also``) or unreachable."""
    unreachable = isinstance(cause, (HTTPClientError, BotocoreConnectionError))
    if _code(cause) in RETRYABLE_CODES | also or unreachable:
        log.warning("DynamoDB unavailable: %s", error)
        raise StorageUnavailable("notes store") from error
