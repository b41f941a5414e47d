"""The emulator's DynamoDB Query reads only the key range it asks for, as DynamoDB does.

The emulator answers a Query on a table by walking every item of the table, every partition,
so a Query's time grows with everything stored, where DynamoDB's grows only with the items in
the asked range. The search index makes that difference count (one user's entries number in the
hundreds of thousands). ``install`` keeps, for each partition a Query touches, its items in sort
key order (kept up to date by every put and delete), and gives the emulator's own Query only the
items of the range: what it answers is unchanged, only the items it walks are fewer.

Only string and number sort keys of a table's own key (not an index's) are narrowed (numbers in
their order as numbers, as DynamoDB orders them); anything else is answered as before.
"""

from __future__ import annotations

import inspect
import sys
import threading
import weakref
from decimal import Decimal
from functools import wraps
from itertools import islice
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

    parameters = inspect.signature(original_query)

    @wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = parameters.bind(self, *args, **kwargs).arguments
        items = _range(self, asked)
        if items is None:
            return original_query(self, *args, **kwargs)
        _narrowed.items = (self, items)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _narrowed.items = None

    @wraps(original_put)
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        partition = _known(self, item.hash_key)
        if partition is not None and item.range_key is not None:
            partition[_sort_value(item.range_key)] = item
        return item

    @wraps(original_delete)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = original_delete(self, hash_key, range_key)
        partition = _known(self, hash_key)
        if partition is not None and range_key is not None:
            partition.pop(_sort_value(range_key), None)
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
        partition = partitions[hash_key] = SortedDict(
            {_sort_value(key): item for key, item in stored.items()}
        )
    return partition


def _sort_value(key: Any) -> Any:
    """A sort key as DynamoDB orders it: a string by its characters, a number as a number."""
    return Decimal(key.value) if key.type == "N" else key.value


def _range(table: Any, asked: dict[str, Any]) -> list[Any] | None:
    """The partition's items the Query can answer with, in key order; None: do not narrow.

    A page holds at most ``limit`` items from its exclusive start on (a filter expression applies
    after the limit, as in DynamoDB), and the emulator looks at one more to tell whether another
    page follows: only those are given.
    """
    hash_key, comparison, values = (
        asked["hash_key"],
        asked.get("range_comparison"),
        asked.get("range_objs") or [],
    )
    kind = table.range_key_type
    if asked.get("index_name") or hash_key is None or not table.range_key_attr or kind not in ("S", "N"):
        return None
    if comparison is not None and any(getattr(value, "type", None) != kind for value in values):
        return None
    if kind == "N" and comparison is not None and comparison.upper() == "BEGINS_WITH":
        return None
    whole: tuple[_Bound, _Bound] = ((None, True), (None, True))
    bounds = _bounds(comparison, [_sort_value(value) for value in values]) if comparison else whole
    if bounds is None:
        return None
    low, high = bounds
    forward = asked.get("scan_index_forward") is not False
    start = (asked.get("exclusive_start_key") or {}).get(table.range_key_attr)
    if start is not None and kind in start:
        begin = Decimal(start[kind]) if kind == "N" else start[kind]
        if forward and (low[0] is None or begin >= low[0]):
            low = (begin, False)
        elif not forward and (high[0] is None or begin <= high[0]):
            high = (begin, False)
    partition = _partition(table, hash_key)
    keys = partition.irange(low[0], high[0], inclusive=(low[1], high[1]), reverse=not forward)
    limit = asked.get("limit")
    if limit and not asked.get("filter_kwargs"):  # a filter expression applies after the limit
        keys = islice(keys, int(limit) + 1)
    chosen = list(keys)
    if not forward:
        chosen.reverse()
    return [partition[key] for key in chosen]


_Bound = tuple[Any, bool]


def _bounds(comparison: str, values: list[Any]) -> tuple[_Bound, _Bound] | None:
    """The key range (low, high), each (key or None, inclusive), of a sort key condition."""
    value = values[0] if values else ""
    everything: _Bound = (None, True)
    ranges: dict[str, tuple[_Bound, _Bound]] = {
        "EQ": ((value, True), (value, True)),
        "LT": (everything, (value, False)),
        "LE": (everything, (value, True)),
        "GT": ((value, False), everything),
        "GE": ((value, True), everything),
        "BETWEEN": ((value, True), (values[-1] if values else "", True)),
        "BEGINS_WITH": ((value, True), _after_prefix(value)),
    }
    symbols = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
    name = comparison.upper()
    return ranges.get(symbols.get(name, name))


def _after_prefix(prefix: Any) -> _Bound:
    """The first key after every key that starts with ``prefix`` (exclusive), if there is one."""
    if isinstance(prefix, str) and prefix and ord(prefix[-1]) < sys.maxunicode:
        return (prefix[:-1] + chr(ord(prefix[-1]) + 1), False)
    return (None, True)
