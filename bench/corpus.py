"""Made-up notes, the same on every run: a vocabulary, seeded notes, their search index."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from typing import Any

from uuid6 import uuid7

from tests import conftest

SEARCH_SEED = 20_240_611
# Two made-up words that start no other word: MATCHED notes hold both and ALONE notes one of them
# only, for either user alike: a query matching about ten notes. MATCHED more carry RARE_TAG.
RARE_WORDS = ("zephyrine", "quillwort")
MATCHED = 10
ALONE = 40
# Two more: MATCHED notes hold both and SPREAD of each user's notes one of them only, a query
# matching ten notes whose words are each common.
COMMON_PAIR = ("marram", "tussock")
SPREAD = 0.05
RARE_TAG = "tax-return"
TAGS = (
    "work home ideas todo reading travel recipes health money family "
    "projects meetings journal music garden books code shopping car school"
).split()
COMMON_WORDS = (
    "the a an and or of to in on at for with is it this that be as by from not but we you i was "
    "are have has will can if so do my our all one up out about"
).split()
MADE_UP_WORDS = 3_000
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + "ar el in on ust ing er ash".split()
_MARKS = dict(zip("aeiou", "áéíóú", strict=True))
_PLANTED = (*RARE_WORDS, *COMMON_PAIR, "emended")
# Three years of notes.
_NOTES_START_MS = 1_640_995_200_000  # 2022-01-01
_NOTES_SPAN_MS = 3 * 365 * 86_400_000
_DAY_MS = 86_400_000
# A note's file, where a case gives it one.
FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Vocabulary:
    """Words to write notes with: common short words, then made-up ones, in Zipf's proportions."""

    words: list[str]
    cum_weights: list[float]

    @classmethod
    def made(cls, rng: random.Random) -> Vocabulary:
        found: set[str] = set()
        while len(found) < MADE_UP_WORDS:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if len(word) > 2 and not word.startswith(_PLANTED) and word not in COMMON_WORDS:
                found.add(word)
        made_up = sorted(found)
        rng.shuffle(made_up)
        # One word in fifty has an accent (fold's slower path, as any note with "café" takes).
        made_up = [_marked(word) if i % 50 == 7 else word for i, word in enumerate(made_up)]
        ranked = [*COMMON_WORDS, *made_up]
        return cls(ranked, list(itertools.accumulate(1 / rank for rank in range(1, len(ranked) + 1))))

    def text(self, rng: random.Random, size: int) -> str:
        """Sentences and paragraphs of at most ``size`` UTF-8 bytes (and about that many)."""
        picked = rng.choices(self.words, cum_weights=self.cum_weights, k=size // 5 + 8)
        parts: list[str] = []
        at = 0
        while at < len(picked):
            length = rng.randint(5, 16)
            sentence = " ".join(picked[at : at + length])
            parts.append(sentence[:1].upper() + sentence[1:] + (".\n\n" if rng.random() < 0.2 else ". "))
            at += length
        text = "".join(parts).encode()[:size].decode(errors="ignore")
        return text.rsplit(" ", 1)[0] if len(text.encode()) >= size else text

    def title(self, rng: random.Random) -> str:
        picked = rng.choices(self.words, cum_weights=self.cum_weights, k=rng.randint(2, 8))
        return " ".join(picked).capitalize()


def seeded_random(*seed: object) -> random.Random:
    """The same numbers on every run, for made-up notes (no secret in them)."""
    return random.Random("-".join(map(str, seed)))  # noqa: S311


def _marked(word: str) -> str:
    """``word`` with an accent on its first vowel."""
    at = next(i for i, letter in enumerate(word) if letter in _MARKS)
    return word[:at] + _MARKS[word[at]] + word[at + 1 :]


def note_size(rng: random.Random) -> int:
    """Bytes of content as people write them: most under 2 KB, some near the 100 KB limit
    (room left for a planted word or two)."""
    draw = rng.random()
    if draw < 0.80:
        return rng.randint(100, 2_000)
    if draw < 0.98:
        return rng.randint(2_000, 20_000)
    return rng.randint(60_000, 99_900)


def _with_words(rng: random.Random, text: str, added: list[str]) -> str:
    """``text`` with each of ``added`` put between two of its words."""
    parts = text.split(" ")
    for word in added:
        parts.insert(rng.randint(0, len(parts)), word)
    return " ".join(parts)


def _uuid7(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def _iso_ms(ms: int) -> str:
    from datetime import UTC, datetime

    from chalicelib.shapes import iso_time

    return iso_time(datetime.fromtimestamp(ms / 1000, UTC))


def seeded_notes(model: Any, owner: str, count: int, vocabulary: Vocabulary) -> list[Any]:
    """``count`` notes of ``owner``, the same on every run, made over three years, a few tags each.

    MATCHED hold both RARE_WORDS, ALONE each one of them and MATCHED carry RARE_TAG: these notes
    are alike for every ``count`` (their sizes too), so two users' searches of them differ only by
    the rest. MATCHED hold both COMMON_PAIR words and SPREAD of the notes each one of them.
    """
    from chalicelib.validation import MAX_CONTENT_BYTES

    rng = seeded_random(SEARCH_SEED, count)
    alike = seeded_random(SEARCH_SEED, "alike")
    first, second = RARE_WORDS
    planted: list[list[str]] = [[first, second]] * MATCHED + [[first]] * ALONE + [[second]] * ALONE
    planted += [[]] * MATCHED  # the tagged ones
    rare = [
        (vocabulary.title(alike), _with_words(alike, vocabulary.text(alike, note_size(alike)), words))
        for words in planted
    ]
    spread = round(count * SPREAD)
    common = [list(COMMON_PAIR)] * MATCHED + [[COMMON_PAIR[0]]] * spread + [[COMMON_PAIR[1]]] * spread
    places = rng.sample(range(count), len(rare) + len(common))
    rare_at = dict(zip(places, rare, strict=False))
    tagged = set(places[len(rare) - MATCHED : len(rare)])
    common_at = dict(zip(places[len(rare) :], common, strict=False))
    step = _NOTES_SPAN_MS // count
    notes = []
    for i in range(count):
        created = _NOTES_START_MS + i * step + rng.randrange(step)
        updated = created if rng.random() < 0.6 else created + rng.randrange(60 * _DAY_MS)
        if i in rare_at:
            title, content = rare_at[i]
        else:
            title, content = vocabulary.title(rng), vocabulary.text(rng, note_size(rng))
            if i in common_at:
                content = _with_words(rng, content, common_at[i])
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))
        if i in tagged:
            tags = [*tags[:2], RARE_TAG]
        if len(content.encode()) > MAX_CONTENT_BYTES:
            raise RuntimeError(f"a seeded note is {len(content.encode()):,} bytes")
        note = model(owner, _uuid7(created, rng), title=title, content=content, tags=tags, uploads={})
        note.createdAt, note.updatedAt, note.version = _iso_ms(created), _iso_ms(updated), 1
        notes.append(note)
    return notes


