"""An account's deletion, as the jobs function carries it out: time, requests, items deleted."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from uuid6 import uuid7

from bench.capacity import item_bytes
from bench.recording import dynamodb_clients, dynamodb_traffic, hooked
from bench.timing import Row
from tests import conftest

DELETED_FILES = 5


class _Body(io.BytesIO):
    """An answer's body as botocore reads one."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


class KeysAnswered:
    """Each Query of a partition's keys and each BatchWriteItem of deletions answered in the
    bench's process from the keys the emulator's tables hold (``answering``), and the emulator's
    partitions emptied as DynamoDB's would be when it ends (untimed).

    Through the emulator an account's deletion takes too long to measure the function: its
    answer to a Query costs it about 0.6 ms an item (its response serializer) and its delete some
    75 µs more, and a deletion sends a Query for each 1,000 keys and a BatchWriteItem for each 25:
    14,633 search entries took 28 s here, so the 2.6 million of 10,000 notes would take over an
    hour. Here botocore still validates and builds each request and parses each answer (only
    signing and sending are skipped), and the answers are DynamoDB's: a page of at most ``Limit``
    keys in key order, with a LastEvaluatedKey whenever it is full. Anything else (a Query of whole
    items, an UpdateItem) goes to the emulator as usual. One call at a time, as the emulator's own
    server answers them.
    """

    def __init__(self) -> None:
        import threading

        from botocore.parsers import create_parser
        from moto.dynamodb.models import dynamodb_backends

        import app as notes_app
        from local_stack.streams import DEFAULT_ACCOUNT

        self._backend = dynamodb_backends[DEFAULT_ACCOUNT][notes_app.settings.region]
        self._partitions: dict[tuple[str, str], Any] = {}
        self._deleted: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()
        self._parser = create_parser("json")

    @contextmanager
    def answering(self) -> Iterator[None]:
        events = [client.meta.events for client in dynamodb_clients()]
        for registered in events:
            for operation in ("Query", "BatchWriteItem"):
                registered.register_first(f"before-call.dynamodb.{operation}", self._answer)
        try:
            yield
        finally:
            for registered in events:
                for operation in ("Query", "BatchWriteItem"):
                    registered.unregister(f"before-call.dynamodb.{operation}", self._answer)
            self._empty_partitions()

    def _answer(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        asked = json.loads(params["body"])
        with self._lock:
            answered = self._query(asked) if model.name == "Query" else self._batch_write(asked)
        if answered is None:
            return None
        body = json.dumps(answered).encode()
        http = AWSResponse(params["url"], 200, {}, _Body(body))
        return http, self._parser.parse({"status_code": 200, "headers": {}, "body": body}, model.output_shape)

    def _keys(self, table: Any, owner: str) -> Any:
        from moto.dynamodb.models.dynamo_type import DynamoType
        from sortedcontainers import SortedList

        found = self._partitions.get((table.name, owner))
        if found is None:
            stored = table.items.get(DynamoType({"S": owner})) or {}
            found = self._partitions[(table.name, owner)] = SortedList(key.value for key in stored)
        return found

    def _query(self, asked: dict[str, Any]) -> dict[str, Any] | None:
        table = self._backend.get_table(asked["TableName"])
        names = asked.get("ExpressionAttributeNames", {})
        condition = asked.get("KeyConditionExpression", "").split(" = ")
        projection = asked.get("ProjectionExpression", "").split(",")
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        simple = (
            not {"IndexName", "FilterExpression"} & asked.keys()
            and asked.get("ScanIndexForward") is not False
        )
        if (
            not simple
            or len(condition) != 2
            or names.get(condition[0]) != hash_name
            or {names.get(name.strip(), name.strip()) for name in projection} != {hash_name, range_name}
        ):
            return None
        owner = asked["ExpressionAttributeValues"][condition[1]]["S"]
        found = self._keys(table, owner)
        start = (asked.get("ExclusiveStartKey") or {}).get(range_name, {}).get("S")
        at = found.bisect_right(start) if start is not None else 0
        limit = int(asked["Limit"])
        items = [{hash_name: {"S": owner}, range_name: {"S": key}} for key in found.islice(at, at + limit)]
        answer: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if len(items) == limit:
            answer["LastEvaluatedKey"] = items[-1]
        return answer

    def _batch_write(self, asked: dict[str, Any]) -> dict[str, Any] | None:
        requests = asked["RequestItems"]
        if any("DeleteRequest" not in request for sent in requests.values() for request in sent):
            return None
        for table_name, sent in requests.items():
            table = self._backend.get_table(table_name)
            for request in sent:
                key = request["DeleteRequest"]["Key"]
                owner, item = key[table.hash_key_attr]["S"], key[table.range_key_attr]["S"]
                self._keys(table, owner).discard(item)
                self._deleted.setdefault((table_name, owner), []).append(item)
        return {"UnprocessedItems": {}}

    def _empty_partitions(self) -> None:
        """What was deleted, deleted from the emulator's tables too."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        for (table_name, owner), gone in self._deleted.items():
            stored = self._backend.get_table(table_name).items.get(DynamoType({"S": owner})) or {}
            if not self._partitions[(table_name, owner)]:
                stored.clear()
            else:
                for item in gone:
                    stored.pop(DynamoType({"S": item}), None)


def _held(user: Any) -> dict[str, tuple[int, int]]:
    """What the user holds in each table of the emulator: (items, write units to delete them, 1 a
    KB of each; a search entry is one, under 1 KB)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    import app as notes_app
    from chalicelib.account import DELETED_ITEM, SWEEP_ITEM
    from local_stack.streams import DEFAULT_ACCOUNT

    settings = notes_app.settings
    backend = dynamodb_backends[DEFAULT_ACCOUNT][settings.region]
    tables = {
        "notes": settings.table_name,
        "trash": settings.trash_table_name,
        "searchEntries": settings.search_table_name,
        "exports": settings.account_table_name,
    }
    held = {}
    for kind, name in tables.items():
        stored = backend.get_table(name).items.get(DynamoType({"S": user.sub})) or {}
        # The account's tombstone stays (it refuses the account's tokens), and the deletion writes its
        # sweep (which runs it once more, for uploads landing late, when the TTL removes it).
        items = [item for key, item in stored.items() if key.value not in (DELETED_ITEM, SWEEP_ITEM)]
        if kind == "searchEntries":
            held[kind] = (len(items), len(items))
        else:
            sizes = [item_bytes(item.to_json()["Attributes"]) for item in items]
            held[kind] = (len(items), sum(-(-size // 1024) for size in sizes))
    return held


def _carried_out(user: Any) -> tuple[float, dict[str, int], Counter[str], Counter[str]]:
    """One account's deletion, timed: seconds, what it deleted by kind, its DynamoDB requests
    (``dynamodb_traffic``) and its other calls ("s3 DeleteObjects", "cognito-idp AdminDeleteUser")."""
    import app as notes_app

    others: Counter[str] = Counter()

    def count_other(model: Any, **_: Any) -> None:
        others[f"{model.service_model.service_name} {model.name}"] += 1

    other_clients = [notes_app.services.files.client, notes_app.services.deletion._cognito_client()]
    with hooked(other_clients, ("after-call", count_other)):
        with KeysAnswered().answering(), dynamodb_traffic() as counted:
            started = time.perf_counter()
            deleted = notes_app.services.deletion.carry_out(user.sub)
            seconds = time.perf_counter() - started
    return seconds, deleted, counted, others


def deletion_cost(rows: list[Row], users: list[Any]) -> None:
    """``AccountDeletion.carry_out`` (what the jobs function does after DELETE /me) for the users
    the search rows seeded, each with a few files: its time, its requests, the write units
    DynamoDB bills for the items it deletes."""
    import app as notes_app
    from chalicelib.storage_layout import FILES_PREFIX

    s3 = conftest.aws_client("s3")
    bucket = notes_app.settings.bucket_name
    for user in users:
        for _ in range(DELETED_FILES):
            key = f"{FILES_PREFIX}{user.sub}/{uuid7()}/{uuid7()}"
            s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 1024)
        # Recorded as DELETE /me records it: the account's tombstone, which the deletion keeps.
        notes_app.services.deletion.request(user.sub, user.email, user.email)
        held = _held(user)
        seconds, deleted, counted, others = _carried_out(user)
        expected = {kind: items for kind, (items, _) in held.items()} | {"objects": DELETED_FILES}
        left = {kind: items for kind, (items, _) in _held(user).items() if items}
        if any(deleted.get(kind) != number for kind, number in expected.items()) or left:
            raise RuntimeError(f"the deletion deleted {deleted}, not {expected}; left {left}")
        notes, entries = held["notes"][0], held["searchEntries"][0]
        used = ("Query", "BatchWriteItem", "GetItem", "UpdateItem", "PutItem")
        operations = ", ".join(f"{counted[op]:,} {op}" for op in used if counted[op])
        s3_calls = sum(n for name, n in others.items() if name.startswith("s3 "))
        user_is = f"user with {notes:,} notes"
        rows.append(
            (
                f"account deletion: carry_out, {user_is} ({entries:,} search entries)",
                f"{seconds:.1f} s",
                f"{DELETED_FILES} files too; the keys answered directly",
                f"{notes / seconds:,.0f} notes/s",
            )
        )
        rows.append(
            (
                f"account deletion: DynamoDB requests, {user_is}",
                f"{counted['requests']:,}",
                operations,
                f"S3 {s3_calls}, Cognito {others['cognito-idp AdminDeleteUser']}",
            )
        )
        rows.append(
            (
                f"account deletion: items deleted, {user_is}",
                f"{sum(items for items, _ in held.values()):,}",
                f"{sum(units for _, units in held.values()):,} WCU (1 a KB of each)",
                "",
            )
        )
