"""The emulator's Query, narrowed to the asked key range (local_stack/query_ranges.py), answers as
DynamoDB does: every condition, both directions, every page, the items written since."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import aws_client

TABLE = "ranges"
KEYS = sorted(
    {f"{prefix}{n:03d}" for prefix in ("a#", "b#", "b#x", "c") for n in range(0, 60, 3)} | {"b", "b#"}
)


@pytest.fixture
def table(aws: Any) -> Any:
    dynamodb = aws_client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "p", "AttributeType": "S"},
            {"AttributeName": "s", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for partition in ("one", "two"):
        for key in KEYS:
            dynamodb.put_item(TableName=TABLE, Item={"p": {"S": partition}, "s": {"S": f"{partition}:{key}"}})
    yield dynamodb
    dynamodb.delete_table(TableName=TABLE)


def walk(dynamodb: Any, condition: str, values: dict[str, str], forward: bool, limit: int) -> list[str]:
    """Every page of a Query to its end: the sort keys in the order given."""
    found: list[str] = []
    start = None
    while True:
        answer = dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression=f"p = :p AND {condition}" if condition else "p = :p",
            ExpressionAttributeValues={":p": {"S": "one"}, **{k: {"S": v} for k, v in values.items()}},
            ScanIndexForward=forward,
            Limit=limit,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        found.extend(item["s"]["S"] for item in answer["Items"])
        start = answer.get("LastEvaluatedKey")
        if start is None:
            return found


CONDITIONS: list[tuple[str, dict[str, str], Callable[[str], bool]]] = [
    ("", {}, lambda key: True),
    ("s = :v", {":v": "one:b#x009"}, lambda key: key == "one:b#x009"),
    ("s < :v", {":v": "one:b#x"}, lambda key: key < "one:b#x"),
    ("s <= :v", {":v": "one:b#x009"}, lambda key: key <= "one:b#x009"),
    ("s > :v", {":v": "one:b#"}, lambda key: key > "one:b#"),
    ("s >= :v", {":v": "one:b#"}, lambda key: key >= "one:b#"),
    (
        "s BETWEEN :v AND :w",
        {":v": "one:a#030", ":w": "one:b#x"},
        lambda key: "one:a#030" <= key <= "one:b#x",
    ),
    ("begins_with(s, :v)", {":v": "one:b#"}, lambda key: key.startswith("one:b#")),
    ("begins_with(s, :v)", {":v": "one:b#x"}, lambda key: key.startswith("one:b#x")),
    ("begins_with(s, :v)", {":v": "one:z"}, lambda key: False),
]


@pytest.mark.parametrize(("condition", "values", "holds"), CONDITIONS)
@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_a_query_answers_the_range_it_asks_page_by_page(
    table: Any,
    condition: str,
    values: dict[str, str],
    holds: Callable[[str], bool],
    forward: bool,
    limit: int,
) -> None:
    expected = sorted((f"one:{key}" for key in KEYS if holds(f"one:{key}")), reverse=not forward)
    assert walk(table, condition, values, forward, limit) == expected


def test_items_written_and_deleted_since_are_answered_as_they_are_now(table: Any) -> None:
    assert walk(table, "begins_with(s, :v)", {":v": "one:b#"}, True, 5)  # the partition is now known
    table.put_item(TableName=TABLE, Item={"p": {"S": "one"}, "s": {"S": "one:b#new"}})
    table.delete_item(TableName=TABLE, Key={"p": {"S": "one"}, "s": {"S": "one:b#000"}})
    table.put_item(TableName=TABLE, Item={"p": {"S": "one"}, "s": {"S": "one:b#x003"}, "more": {"S": "x"}})
    batch = [{"PutRequest": {"Item": {"p": {"S": "one"}, "s": {"S": f"one:b#batch{n}"}}}} for n in range(3)]
    table.batch_write_item(RequestItems={TABLE: batch})
    expected = sorted(
        {f"one:{key}" for key in KEYS if key.startswith("b#")} - {"one:b#000"}
        | {"one:b#new", "one:b#batch0", "one:b#batch1", "one:b#batch2"}
    )
    assert walk(table, "begins_with(s, :v)", {":v": "one:b#"}, True, 4) == expected
    answer = table.query(
        TableName=TABLE,
        KeyConditionExpression="p = :p AND s = :s",
        ExpressionAttributeValues={":p": {"S": "one"}, ":s": {"S": "one:b#x003"}},
    )
    assert answer["Items"][0]["more"] == {"S": "x"}


NUMBERS = [0, 1, 2, 9, 10, 11, 99, 100, 101, 1000, 2500]


@pytest.fixture
def numbered(aws: Any) -> Any:
    """A table whose sort key is a number: 9 comes before 10, as DynamoDB orders numbers."""
    dynamodb = aws_client("dynamodb")
    dynamodb.create_table(
        TableName="numbered",
        AttributeDefinitions=[
            {"AttributeName": "p", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for partition in ("one", "two"):
        for number in NUMBERS:
            dynamodb.put_item(TableName="numbered", Item={"p": {"S": partition}, "n": {"N": str(number)}})
    yield dynamodb
    dynamodb.delete_table(TableName="numbered")


@pytest.mark.parametrize(
    ("condition", "values", "holds"),
    [
        ("", {}, lambda n: True),
        ("n > :v", {":v": "9"}, lambda n: n > 9),
        ("n >= :v", {":v": "10"}, lambda n: n >= 10),
        ("n < :v", {":v": "100"}, lambda n: n < 100),
        ("n BETWEEN :v AND :w", {":v": "2", ":w": "101"}, lambda n: 2 <= n <= 101),
        ("n = :v", {":v": "1000"}, lambda n: n == 1000),
    ],
)
def test_a_number_sort_key_is_answered_in_its_order_as_a_number(
    numbered: Any, condition: str, values: dict[str, str], holds: Callable[[int], bool]
) -> None:
    numbered.put_item(TableName="numbered", Item={"p": {"S": "one"}, "n": {"N": "55"}})
    numbered.delete_item(TableName="numbered", Key={"p": {"S": "one"}, "n": {"N": "11"}})
    numbers = (set(NUMBERS) | {55}) - {11}
    for forward in (True, False):
        for limit in (1, 4, 100):
            found: list[int] = []
            start = None
            while True:
                answer = numbered.query(
                    TableName="numbered",
                    KeyConditionExpression=f"p = :p AND {condition}" if condition else "p = :p",
                    ExpressionAttributeValues={
                        ":p": {"S": "one"},
                        **{k: {"N": v} for k, v in values.items()},
                    },
                    ScanIndexForward=forward,
                    Limit=limit,
                    **({"ExclusiveStartKey": start} if start else {}),
                )
                found.extend(int(item["n"]["N"]) for item in answer["Items"])
                start = answer.get("LastEvaluatedKey")
                if start is None:
                    break
            expected = sorted((n for n in numbers if holds(n)), reverse=not forward)
            assert found == expected, (forward, limit)
