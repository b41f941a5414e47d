"""The stage's tables, declared once (chalicelib.tables): what DynamoDB is asked to make of them
(infra.description.table_shape, from each table's model)."""

from __future__ import annotations

import pytest

from chalicelib import tables
from infra.description import table_shape

STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_trash_is_keyed_like_the_notes_with_its_index_by_deletion() -> None:
    assert table_shape(tables.TRASH, "t") == {
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
    assert table_shape(table, "n") == expected
