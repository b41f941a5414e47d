"""One stream record read as the functions read it: its event, its keys, its images as models."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.models import AccountItemModel, NoteModel, TrashedNoteModel
from chalicelib.stream_records import StreamRecord, records

OWNER = "5f1c2a7e-8d1b-4b8e-9a37-2f4c0e6d1a90"
NOTE_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
KEYS = {"userId": {"S": OWNER}, "noteId": {"S": NOTE_ID}}


def note_image(content: str, version: int, **more: Any) -> dict[str, Any]:
    """A note's item as DynamoDB writes it into a stream record, in Lambda's JSON."""
    return {
        **KEYS,
        "title": {"S": "Groceries"},
        "content": {"S": content},
        "tags": {"L": [{"S": "home"}, {"S": "food"}]},
        "createdAt": {"S": "2026-12-01T09:00:00.000Z"},
        "updatedAt": {"S": f"2026-12-0{version}T09:00:00.000Z"},
        "version": {"N": str(version)},
        **more,
    }


def record(event_name: str, keys: dict[str, Any], **images: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": "1",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"Keys": keys, **images, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/notes-test/stream/2026-12-01",
    }


def test_an_insert_has_the_new_image_only() -> None:
    (read,) = records({"Records": [record("INSERT", KEYS, NewImage=note_image("milk", 1))]}, NoteModel)
    assert read.event_name == "INSERT"
    assert read.keys == {"userId": OWNER, "noteId": NOTE_ID}
    assert read.old is None
    assert isinstance(read.new, NoteModel)
    assert (read.new.userId, read.new.noteId) == (OWNER, NOTE_ID)
    assert (read.new.title, read.new.content, read.new.tags) == ("Groceries", "milk", ["home", "food"])
    assert read.new.version == 1
    assert read.new.attachment is None


def test_a_modify_has_both_images() -> None:
    event = {
        "Records": [record("MODIFY", KEYS, OldImage=note_image("milk", 1), NewImage=note_image("bread", 2))]
    }
    (read,) = records(event, NoteModel)
    assert read.event_name == "MODIFY"
    assert read.old is not None and read.new is not None
    assert (read.old.content, read.old.version) == ("milk", 1)
    assert (read.new.content, read.new.version) == ("bread", 2)


def test_a_remove_has_the_old_image_only_and_a_map_is_read_as_the_models_attribute() -> None:
    file = {
        "M": {
            "key": {"S": f"files/{OWNER}/{NOTE_ID}/f1"},
            "name": {"S": "list.txt"},
            "size": {"N": "12"},
            "contentType": {"S": "text/plain"},
            "uploadedAt": {"S": "2026-12-01T09:00:00.000Z"},
        }
    }
    trashed = note_image(
        "milk",
        1,
        file=file,
        deletedAt={"S": "2026-12-02T09:00:00.000Z"},
        deletedKey={"S": f"2026-12-02T09:00:00.000Z#{NOTE_ID}"},
        purgeAtEpoch={"N": "1798880400"},
    )
    (read,) = records({"Records": [record("REMOVE", KEYS, OldImage=trashed)]}, TrashedNoteModel)
    assert read.event_name == "REMOVE"
    assert read.new is None
    assert isinstance(read.old, TrashedNoteModel)
    assert read.old.attachment is not None
    assert (read.old.attachment.key, read.old.attachment.size) == (f"files/{OWNER}/{NOTE_ID}/f1", 12)
    assert read.old.deletedKey == f"2026-12-02T09:00:00.000Z#{NOTE_ID}"


def test_a_record_without_images_has_its_keys_only() -> None:
    keys = {"userId": {"S": OWNER}, "item": {"S": "sweep"}}
    (read,) = records({"Records": [record("REMOVE", keys)]}, AccountItemModel)
    expected = StreamRecord[AccountItemModel]("REMOVE", {"userId": OWNER, "item": "sweep"}, None, None)
    assert read == expected


def test_an_account_item_is_read_as_the_account_model() -> None:
    keys = {"userId": {"S": OWNER}, "item": {"S": "export#e1"}}
    image = {**keys, "status": {"S": "pending"}, "createdAt": {"S": "2026-12-01T09:00:00.000Z"}}
    (read,) = records({"Records": [record("INSERT", keys, NewImage=image)]}, AccountItemModel)
    assert read.keys == {"userId": OWNER, "item": "export#e1"}
    assert isinstance(read.new, AccountItemModel)
    assert (read.new.item, read.new.status, read.new.size) == ("export#e1", "pending", None)


def test_an_events_records_are_read_in_order_and_the_event_is_left_as_it_was() -> None:
    other = {"userId": {"S": OWNER}, "noteId": {"S": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"}}
    event = {
        "Records": [
            record("INSERT", KEYS, NewImage=note_image("milk", 1)),
            record("REMOVE", other, OldImage={**note_image("eggs", 3), **other}),
            record("MODIFY", KEYS, OldImage=note_image("milk", 1), NewImage=note_image("bread", 2)),
        ]
    }
    given = copy.deepcopy(event)
    read = records(event, NoteModel)
    assert [(each.event_name, each.keys["noteId"]) for each in read] == [
        ("INSERT", NOTE_ID),
        ("REMOVE", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"),
        ("MODIFY", NOTE_ID),
    ]
    assert event == given  # a batch given again (Lambda retries) reads the same
    assert [each.keys for each in records(event, NoteModel)] == [each.keys for each in read]
    assert records({"Records": []}, NoteModel) == records({}, NoteModel) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"eventName": "UPDATE", "dynamodb": {"Keys": KEYS}}, "eventName 'UPDATE'"),
        ({"dynamodb": {"Keys": KEYS}}, "eventName None"),
        ({"eventName": "INSERT", "dynamodb": {}}, "no Keys"),
        ({"eventName": "INSERT"}, "no Keys"),
        ({"eventName": "INSERT", "dynamodb": {"Keys": {**KEYS, "item": {"S": "x"}}}}, "key 'item'"),
    ],
    ids=["unknown event", "no event", "no keys", "no change", "another table's key"],
)
def test_what_is_no_record_of_the_models_table_is_refused_saying_why(
    given: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        records({"Records": [given]}, NoteModel)
