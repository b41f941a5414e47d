"""The emulator's DynamoDB Query reads only the key range it asks for, as DynamoDB does.

The emulator answers a Query on a table by walking every item of the table, every partition,
so a Query's time grows with everything stored, where DynamoDB's grows only with the items in
the asked range. The search index makes that difference count (one user's entries number in the
hundreds of thousands). ``install`` keeps, for each partition a Query touches, its items in sort
key order (kept up to date by every put and delete), and gives the emulator's own Query only the
items of the range: what it answers is unchanged, only the items it walks are fewer.

Only string sort keys of a table's own key (not an index's) are narrowed; anything else is
answered as before.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from functools import wraps
from itertools import takewhile
from typing import Any

from sortedcontainers import SortedDict

_installed = False
# The table a Query on this thread is narrowed for, and the items it may walk.
_narrowed = threading.local()
# Per table (by id, dropped with the table): partition key -> SortedDict(sort key -> item).
_partitions: dict[int, dict[Any, SortedDict]] = {}


def install() -> None:
    """Narrow the emulator's Query to the asked key range (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    original_put = Table.put_item
    original_delete = Table.delete_item

    @wraps(original_all_items)
    def all_items(self: Any) -> Any:
        narrowed = getattr(_narrowed, "items", None)
        if narrowed is not None and narrowed[0] is self:
            return narrowed[1]
        return original_all_items(self)

    @wraps(original_query)
    def query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # The emulator passes the index's name eighth (after the projection), or by name.
        index_name = args[4] if len(args) > 4 else kwargs.get("index_name")
        items = _range(self, hash_key, range_comparison, range_objs, index_name)
        if items is None:
            return original_query(self, hash_key, range_comparison, range_objs, *args, **kwargs)
        _narrowed.items = (self, items)
        try:
            return original_query(self, hash_key, range_comparison, range_objs, *args, **kwargs)
        finally:
            _narrowed.items = None

    @wraps(original_put)
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        partition = _known(self, item.hash_key)
        if partition is not None and item.range_key is not None:
            partition[item.range_key.value] = item
        return item

    @wraps(original_delete)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = original_delete(self, hash_key, range_key)
        partition = _known(self, hash_key)
        if partition is not None and range_key is not None:
            partition.pop(range_key.value, None)
        return item

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    _installed = True


def _known(table: Any, hash_key: Any) -> SortedDict | None:
    partitions = _partitions.get(id(table))
    return partitions.get(hash_key) if partitions is not None else None


def _partition(table: Any, hash_key: Any) -> SortedDict:
    partitions = _partitions.get(id(table))
    if partitions is None:
        partitions = _partitions[id(table)] = {}
        weakref.finalize(table, _partitions.pop, id(table), None)
    partition = partitions.get(hash_key)
    if partition is None:
        stored = table.items.get(hash_key) or {}
        partition = partitions[hash_key] = SortedDict({key.value: item for key, item in stored.items()})
    return partition


def _range(
    table: Any, hash_key: Any, comparison: str | None, values: list[Any], index_name: str | None
) -> list[Any] | None:
    """The partition's items the comparison can hold for, in key order; None: do not narrow."""
    if index_name or hash_key is None or not table.range_key_attr or table.range_key_type != "S":
        return None
    if comparison is not None and any(getattr(value, "type", None) != "S" for value in values):
        return None
    partition = _partition(table, hash_key)
    if comparison is None:
        return list(partition.values())
    keys = _keys(partition, comparison, [value.value for value in values])
    if keys is None:
        return None
    return [partition[key] for key in keys]


def _keys(partition: SortedDict, comparison: str, values: list[str]) -> Iterable[str] | None:
    ranges: dict[str, Callable[[], Iterable[str]]] = {
        "EQ": lambda: partition.irange(values[0], values[0]),
        "=": lambda: partition.irange(values[0], values[0]),
        "LT": lambda: partition.irange(None, values[0], inclusive=(True, False)),
        "<": lambda: partition.irange(None, values[0], inclusive=(True, False)),
        "LE": lambda: partition.irange(None, values[0]),
        "<=": lambda: partition.irange(None, values[0]),
        "GT": lambda: partition.irange(values[0], None, inclusive=(False, True)),
        ">": lambda: partition.irange(values[0], None, inclusive=(False, True)),
        "GE": lambda: partition.irange(values[0], None),
        ">=": lambda: partition.irange(values[0], None),
        "BETWEEN": lambda: partition.irange(values[0], values[-1]),
        "BEGINS_WITH": lambda: takewhile(lambda key: key.startswith(values[0]), partition.irange(values[0])),
    }
    found = ranges.get(comparison.upper())
    return found() if found is not None else None
