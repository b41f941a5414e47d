"""The stage's tables as CloudFormation: each one's CreateTable shape (``description.create_table``,
from its declaration in chalicelib.tables) with what a deployed table has besides."""

from __future__ import annotations

from typing import Any

from chalicelib.tables import (
    ACCOUNT,
    CHANGES,
    CONNECTIONS,
    NOTES,
    SEARCH,
    SHARES,
    TABLES,
    TRASH,
    VERSIONS,
    Table,
)
from infra import description

TABLE = "NotesTable"
SEARCH_TABLE = "SearchTable"
TRASH_TABLE = "TrashTable"
ACCOUNT_TABLE = "AccountTable"
CHANGES_TABLE = "ChangesTable"
CONNECTIONS_TABLE = "ConnectionsTable"
VERSIONS_TABLE = "VersionsTable"
SHARES_TABLE = "SharesTable"
# Each of the stage's tables (chalicelib.tables), by key: its resource.
TABLE_RESOURCES = {
    NOTES.key: TABLE,
    SEARCH.key: SEARCH_TABLE,
    TRASH.key: TRASH_TABLE,
    ACCOUNT.key: ACCOUNT_TABLE,
    CHANGES.key: CHANGES_TABLE,
    CONNECTIONS.key: CONNECTIONS_TABLE,
    VERSIONS.key: VERSIONS_TABLE,
    SHARES.key: SHARES_TABLE,
}
# What goes with the stack: the search index (make reindex makes it again from the notes), and the
# open connections (API Gateway closes every one within two hours, and with the stack).
GOES_WITH_THE_STACK = (SEARCH, CONNECTIONS)


def resources(stage: str) -> dict[str, Any]:
    """Every table of the stage, by its resource."""
    return {TABLE_RESOURCES[table.key]: _table(stage, table) for table in TABLES}


def _table(stage: str, table: Table) -> dict[str, Any]:
    """The resource of the stage's ``table``: the search index and the open connections go with the
    stack (``GOES_WITH_THE_STACK``); every other table holds users' data and is kept."""
    shape = description.create_table(stage, table)
    if table in GOES_WITH_THE_STACK:
        properties = {**shape, "SSESpecification": {"SSEEnabled": True}}
        if table.ttl_attribute is not None:
            properties["TimeToLiveSpecification"] = description.time_to_live(table.ttl_attribute)
        return {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": properties,
        }
    return _retained_table(shape, table.ttl_attribute)


def _retained_table(shape: dict[str, Any], ttl_attribute: str | None = None) -> dict[str, Any]:
    """A table of users' data from its CreateTable ``shape`` (and, given ``ttl_attribute``, its
    time to live): on-demand, point-in-time recovery, encrypted, with its stream if it has one,
    kept when the stack is deleted or the table replaced (the change feed too: a feed made anew
    would start its places again, under the cursors clients hold)."""
    properties = {
        **shape,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if "StreamSpecification" in shape:
        # CloudFormation's stream property has no StreamEnabled: a view type turns it on.
        properties["StreamSpecification"] = {"StreamViewType": shape["StreamSpecification"]["StreamViewType"]}
    if ttl_attribute is not None:
        properties["TimeToLiveSpecification"] = description.time_to_live(ttl_attribute)
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }
