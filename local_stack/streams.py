"""A table's stream, delivered to its functions as Lambda's event source mappings do: the notes
table's to the search indexer, the trash's to the purge, the account table's to the jobs function.

Deployed, Lambda reads the table's DynamoDB stream, drops the records a mapping's filter does not
match, and invokes the mapping's function with each batch of the others, in order, retrying a batch
that failed. Locally the emulator keeps the same records (the table has the same stream);
``StreamFeeder`` hands them on (``indexer``) in batches of the same shape (``{"Records": [...]}``,
each record with its ``eventSourceARN``), in order, and forgets a batch only once it was taken, so
a failed batch is given again. ``delivering`` is the mapping's filter: a function declared with
one (``chalicelib.stream_consumers``) is handed the records it matches, and is not invoked for a
batch of none. A table with several functions has one feeder handing each batch to each of them
(``local_stack.background``); one failing, the batch is given again to all, which each take as
the same batch given again (Lambda's retries ask that of every function anyway).

It reads the emulator's own records in this process (``make run``'s emulator, or the test
suite's): going through the emulator's GetRecords would keep every record and every iterator it
ever handed out. ``lock`` is the emulator's: records are read and forgotten between two requests.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the app's code is imported by the background functions only, after the API starts
    from chalicelib.stream_consumers import Consumer

log = logging.getLogger("local_stack.streams")

BATCH_SIZE = 100  # as the event source mapping's BatchSize
# Woken by every change the emulator makes (``wake``); without one, it looks this often anyway.
IDLE_SECONDS = 1.0
RETRY_SECONDS = 1.0
DEFAULT_ACCOUNT = "123456789012"


class StreamFeeder:
    """Hands the records of ``table_name``'s stream to ``indexer``, a batch at a time: every
    record, or with ``consumer`` those its filter matches (``delivering``)."""

    def __init__(
        self,
        table_name: str,
        region: str,
        indexer: Callable[[dict[str, Any]], Any],
        *,
        lock: Any = None,
        account: str = DEFAULT_ACCOUNT,
        on_change: Callable[[], None] | None = None,
        name: str = "the search indexer",
        consumer: Consumer[Any] | None = None,
    ) -> None:
        self._name = name
        self._table_name = table_name
        self._region = region
        self._indexer = delivering(consumer, indexer) if consumer is not None else indexer
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._account = account
        self._on_change = on_change
        self._delivering = threading.Lock()
        self._woken = threading.Event()

    def wake(self) -> None:
        """Something may have been written: deliver soon (``running``'s thread)."""
        self._woken.set()

    def deliver(self) -> int:
        """Every record written so far, to the indexer in order; how many it took.

        Raises what the indexer raised: its batch is kept, and given again next time.
        """
        taken = 0
        with self._delivering:
            while True:
                with self._lock:
                    shard, batch = self._pending()
                if not batch:
                    return taken
                self._indexer({"Records": batch})
                with self._lock:
                    # Forget what was taken; numbering goes on (a record's number is its place).
                    del shard.items[: len(batch)]
                    shard.starting_sequence_number += len(batch)
                if self._on_change is not None:
                    self._on_change()
                taken += len(batch)

    @contextlib.contextmanager
    def running(self) -> Iterator[StreamFeeder]:
        """Deliver in a thread whenever woken (at least every IDLE_SECONDS) until the block ends; a
        failed batch is logged and tried again RETRY_SECONDS later."""
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                self._woken.wait(IDLE_SECONDS)
                self._woken.clear()
                try:
                    self.deliver()
                except Exception:  # the indexer's failure: keep the batch, as Lambda does
                    log.exception("%s failed; its batch is given again", self._name)
                    stop.wait(RETRY_SECONDS)
                    self._woken.set()

        thread = threading.Thread(target=run, name="stream-feeder", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            self._woken.set()
            thread.join()

    def _shard(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[self._account][self._region]
        table = backend.tables.get(self._table_name)
        return table.stream_shard if table is not None else None

    def _pending(self) -> tuple[Any, list[dict[str, Any]]]:
        shard = self._shard()
        if shard is None:
            return None, []
        arn = f"{shard.table.table_arn}/stream/{shard.table.latest_stream_label}"
        return shard, [_as_delivered(record.to_json(), arn) for record in shard.items[:BATCH_SIZE]]


def _as_delivered(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A record as Lambda hands it over: with its stream's ARN, its time in seconds."""
    change = dict(record["dynamodb"])
    when = change.get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        change["ApproximateCreationDateTime"] = when.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def delivering(
    consumer: Consumer[Any], function: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any]], Any]:
    """``function`` invoked as Lambda invokes ``consumer``: with the records of an event its filter
    matches, and not at all when none does (a stream's batches, the TTL's removals)."""

    def deliver(event: dict[str, Any]) -> Any:
        admitted = consumer.admitted(event)
        return function(admitted) if admitted["Records"] else None

    return deliver


@contextlib.contextmanager
def running(feeders: list[StreamFeeder]) -> Iterator[None]:
    """Every feeder delivering (``StreamFeeder.running``) until the block ends."""
    with contextlib.ExitStack() as stack:
        for feeder in feeders:
            stack.enter_context(feeder.running())
        yield
