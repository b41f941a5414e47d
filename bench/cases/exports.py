"""An account's export, as the jobs function makes it: time, memory, the ZIP, its calls."""

from __future__ import annotations

import io
import os
import statistics
import time
from collections import Counter
from typing import Any

from bench.corpus import FILE_BYTES, SEARCH_SEED, Vocabulary, seeded_random, stored_note
from bench.recording import dynamodb_traffic, hooked
from bench.timing import Row, ratio
from tests import conftest

EXPORTED_NOTES = 1_000
EXPORTED_CONTENT = (1_000, 10_000)  # bytes of a note's content, drawn evenly
FILE_EVERY = 10  # a file on one note in ten
EXPORT_RUNS = 2


def export_cost(rows: list[Row], user: Any) -> None:
    """``Exports.make`` (what the jobs function does for POST /exports) for an account of 1,000
    notes of 1–10 KB, a 64 KiB file on one in ten: its time, its memory, the ZIP's size."""
    import tracemalloc
    import zipfile

    import app as notes_app
    from chalicelib.exports import export_key

    owner = conftest.new_user(user.http)
    rng = seeded_random(SEARCH_SEED, "export")
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    s3 = conftest.aws_client("s3")
    bucket = notes_app.settings.bucket_name
    for i in range(EXPORTED_NOTES):
        content = vocabulary.text(rng, rng.randint(*EXPORTED_CONTENT))
        stored_note(owner.sub, content, os.urandom(FILE_BYTES) if i % FILE_EVERY == 0 else None)

    def made() -> tuple[str, float]:
        """A new export, made: its id and the seconds ``make`` took."""
        export_id: str = notes_app.services.exports.start(owner.sub)["exportId"]
        started = time.perf_counter()
        notes_app.services.exports.make(owner.sub, export_id)
        return export_id, time.perf_counter() - started

    s3_calls: Counter[str] = Counter()

    def count_s3(model: Any, **_: Any) -> None:
        s3_calls[model.name] += 1

    with (
        hooked([notes_app.services.files.client], ("after-call.s3", count_s3)),
        dynamodb_traffic() as counted,
    ):
        export_id, first = made()
    answer = notes_app.services.exports.status(owner.sub, export_id)
    if answer["status"] != "ready":
        raise RuntimeError(f"the export was not made: {answer}")
    body = s3.get_object(Bucket=bucket, Key=export_key(owner.sub, export_id))["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        entries = len(archive.namelist())
    files = -(-EXPORTED_NOTES // FILE_EVERY)
    if entries != 2 * EXPORTED_NOTES + files or answer["size"] != len(body):
        raise RuntimeError(f"the export holds {entries} entries, not {2 * EXPORTED_NOTES + files}")
    times = [first, *(made()[1] for _ in range(EXPORT_RUNS - 1))]
    # Traced apart (tracing slows it): everything allocated while make ran, in every thread, the
    # emulator's share too (it answers in this process, and keeps the ZIP it was sent).
    tracemalloc.start()
    try:
        made()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    mib = 1024 * 1024
    mix = f"{EXPORTED_NOTES:,} notes of 1–10 KB, a {FILE_BYTES // 1024} KiB file on 1 in {FILE_EVERY}"
    rows.append(
        (
            f"export: Exports.make, {mix}",
            f"{statistics.median(times):.2f} s",
            f"ZIP {len(body) / mib:.1f} MiB, {entries:,} entries",
            f"median of {EXPORT_RUNS}",
        )
    )
    rows.append(
        (
            "export: peak of the Python heap during make (tracemalloc)",
            f"{peak / mib:.1f} MiB",
            f"the emulator's share in it; {held / mib:.1f} MiB still allocated when it returned",
            f"{ratio(peak, len(body))} the ZIP",
        )
    )
    operations = ", ".join(f"{counted[op]} {op}" for op in ("GetItem", "Query", "UpdateItem") if counted[op])
    s3_used = ", ".join(f"{count} {op}" for op, count in s3_calls.items())
    rows.append(
        (
            "export: calls of one make",
            f"{counted['requests']} DynamoDB, {s3_calls.total()} S3",
            f"{operations}; {s3_used}",
            "",
        )
    )
