"""Benchmarks of the notes API; prints a table. Run with ``make bench``.

Everything runs on this machine against the emulated AWS (in-process); nothing
leaves it. Times are medians of repeated runs; each row compares the product
with a baseline measured in the same run, as a ratio.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from tests import conftest  # applies the test stage's environment before the app is imported

REPEATS = 5
Row = tuple[str, str, str, str]


def median_us(fn: Callable[[], Any], number: int, repeat: int = REPEATS) -> float:
    """Median microseconds per call over ``repeat`` runs of ``number`` calls."""
    runs = timeit.repeat(fn, number=number, repeat=repeat, timer=time.perf_counter)
    return statistics.median(runs) / number * 1e6


def ms(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.1f}×"


# --- 1. cold start ------------------------------------------------------------------------------


def _import_seconds(code: str) -> float:
    env = {**os.environ, **conftest.STAGE_ENV}
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=conftest.ROOT, env=env, check=True)  # noqa: S603
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def cold_start(rows: list[Row]) -> None:
    bare = _import_seconds("import chalice.app, pynamodb.models")
    # In Lambda, chalice.local is not packaged: the local token checks are not installed.
    deployed = _import_seconds("import sys; sys.modules['chalice.local'] = None; import app")
    local = _import_seconds("import app")
    rows.append(("cold start: import chalice.app + pynamodb.models", ms(bare), "baseline", "1.0×"))
    rows.append(("cold start: import app, as in Lambda", ms(deployed), "vs bare deps", ratio(deployed, bare)))
    rows.append(
        (
            "cold start: import app, locally (token checks hooked)",
            ms(local),
            "vs bare deps",
            ratio(local, bare),
        )
    )


# --- in-process stack -----------------------------------------------------------------------------


@contextmanager
def in_process_stack() -> Iterator[Any]:
    from chalice.test import Client
    from moto import mock_aws

    import app as notes_app
    from infra import description
    from infra.provision import provision

    with mock_aws():
        provision(conftest.STAGE, conftest.aws_client("cognito-idp"), conftest.aws_client("dynamodb"))
        dynamodb = conftest.aws_client("dynamodb")
        dynamodb.delete_table(TableName=description.table_name(conftest.STAGE))
        dynamodb.create_table(**description.table(conftest.STAGE))
        http = Client(notes_app.app, stage_name=conftest.STAGE, project_dir=str(conftest.ROOT)).http
        yield conftest.new_user(http)


@contextmanager
def counting_calls() -> Iterator[list[str]]:
    """DynamoDB operations the app sends, from botocore's events."""
    import app as notes_app

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = notes_app.note_model._get_connection().connection.client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", record)


# --- 2. per-request overhead and 3. DynamoDB calls per route -----------------------------------


def requests_and_calls(rows: list[Row], user: Any) -> None:
    from infra import description

    dynamodb = conftest.aws_client("dynamodb")
    table = description.table_name(conftest.STAGE)
    key_of = lambda note_id: {"userId": {"S": user.sub}, "noteId": {"S": note_id}}  # noqa: E731
    note_id = user.create(content="bench")["noteId"]
    spare = [user.create(content="spare")["noteId"] for _ in range(600)]
    n = 50

    def direct_put() -> None:
        item = {**key_of(str(uuid.uuid4())), "content": {"S": "bench"}, "version": {"N": "1"}}
        dynamodb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(noteId)")

    def direct_update() -> None:
        dynamodb.update_item(
            TableName=table,
            Key=key_of(note_id),
            UpdateExpression="SET title = :t ADD version :one",
            ConditionExpression="attribute_exists(noteId)",
            ExpressionAttributeValues={":t": {"S": "x"}, ":one": {"N": "1"}},
        )

    deletable = iter(spare)
    direct_deletable = iter(spare[300:])

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("POST /notes", lambda: user.post("/notes", {"content": "bench"}), direct_put),
        (
            "GET /notes/{id}",
            lambda: user.get(f"/notes/{note_id}"),
            lambda: dynamodb.get_item(TableName=table, Key=key_of(note_id), ConsistentRead=True),
        ),
        ("PUT /notes/{id}", lambda: user.put(f"/notes/{note_id}", {"content": "bench"}), direct_update),
        ("PATCH /notes/{id}", lambda: user.patch(f"/notes/{note_id}", {"title": "bench"}), direct_update),
        (
            "GET /notes (20 a page)",
            lambda: user.get("/notes"),
            lambda: dynamodb.query(
                TableName=table,
                KeyConditionExpression="userId = :u",
                ExpressionAttributeValues={":u": {"S": user.sub}},
                ScanIndexForward=False,
                Limit=21,
                ConsistentRead=True,
            ),
        ),
        (
            "DELETE /notes/{id}",
            lambda: user.delete(f"/notes/{next(deletable)}"),
            lambda: dynamodb.delete_item(TableName=table, Key=key_of(next(direct_deletable))),
        ),
    ]
    for name, through_api, direct in cases:
        repeat = 3 if name.startswith("DELETE") else REPEATS  # each delete needs a note of its own
        api_us = median_us(through_api, n, repeat)
        direct_us = median_us(direct, n, repeat)
        rows.append((f"request: {name}", ms(api_us), f"boto3 call {ms(direct_us)}", ratio(api_us, direct_us)))

    with counting_calls() as calls:
        created = user.post("/notes", {"content": "count"}).json_body["noteId"]
        counts = {"POST": list(calls)}
        for method, call in (
            ("GET", lambda: user.get(f"/notes/{created}")),
            ("PUT", lambda: user.put(f"/notes/{created}", {"content": "c"})),
            ("PATCH", lambda: user.patch(f"/notes/{created}", {"title": "c"})),
            ("DELETE", lambda: user.delete(f"/notes/{created}")),
        ):
            calls.clear()
            call()
            counts[method] = list(calls)
        calls.clear()
        pages, cursor = 0, None
        while True:
            response = user.get(f"/notes?limit=100{'&cursor=' + cursor if cursor else ''}")
            if response.status_code != 200:
                raise RuntimeError(f"listing failed: {response.body!r}")
            body = response.json_body
            pages += 1
            cursor = body["nextCursor"]
            if cursor is None:
                break
        counts[f"GET /notes, {pages} pages"] = list(calls)
    summary = ", ".join(f"{name} {len(ops)} ({'+'.join(sorted(set(ops)))})" for name, ops in counts.items())
    rows.append(("DynamoDB calls per request", summary, "", ""))


