"""The note routes through the API against their DynamoDB calls alone; the request log's cost."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from uuid6 import uuid7

from bench.recording import recorded_dynamodb_calls, replay
from bench.timing import REPEATS, WARM_UP, Row, ms, paired_us, ratio
from tests import conftest


def requests_and_calls(rows: list[Row], user: Any) -> None:
    from chalicelib.shapes import utc_now

    dynamodb = conftest.aws_client("dynamodb")
    note_id = user.create(content="bench")["noteId"]
    # The listing is timed for a user of its own (the emulator's Query reads only the page's
    # items, local_stack.query_ranges, but its answer grows with them).
    reader = conftest.new_user(user.http)
    for _ in range(45):
        reader.create(content="a page of notes")
    n = 50
    fresh_ids = (str(uuid7()) for _ in itertools.count())
    spare: list[str] = []  # notes to delete, made just before the DELETE case
    deletable = iter(spare)

    cases: list[tuple[str, Callable[[], Any], Iterator[str] | None]] = [
        ("GET /notes (20 a page)", lambda: reader.get("/notes"), None),
        ("GET /notes/{id}", lambda: user.get(f"/notes/{note_id}"), None),
        ("POST /notes", lambda: user.post("/notes", {"content": "bench"}), fresh_ids),
        ("PUT /notes/{id}", lambda: user.put(f"/notes/{note_id}", {"content": f"bench {utc_now()}"}), None),
        ("PATCH /notes/{id}", lambda: user.patch(f"/notes/{note_id}", {"title": "bench"}), None),
        ("DELETE /notes/{id}", lambda: user.delete(f"/notes/{next(deletable)}"), deletable),
    ]
    counts: list[tuple[str, list[str]]] = []
    for name, through_api, note_ids in cases:
        if note_ids is deletable:
            needed = (n * REPEATS + WARM_UP) * 2 + 1
            spare.extend(user.create(content="spare")["noteId"] for _ in range(needed))
        with recorded_dynamodb_calls() as calls:
            response = through_api()
        if response.status_code >= 300:
            raise RuntimeError(f"{name} failed: {response.body!r}")
        operations = [operation for operation, _ in calls]
        counts.append((name, operations))
        api_us, direct_us = paired_us(through_api, partial(replay, dynamodb, calls, note_ids), n)
        rows.append(
            (
                f"request: {name}",
                ms(api_us),
                f"its {' + '.join(operations)} alone {ms(direct_us)}",
                f"{ratio(api_us, direct_us)} ({'+' if api_us >= direct_us else ''}{ms(api_us - direct_us)})",
            )
        )

    with recorded_dynamodb_calls() as calls:
        pages, cursor = 0, None
        while True:
            response = reader.get(f"/notes?limit=10{'&cursor=' + cursor if cursor else ''}")
            if response.status_code != 200:
                raise RuntimeError(f"listing failed: {response.body!r}")
            pages += 1
            cursor = response.json_body["nextCursor"]
            if cursor is None:
                break
    counts.append((f"GET /notes, 45 notes, 10 a page ({pages} pages)", [op for op, _ in calls]))
    for name, operations in counts:
        used = ", ".join(f"{operations.count(op)} {op}" for op in sorted(set(operations)))
        rows.append((f"DynamoDB calls: {name}", str(len(operations)), used, ""))


def logging_cost(rows: list[Row], user: Any) -> None:
    """GET /notes/{id} with its JSON request line against the same with the line switched off."""
    import contextlib
    import io
    import logging

    from chalicelib.request_log import REQUEST_LOGGER

    note_id = user.create(content="logged")["noteId"]
    logger = logging.getLogger(REQUEST_LOGGER)

    def quiet() -> Any:
        logger.disabled = True
        try:
            return user.get(f"/notes/{note_id}")
        finally:
            logger.disabled = False

    with contextlib.redirect_stdout(io.StringIO()):  # the lines are written, to nowhere
        logged_us, quiet_us = paired_us(lambda: user.get(f"/notes/{note_id}"), quiet, 200)
    rows.append(
        (
            "request log: GET /notes/{id} with its JSON line",
            ms(logged_us),
            f"line switched off {ms(quiet_us)}",
            f"{ratio(logged_us, quiet_us)} ({ms(logged_us - quiet_us)})",
        )
    )
