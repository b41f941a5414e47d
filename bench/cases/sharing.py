"""A shared note's public answer (GET /shared/{shareId}, no token): its time and requests against
the owner's own read of the note (GET /notes/{id})."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.corpus import FILE_BYTES, SEARCH_SEED, Vocabulary, seeded_random
from bench.recording import counted, recorded_dynamodb_calls
from bench.timing import Row, median_us, ms, paired_us, ratio

TIMED_CALLS = 20


def _requests(calls: list[tuple[str, dict[str, Any]]]) -> str:
    return counted([operation for operation, _ in calls])


def sharing_cost(rows: list[Row], user: Any) -> None:
    """A 1 KB note's public answer against its owner's GET /notes/{id}; a note with a file, its
    answer once its file is copied for the link, and the first one that copies it."""
    from tests.chalicelib.test_attachments import attach, uploaded

    rng = seeded_random(SEARCH_SEED, "sharing")
    text = Vocabulary.made(seeded_random(SEARCH_SEED, "words")).text(rng, 1_000)
    note_id = user.create(content=text)["noteId"]
    share_id = user.post(f"/notes/{note_id}/share").json_body["shareId"]
    http = user.http

    def public() -> None:
        answer = http.get(f"/shared/{share_id}")
        if answer.status_code != 200:
            raise RuntimeError(f"GET /shared/{{shareId}} failed: {answer.body!r}")

    def owners() -> None:
        user.get(f"/notes/{note_id}")

    with recorded_dynamodb_calls() as shared_calls:
        public()
    with recorded_dynamodb_calls() as own_calls:
        owners()
    public_us, own_us = paired_us(public, owners, TIMED_CALLS)
    rows.append(
        (
            "sharing: GET /shared/{shareId}, no token, 1 KB note",
            ms(public_us),
            f"its owner's GET /notes/{{id}} {ms(own_us)}",
            ratio(public_us, own_us),
        )
    )
    rows.append(
        (
            "sharing: GET /shared/{shareId}'s DynamoDB requests",
            _requests(shared_calls),
            f"GET /notes/{{id}}: {_requests(own_calls)}",
            "the link's index, the link again, the account, the note",
        )
    )

    with_file = user.create(content=text)["noteId"]
    attach(user, with_file, uploaded(user, with_file, os.urandom(FILE_BYTES)))
    linked = user.post(f"/notes/{with_file}/share").json_body["shareId"]
    first_us = _copying_us(http, user, with_file, linked)
    copied_us = median_us(lambda: http.get(f"/shared/{linked}"), TIMED_CALLS)
    rows.append(
        (
            f"sharing: GET /shared/{{shareId}}, a note with a {FILE_BYTES // 1024} KiB file",
            ms(copied_us),
            f"when it copies the file (once, then every 12 h) {ms(first_us)}",
            ratio(first_us, copied_us),
        )
    )


def _copying_us(http: Any, user: Any, note_id: str, share_id: str) -> float:
    """The median microseconds of an answer that copies the file: before each, untimed, the link's
    record of its copy is cleared."""
    import app as notes_app

    model = notes_app.services.share_model
    times = []
    for _ in range(TIMED_CALLS):
        item = model.get(user.sub, note_id)
        item.update(actions=[model.copiedFrom.remove(), model.copiedAt.remove()])
        started = time.perf_counter()
        answer = http.get(f"/shared/{share_id}")
        times.append((time.perf_counter() - started) * 1e6)
        if answer.status_code != 200 or answer.json_body["attachment"] is None:
            raise RuntimeError(f"GET /shared/{{shareId}} failed: {answer.body!r}")
    return statistics.median(times)
