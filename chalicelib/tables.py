"""The stage's tables, declared once: the model each holds, the name it has beside the notes table,
the variable that names it, and what DynamoDB keeps besides its items (a stream, a time to live).

The app's settings read each table's name with it, the composition root binds each model to its
table, and the deploy's description (``infra.description``), the local stack's provisioning, the
tests and the bench make the tables from it: their keys and indexes are the models' own
(``create_table``), so a key is declared in one place, the model.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import Attribute, TTLAttribute
from pynamodb.indexes import Index, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models import AccountItemModel, NoteModel, SearchEntryModel, TrashedNoteModel


@dataclass(frozen=True)
class Table:
    """One of the stage's tables."""

    key: str  # how the code names it: "notes", "search", "trash", "account"
    model: type[Model]
    suffix: str  # after the notes table's name: the table's own name ("" for the notes table)
    variable: str  # the environment variable that names it (else: the notes table's name + suffix)
    setting: str  # the field of the settings (and of the local stack's Provisioned) that holds its name
    stream: bool  # its changes go to a stream (new and old images) that functions read

    def name(self, notes_table: str) -> str:
        """Its name, beside the notes table named ``notes_table``."""
        return notes_table + self.suffix

    @property
    def ttl_attribute(self) -> str | None:
        """The attribute by which DynamoDB deletes an item some time after it has passed: the model's
        ``TTLAttribute``, if it has one."""
        found = [item for item in self.model.get_attributes().values() if isinstance(item, TTLAttribute)]
        return found[0].attr_name if found else None


# The notes: one item per note, keyed by owner and time-ordered id; the stream feeds the search
# index and the functions that follow changes.
NOTES = Table("notes", NoteModel, "", "NOTES_TABLE_NAME", "table_name", stream=True)
# The search index (chalicelib.search): one item per entry, keyed by owner and entry.
SEARCH = Table(
    "search", SearchEntryModel, "-search", "NOTES_SEARCH_TABLE_NAME", "search_table_name", stream=False
)
# The trash: one item per trashed note, kept 30 days (its TTL's removals start the purge function).
TRASH = Table("trash", TrashedNoteModel, "-trash", "NOTES_TRASH_TABLE_NAME", "trash_table_name", stream=True)
# The account's own items: its tombstone, its exports (each new one starts the jobs function).
ACCOUNT = Table(
    "account", AccountItemModel, "-account", "NOTES_ACCOUNT_TABLE_NAME", "account_table_name", stream=True
)
TABLES = (NOTES, SEARCH, TRASH, ACCOUNT)
# Every stream carries the item before and after each change.
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"


def create_table(table: Table, name: str) -> dict[str, Any]:
    """CreateTable's parameters for ``table`` named ``name``: the model's keys and local secondary
    indexes, billed per request, with its stream when it has one. Its TTL is UpdateTimeToLive's
    (``time_to_live``)."""
    keys = _keys(table.model.get_attributes().values())
    indexes = [index for _, index in inspect.getmembers(table.model, lambda value: isinstance(value, Index))]
    defined = {attribute.attr_name: attribute.attr_type for attribute, _ in keys}
    for index in indexes:
        defined.update(
            {
                attribute.attr_name: attribute.attr_type
                for attribute, _ in _keys(index.Meta.attributes.values())
            }
        )
    answer: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": key, "AttributeType": kind} for key, kind in defined.items()
        ],
        "KeySchema": _key_schema(keys),
    }
    local = [index for index in indexes if isinstance(index, LocalSecondaryIndex)]
    if local:
        answer["LocalSecondaryIndexes"] = [
            {
                "IndexName": index.Meta.index_name,
                "KeySchema": _key_schema(_keys(index.Meta.attributes.values())),
                "Projection": {"ProjectionType": index.Meta.projection.projection_type},
            }
            for index in local
        ]
    answer["BillingMode"] = "PAY_PER_REQUEST"
    if table.stream:
        answer["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE}
    return answer


def time_to_live(attribute: str) -> dict[str, Any]:
    """UpdateTimeToLive's TimeToLiveSpecification (and the template's): ``attribute`` in epoch seconds."""
    return {"Enabled": True, "AttributeName": attribute}


def _keys(attributes: Any) -> list[tuple[Attribute[Any], str]]:
    """The key attributes among ``attributes``, the hash key first, each with its KeyType."""
    found = [(attribute, "HASH") for attribute in attributes if attribute.is_hash_key]
    return found + [(attribute, "RANGE") for attribute in attributes if attribute.is_range_key]


def _key_schema(keys: list[tuple[Attribute[Any], str]]) -> list[dict[str, str]]:
    return [{"AttributeName": attribute.attr_name, "KeyType": kind} for attribute, kind in keys]
