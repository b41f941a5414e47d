"""chalicelib.writes against the in-process DynamoDB: each write's condition and what its failure
becomes, the transactions and which item refused one, one Query a page, throttling as a 503."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from uuid6 import uuid7

import app as notes_app
from chalicelib import writes
from chalicelib.dynamodb_calls import client_of
from chalicelib.errors import NoAttachment, NoteNotFound, StorageUnavailable, VersionMismatch
from chalicelib.models import AttachmentAttribute, NoteModel, TrashedNoteModel, note_items_of
from chalicelib.validation import Precondition
from tests.conftest import recorded_dynamodb_calls
from tests.fakes import RefusedCalls

OWNER = "owner-sub"
NOW = "2026-01-02T03:04:05.678Z"
MISSING = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"


@pytest.fixture
def notes(dynamodb: None) -> type[NoteModel]:
    return notes_app.services.note_model


@pytest.fixture
def trash(dynamodb: None) -> type[TrashedNoteModel]:
    return notes_app.services.trash_model


def stored(model: type[NoteModel], content: str = "kept", **fields: Any) -> NoteModel:
    """A note written as a create writes it: version 1."""
    note = model(OWNER, str(uuid7()), content=content, createdAt=NOW, updatedAt=NOW, uploads={}, **fields)
    note.save(condition=model.noteId.does_not_exist())
    assert note.version == 1
    return note


def trashed(model: type[TrashedNoteModel], note_id: str, deleted_at: str = NOW) -> TrashedNoteModel:
    return model(
        OWNER,
        note_id,
        content="in the trash",
        createdAt=NOW,
        updatedAt=NOW,
        version=4,
        deletedAt=deleted_at,
        deletedKey=f"{deleted_at}#{note_id}",
        purgeAtEpoch=datetime(2030, 1, 1, tzinfo=UTC),
    )


def read(model: type[Any], owner: str, key: str) -> Any:
    try:
        return model.get(owner, key, consistent_read=True)
    except model.DoesNotExist:
        return None


@contextmanager
def refused(model: type[Model], code: str, *operations: str) -> Iterator[list[str]]:
    """``operations`` on ``model``'s table answered with the error ``code`` (after botocore's
    retries, as the app sees it); yields the operations refused."""
    refusing = RefusedCalls(client_of(model), code, 400)
    try:
        yield refusing.refuse(*operations)
    finally:
        refusing.stop()


def calls_on(*models: type[Model]) -> Any:
    return recorded_dynamodb_calls([client_of(model) for model in models])


# --- owned_note, update_returning_old, update_if --------------------------------------------------


def test_owned_note_reads_the_owners_note_and_refuses_a_missing_one(notes: type[NoteModel]) -> None:
    note = stored(notes)
    assert writes.owned_note(notes, OWNER, note.noteId).content == "kept"
    with pytest.raises(NoteNotFound):
        writes.owned_note(notes, "someone else", note.noteId)
    with calls_on(notes) as calls, pytest.raises(NoteNotFound):
        writes.owned_note(notes, OWNER, "not-an-id")
    assert calls == []  # an id that cannot name a note is never looked up


def test_update_returning_old_answers_the_note_as_it_was(notes: type[NoteModel]) -> None:
    note = stored(notes, content="before")
    with calls_on(notes) as calls:
        old = writes.update_returning_old(
            notes,
            OWNER,
            note.noteId,
            [notes.content.set("after"), notes.version.add(1)],
            writes.condition_for(notes, None),
            None,
        )
    assert [operation for operation, _ in calls] == ["UpdateItem"]
    assert (old.content, old.version) == ("before", 1)
    now = read(notes, OWNER, note.noteId)
    assert (now.content, now.version) == ("after", 2)


def test_update_returning_old_on_a_missing_note_is_not_found(notes: type[NoteModel]) -> None:
    with pytest.raises(NoteNotFound):
        writes.update_returning_old(
            notes, OWNER, MISSING, [notes.content.set("x")], writes.condition_for(notes, None), None
        )
    assert read(notes, OWNER, MISSING) is None  # the condition kept UpdateItem from making one


def test_update_returning_old_at_a_stale_version_is_a_mismatch_and_changes_nothing(
    notes: type[NoteModel],
) -> None:
    note = stored(notes)
    stale = Precondition(versions=(7,), tags=("7",))
    with pytest.raises(VersionMismatch) as raised:
        writes.update_returning_old(
            notes, OWNER, note.noteId, [notes.content.set("x")], writes.condition_for(notes, stale), stale
        )
    assert '"7"' in str(raised.value)
    # The same precondition on a missing note: the note's absence is what the caller hears.
    with pytest.raises(NoteNotFound):
        writes.update_returning_old(
            notes, OWNER, MISSING, [notes.content.set("x")], writes.condition_for(notes, stale), stale
        )
    assert read(notes, OWNER, note.noteId).content == "kept"


def test_update_returning_old_needing_an_attachment_tells_it_from_the_version(notes: type[NoteModel]) -> None:
    note = stored(notes)
    condition = writes.condition_for(notes, None) & notes.attachment.exists()
    with pytest.raises(NoAttachment):
        writes.update_returning_old(
            notes, OWNER, note.noteId, [notes.attachment.remove()], condition, None, needs_attachment=True
        )
    # At the version named, the missing file is what refused the write; at another, the version.
    for version, refusal in ((1, NoAttachment), (2, VersionMismatch)):
        named = Precondition(versions=(version,), tags=(str(version),))
        with pytest.raises(refusal):
            writes.update_returning_old(
                notes,
                OWNER,
                note.noteId,
                [notes.attachment.remove()],
                writes.condition_for(notes, named) & notes.attachment.exists(),
                named,
                needs_attachment=True,
            )


def test_update_returning_old_lets_explain_name_the_refusal_first(notes: type[NoteModel]) -> None:
    note = stored(notes, content="as it is")
    seen: list[str] = []

    def explain(now: NoteModel) -> None:
        seen.append(now.content)
        raise LookupError("the caller's own reason")

    with pytest.raises(LookupError):
        writes.update_returning_old(
            notes,
            OWNER,
            note.noteId,
            [notes.content.set("x")],
            notes.content == "other",
            None,
            explain=explain,
        )
    assert seen == ["as it is"]


def test_update_if_changes_only_what_it_names_and_says_whether_it_did(notes: type[NoteModel]) -> None:
    note = stored(notes)
    assert writes.update_if(notes, OWNER, note.noteId, [notes.title.set("new")], notes.noteId.exists())
    now = read(notes, OWNER, note.noteId)
    assert (now.title, now.content, now.version) == ("new", "kept", 1)  # the version is left alone
    assert not writes.update_if(notes, OWNER, note.noteId, [notes.title.set("x")], notes.title == "other")
    assert not writes.update_if(notes, OWNER, MISSING, [notes.title.set("x")], notes.noteId.exists())
    assert read(notes, OWNER, note.noteId).title == "new"
    assert read(notes, OWNER, MISSING) is None


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_a_throttled_write_is_storage_unavailable(notes: type[NoteModel], code: str) -> None:
    note = stored(notes)
    with refused(notes, code, "UpdateItem") as calls, pytest.raises(StorageUnavailable):
        writes.update_if(notes, OWNER, note.noteId, [notes.title.set("x")], notes.noteId.exists())
    assert calls == ["UpdateItem"]
    with refused(notes, code, "UpdateItem"), pytest.raises(StorageUnavailable):
        writes.update_returning_old(
            notes, OWNER, note.noteId, [notes.title.set("x")], writes.condition_for(notes, None), None
        )
    assert read(notes, OWNER, note.noteId).title == ""


def test_any_other_failure_is_not_taken_for_a_refusal(notes: type[NoteModel]) -> None:
    """Only throttling and an unreachable table are worth trying later, and only a failed condition
    is a refusal: a request DynamoDB finds wrong propagates (the API answers it as a 500)."""
    note = stored(notes)
    with refused(notes, "ValidationException", "UpdateItem"), pytest.raises(PynamoDBException):
        writes.update_if(notes, OWNER, note.noteId, [notes.title.set("x")], notes.noteId.exists())


# --- delete_returning_old -------------------------------------------------------------------------


def test_delete_returning_old_answers_the_item_or_none_when_its_condition_fails(
    trash: type[TrashedNoteModel],
) -> None:
    item = trashed(trash, str(uuid7()))
    item.attachment = AttachmentAttribute(
        key="files/k", name="a.txt", size=3, contentType="text/plain", uploadedAt=NOW
    )
    item.save()
    assert writes.delete_returning_old(trash, OWNER, item.noteId, trash.deletedKey == "another") is None
    assert read(trash, OWNER, item.noteId) is not None
    old = writes.delete_returning_old(trash, OWNER, item.noteId, trash.noteId.exists())
    assert old is not None
    assert (old.content, old.version, old.attachment.key) == ("in the trash", 4, "files/k")
    assert read(trash, OWNER, item.noteId) is None
    assert writes.delete_returning_old(trash, OWNER, item.noteId, trash.noteId.exists()) is None


# --- query_page -----------------------------------------------------------------------------------


def test_query_page_is_one_query_of_models_that_goes_on_where_it_stopped(notes: type[NoteModel]) -> None:
    ids = sorted(stored(notes, content=f"note {n}").noteId for n in range(5))
    stored_elsewhere = notes("someone else", str(uuid7()), createdAt=NOW, updatedAt=NOW)
    stored_elsewhere.save()
    after = None
    with calls_on(notes) as calls:
        for expected in ([ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]):
            items, after = writes.query_page(
                notes, OWNER, count=2, after=after, forward=False, consistent=True
            )
            assert all(isinstance(item, notes) for item in items)
            assert [item.noteId for item in items] == expected
            assert [item.content for item in items] == [f"note {ids.index(i)}" for i in expected]
            if after is not None:
                assert after.noteId == items[-1].noteId  # the key-only item to go on after
    assert after is None  # the last page held fewer than asked for: DynamoDB saw the end
    assert [operation for operation, _ in calls] == ["Query"] * 3


def test_query_page_starts_after_a_key_only_item_built_from_a_position(notes: type[NoteModel]) -> None:
    ids = sorted(stored(notes).noteId for _ in range(4))
    items, _ = writes.query_page(notes, OWNER, count=10, after=notes(OWNER, ids[2]), forward=False)
    assert [item.noteId for item in items] == [ids[1], ids[0]]
    items, _ = writes.query_page(notes, OWNER, count=10, after=notes(OWNER, ids[1]))
    assert [item.noteId for item in items] == [ids[2], ids[3]]


def test_query_page_of_an_index_goes_on_by_the_index_key(trash: type[TrashedNoteModel]) -> None:
    """The trash's index orders by deletion, not by id: the position is the index key."""
    deleted = [f"2026-01-0{day}T00:00:00.000Z" for day in (3, 1, 4, 2)]
    items = [trashed(trash, str(uuid7()), at) for at in deleted]  # ids in another order than deletions
    for item in items:
        item.save()
    by_deletion = sorted(items, key=lambda item: item.deletedKey, reverse=True)
    page, after = writes.query_page(
        trash, OWNER, count=2, forward=False, consistent=True, index=trash.by_deletion
    )
    assert [item.noteId for item in page] == [item.noteId for item in by_deletion[:2]]
    assert after is not None
    assert (after.noteId, after.deletedKey) == (by_deletion[1].noteId, by_deletion[1].deletedKey)
    rest, _ = writes.query_page(
        trash, OWNER, count=10, after=after, forward=False, consistent=True, index=trash.by_deletion
    )
    assert [item.noteId for item in rest] == [item.noteId for item in by_deletion[2:]]
    # The same position, built from what a cursor holds.
    position = by_deletion[1]
    made = trash(OWNER, position.noteId, deletedKey=position.deletedKey)
    again, _ = writes.query_page(trash, OWNER, count=10, after=made, forward=False, index=trash.by_deletion)
    assert [item.noteId for item in again] == [item.noteId for item in by_deletion[2:]]


