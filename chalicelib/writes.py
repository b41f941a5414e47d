"""Conditional writes to the notes table, and what DynamoDB's failures mean to the caller.

Each change is one conditional DynamoDB write; a failed condition is told apart
(missing note, no attachment, stale version) only after the fact, on the error
path. Every function takes the owner (the caller's ``sub``) with the note id, so
every key it builds starts with that owner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.errors import NoAttachment, NoteNotFound, StorageUnavailable, VersionMismatch
from chalicelib.models import NoteModel
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
# A transaction refused for a conflict with another write (not for its own conditions).
TRANSACTION_CONFLICTS = frozenset({"TransactionCanceledException", "TransactionConflictException"})


def owned_note(model: type[NoteModel], owner: str, note_id: str) -> NoteModel:
    """The owner's note, read consistently. Raises NoteNotFound, StorageUnavailable.

    One GetItem, none for an id that cannot name a note.
    """
    note = _load(model, owner, note_id)
    if note is None:
        raise NoteNotFound(note_id)
    return note


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
    """One conditional UpdateItem; the note as it was before it.

    ``explain``: when the condition failed on a note that exists, it is given the note as it is
    now and raises what refused the write, before the version is looked at.
    """
    with conditional(model, owner, note_id, precondition, needs_attachment=needs_attachment, explain=explain):
        answer = connection(model).update_item(
            owner, note_id, actions=actions, condition=condition, return_values="ALL_OLD"
        )
    return model.from_raw_data(answer["Attributes"])


def update_if(
    model: type[NoteModel], owner: str, note_id: str, actions: list[Action], condition: Condition
) -> bool:
    """One conditional UpdateItem; False when its condition did not hold. Raises StorageUnavailable."""
    try:
        with dynamodb():
            connection(model).update_item(owner, note_id, actions=actions, condition=condition)
    except ConditionFailed:
        return False
    return True


def query_page(
    model: type[Model],
    owner: str,
    range_key_condition: Condition | None = None,
    *,
    count: int,
    last_key: dict[str, Any] | None = None,
    forward: bool = True,
    consistent: bool = False,
    attributes: list[str] | None = None,
    index: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Exactly one Query of ``owner``'s partition: up to ``count`` raw items from after
    ``last_key``, and the key to go on from (None when DynamoDB saw the end). Raises
    StorageUnavailable."""
    with dynamodb():
        pages = model.query(
            owner,
            range_key_condition,
            scan_index_forward=forward,
            consistent_read=consistent,
            limit=count,
            page_size=count,
            last_evaluated_key=last_key,
            attributes_to_get=attributes,
            index_name=index,
        ).page_iter
        page = next(pages)
    items: list[dict[str, Any]] = page.get("Items", [])
    return items, pages.last_evaluated_key


def connection(model: type[Model]) -> Any:
    return model._get_connection()


class Transaction:
    """The items of one TransactWriteItems, built from PynamoDB conditions and serialized items.

    Neither item's version is counted up by PynamoDB: what each item holds is said here.
    """

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def delete(self, model: type[Model], key: dict[str, str], condition: Condition) -> None:
        self.items.append({"Delete": {**_table_and_key(model, key), **_expression(condition)}})

    def put(self, model: type[Model], item: dict[str, Any], condition: Condition) -> None:
        self.items.append(
            {"Put": {"TableName": model.Meta.table_name, "Item": item, **_expression(condition)}}
        )

    def commit(self, model: type[Model]) -> list[bool]:
        """Write every item or none; for a refused transaction, which items' conditions failed
        (all False when it was written). Raises StorageUnavailable."""
        client = connection(model).connection.client
        try:
            client.transact_write_items(TransactItems=self.items)
        except (ClientError, HTTPClientError, BotocoreConnectionError) as error:
            code = _code(error)
            answer = error.response if isinstance(error, ClientError) else {}
            reasons = answer.get("CancellationReasons") or []
            failed = [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
            if code == "TransactionCanceledException" and any(failed):
                return failed
            # Refused for a conflict with another write, or throttled: worth trying later.
            unavailable(error, error, TRANSACTION_CONFLICTS)
            raise
        return [False] * len(self.items)


def _table_and_key(model: type[Model], key: dict[str, str]) -> dict[str, Any]:
    return {"TableName": model.Meta.table_name, "Key": {name: {"S": value} for name, value in key.items()}}


def _expression(condition: Condition) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    expression = condition.serialize(names, values)
    answer: dict[str, Any] = {"ConditionExpression": expression}
    if names:
        answer["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    if values:
        answer["ExpressionAttributeValues"] = values
    return answer


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
