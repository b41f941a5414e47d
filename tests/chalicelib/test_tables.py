"""The stage's tables, declared once (chalicelib.tables): what DynamoDB is asked to make of them."""

from __future__ import annotations

import pytest

from chalicelib import tables
from chalicelib.settings import Settings, SettingsError

STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_trash_is_keyed_like_the_notes_with_its_index_by_deletion() -> None:
    assert tables.create_table(tables.TRASH, "t") == {
        "TableName": "t",
        "AttributeDefinitions": [
            {"AttributeName": "userId", "AttributeType": "S"},
            {"AttributeName": "noteId", "AttributeType": "S"},
            {"AttributeName": "deletedKey", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "userId", "KeyType": "HASH"},
            {"AttributeName": "noteId", "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "byDeletion",
                "KeySchema": [
                    {"AttributeName": "userId", "KeyType": "HASH"},
                    {"AttributeName": "deletedKey", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": STREAM,
    }


@pytest.mark.parametrize(
    ("table", "range_key", "stream"),
    [(tables.NOTES, "noteId", True), (tables.SEARCH, "entry", False), (tables.ACCOUNT, "item", True)],
    ids=lambda value: getattr(value, "key", str(value)),
)
def test_each_other_table_is_keyed_by_owner_and_its_own_range_key(
    table: tables.Table, range_key: str, stream: bool
) -> None:
    expected = {
        "TableName": "n",
        "AttributeDefinitions": [
            {"AttributeName": "userId", "AttributeType": "S"},
            {"AttributeName": range_key, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "userId", "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        **({"StreamSpecification": STREAM} if stream else {}),
    }
    assert tables.create_table(table, "n") == expected


BASE = {
    "AWS_REGION": "eu-west-1",
    "NOTES_TABLE_NAME": "notes-dev",
    "NOTES_BUCKET_NAME": "b",
    "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc",
    "COGNITO_APP_CLIENT_IDS": "c",
}


def test_each_table_is_named_beside_the_notes_table_unless_its_variable_names_it() -> None:
    settings = Settings.from_env({**BASE, "NOTES_TRASH_TABLE_NAME": "old-trash"})
    names = {table.key: settings.name_of(table) for table in tables.TABLES}
    assert names == {
        "notes": "notes-dev",
        "search": "notes-dev-search",
        "trash": "old-trash",
        "account": "notes-dev-account",
    }
    assert settings.account_table_name == "notes-dev-account"


def test_the_notes_table_must_be_named() -> None:
    with pytest.raises(SettingsError, match="missing environment variable NOTES_TABLE_NAME"):
        Settings.from_env({name: value for name, value in BASE.items() if name != "NOTES_TABLE_NAME"})