def test_query_page_with_attributes_reads_only_those(notes: type[NoteModel]) -> None:
    note = stored(notes, content="not read", title="not read either")
    with calls_on(notes) as calls:
        [item], _ = writes.query_page(notes, OWNER, count=5, attributes=["userId", "noteId"])
    assert item.key() == (OWNER, note.noteId)
    assert (item.content, item.title) == ("", "")  # nothing but the key came back
    assert "ProjectionExpression" in calls[0][1]


def test_query_sort_keys_makes_query_pages_request_and_answers_the_sort_keys(notes: type[NoteModel]) -> None:
    ids = sorted(stored(notes, content=f"note {n}").noteId for n in range(3))
    with calls_on(notes) as calls:
        items, item_after = writes.query_page(notes, OWNER, count=2, forward=False, attributes=["noteId"])
        keys, after = writes.query_sort_keys(notes, OWNER, count=2, forward=False, attributes=["noteId"])
        assert keys == [item.noteId for item in items] == [ids[2], ids[1]]
        assert after is not None and item_after is not None
        assert after.key() == item_after.key() == (OWNER, ids[1])  # the key-only item to go on after
        rest, end = writes.query_sort_keys(notes, OWNER, count=2, after=after, forward=False)
    assert (rest, end) == ([ids[0]], None)
    assert calls[0] == calls[1]  # the same request as query_page's
    assert [operation for operation, _ in calls] == ["Query"] * 3


