"""Finding notes: ``GET /notes`` with ``q``, ``tag`` or ``sort=updated``.

A search reads the index (``chalicelib.search``) only where its query points: for each query word
the entries of the words starting with it, for a tag that tag's entries, for the order of last
change the ``u#`` entries from where the page starts. Words are read in step, a page of entries at
a time (small pages first, each round twice the last), and reading stops when one word's entries
are all read: its notes are then the only ones that can match. So a search reads no entry of a
note that holds none of its words, and a query of many words with one rare word reads little of
the common ones.

In the order of last change, a page reads no more than it shows, however many notes match: while
no word's entries are read to their end (every word is common), the page also walks the ``u#``
entries from where it starts and checks each note it passes, a bounded number of notes; once one
word is read to its end, the few notes it names are read at once, or, when they are many, the walk
goes on reading only those. The matches after the page are never read.

The index only proposes. Each proposed note is read from the notes table (a consistent
BatchGetItem, in the page's order, no more than the page needs) and checked against its current
words and tags, so an answer never holds a deleted note, a note by words it lost, or another
user's note (every key starts with the owner).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from chalicelib import words, writes
from chalicelib.cursors import BY_CHANGE, BY_ID, decode_cursor, encode_cursor
from chalicelib.errors import InvalidInput
from chalicelib.models import NoteModel, SearchEntryModel
from chalicelib.queries import CREATED, Search
from chalicelib.search import TAG, UPDATED, WORD, entry_note_id, tag_key
from chalicelib.shapes import Page, to_public

# Entries read from each word's range per request, in step with the other words, at most.
ENTRIES_PER_READ = 1000
# The first round's entries, shared by the words (each reads at least FIRST_READ_MIN); each round
# after reads twice as many of each, up to ENTRIES_PER_READ: a rare word among many common ones is
# read to its end before much of the others is read.
FIRST_ROUND_ENTRIES = 2000
FIRST_READ_MIN = 100
# Notes read from the notes table per request (BatchGetItem takes at most 100 keys).
NOTES_PER_READ = 100
# In the order of last change, while every word is common: the notes a page reads and checks on
# its walk down the order before it relies on the words' entries alone.
WALKED_NOTES = 100


class NoteFinder:
    """Searches one owner's notes through the index, checking each note it returns."""

    def __init__(self, notes: type[NoteModel], entries: type[SearchEntryModel]) -> None:
        self._notes = notes
        self._entries = entries

    def find(self, owner: str, search: Search, limit: int, cursor: str | None) -> Page:
        """One page of the notes that answer ``search``, in its order.

        Raises InvalidInput (a cursor of another user or search), StorageUnavailable.
        """
        shape = BY_ID if search.sort == CREATED else BY_CHANGE
        position = decode_cursor(owner, cursor, search.binding, shape) if cursor is not None else None
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
        reads = [_Range(prefix) for prefix in prefixes]
        if search.sort != CREATED:
            return self._matching_by_change(owner, search, reads, limit, _updated_position(position))
        while not self._read_round(owner, reads):
            pass
        order = sorted(_candidates(reads), reverse=True)
        if position is not None:
            order = [note_id for note_id in order if note_id < position]
        return self._checked(owner, order, limit, search.holds)

    def _read_round(self, owner: str, reads: list[_Range]) -> bool:
        """One more page of every prefix's entries; whether one prefix is now read to its end (the
        notes of those read to their end, together, are then a superset of the answer, and for
        rare words the answer)."""
        for read in reads:
            self._read_more(owner, read, _round_size(len(reads), read.rounds))
        return any(read.done for read in reads)

    def _read_more(self, owner: str, read: _Range, count: int) -> None:
        entries, read.after = writes.query_sort_keys(
            self._entries,
            owner,
            self._entries.entry.startswith(read.prefix),
            count=count,
            after=read.after,
            attributes=["entry"],
        )
        read.notes.update(map(entry_note_id, entries))
        read.rounds += 1
        read.done = read.after is None

    def _matching_by_change(
        self, owner: str, search: Search, reads: list[_Range], limit: int, position: tuple[str, str] | None
    ) -> tuple[list[NoteModel], bool]:
        """The page of ``search`` in the order of last change, after ``position``. While no word
        is read to its end, the page walks the order too, checking every note it passes
        (WALKED_NOTES at most): common words fill a page from the first notes walked. Then the
        notes the words' entries name are read at once when they are few, else walked to."""
        walk = _ChangeWalk(self, owner, position)
        found: list[NoteModel] = []
        while not self._read_round(owner, reads):
            if walk.walked < WALKED_NOTES and not walk.done:
                wanted = min(limit + 1 - len(found), WALKED_NOTES - walk.walked)
                found.extend(self._shown(owner, walk.take(wanted), search.holds))
                if len(found) > limit:
                    return found[:limit], True
                if walk.done:
                    return found, False
        candidates = _candidates(reads) - walk.taken
        if len(candidates) <= NOTES_PER_READ:
            edge = walk.edge
            rest = [
                note
                for note in self._read(owner, sorted(candidates))
                if (edge is None or (note.updatedAt, note.noteId) < edge) and search.holds(note)
            ]
            found.extend(sorted(rest, key=lambda note: (note.updatedAt, note.noteId), reverse=True))
        else:
            while len(found) <= limit and not walk.done:
                changes = walk.take(min(NOTES_PER_READ, limit + 1 - len(found)), admit=candidates)
                found.extend(self._shown(owner, changes, search.holds))
        if len(found) > limit:
            return found[:limit], True
        return found, False

    def _shown(
        self, owner: str, changes: list[tuple[str, str]], holds: Callable[[NoteModel], bool]
    ) -> list[NoteModel]:
        """The notes of ``changes`` (each a time and a note id, the index's order) that hold, each
        where its entry names its last change (an entry of an earlier one is stale), in that order."""
        notes = {note.noteId: note for note in self._read(owner, list(dict.fromkeys(i for _, i in changes)))}
        return [
            notes[i] for time, i in changes if i in notes and notes[i].updatedAt == time and holds(notes[i])
        ]

    def _by_change(
        self, owner: str, limit: int, position: tuple[str, str] | None
    ) -> tuple[list[NoteModel], bool]:
        """Every note, most recently changed first: the ``u#`` entries from ``position`` down, each
        note read and kept where its entry names its last change (an older entry is stale)."""
        walk = _ChangeWalk(self, owner, position)
        found: list[NoteModel] = []
        while True:
            found.extend(self._shown(owner, walk.take(limit + 1 - len(found)), _every_note))
            if len(found) > limit:
                return found[:limit], True
            if walk.done:
                return found, False

    def changes_page(self, owner: str, start: str | None, count: int) -> tuple[list[str], str | None]:
        """Up to ``count`` ``u#`` entries after ``start``, newest first, and where to go on from."""
        entries, last = writes.query_sort_keys(
            self._entries,
            owner,
            self._entries.entry.startswith(UPDATED),
            count=count,
            after=self._entries(owner, start) if start else None,
            forward=False,
        )
        return entries, (last.entry if last is not None else None)

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
        # The last entry read: the next page starts after it.
        self.after: SearchEntryModel | None = None
        self.rounds = 0
        self.done = False


