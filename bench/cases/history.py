"""A note's history: what a write costs with it (the write itself, and the change feed's function
that keeps the replaced version), against the function before history kept anything."""

from __future__ import annotations

from typing import Any

from bench.capacity import item_bytes
from bench.corpus import SEARCH_SEED, Vocabulary, seeded_random
from bench.recording import counted, recorded_dynamodb_calls
from bench.timing import Row, ms, paired_us, ratio
from tests import conftest

SIZES = (("1 KB", 1_000), ("100 KB", 99_900))
TIMED_CALLS = 10


def _units(size: int) -> int:
    """Write units of one item of ``size`` bytes: 1 a KB."""
    return max(1, -(-size // 1024))


class Calls:
    """DynamoDB requests of the app, as (operation, parameters) (``recorded_dynamodb_calls``)."""

    def __init__(self, made: list[tuple[str, dict[str, Any]]]) -> None:
        self.made = made

    def units(self, note_sizes: tuple[int, int]) -> tuple[int, float]:
        """The write and read units the requests bill: a put 1 a KB of its item, an update of the
        note 1 a KB of the larger of its item before and after (``note_sizes``), of the feed's
        head 1, a read 1 (half when eventually consistent), a Query of nothing here 0."""
        import app as notes_app

        write, read = 0, 0.0
        for operation, params in self.made:
            if operation == "GetItem":
                read += 1 if params.get("ConsistentRead") else 0.5
            elif operation == "UpdateItem" and params["TableName"] == notes_app.settings.table_name:
                write += _units(max(note_sizes))
            elif operation == "UpdateItem":
                write += 1  # the feed's head: a few numbers
            elif operation == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    write += sum(_units(item_bytes(each["PutRequest"]["Item"])) for each in requests)
            elif operation != "Query":  # the owner's connections: none open here
                raise RuntimeError(f"no capacity rule here for {operation}")
        return write, read

    def tables(self) -> list[str]:
        return [
            str(params.get("TableName") or ",".join(params.get("RequestItems") or {}))
            for _, params in self.made
        ]

    def shown(self, note_sizes: tuple[int, int]) -> str:
        write, read = self.units(note_sizes)
        return f"{counted([operation for operation, _ in self.made])}; {write} WCU + {read:g} RCU"


def _recorded(run: Any) -> Calls:
    with recorded_dynamodb_calls() as made:
        run()
    return Calls(made)


def _stored_size(owner: str, note_id: str) -> int:
    import app as notes_app

    key = {"userId": {"S": owner}, "noteId": {"S": note_id}}
    dynamodb = conftest.aws_client("dynamodb")
    return item_bytes(dynamodb.get_item(TableName=notes_app.settings.table_name, Key=key)["Item"])


def history_cost(rows: list[Row], user: Any) -> None:
    """For notes of 1 KB and 100 KB, a PATCH of the content through the API: its DynamoDB requests
    and units (no request to the versions); then the change feed's function on the write's stream
    record, now (``Services.follow``: the version kept, the feed written) against before history
    (``LiveUpdates.follow`` alone, the feed written): requests, units and time."""
    import app as notes_app
    from chalicelib.stream_consumers import FOLLOWER
    from local_stack.streams import StreamFeeder

    services = notes_app.services
    given: list[dict[str, Any]] = []
    stream = StreamFeeder(
        notes_app.settings.table_name, notes_app.settings.region, given.append, name="the bench's reader"
    )
    rng = seeded_random(SEARCH_SEED, "history")
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    for label, size in SIZES:
        note_id = user.create(content=vocabulary.text(rng, size))["noteId"]
        stream.deliver()  # what was written before is not this row's
        given.clear()
        before_size = _stored_size(user.sub, note_id)
        replacement = vocabulary.text(rng, size)

        def write(note_id: str = note_id, replacement: str = replacement) -> None:
            answer = user.patch(f"/notes/{note_id}", {"content": replacement})
            if answer.status_code != 200:
                raise RuntimeError(f"PATCH /notes/{{id}} failed: {answer.body!r}")

        written = _recorded(write)
        sizes = (before_size, _stored_size(user.sub, note_id))
        versions_table = notes_app.settings.versions_table_name
        touched = sum(table == versions_table for table in written.tables())
        rows.append(
            (
                f"history: PATCH /notes/{{id}}'s own DynamoDB requests, {label} note",
                written.shown(sizes),
                f"requests to the versions: {touched} (the write path unchanged)",
                "",
            )
        )
        stream.deliver()
        delivered = [record for event in given for record in event["Records"]]
        records = FOLLOWER.records({"Records": delivered[-1:]})  # the PATCH's one record

        def now(records: list[Any] = records) -> None:
            services.follow(records)

        def before(records: list[Any] = records) -> None:
            services.live.follow(services.changes, records)

        now_calls, before_calls = _recorded(now), _recorded(before)
        now_us, before_us = paired_us(now, before, TIMED_CALLS)
        now_units, before_units = now_calls.units(sizes)[0], before_calls.units(sizes)[0]
        written_units = written.units(sizes)[0]
        rows.append(
            (
                f"history: the feed's function per change of a {label} note",
                f"{now_calls.shown(sizes)}; {ms(now_us)}",
                f"before history: {before_calls.shown(sizes)}; {ms(before_us)}",
                f"a change in all {written_units + now_units} WCU, was {written_units + before_units} "
                f"({ratio(written_units + now_units, written_units + before_units)}); "
                f"{ratio(now_us, before_us)} time",
            )
        )
