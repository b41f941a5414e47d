"""Finding notes: ``GET /notes`` with ``q``, ``tag`` or ``sort=updated``.

A search reads the index (``chalicelib.search``) only where its query points: for each query word
the entries of the words starting with it, for a tag that tag's entries, for the order of last
change the ``u#`` entries from where the page starts. Words are read in step, a page of entries at
a time, and reading stops when one word's entries are all read: its notes are then the only ones
that can match. So a search reads no entry of a note that holds none of its words.

The index only proposes. Each proposed note is read from the notes table (a consistent
BatchGetItem, in the page's order, no more than the page needs) and checked against its current
words and tags, so an answer never holds a deleted note, a note by words it lost, or another
user's note (every key starts with the owner).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import words, writes
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import InvalidInput
from chalicelib.models import NoteModel, SearchEntryModel
from chalicelib.queries import CREATED, Search
from chalicelib.search import TAG, UPDATED, WORD, entry_note_id, tag_key
from chalicelib.shapes import Page, to_public

# Entries read from each word's range per request, in step with the other words.
ENTRIES_PER_READ = 1000
# Notes read from the notes table per request (BatchGetItem takes at most 100 keys).
NOTES_PER_READ = 100


class NoteFinder:
    """Searches one owner's notes through the index, checking each note it returns."""

    def __init__(self, notes: type[NoteModel], entries: type[SearchEntryModel]) -> None:
        self._notes = notes
        self._entries = entries

    def find(self, owner: str, search: Search, limit: int, cursor: str | None) -> Page:
        """One page of the notes that answer ``search``, in its order.

        Raises InvalidInput (a cursor of another user or search), StorageUnavailable.
        """
        position = decode_cursor(owner, cursor, search.binding) if cursor is not None else None
        if search.query is None and search.tag is None:
            shown, more = self._by_change(owner, limit, _updated_position(position))
        else:
            shown, more = self._matching(owner, search, limit, position)
        notes = [self._public(note, search) for note in shown]
        if not more:
            return Page(notes, None)
        last = shown[-1]
        resume = f"{last.updatedAt}#{last.noteId}" if search.sort != CREATED else last.noteId
        return Page(notes, encode_cursor(owner, resume, search.binding))

    def _matching(
        self, owner: str, search: Search, limit: int, position: str | None
    ) -> tuple[list[NoteModel], bool]:
        prefixes = [f"{WORD}{words.lookup_key(word)}" for word in search.words]
        if search.tag is not None:
            prefixes.append(f"{TAG}{tag_key(search.tag)}#")
        candidates = self._candidates(owner, prefixes)
        if search.sort == CREATED:
            order = sorted(candidates, reverse=True)
            if position is not None:
                order = [note_id for note_id in order if note_id < position]
        else:
            order = self._by_updated(owner, candidates, _updated_position(position))
        return self._checked(owner, order, limit, search.holds)

    def _candidates(self, owner: str, prefixes: list[str]) -> set[str]:
        """The notes every prefix's entries name: the prefixes are read in step, a page of each a
        round, until one is read to its end; the notes of those read to their end, together, are
        then a superset of the answer (and for rare words, the answer)."""
        reads = [_Range(prefix) for prefix in prefixes]
        while not any(read.done for read in reads):
            for read in reads:
                self._read_more(owner, read)
        finished = [read.notes for read in reads if read.done]
        return set.intersection(*finished)

    def _read_more(self, owner: str, read: _Range) -> None:
        items, read.last_key = writes.query_page(
            self._entries,
            owner,
            self._entries.entry.startswith(read.prefix),
            count=ENTRIES_PER_READ,
            last_key=read.last_key,
            attributes=["entry"],
        )
        read.notes.update(entry_note_id(item["entry"]["S"]) for item in items)
        read.done = read.last_key is None

    def _by_updated(self, owner: str, note_ids: set[str], position: tuple[str, str] | None) -> list[str]:
        """``note_ids`` most recently changed first, after ``position``: when each last changed
        is read from the notes themselves (the index's times may lag)."""
        changed: list[tuple[str, str]] = []
        for note in self._read(owner, sorted(note_ids), attributes=["noteId", "updatedAt"]):
            key = (note.updatedAt, note.noteId)
            if position is None or key < position:
                changed.append(key)
        return [note_id for _, note_id in sorted(changed, reverse=True)]

    def _by_change(
        self, owner: str, limit: int, position: tuple[str, str] | None
    ) -> tuple[list[NoteModel], bool]:
        """Every note, most recently changed first: the ``u#`` entries from ``position`` down, each
        note read and kept where its entry names its last change (an older entry is stale)."""
        start = f"{UPDATED}{position[0]}#{position[1]}" if position is not None else None
        found: list[NoteModel] = []
        while True:
            entries, start = self._changes_page(owner, start, limit + 1 - len(found))
            changes = [entry[len(UPDATED) :].rsplit("#", 1) for entry in entries]
            notes = {
                note.noteId: note for note in self._read(owner, list(dict.fromkeys(i for _, i in changes)))
            }
            # A note is shown at the entry of its last change; an entry of an earlier one is stale.
            found.extend(notes[i] for time, i in changes if i in notes and notes[i].updatedAt == time)
            if len(found) > limit:
                return found[:limit], True
            if start is None:
                return found, False

    def _changes_page(self, owner: str, start: str | None, count: int) -> tuple[list[str], str | None]:
        last_key = {"userId": {"S": owner}, "entry": {"S": start}} if start else None
        items, last = writes.query_page(
            self._entries,
            owner,
            self._entries.entry.startswith(UPDATED),
            count=count,
            last_key=last_key,
            forward=False,
        )
        return [item["entry"]["S"] for item in items], (last["entry"]["S"] if last else None)

    def _checked(
        self, owner: str, order: list[str], limit: int, holds: Callable[[NoteModel], bool]
    ) -> tuple[list[NoteModel], bool]:
        """The first ``limit`` notes of ``order`` that exist and hold, and whether another follows."""
        found: list[NoteModel] = []
        at = 0
        while at < len(order) and len(found) <= limit:
            wanted = order[at : at + min(NOTES_PER_READ, limit + 1 - len(found))]
            at += len(wanted)
            found.extend(note for note in self._read(owner, wanted) if holds(note))
        if len(found) > limit:
            return found[:limit], True
        return found, False

    def _read(self, owner: str, note_ids: list[str], attributes: list[str] | None = None) -> list[NoteModel]:
        """The notes of ``note_ids`` that exist, in that order, read consistently."""
        notes: dict[str, NoteModel] = {}
        for at in range(0, len(note_ids), NOTES_PER_READ):
            keys = [(owner, note_id) for note_id in note_ids[at : at + NOTES_PER_READ]]
            with writes.dynamodb():
                for note in self._notes.batch_get(keys, consistent_read=True, attributes_to_get=attributes):
                    notes[note.noteId] = note
        return [notes[note_id] for note_id in note_ids if note_id in notes]

    @staticmethod
    def _public(note: NoteModel, search: Search) -> dict[str, Any]:
        shown = to_public(note)
        if search.query is not None:
            shown["snippet"] = words.snippet(note.title or "", note.content or "", search.words)
        return shown


class _Range:
    """One prefix's entries, read a page at a time."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.notes: set[str] = set()
        self.last_key: dict[str, Any] | None = None
        self.done = False


def _updated_position(position: str | None) -> tuple[str, str] | None:
    """A cursor's (updatedAt, noteId); raises InvalidInput for a position that is not one."""
    if position is None:
        return None
    updated_at, _, note_id = position.rpartition("#")
    if not updated_at or not note_id:
        raise InvalidInput("query parameter 'cursor' is not a cursor from this listing")
    return updated_at, note_id
