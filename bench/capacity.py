"""What DynamoDB bills: an item's size as it counts it, and the capacity units of recorded calls."""

from __future__ import annotations

from typing import Any

from tests import conftest


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it (names and values; a list or map 3 bytes more, and
    1 a member), from its wire form."""

    def value_bytes(value: dict[str, Any]) -> int:
        ((kind, held),) = value.items()
        if kind in ("S", "N"):
            return len(str(held).encode())
        if kind == "L":
            return 3 + sum(1 + value_bytes(member) for member in held)
        if kind == "M":
            return 3 + sum(1 + len(name.encode()) + value_bytes(member) for name, member in held.items())
        return 1

    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def _tables() -> dict[str, dict[str, Any]]:
    """The app's tables as the emulator holds them (DescribeTable: keys, local indexes), by name."""
    import app as notes_app

    settings = notes_app.settings
    names = (
        settings.table_name,
        settings.search_table_name,
        settings.trash_table_name,
        settings.account_table_name,
    )
    dynamodb = conftest.aws_client("dynamodb")
    return {name: dynamodb.describe_table(TableName=name)["Table"] for name in names}


def _item_key(table: dict[str, Any], item: dict[str, Any]) -> tuple[str, ...]:
    return (table["TableName"], *(item[key["AttributeName"]]["S"] for key in table["KeySchema"]))


def capacity_units(
    calls: list[tuple[str, dict[str, Any]]], stored: dict[tuple[str, ...], int]
) -> tuple[float, float, float]:
    """Write, read and index write units that DynamoDB bills for ``calls``, from the items' sizes
    (``item_bytes``; ``stored``: each item there before the calls, by table and key). A read: 1 a
    4 KB of the item (half for an eventually consistent one), 1 when there is none; a write: 1 a
    KB of the larger of the item before and after; in a transaction, twice each. A table's local
    secondary index (projecting every attribute) writes its copy too: 1 a KB of it, counted apart
    (DynamoDB does not say whether a transaction doubles an index's write)."""

    def units(size: int, unit: int) -> int:
        return max(1, -(-size // unit))

    tables = _tables()
    write = read = index = 0.0
    for operation, params in calls:
        if operation == "GetItem":
            size = stored.get(_item_key(tables[params["TableName"]], params["Key"]), 0)
            read += units(size, 4096) * (1 if params.get("ConsistentRead") else 0.5)
            continue
        if operation == "TransactWriteItems":
            actions, times = (
                [(kind, item) for entry in params["TransactItems"] for kind, item in entry.items()],
                2,
            )
        elif operation in ("PutItem", "DeleteItem"):
            actions, times = [(operation.removesuffix("Item"), params)], 1
        else:
            raise RuntimeError(f"no capacity rule here for {operation}")
        for kind, action in actions:
            if kind not in ("Put", "Delete"):
                raise RuntimeError(f"no capacity rule here for a transaction's {kind}")
            table = tables[action["TableName"]]
            before = stored.get(_item_key(table, action.get("Item") or action["Key"]), 0)
            size = max(before, item_bytes(action["Item"]) if kind == "Put" else 0)
            write += times * units(size, 1024)
            if table.get("LocalSecondaryIndexes"):
                index += units(size, 1024)
    return write, read, index


def shown_units(write: float, read: float, index: float = 0) -> str:
    shown = f"{write:g} WCU + {read:g} RCU"
    return f"{shown} + {index:g} index WCU" if index else shown
