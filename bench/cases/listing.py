"""GET /notes: the first page costs the same for 10 notes and for 10,000."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from bench.in_process import in_process_stack
from bench.recording import hooked
from bench.timing import Row, median_us, ms, ratio
from chalicelib.dynamodb_calls import client_of
from tests import conftest


def list_cost(rows: list[Row]) -> None:
    import app as notes_app
    from chalicelib.shapes import utc_now

    with in_process_stack() as small:
        big = conftest.new_user(small.http)
        for owner, count in ((small.sub, 10), (big.sub, 10_000)):
            with notes_app.services.note_model.batch_write() as batch:
                for _ in range(count):
                    now = utc_now()
                    batch.save(
                        notes_app.services.note_model(
                            owner, str(uuid.uuid4()), content="x", createdAt=now, updatedAt=now
                        )
                    )
        read: dict[str, int] = {}

        def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "Query":
                read["items"] = read.get("items", 0) + int(parsed.get("ScannedCount", 0))

        results = {}
        with hooked(
            [client_of(notes_app.services.note_model)],
            ("after-call.dynamodb", count_items),
        ):
            for name, user in (("10 notes", small), ("10,000 notes", big)):
                read.clear()
                user.get("/notes")
                items = read["items"]
                results[name] = (median_us(partial(user.get, "/notes"), 3), items)
    (small_us, small_items), (big_us, big_items) = results["10 notes"], results["10,000 notes"]
    # DynamoDB bills a Query by the items it reads: limit + 1 at most, whatever the partition holds.
    # The emulator's Query still sorts the user's whole partition to find the page (query_ranges
    # narrows a Query to its key range, here all the user's notes), so its time is no guide to
    # DynamoDB's.
    rows.append(("list: first page, user with 10 notes", ms(small_us), f"{small_items} items read", "1.0×"))
    rows.append(
        (
            "list: first page, user with 10,000 notes",
            ms(big_us),
            f"{big_items} items read (limit 20 + 1)",
            f"{ratio(big_us, small_us)} time",
        )
    )
