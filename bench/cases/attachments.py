"""The attachment routes: their calls, their time against the calls alone, the bytes through the API."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from bench.recording import recorded_calls, replayer
from bench.timing import Row, ms, paired_prepared_us, ratio
from tests import conftest


def _order(calls: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, str, dict[str, Any]]]:
    # The app's order: S3 reads and copies, then the one DynamoDB call, then S3 deletes.
    rank = {"HeadObject": 0, "CopyObject": 1, "DeleteObjects": 3}
    return sorted(calls, key=lambda call: rank.get(call[1], 2))


def waiting_uploads(dynamodb: Any, table: str, owner: str, note_id: str, size: int, *keep: str) -> None:
    """Make the note's record of waiting uploads hold only ``keep`` (bench.bin files of ``size``):
    a note may have 20 uploads waiting, and the runs ask for hundreds (untimed)."""
    record = {
        "M": {
            "name": {"S": "bench.bin"},
            "size": {"N": str(size)},
            "contentType": {"S": "application/octet-stream"},
        }
    }
    dynamodb.update_item(
        TableName=table,
        Key={"userId": {"S": owner}, "noteId": {"S": note_id}},
        UpdateExpression="SET uploads = :kept",
        ExpressionAttributeValues={":kept": {"M": dict.fromkeys(keep, record)}},
    )


def attachments(rows: list[Row], user: Any) -> None:
    import app as notes_app

    clients = {"dynamodb": conftest.aws_client("dynamodb"), "s3": conftest.aws_client("s3")}
    bucket = notes_app.settings.bucket_name
    note_id = user.create(content="with a file")["noteId"]
    path = f"/notes/{note_id}/attachment"
    data = os.urandom(64 * 1024)

    def upload() -> str:
        from tests.stack import send_to_s3

        asked = user.post(
            path, {"name": "bench.bin", "contentType": "application/octet-stream", "size": len(data)}
        )
        form = asked.json_body
        send_to_s3(form, data)
        upload_id: str = form["uploadId"]
        return upload_id

    pending: list[str] = []
    recorded_upload: dict[str, str] = {}

    def forget_uploads(*keep: str) -> None:
        table = notes_app.settings.table_name
        waiting_uploads(clients["dynamodb"], table, user.sub, note_id, len(data), *keep)

    def prepare_attach() -> None:
        forget_uploads()
        pending.append(upload())
        if recorded_upload:  # the bare replay heads and copies the recorded upload: put it back
            forget_uploads(pending[-1], recorded_upload["key"].rsplit("/", 1)[-1])
            clients["s3"].put_object(
                Bucket=bucket,
                Key=recorded_upload["key"],
                Body=data,
                Metadata={"name": "bench.bin", "size": str(len(data))},
                ContentType="application/octet-stream",
            )

    def prepare_detach() -> None:
        user.put(path, {"uploadId": upload()})

    cases: list[tuple[str, Callable[[], Any], Callable[[], None]]] = [
        (
            "POST /notes/{id}/attachment (upload form)",
            lambda: user.post(
                path, {"name": "bench.bin", "contentType": "application/octet-stream", "size": len(data)}
            ),
            forget_uploads,
        ),
        (
            "PUT /notes/{id}/attachment (attach)",
            lambda: user.put(path, {"uploadId": pending.pop()}),
            prepare_attach,
        ),
        ("GET /notes/{id}/attachment (download URL)", lambda: user.get(path), lambda: None),
        ("DELETE /notes/{id}/attachment", lambda: user.delete(path), prepare_detach),
    ]
    counted: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]] = []
    for name, through_api, prepare in cases:
        prepare()
        with recorded_calls() as calls:
            response = through_api()
        if response.status_code >= 300:
            raise RuntimeError(f"{name} failed: {response.body!r}")
        calls = _order(calls)
        counted.append((name, calls))
        heads = [params["Key"] for _, operation, params in calls if operation == "HeadObject"]
        recorded_upload.update(zip(["key"], heads, strict=False))
        api_us, bare_us = paired_prepared_us(through_api, replayer(clients, calls), prepare, 20)
        rows.append(
            (
                f"request: {name}",
                ms(api_us),
                f"its calls alone {ms(bare_us)}",
                f"{ratio(api_us, bare_us)} ({'+' if api_us >= bare_us else ''}{ms(api_us - bare_us)})",
            )
        )
    rows.extend(call_rows(counted))
    rows.append(bytes_through_the_api(user))


def call_rows(counted: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]]) -> list[Row]:
    """A row per route and service: how many calls, of which operations."""
    rows: list[Row] = []
    for name, calls in counted:
        for service, label in (("dynamodb", "DynamoDB"), ("s3", "S3")):
            operations = [operation for s, operation, _ in calls if s == service]
            used = ", ".join(f"{operations.count(op)} {op}" for op in dict.fromkeys(operations)) or "none"
            rows.append((f"{label} calls: {name}", str(len(operations)), used, ""))
    return rows


def bytes_through_the_api(user: Any) -> Row:
    """Send a 1 MiB file through the whole flow; count the API's request and response bytes."""
    import requests

    from tests.stack import send_to_s3

    data = os.urandom(1024 * 1024)
    note_id = user.create(content="a big file")["noteId"]
    path = f"/notes/{note_id}/attachment"
    api_bodies: list[bytes] = []

    def api(method: str, body: Any = None) -> Any:
        response = user.request(method, path) if body is None else user.request(method, path, body)
        api_bodies.append(json.dumps(body).encode() if body is not None else b"")
        api_bodies.append(response.body or b"")
        return response.json_body if response.body else None

    form = api("POST", {"name": "big.bin", "contentType": "application/octet-stream", "size": len(data)})
    send_to_s3(form, data, timeout=30)
    api("PUT", {"uploadId": form["uploadId"]})
    link = api("GET")
    if requests.get(link["url"], timeout=30).content != data:
        raise RuntimeError("the download is not the upload")
    api("DELETE")
    traffic = b"".join(api_bodies)
    # Any 64-byte window of the file found in the API's bodies would be file bytes passing through.
    windows = {data[i : i + 64] for i in range(0, len(data) - 64, 4096)}
    through = sum(64 for window in windows if window in traffic)
    return (
        "attachment: file bytes through the API (1 MiB file, whole flow)",
        f"{through} B",
        f"API bodies {len(traffic):,} B in all",
        "",
    )