def test_a_throttled_query_is_storage_unavailable(notes: type[NoteModel]) -> None:
    stored(notes)
    with refused(notes, "ThrottlingException", "Query") as calls, pytest.raises(StorageUnavailable):
        writes.query_page(notes, OWNER, count=5)
    assert calls == ["Query"]


# --- Transaction ----------------------------------------------------------------------------------


def move(notes: type[NoteModel], trash: type[TrashedNoteModel], note: NoteModel, version: int) -> Any:
    """The note and its trashed copy, as a move to the trash writes them (on ``version``)."""
    copy = trashed(trash, note.noteId)
    transaction = writes.Transaction(notes)
    transaction.delete(note, notes.noteId.exists() & (notes.version == version))
    transaction.save(copy, trash.noteId.does_not_exist())
    return transaction, copy


def test_a_transaction_writes_every_item_in_one_request(
    notes: type[NoteModel], trash: type[TrashedNoteModel]
) -> None:
    note = stored(notes)
    transaction, _ = move(notes, trash, note, version=1)
    with calls_on(notes, trash) as calls:
        assert transaction.commit() == []
    assert [operation for operation, _ in calls] == ["TransactWriteItems"]
    assert [next(iter(item)) for item in calls[0][1]["TransactItems"]] == ["Delete", "Put"]
    assert read(notes, OWNER, note.noteId) is None
    kept = read(trash, OWNER, note.noteId)
    assert (kept.content, kept.version) == ("in the trash", 4)  # as given: no version counted up


