"""The models as DynamoDB holds them: the time-to-live attributes the deploy and the local stack
name, stored as whole seconds since 1970; the keys a Query goes on from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

import app as notes_app
from chalicelib.models import TRASH_INDEX
from chalicelib.tables import ACCOUNT, TRASH
from tests.conftest import aws_client

OWNER = "owner-sub"
NOTE = "01a20256-1ac6-781a-b77a-7e7ebcffa4ac"
NOW = "2026-01-02T03:04:05.678Z"


def ttl_attributes(model: type[Model]) -> list[str]:
    """The names DynamoDB holds the model's time-to-live attributes under."""
    return [
        attribute.attr_name
        for attribute in model.get_attributes().values()
        if isinstance(attribute, TTLAttribute)
    ]


def test_the_time_to_live_attributes_are_the_ones_the_tables_expire_items_by() -> None:
    assert ttl_attributes(notes_app.services.trash_model) == [TRASH.ttl_attribute] == ["purgeAtEpoch"]
    assert ttl_attributes(notes_app.services.account_model) == [ACCOUNT.ttl_attribute] == ["expiresAtEpoch"]
    assert ttl_attributes(notes_app.services.note_model) == []


def test_a_time_to_live_is_stored_as_whole_seconds_since_1970(dynamodb: None) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    trash = notes_app.services.trash_model
    trash(
        OWNER,
        NOTE,
        createdAt=NOW,
        updatedAt=NOW,
        version=3,
        deletedAt=NOW,
        deletedKey=f"{NOW}#{NOTE}",
        purgeAtEpoch=moment + timedelta(days=30),
    ).save()
    account = notes_app.services.account_model
    account(OWNER, "sweep", createdAt=NOW, expiresAtEpoch=moment).save()
    client = aws_client("dynamodb")
    kept = client.get_item(
        TableName=notes_app.settings.trash_table_name, Key={"userId": {"S": OWNER}, "noteId": {"S": NOTE}}
    )
    assert kept["Item"]["purgeAtEpoch"] == {"N": str(int(moment.timestamp()) + 30 * 24 * 60 * 60)}
    swept = client.get_item(
        TableName=notes_app.settings.account_table_name, Key={"userId": {"S": OWNER}, "item": {"S": "sweep"}}
    )
    assert swept["Item"]["expiresAtEpoch"] == {"N": "1767323045"}
    # Read back, a whole second in UTC.
    assert trash.get(OWNER, NOTE).purgeAtEpoch == datetime(2026, 2, 1, 3, 4, 5, tzinfo=UTC)


def test_the_key_a_query_goes_on_from_is_the_tables_and_the_indexs() -> None:
    trash = notes_app.services.trash_model
    item = trash(OWNER, NOTE, deletedKey=f"{NOW}#{NOTE}")
    assert item.key() == (OWNER, NOTE)
    assert item.last_key() == {"userId": {"S": OWNER}, "noteId": {"S": NOTE}}
    assert trash.by_deletion.Meta.index_name == TRASH_INDEX
    assert item.last_key(trash.by_deletion) == {
        "userId": {"S": OWNER},
        "noteId": {"S": NOTE},
        "deletedKey": {"S": f"{NOW}#{NOTE}"},
    }
    assert notes_app.services.search_model(OWNER, "u#entry").last_key() == {
        "userId": {"S": OWNER},
        "entry": {"S": "u#entry"},
    }
