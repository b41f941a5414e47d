"""GET /changes: nothing new costs one request and reads no note; a page after 10 changes costs
the same for a user with 10 notes and one with 10,000."""

from __future__ import annotations

from functools import partial
from typing import Any

from bench.in_process import in_process_stack
from bench.recording import dynamodb_clients, hooked
from bench.timing import Row, median_us, ms, ratio
from tests import conftest

CHANGED = 10


def _feed_function() -> Any:
    """The notes table's stream handed to the feed's function alone (the search index is not
    measured here, and indexing 10,000 notes would take minutes)."""
    import app as notes_app
    from chalicelib.stream_consumers import FOLLOWER
    from local_stack.streams import StreamFeeder

    settings = notes_app.settings
    return StreamFeeder(
        settings.table_name,
        settings.region,
        lambda event: notes_app.follow_changes(event, None),
        consumer=FOLLOWER,
        name="the feed's function",
    )


def _seed(owner: str, count: int) -> list[str]:
    from uuid6 import uuid7

    import app as notes_app
    from chalicelib.shapes import utc_now

    model = notes_app.services.note_model
    made = []
    with model.batch_write() as batch:
        for _ in range(count):
            now = utc_now()
            note_id = str(uuid7())
            batch.save(model(owner, note_id, content="x", createdAt=now, updatedAt=now, version=1))
            made.append(note_id)
    return made


class Counted:
    """DynamoDB's requests and the items they read, from botocore's events."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.items = 0

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests.append(model.name)
        if model.name == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in (parsed.get("Responses") or {}).values())
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0

    def shown(self) -> str:
        kinds = ", ".join(f"{self.requests.count(op)} {op}" for op in sorted(set(self.requests)))
        return f"{kinds}; {self.items} items read"


def _pull(user: Any, cursor: str | None) -> dict[str, Any]:
    answer = user.get(
        "/changes" + (f"?since={cursor}" if cursor else "") + ("&" if cursor else "?") + "limit=500"
    )
    if answer.status_code != 200:
        raise RuntimeError(f"GET /changes failed: {answer.body!r}")
    body: dict[str, Any] = answer.json_body
    return body


def _cursor_now(user: Any) -> str:
    cursor = None
    while True:
        page = _pull(user, cursor)
        cursor = page["cursor"]
        if not page["more"]:
            return str(cursor)


def feed_cost(rows: list[Row]) -> None:
    feeder = _feed_function()
    with in_process_stack() as small:
        big = conftest.new_user(small.http)
        results: dict[int, tuple[float, str, int]] = {}
        for user, count in ((small, 10), (big, 10_000)):
            notes = _seed(user.sub, count)
            feeder.deliver()
            cursor = _cursor_now(user)
            for note_id in notes[:CHANGED]:
                user.patch(f"/notes/{note_id}", {"content": "changed"})
            feeder.deliver()
            counted = Counted()
            with hooked(dynamodb_clients(), ("after-call.dynamodb", counted)):
                changes = len(_pull(user, cursor)["changes"])
            if changes != CHANGED:
                raise RuntimeError(f"the page after {CHANGED} changes held {changes}")
            results[count] = (median_us(partial(_pull, user, cursor), 5), counted.shown(), changes)
        idle_cursor = _cursor_now(small)
        counted = Counted()
        with hooked(dynamodb_clients(), ("after-call.dynamodb", counted)):
            if _pull(small, idle_cursor)["changes"]:
                raise RuntimeError("a poll with nothing new answered changes")
        idle_us = median_us(partial(_pull, small, idle_cursor), 20)
    rows.append(("changes: nothing new (a poll)", ms(idle_us), counted.shown(), ""))
    (small_us, small_read, _), (big_us, big_read, _) = results[10], results[10_000]
    rows.append(
        (f"changes: page after {CHANGED} changes, user with 10 notes", ms(small_us), small_read, "1.0×")
    )
    rows.append(
        (
            f"changes: page after {CHANGED} changes, user with 10,000 notes",
            ms(big_us),
            big_read,
            f"{ratio(big_us, small_us)} time",
        )
    )