# --- 4. list cost is flat -------------------------------------------------------------------------


def list_cost(rows: list[Row]) -> None:
    import app as notes_app
    from chalicelib.notes import utc_now

    with in_process_stack() as small:
        big = conftest.new_user(small.http)
        for owner, count in ((small.sub, 10), (big.sub, 10_000)):
            with notes_app.note_model.batch_write() as batch:
                for _ in range(count):
                    now = utc_now()
                    batch.save(
                        notes_app.note_model(
                            owner, str(uuid.uuid4()), content="x", createdAt=now, updatedAt=now
                        )
                    )
        read: dict[str, int] = {}

        def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "Query":
                read["items"] = read.get("items", 0) + int(parsed.get("ScannedCount", 0))

        events = notes_app.note_model._get_connection().connection.client.meta.events
        events.register("after-call.dynamodb", count_items)
        results = {}
        for name, user in (("10 notes", small), ("10,000 notes", big)):
            read.clear()
            user.get("/notes")
            items = read["items"]
            results[name] = (median_us(partial(user.get, "/notes"), 20), items)
        events.unregister("after-call.dynamodb", count_items)
    (small_us, small_items), (big_us, big_items) = results["10 notes"], results["10,000 notes"]
    # DynamoDB bills a Query by the items it reads: limit + 1 at most, whatever the partition holds.
    # The emulator's own Query walks its whole table, so its time is no guide to DynamoDB's.
    rows.append(("list: first page, user with 10 notes", ms(small_us), f"{small_items} items read", "1.0×"))
    rows.append(
        (
            "list: first page, user with 10,000 notes",
            ms(big_us),
            f"{big_items} items read (limit 20 + 1)",
            f"{ratio(big_us, small_us)} time",
        )
    )


# --- 5. token verification ------------------------------------------------------------------------


def token_verification(rows: list[Row], user: Any) -> None:
    import jwt

    import app as notes_app
    from chalicelib import local_auth

    verifier = local_auth._VERIFIERS[notes_app.app]
    verifier.verify(user.token)  # warm the key cache

    def stock_decode() -> Any:
        # What Chalice's local gateway does: base64-decode the payload, check nothing.
        payload = user.token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    decode = median_us(stock_decode, 2000)
    unverified = median_us(lambda: jwt.decode(user.token, options={"verify_signature": False}), 2000)
    verify = median_us(lambda: verifier.verify(user.token), 2000)
    rows.append(("token: decode only, no checks (stock local gateway)", ms(decode), "baseline", "1.0×"))
    rows.append(
        ("token: PyJWT decode, no verification", ms(unverified), "vs stock", ratio(unverified, decode))
    )
    rows.append(("token: full check, warm key cache", ms(verify), "vs stock", ratio(verify, decode)))
    rows.append(("token: JWKS fetches in this whole run", str(verifier.keys.fetches), "", ""))


# --- 6. package size ------------------------------------------------------------------------------


def package_size(rows: list[Row]) -> None:
    from infra import package

    with tempfile.TemporaryDirectory() as scratch:
        built = package.package("dev", Path(scratch))
    kib = 1024
    rows.append(
        (
            "Lambda zip (make package)",
            f"{built.zip_bytes / kib:.0f} KiB",
            f"app's own code {built.app_code_bytes / kib:.0f} KiB",
            ratio(built.zip_bytes, built.app_code_bytes),
        )
    )
    rows.append(
        (
            "Lambda zip as chalice builds it",
            f"{built.chalice_zip_bytes / kib:.0f} KiB",
            "with boto3/botocore",
            "",
        )
    )


def print_table(rows: list[Row]) -> None:
    header = ("measure", "median", "baseline", "ratio")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main() -> None:
    rows: list[Row] = []
    cold_start(rows)
    with in_process_stack() as user:
        requests_and_calls(rows, user)
        token_verification(rows, user)
    list_cost(rows)
    package_size(rows)
    print_table(rows)


if __name__ == "__main__":
    main()
