"""The search index: what it holds for a note, and keeping it in step with the notes table.

The index is a DynamoDB table of its own, one partition per owner, whose items say one fact each
(``chalicelib.models.SearchEntryModel``): a word start, a tag, or when the note last changed. It
follows the notes table through the table's stream (``apply_stream``, the indexer function's
body): each record's old and new images give the entries to delete and to put, so a write of a
note stays one conditional write, and the index catches up a moment later. Records of one note
arrive in order, so the index always ends as the note's last image says.

Nothing is only here: ``rebuild`` makes the index again from the notes table. Readers never trust
it alone either: every note a search returns is read from the notes table and checked
(``chalicelib.finding``), so an entry that is stale only costs a read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from chalicelib import words, writes
from chalicelib.models import NoteModel, SearchEntryModel, bind
from chalicelib.queries import note_texts
from chalicelib.stream_records import StreamRecord

WORD = "w#"
TAG = "t#"
UPDATED = "u#"


def tag_key(tag: str) -> str:
    """A tag as the index keys it: case folded, with ``%`` and ``#`` escaped (``#`` ends a key)."""
    return tag.casefold().replace("%", "%25").replace("#", "%23")


def note_entries(note: NoteModel) -> set[str]:
    """Every entry the index holds for ``note``."""
    note_id = note.noteId
    entries = {f"{WORD}{key}#{note_id}" for key in words.index_keys(note_texts(note))}
    entries.update(f"{TAG}{tag_key(str(tag))}#{note_id}" for tag in note.tags or [])
    entries.add(f"{UPDATED}{note.updatedAt}#{note_id}")
    return entries


def entry_note_id(entry: str) -> str:
    return entry.rsplit("#", 1)[1]


class Changes(NamedTuple):
    """Entries to put and to delete, as (owner, entry) pairs."""

    puts: list[tuple[str, str]]
    deletes: list[tuple[str, str]]


class SearchIndex:
    """The index of ``notes`` kept in ``entries``."""

    @classmethod
    def of_tables(cls, table_name: str, search_table_name: str, region: str) -> SearchIndex:
        """The index of the notes table ``table_name`` kept in ``search_table_name``, in ``region``
        (for the indexer outside the app: the local stack's, make reindex)."""
        return cls(bind(NoteModel, table_name, region), bind(SearchEntryModel, search_table_name, region))

    def __init__(self, notes: type[NoteModel], entries: type[SearchEntryModel]) -> None:
        self._notes = notes
        self._entries = entries

    def apply_stream(self, records: Iterable[StreamRecord[NoteModel]]) -> Changes:
        """Bring the index in step with a batch of the notes table's stream records
        (``stream_consumers.INDEXER.records``).

        Idempotent: a batch given again (Lambda retries a failed one) writes the same entries.
        """
        changes = self.changes(records)
        self.write(changes)
        return changes

    def changes(self, records: Iterable[StreamRecord[NoteModel]]) -> Changes:
        """What a batch of stream records changes in the index: for each note, its first old image
        against its last new image (a batch holds a note's records in order)."""
        images: dict[tuple[str, str], list[NoteModel | None]] = {}
        for record in records:
            key = (record.keys["userId"], record.keys["noteId"])
            if key in images:
                images[key][1] = record.new
            else:
                images[key] = [record.old, record.new]
        puts: list[tuple[str, str]] = []
        deletes: list[tuple[str, str]] = []
        for (owner, _), (old, new) in images.items():
            before = note_entries(old) if old is not None else set()
            after = note_entries(new) if new is not None else set()
            puts.extend((owner, entry) for entry in sorted(after - before))
            deletes.extend((owner, entry) for entry in sorted(before - after))
        return Changes(puts, deletes)

    def write(self, changes: Changes) -> None:
        """Put and delete entries, 25 a request (PynamoDB retries what DynamoDB leaves unprocessed)."""
        if not changes.puts and not changes.deletes:
            return
        with writes.dynamodb(), self._entries.batch_write() as batch:
            for owner, entry in changes.deletes:
                batch.delete(self._entries(owner, entry))
            for owner, entry in changes.puts:
                batch.save(self._entries(owner, entry))

    def rebuild(self) -> RebuildReport:
        """Make the index again from the notes table: every owner's entries as their notes say,
        nothing else. Reads each owner's notes and entries once; writes only the differences."""
        owners = {note.userId for note in self._notes.scan(attributes_to_get=["userId"])}
        indexed = {entry.userId for entry in self._entries.scan(attributes_to_get=["userId"])}
        report = RebuildReport()
        for owner in sorted(owners | indexed):
            expected: set[str] = set()
            for note in self._notes.query(owner):
                expected |= note_entries(note)
                report.notes += 1
            present = {entry.entry for entry in self._entries.query(owner)}
            changes = Changes(
                [(owner, entry) for entry in sorted(expected - present)],
                [(owner, entry) for entry in sorted(present - expected)],
            )
            self.write(changes)
            report.owners += 1
            report.entries += len(expected)
            report.put += len(changes.puts)
            report.deleted += len(changes.deletes)
        return report

    def entries_of(self, owner: str) -> Iterator[str]:
        """Every entry of ``owner``, in key order."""
        for item in self._entries.query(owner):
            yield item.entry


class RebuildReport:
    """What a rebuild of the index went through and changed, counted as it goes."""

    def __init__(self) -> None:
        self.owners = 0
        self.notes = 0
        self.entries = 0
        self.put = 0
        self.deleted = 0

    def __str__(self) -> str:
        return (
            f"{self.notes:,} notes of {self.owners:,} users: {self.entries:,} entries, "
            f"{self.put:,} put and {self.deleted:,} deleted"
        )