@dataclass
class SeededIndex:
    entries: int = 0
    bytes: int = 0


def seed_index(table_name: str, region: str, notes: list[Any]) -> SeededIndex:
    """Every entry ``SearchIndex.rebuild`` writes for ``notes`` (``note_entries`` of each), put
    straight into the emulator's table.

    Through the emulator's API it takes too long: rebuild() puts the 266,000 entries of 1,000 notes
    in 31 s here (BatchWriteItem, 25 entries a request), so 10,000 notes would take over 5 minutes
    (and a rebuild over an index already full reads it in pages of which each sorts the whole
    partition: 5 minutes for 1,000 notes). So the items are made as the emulator's put makes them,
    before any Query of the table (``query_ranges`` learns a partition's order at its first one).
    """
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from chalicelib.search import note_entries
    from local_stack.streams import DEFAULT_ACCOUNT

    table = dynamodb_backends[DEFAULT_ACCOUNT][region].get_table(table_name)
    seeded = SeededIndex()
    for note in notes:
        owner = DynamoType({"S": note.userId})
        partition = table.items[owner]
        owner_bytes = len("userId") + len(note.userId.encode()) + len("entry")
        for entry in note_entries(note):
            key = DynamoType({"S": entry})
            item = object.__new__(Item)
            item.hash_key, item.range_key = owner, key
            item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
            dict.update(item.attrs, userId=owner, entry=key)
            partition[key] = item
            seeded.entries += 1
            seeded.bytes += owner_bytes + len(entry.encode())
    return seeded


def stored_note(owner: str, content: str, file: bytes | None = None) -> str:
    """A note written straight into the notes table (version 1, as a create leaves it), with
    ``file`` in the bucket as its attachment if given; its id."""
    import app as notes_app
    from chalicelib.models import AttachmentAttribute
    from chalicelib.shapes import utc_now
    from chalicelib.storage_layout import FILES_PREFIX

    now = utc_now()
    note = notes_app.services.note_model(
        owner, str(uuid7()), title="a note", content=content, tags=["work"], createdAt=now, updatedAt=now
    )
    note.uploads = {}
    if file is not None:
        key = f"{FILES_PREFIX}{owner}/{note.noteId}/{uuid7()}"
        conftest.aws_client("s3").put_object(Bucket=notes_app.settings.bucket_name, Key=key, Body=file)
        note.attachment = AttachmentAttribute(
            key=key, name="bench.bin", size=len(file), contentType="application/octet-stream", uploadedAt=now
        )
    note.save(condition=notes_app.services.note_model.noteId.does_not_exist())
    return str(note.noteId)
