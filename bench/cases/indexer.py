"""What the search index adds to a note's write: the indexer function on the stream's records."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bench.corpus import SEARCH_SEED, Vocabulary, seeded_random
from bench.recording import dynamodb_traffic, recorded_dynamodb_calls
from bench.timing import Row, ms, timed_us


def _calls(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """DynamoDB calls as a row shows them: "1 conditional PutItem"."""
    named = [f"{'conditional ' if 'ConditionExpression' in params else ''}{op}" for op, params in calls]
    return ", ".join(f"{named.count(name)} {name}" for name in dict.fromkeys(named))


def _indexed(event: dict[str, Any]) -> tuple[int, int, float, float]:
    """What the indexer function does with a batch: entries written, BatchWriteItem requests, its
    time, and the time of finding the entries alone (no writes)."""
    import app as notes_app
    from chalicelib.stream_consumers import INDEXER

    def finding() -> Any:
        """The records read as the indexer reads them, and the entries they change found."""
        return notes_app.services.search_index.changes(INDEXER.records(event))

    with dynamodb_traffic() as counted:
        done = notes_app.index_notes(event, None)
    # Given again, a batch writes the same entries (as Lambda retries one): the same work each time.
    indexer_us = timed_us(partial(notes_app.index_notes, event, None))
    finding_us = timed_us(finding)
    return done["put"] + done["deleted"], counted["BatchWriteItem"], indexer_us, finding_us


def index_cost(rows: list[Row], user: Any, vocabulary: Vocabulary) -> None:
    """What the index adds to a note's write: a create and an edit of one word, of a 1 KB and a
    100 KB note, as the stream hands them to the indexer function (``app.index_notes``)."""
    import app as notes_app
    from local_stack.streams import StreamFeeder

    settings = notes_app.settings
    batches: list[dict[str, Any]] = []
    feeder = StreamFeeder(settings.table_name, settings.region, batches.append)
    feeder.deliver()
    batches.clear()

    def delivered() -> dict[str, Any]:
        feeder.deliver()
        (event,) = batches
        batches.clear()
        return event

    found: dict[str, list[tuple[int, int, float, float]]] = {"create": [], "edit": []}
    api_writes: dict[str, set[str]] = {"create": set(), "edit": set()}

    def measured(kind: str, status: int, send: Callable[[], Any]) -> Any:
        with recorded_dynamodb_calls() as calls:
            response = send()
        if response.status_code != status:
            raise RuntimeError(f"a note's {kind} failed: {response.body!r}")
        api_writes[kind].add(_calls(calls))
        found[kind].append(_indexed(delivered()))
        return response

    rng = seeded_random(SEARCH_SEED, "writes")
    for size in (1_000, 99_900):
        content = vocabulary.text(rng, size)
        fields = {"title": vocabulary.title(rng), "content": content, "tags": ["work", "ideas"]}
        created = measured("create", 201, partial(user.post, "/notes", fields))
        parts = content.split(" ")
        parts[len(parts) // 2] = "emended"  # a word no note holds, for one in the middle
        path = f"/notes/{created.json_body['noteId']}"
        measured("edit", 200, partial(user.put, path, {**fields, "content": " ".join(parts)}))
    for kind, label in (("create", "note create"), ("edit", "edit of one word")):
        (
            (small_entries, small_requests, small_us, small_finding),
            (big_entries, big_requests, big_us, big_finding),
        ) = found[kind]
        rows.append(
            (
                f"index: entries written per {label} (1 KB / 100 KB note)",
                f"{small_entries:,} / {big_entries:,}",
                f"the API's own write unchanged: {' or '.join(sorted(api_writes[kind]))}",
                "",
            )
        )
        rows.append(
            (
                f"index: BatchWriteItem requests per {label} (1 KB / 100 KB)",
                f"{small_requests} / {big_requests}",
                "25 entries a request",
                "",
            )
        )
        rows.append(
            (
                f"index: indexer time per {label} (1 KB / 100 KB, one record)",
                f"{ms(small_us)} / {ms(big_us)}",
                f"finding the entries alone {ms(small_finding)} / {ms(big_finding)}",
                "",
            )
        )