def test_a_refused_transaction_names_the_item_whose_condition_failed_and_writes_none(
    notes: type[NoteModel], trash: type[TrashedNoteModel]
) -> None:
    note = stored(notes)
    transaction, _ = move(notes, trash, note, version=2)  # a stale version
    assert transaction.commit() == [note]
    occupied = stored(notes)
    trashed(trash, occupied.noteId).save()  # a copy under this id is in the trash already
    transaction, copy = move(notes, trash, occupied, version=1)
    assert transaction.commit() == [copy]
    assert read(notes, OWNER, note.noteId) is not None
    assert read(notes, OWNER, occupied.noteId) is not None


def test_a_transaction_names_refused_items_whatever_order_they_were_given_in(
    notes: type[NoteModel], trash: type[TrashedNoteModel]
) -> None:
    """A save given before a deletion is still the one named when its condition failed."""
    note = stored(notes)
    trashed(trash, note.noteId).save()
    copy = trashed(trash, note.noteId)
    transaction = writes.Transaction(notes)
    transaction.save(copy, trash.noteId.does_not_exist())
    transaction.delete(note, notes.version == 1)
    assert transaction.commit() == [copy]
    assert read(notes, OWNER, note.noteId) is not None
    back = note_items_of(notes)(OWNER, str(uuid7()), createdAt=NOW, updatedAt=NOW, version=9)
    gone = trash(OWNER, MISSING)
    transaction = writes.Transaction(trash)
    transaction.save(back, notes.noteId.does_not_exist())
    transaction.delete(gone, trash.noteId.exists())
    assert transaction.commit() == [gone]
    assert read(notes, OWNER, back.noteId) is None
    transaction = writes.Transaction(trash)
    transaction.save(back, notes.noteId.does_not_exist())
    assert transaction.commit() == []
    assert read(notes, OWNER, back.noteId).version == 9  # a note put back at the version it is given


@pytest.mark.parametrize(
    "code", ["TransactionConflictException", "TransactionCanceledException", "ThrottlingException"]
)
def test_a_transaction_refused_for_another_write_or_throttled_is_storage_unavailable(
    notes: type[NoteModel], trash: type[TrashedNoteModel], code: str
) -> None:
    note = stored(notes)
    transaction, _ = move(notes, trash, note, version=1)
    with refused(notes, code, "TransactWriteItems") as calls, pytest.raises(StorageUnavailable):
        transaction.commit()
    assert calls == ["TransactWriteItems"]
    assert read(notes, OWNER, note.noteId) is not None
    assert read(trash, OWNER, note.noteId) is None


def test_a_transaction_is_sent_on_the_connection_of_the_table_it_is_given(
    notes: type[NoteModel], trash: type[TrashedNoteModel]
) -> None:
    note = stored(notes)
    transaction, _ = move(notes, trash, note, version=1)
    with refused(trash, "ThrottlingException", "TransactWriteItems") as on_trash:
        assert transaction.commit() == []
    assert on_trash == []
