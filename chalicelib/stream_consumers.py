"""Which records of the stage's tables' streams reach which function, each declared once, here.

A ``Consumer`` is one stream function (the app's ``lambda_function``): the table whose stream
invokes it, the model its images are read as, and the filter patterns of Lambda's event filtering
(a record reaches the function when it matches one; with none, every record does). The same
declaration is the template's ``FilterCriteria`` (``infra/template/``), what the local stack hands
each function (``local_stack/streams.py``, ``local_stack/ttl.py``, with ``matches``), and the
function's own check (``Consumer.records``: a record that does not match is no work).

``matches`` implements the part of Lambda's filter syntax these patterns use; ``declared`` refuses
a pattern that uses more, so what is deployed and what runs locally cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, NamedTuple

from chalicelib.account import DELETED_ITEM, SWEEP_ITEM
from chalicelib.exports import EXPORT_ITEM
from chalicelib.models import AccountItemModel, NoteModel, TrashedNoteModel
from chalicelib.stream_records import INSERT, REMOVE, TTL_IDENTITY, M, StreamRecord, records
from chalicelib.tables import ACCOUNT, NOTES, TRASH, Table

# The one rule besides a value itself: a string starting with the given one.
PREFIX = "prefix"
SCALARS = (str, int, float, bool, type(None))


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether ``record`` (a stream record, as Lambda's JSON) matches one filter ``pattern``, as
    Lambda's event filtering decides: each field the pattern names is in the record; an object is
    matched field by field within; a list names what the value may be, each a value it equals or
    ``{"prefix": p}``, a string starting with ``p``."""
    for field, wanted in pattern.items():
        if field not in record:
            return False
        value = record[field]
        if isinstance(wanted, Mapping):
            if not isinstance(value, Mapping) or not matches(wanted, value):
                return False
        elif not any(_admits(rule, value) for rule in wanted):
            return False
    return True


def _admits(rule: Any, value: Any) -> bool:
    if isinstance(rule, Mapping):
        return isinstance(value, str) and value.startswith(rule[PREFIX])
    return bool(value == rule)


def _check(pattern: Mapping[str, Any]) -> None:
    """Raises ValueError where ``pattern`` uses what ``matches`` does not implement."""
    for field, wanted in pattern.items():
        if isinstance(wanted, Mapping):
            _check(wanted)
        elif not isinstance(wanted, Sequence) or isinstance(wanted, str) or not wanted:
            raise ValueError(f"filter field {field!r}: a list of rules or an object, not {wanted!r}")
        else:
            for rule in wanted:
                prefix = isinstance(rule, Mapping) and set(rule) == {PREFIX} and isinstance(rule[PREFIX], str)
                if not prefix and not isinstance(rule, SCALARS):
                    raise ValueError(f"filter field {field!r}: rule {rule!r} is not one matches implements")


class Consumer(NamedTuple, Generic[M]):
    """One stream function: ``name``, the ``table`` whose stream invokes it, the ``model`` of its
    records' images, and the filter ``patterns`` a record must match one of (none: every record).
    ``declared`` refuses one that reads another table's items or uses rules ``matches`` lacks."""

    name: str
    table: Table
    model: type[M]
    patterns: tuple[Mapping[str, Any], ...] = ()

    def declared(self) -> Consumer[M]:
        """This consumer, checked; raises ValueError naming what is wrong."""
        if not issubclass(self.model, self.table.model):
            raise ValueError(f"{self.name}: {self.model.__name__} is no item of the {self.table.key} table")
        for pattern in self.patterns:
            _check(pattern)
        return self

    def admits(self, record: Mapping[str, Any]) -> bool:
        """Whether the record reaches the function (matches one of the patterns)."""
        return not self.patterns or any(matches(pattern, record) for pattern in self.patterns)

    def admitted(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """``event`` with only the records that reach the function."""
        return {**event, "Records": [record for record in event.get("Records") or [] if self.admits(record)]}

    def records(self, event: Mapping[str, Any]) -> list[StreamRecord[M]]:
        """The records of ``event`` that reach the function, in order, their images as ``model``s."""
        return records(self.admitted(event), self.model)


# A record DynamoDB's TTL wrote: the removal of an expired item.
BY_TTL: dict[str, Any] = {"userIdentity": {field: [value] for field, value in TTL_IDENTITY.items()}}

# The search indexer: every change of a note (chalicelib.search).
INDEXER: Consumer[NoteModel] = Consumer("index_notes", NOTES, NoteModel).declared()
# The trash's purge: the items DynamoDB's TTL removed, whose files go too (a restore, a deletion for
# good or a move into the trash is the API's, which sees to the file itself) (chalicelib.trash).
PURGER: Consumer[TrashedNoteModel] = Consumer("purge_trash", TRASH, TrashedNoteModel, (BY_TTL,)).declared()
# The jobs function (chalicelib.jobs): a new export (``export#<exportId>``) or a deleted account's
# tombstone (``deleted``), each one job; and a deleted account's ``sweep`` item once the TTL removed
# it, the last sweep of what came late. An export's record updated or expiring, the ``exporting``
# item that names the pending export, the ``sweep`` item written: no job, no invocation.
JOBS: Consumer[AccountItemModel] = Consumer(
    "run_jobs",
    ACCOUNT,
    AccountItemModel,
    (
        {"eventName": [INSERT], "dynamodb": {"Keys": {"item": {"S": [{PREFIX: EXPORT_ITEM}, DELETED_ITEM]}}}},
        {"eventName": [REMOVE], **BY_TTL, "dynamodb": {"Keys": {"item": {"S": [SWEEP_ITEM]}}}},
    ),
).declared()
# The change feed (chalicelib.changes): every change of a note. With the indexer, the notes
# table's stream has two readers, the most DynamoDB Streams serves a shard without throttling.
FOLLOWER: Consumer[NoteModel] = Consumer("follow_changes", NOTES, NoteModel).declared()
CONSUMERS: tuple[Consumer[Any], ...] = (INDEXER, FOLLOWER, PURGER, JOBS)
