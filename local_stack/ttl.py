"""The tables' time to live, applied by the local stack on its own clock: the emulator keeps each
table's TTL setting but never removes anything, where DynamoDB removes an expired item within
days and writes its removal into the table's stream as done by the service itself.

``TtlSweep`` reads each table's TTL attribute (``DescribeTimeToLive``, as provisioned from
``infra/description/``), deletes every item whose time has come by the local clock (on the
condition that it still has), and hands the removals to the table's handler as stream records of
the shape DynamoDB's TTL writes (``userIdentity`` of the service): the trash's go to the app's
``purge_trash``, which deletes their files, and a deleted account's ``sweep`` item to ``run_jobs``,
through their declared filters (``local_stack.streams.delivering``), as their streams' filtered
mappings do deployed.

``LocalClock`` is that clock: the real time, moved on by ``POST /local/clock`` on the emulator's
port (``{"advanceSeconds": n}``, authorized with the run's secret key as a bearer token), so that
a person or a test can see what happens 30 days later. Moving it sweeps at once; otherwise the
sweep runs every ``SWEEP_SECONDS``. The bucket's lifecycle rules follow the same clock, and so
does the change feed, in the API's process too (``share``, ``SharedClock``): a feed cursor is as
old as the time to live says its entries are.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.stream_records import TTL_IDENTITY
from local_stack.repeating import repeating

SWEEP_SECONDS = 60.0
CLOCK_PATH = "/local/clock"
# Where the API's process finds how far the local clock was moved on (``LocalClock.share``).
CLOCK_FILE_ENV = "NOTES_LOCAL_CLOCK_FILE"
Handler = Callable[[dict[str, Any]], Any]


class LocalClock:
    """The local stack's time: the real one, plus however far it was moved on."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._moved: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        self._offset += timedelta(seconds=seconds)
        for listener in self._moved:
            listener()
        return self.now()

    def on_move(self, listener: Callable[[], None]) -> None:
        self._moved.append(listener)

    def seconds(self) -> float:
        """The time now in seconds since 1970, as ``time.time`` gives the real one."""
        return self.now().timestamp()

    def share(self, path: Path) -> None:
        """Keep how far the clock was moved on in ``path``, for another process's ``SharedClock``."""

        def write() -> None:
            path.write_text(repr(self._offset.total_seconds()))

        write()
        self.on_move(write)


class SharedClock:
    """A ``LocalClock`` of another process, as seconds since 1970 (``LocalClock.share``)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, float] = (-1, 0.0)

    def __call__(self) -> float:
        try:
            changed = self._path.stat().st_mtime_ns
            if changed != self._seen[0]:
                self._seen = (changed, float(self._path.read_text() or 0))
        except (OSError, ValueError):
            pass  # the stack is stopping: the last offset read stays
        return time.time() + self._seen[1]


class TtlSweep:
    """Remove the expired items of ``tables`` (name -> handler of their removals, or None)."""

    def __init__(self, dynamodb: Any, tables: Mapping[str, Handler | None], clock: LocalClock) -> None:
        self._dynamodb = dynamodb
        self._tables = tables
        self._clock = clock

    def sweep(self) -> dict[str, int]:
        """One pass over every table; how many items each lost."""
        return {table: self._expire(table, handler) for table, handler in self._tables.items()}

    def _expire(self, table: str, handler: Handler | None) -> int:
        described = self._dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        attribute = described.get("AttributeName")
        if described.get("TimeToLiveStatus") != "ENABLED" or not attribute:
            return 0
        now = str(int(self._clock.now().timestamp()))
        keys = [
            key["AttributeName"]
            for key in self._dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        ]
        expired = 0
        for item in self._scan(table, attribute, now, keys):
            key = {name: item[name] for name in keys}
            try:
                answer = self._dynamodb.delete_item(
                    TableName=table,
                    Key=key,
                    ConditionExpression="#ttl <= :now",
                    ExpressionAttributeNames={"#ttl": attribute},
                    ExpressionAttributeValues={":now": {"N": now}},
                    ReturnValues="ALL_OLD",
                )
            except self._dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # changed since it was read: not expired any more
            expired += 1
            if handler is not None:
                handler({"Records": [_removal(key, answer.get("Attributes") or {})]})
        return expired

    def _scan(self, table: str, attribute: str, now: str, keys: list[str]) -> Iterator[dict[str, Any]]:
        names = {"#ttl": attribute, **{f"#k{n}": name for n, name in enumerate(keys)}}
        for page in self._dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="#ttl <= :now",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":now": {"N": now}},
            ProjectionExpression=", ".join(f"#k{n}" for n in range(len(keys))),
        ):
            yield from page.get("Items") or []


def _removal(key: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A stream record as DynamoDB's TTL writes one."""
    return {
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "userIdentity": dict(TTL_IDENTITY),
        "dynamodb": {"Keys": key, "OldImage": old, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def expiring(
    sweep: TtlSweep,
    clock: LocalClock,
    interval: float = SWEEP_SECONDS,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> AbstractContextManager[None]:
    """Sweep now, whenever the clock moves, and every ``interval`` seconds, until the block ends."""

    def once() -> None:
        try:
            for table, count in sweep.sweep().items():
                if count:
                    say(f"expired: {count} item(s) of {table} (time to live)")
        except (BotoCoreError, ClientError, KeyError, ValueError) as error:
            say(f"make run: could not apply the tables' time to live ({error}); trying again later")

    return repeating("time-to-live", once, interval, clock.on_move)


def clock_app(clock: LocalClock, secret: str) -> Callable[..., Any]:
    """WSGI: ``GET /local/clock`` answers the local time; ``POST`` with ``{"advanceSeconds": n}``
    moves it on (never back). Both need ``Authorization: Bearer <the run's secret key>``."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {secret}".encode()):
            return _answer(start_response, "401 Unauthorized", {"message": "Unauthorized"})
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                seconds = body["advanceSeconds"]
                if (
                    isinstance(seconds, bool)
                    or not isinstance(seconds, (int, float))
                    or not 0 <= seconds <= 10**9
                ):
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                return _answer(
                    start_response,
                    "400 Bad Request",
                    {"message": 'send {"advanceSeconds": n}, n a number of seconds from 0 to 10^9'},
                )
            clock.advance(float(seconds))
        elif method != "GET":
            return _answer(start_response, "405 Method Not Allowed", {"message": "GET or POST"})
        return _answer(start_response, "200 OK", {"now": clock.now().isoformat(timespec="seconds")})

    return app


def _answer(start_response: Any, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
