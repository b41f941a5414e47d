"""Searches of seeded users with 1,000 and 10,000 notes, and the index's size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.capacity import item_bytes
from bench.corpus import (
    COMMON_PAIR,
    MATCHED,
    RARE_TAG,
    RARE_WORDS,
    SEARCH_SEED,
    SPREAD,
    SeededIndex,
    Vocabulary,
    seed_index,
    seeded_notes,
    seeded_random,
)
from bench.in_process import in_process_stack
from bench.recording import dynamodb_traffic
from bench.timing import Row, ms, ratio, timed_us
from tests import conftest

SEARCHED_USERS = (1_000, 10_000)


def _reads(counted: Counter[str]) -> str:
    operations = ", ".join(
        f"{counted[op]} {op}" for op in ("GetItem", "Query", "BatchGetItem") if counted[op]
    )
    return (
        f"{counted['requests']} requests ({operations}), {counted['items']:,} items, "
        f"{counted['bytes'] / 1024:,.0f} KiB answered"
    )


def _searched(user: Any, path: str, expected: int, more: bool) -> tuple[float, Counter[str]]:
    """Time and cost of one search, its answer checked: ``expected`` notes, a next page or not."""
    answer = user.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} failed: {answer.body!r}")
    page = answer.json_body
    if len(page["notes"]) != expected or (page["nextCursor"] is not None) != more:
        raise RuntimeError(f"GET {path} found {len(page['notes'])} notes, not {expected}")
    with dynamodb_traffic() as counted:
        user.get(path)
    return timed_us(partial(user.get, path)), counted


@dataclass(frozen=True)
class SeededUsers:
    """Users of seeded notes (``seeded_notes``) in one in-process stack, by their number of notes,
    and each one's index entries and notes' bytes."""

    users: dict[int, Any]
    sizes: dict[int, tuple[SeededIndex, int]]
    vocabulary: Vocabulary


@contextmanager
def seeded_users(counts: tuple[int, ...]) -> Iterator[SeededUsers]:
    """An in-process stack with a user for each of ``counts``, holding that many seeded notes and
    their search entries (untimed)."""
    import app as notes_app
    from local_stack.streams import StreamFeeder

    settings = notes_app.settings
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    with in_process_stack() as first:
        users = {count: first if i == 0 else conftest.new_user(first.http) for i, count in enumerate(counts)}
        sizes: dict[int, tuple[SeededIndex, int]] = {}
        for count, user in users.items():
            notes = seeded_notes(notes_app.services.note_model, user.sub, count, vocabulary)
            with notes_app.services.note_model.batch_write() as batch:
                for note in notes:
                    batch.save(note)
            notes_bytes = sum(item_bytes(note.serialize()) for note in notes)
            sizes[count] = (seed_index(settings.search_table_name, settings.region, notes), notes_bytes)
        # The seeding's stream records are the index seeded above: handed to no indexer.
        StreamFeeder(settings.table_name, settings.region, lambda _: None).deliver()
        yield SeededUsers(users, sizes, vocabulary)


def search_cost(rows: list[Row], seeded: SeededUsers) -> None:
    """Searches of a user with 1,000 notes and of one with 10,000."""
    # Times are the emulator's: its Query sorts the whole key range it is given (all of a
    # user's u# entries, for sort=updated) where DynamoDB reads from the page's start; the
    # requests and items read are DynamoDB's own.
    rare = "%20".join(RARE_WORDS)
    searches = [
        (f"q matching {MATCHED} notes", f"/notes?q={rare}", MATCHED, False),
        (
            f"q matching {MATCHED} notes, each word in {SPREAD:.0%} of notes",
            f"/notes?q={'%20'.join(COMMON_PAIR)}",
            MATCHED,
            False,
        ),
        (f"tag on {MATCHED} notes", f"/notes?tag={RARE_TAG}", MATCHED, False),
        ("sort=updated, first page of 20", "/notes?sort=updated", 20, True),
        # A word in nearly every note: a page reads what it shows, not every match.
        ("q=the, sort=updated, first page of 20", "/notes?q=the&sort=updated", 20, True),
        # Half the alphabet, x among it (no word starts with x): the rare word ends it.
        (
            "q of 13 one-letter words, no result, sort=updated",
            f"/notes?q={'%20'.join('nopqrstuvwxyz')}&sort=updated",
            0,
            False,
        ),
    ]
    (small_count, small_user), *bigger = seeded.users.items()
    for name, path, expected, more in searches:
        small_us, small = _searched(small_user, path, expected, more)
        rows.append((f"search: {name}, user with {small_count:,} notes", ms(small_us), _reads(small), "1.0×"))
        for big_count, big_user in bigger:
            big_us, big = _searched(big_user, path, expected, more)
            rows.append(
                (
                    f"search: {name}, user with {big_count:,} notes",
                    ms(big_us),
                    _reads(big),
                    f"{ratio(big_us, small_us)} time, {ratio(big['items'], small['items'])} reads"
                    " (goal ≤ 1.5)",
                )
            )


def index_size(rows: list[Row], sizes: dict[int, tuple[SeededIndex, int]]) -> None:
    """Entries and bytes of the index per 1,000 notes, against the notes' own bytes: a figure for
    each seeded user, " / " between them."""
    entries = [index.entries * 1000 / count for count, (index, _) in sizes.items()]
    stored = [index.bytes * 1000 / count for count, (index, _) in sizes.items()]
    notes = [notes * 1000 / count for count, (_, notes) in sizes.items()]
    # DynamoDB bills 100 bytes more an item stored: each entry, and each note (100,000 a 1,000).
    billed = [size + 100 * count for size, count in zip(stored, entries, strict=True)]
    billed_notes = [size + 100_000 for size in notes]

    def each(values: list[float], shown: str) -> str:
        return " / ".join(format(value, shown) for value in values)

    def mib(values: list[float]) -> str:
        return each([value / (1024 * 1024) for value in values], ".1f")

    def ratios(values: list[float], baselines: list[float]) -> str:
        return " / ".join(ratio(value, baseline) for value, baseline in zip(values, baselines, strict=True))

    users = f"{'users' if len(sizes) > 1 else 'user'} with {each(list(sizes), ',')}"
    rows.append(
        (
            f"index: entries per 1,000 notes ({users})",
            each(entries, ",.0f"),
            f"{entries[0] / 1000:,.0f} a note",
            "",
        )
    )
    rows.append(
        (
            "index: size per 1,000 notes (names + values)",
            f"{mib(stored)} MiB",
            f"the notes themselves {mib(notes)} MiB",
            ratios(stored, notes),
        )
    )
    rows.append(
        (
            "index: storage billed per 1,000 notes (+100 B an item)",
            f"{mib(billed)} MiB",
            f"the notes themselves {mib(billed_notes)} MiB",
            ratios(billed, billed_notes),
        )
    )