def _every_note(note: NoteModel) -> bool:
    return True


def _round_size(prefixes: int, rounds: int) -> int:
    """Entries a prefix reads in its round ``rounds`` (from 0), in step with ``prefixes`` in all."""
    first = max(FIRST_READ_MIN, FIRST_ROUND_ENTRIES // prefixes)
    return min(ENTRIES_PER_READ, first << min(rounds, 10))


def _candidates(reads: list[_Range]) -> set[str]:
    """The notes every prefix read to its end names."""
    return set.intersection(*(read.notes for read in reads if read.done))


class _ChangeWalk:
    """The ``u#`` entries of one owner from ``position`` down, newest first: (time, note id) pairs,
    read from the index a page at a time as they are taken."""

    def __init__(self, finder: NoteFinder, owner: str, position: tuple[str, str] | None) -> None:
        self._finder = finder
        self._owner = owner
        self._start = f"{UPDATED}{position[0]}#{position[1]}" if position is not None else None
        self._read: deque[tuple[str, str]] = deque()
        self._ended = False
        self._page = 0
        # The last entry taken or passed: every entry above it is behind the walk.
        self.edge = position
        self.taken: set[str] = set()
        self.walked = 0

    @property
    def done(self) -> bool:
        return self._ended and not self._read

    def take(self, count: int, admit: set[str] | None = None) -> list[tuple[str, str]]:
        """The next ``count`` entries (fewer at the end); with ``admit``, only entries of those
        notes, passing the others (the index is then read in pages of growing size)."""
        taken: list[tuple[str, str]] = []
        while len(taken) < count:
            if not self._read:
                if self._ended:
                    break
                self._page = (
                    count - len(taken) if admit is None else min(ENTRIES_PER_READ, 2 * max(self._page, count))
                )
                entries, self._start = self._finder.changes_page(self._owner, self._start, self._page)
                self._ended = self._start is None
                self._read.extend(_change(entry) for entry in entries)
                continue
            change = self._read.popleft()
            self.edge = change
            if admit is None or change[1] in admit:
                taken.append(change)
                self.taken.add(change[1])
        self.walked += len(taken)
        return taken


def _change(entry: str) -> tuple[str, str]:
    time, _, note_id = entry[len(UPDATED) :].rpartition("#")
    return time, note_id


def _updated_position(position: str | None) -> tuple[str, str] | None:
    """A cursor's (updatedAt, noteId); raises InvalidInput for a position that is not one."""
    if position is None:
        return None
    updated_at, _, note_id = position.rpartition("#")
    if not updated_at or not note_id:
        raise InvalidInput("query parameter 'cursor' is not a cursor from this listing")
    return updated_at, note_id
