"""The change feed: every change of a user's notes, in order, kept 31 days (``GET /changes``).

**Written from the notes table's stream.** A write of a note stays one conditional write; the
stream function ``follow_changes`` (``ChangeFeed.record``) reads its records a moment later and
appends one entry per changed note to the user's feed in the changes table
(``chalicelib.models.ChangeModel``): ``seq`` 1, 2, 3… per user, handed out by one UpdateItem of
the user's head (``seq`` 0, ``ADD last :n``), then the entries in one BatchWriteItem. Since places
are handed out by DynamoDB's atomic counter, concurrent writers on many devices never share or
reorder one, whatever the clocks of the functions say.

**Read in order, nothing skipped.** A page reads the entries after its cursor's place (one
consistent Query) and the notes they name (consistent BatchGetItem): each note once, in its
latest state, or ``deleted`` when it is gone. A place given out and not yet written (the
function between its UpdateItem and its BatchWriteItem) is a gap: the page stops before it, so
that no entry can land behind a cursor already handed out. A function that failed between the
two leaves a gap for good; a gap whose next entry is older than ``GAP_SECONDS`` is such a one,
and is passed over. The function makes sure of that: an entry it could not write within
``GAP_SECONDS / 2`` of taking its place is written again at new places.

**Without a cursor**, the feed starts with every note the user has (the notes table, by id),
then goes on from the head as it was when that started: a note written meanwhile comes twice,
which is harmless (each carries its version).

A cursor holds its place and a time no later than the writing of the entries it goes on to (the
answer's, less ``GAP_SECONDS``; the last entry answered, when more wait; a walk's start); one whose
time is more than ``RESYNC_DAYS`` ago may point before entries DynamoDB's TTL has removed
(``KEEP_DAYS`` after their writing), so it is refused with ``ResyncRequired`` and the client starts
again without one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from chalicelib import writes
from chalicelib.cursors import Position, decode_cursor, encode_cursor
from chalicelib.errors import InvalidInput, ResyncRequired
from chalicelib.models import ChangeModel, NoteModel
from chalicelib.shapes import iso_time, to_public
from chalicelib.stream_records import StreamRecord

HEAD = 0
KEEP_DAYS = 31
RESYNC_DAYS = 30
# A place given out whose entry is still missing this long after the next entry was written was
# given to a function that failed: the page goes past it.
GAP_SECONDS = 10.0
# The most one page's changes may weigh as JSON: the answer, escaped once more into Lambda's
# proxy response, stays under Lambda's 6 MB.
MAX_PAGE_BYTES = 2_500_000
# Notes per BatchGetItem (DynamoDB's most).
NOTES_PER_READ = 100
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# The cursor's binding: a listing cursor is never taken here, nor a feed cursor there.
BINDING = "changes"
# "c.<seq>.<given>" (entries after seq) or "s.<head>.<given>.<last note id>" (the notes after the
# id, then the entries after head); given: whole seconds since 1970.
_POSITION = re.compile(r"(?:c\.([0-9]{1,15})\.([0-9]{1,12})|s\.([0-9]{1,15})\.([0-9]{1,12})\.(.*))")
_ANY_POSITION = Position(timed=False)


class Place(NamedTuple):
    """Where a page starts: after entry ``seq``, or (``snapshot``) after the note ``after_note``
    of the walk over every note that began when the head was at ``seq``."""

    seq: int
    given: int
    snapshot: bool = False
    after_note: str = ""

    def encode(self, owner: str) -> str:
        if self.snapshot:
            return encode_cursor(owner, f"s.{self.seq}.{self.given}.{self.after_note}", BINDING)
        return encode_cursor(owner, f"c.{self.seq}.{self.given}", BINDING)

    @classmethod
    def decode(cls, owner: str, cursor: str) -> Place:
        """Raises InvalidInput for anything but a cursor this feed gave ``owner``."""
        bad = InvalidInput(
            "query parameter 'since' is not a cursor of your change feed; pass back 'cursor' exactly "
            "as received, or leave 'since' out to start again"
        )
        try:
            position = decode_cursor(owner, cursor, BINDING, _ANY_POSITION)
        except InvalidInput as error:
            raise bad from error
        found = _POSITION.fullmatch(position)
        if found is None:
            raise bad
        if found.group(1) is not None:
            return cls(int(found.group(1)), int(found.group(2)))
        return cls(int(found.group(3)), int(found.group(4)), snapshot=True, after_note=found.group(5))


class FeedPage(NamedTuple):
    changes: list[dict[str, Any]]
    cursor: str
    more: bool

    def to_public(self) -> dict[str, Any]:
        return {"changes": self.changes, "cursor": self.cursor, "more": self.more}


class Followed(NamedTuple):
    """What one batch appended to one owner's feed: the notes, and the last place."""

    owner: str
    note_ids: list[str]
    last: int


class _Entry(NamedTuple):
    seq: int
    note_id: str
    changed_at: str
    written: float  # seconds since 1970


def changed(record: StreamRecord[NoteModel]) -> bool:
    """Whether a record of the notes table changes what the API shows of a note (a new upload
    form only changes what the server keeps of it)."""
    if record.new is None or record.old is None:
        return True
    return to_public(record.new) != to_public(record.old)


class ChangeFeed:
    """Each user's feed of ``notes`` kept in ``changes``; ``clock`` is the time it reads (seconds
    since 1970), the time DynamoDB's TTL follows (the local stack gives it its own clock)."""

    def __init__(
        self,
        changes: type[ChangeModel],
        notes: type[NoteModel],
        deleted: Callable[[str], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``deleted``: whether an account is being or has been deleted (its notes' removals then
        make no entries: the deletion deletes the feed)."""
        self._changes = changes
        self._notes = notes
        self._deleted = deleted
        self.clock = clock

    # The stream function.

    def record(self, records: Iterable[StreamRecord[NoteModel]]) -> list[Followed]:
        """Append the notes ``records`` changed to their owners' feeds, each note once per batch;
        what was appended, by owner. Raises what failed (Lambda gives the batch again)."""
        by_owner: dict[str, dict[str, str]] = {}
        removing: set[str] = set()
        for record in records:
            if not changed(record):
                continue
            owner, note_id = record.keys["userId"], record.keys["noteId"]
            when = record.new.updatedAt if record.new is not None else self._now_iso()
            notes = by_owner.setdefault(owner, {})
            notes.pop(note_id, None)  # in the order of each note's last change
            notes[note_id] = when
            if record.new is None:
                removing.add(owner)
        # A deleted account's notes are removed by its deletion, which deletes its feed too: those
        # removals make no entries (only a batch with removals looks).
        followed = {
            owner: notes
            for owner, notes in by_owner.items()
            if owner not in removing or not self._deleted(owner)
        }
        return [
            Followed(owner, list(notes), self._append(owner, list(notes.items())))
            for owner, notes in followed.items()
        ]

    def cursor_at(self, owner: str, last: int) -> str:
        """A cursor of ``owner``'s feed after its place ``last``."""
        return Place(last, int(self.clock())).encode(owner)

    def _append(self, owner: str, notes: Sequence[tuple[str, str]]) -> int:
        """Write ``notes`` (id, time of change) at new places of ``owner``'s feed, again at newer
        places until one write took less than half GAP_SECONDS; the last place."""
        while True:
            given = self.clock()
            head = self._changes(owner, HEAD)
            with writes.dynamodb():
                head.update(actions=[self._changes.last.add(len(notes))])
            last = int(head.last)
            written = int(given * 1000)
            expires = datetime.fromtimestamp(given, UTC) + timedelta(days=KEEP_DAYS)
            with writes.dynamodb(), self._changes.batch_write() as batch:
                for seq, (note_id, when) in enumerate(notes, start=last - len(notes) + 1):
                    batch.save(
                        self._changes(
                            owner,
                            seq,
                            noteId=note_id,
                            changedAt=when,
                            writtenAt=written,
                            expiresAtEpoch=expires,
                        )
                    )
            if self.clock() - given < GAP_SECONDS / 2:
                return last

    # GET /changes.

    def page(self, owner: str, since: str | None, limit: int) -> FeedPage:
        """The changes after ``since`` (None: from the start), at most ``limit``. Raises
        InvalidInput (a cursor not of this feed), ResyncRequired, StorageUnavailable."""
        now = self.clock()
        if since is None:
            place = Place(self._head(owner), int(now), snapshot=True)
        else:
            place = Place.decode(owner, since)
            if now - place.given > RESYNC_DAYS * 86400:
                raise ResyncRequired()
        page = _Collected(owner, limit)
        if place.snapshot:
            place = self._walk_notes(page, place)
        if not place.snapshot:
            if page.room:
                place = self._follow(page, place, int(now))
            elif not page.more:
                page.more = True  # the notes filled the page: the entries after the head are next
        return FeedPage(page.public(), place.encode(owner), page.more)

    def _head(self, owner: str) -> int:
        with writes.dynamodb():
            try:
                head = self._changes.get(owner, HEAD, consistent_read=True, attributes_to_get=["last"])
            except self._changes.DoesNotExist:
                return 0
        return int(head.last or 0)

    def _walk_notes(self, page: _Collected, place: Place) -> Place:
        """Every note after ``place.after_note``, by id, as room allows; where the page ends."""
        room = page.room
        after = self._notes(page.owner, place.after_note) if place.after_note else None
        notes, last = writes.query_page(self._notes, page.owner, count=room + 1, after=after, consistent=True)
        # Every page of the walk keeps the time it began: the entries after its head were written
        # since then, and the time to live removes them 31 days on.
        for note in notes[:room]:
            if not page.add(note.noteId, to_public(note), note.updatedAt):
                return place  # full: the next page starts at this note
            place = place._replace(after_note=note.noteId)
        if len(notes) > room or last is not None:
            page.more = True
            return place
        return Place(place.seq, place.given)  # every note walked: the entries after the head follow

    def _follow(self, page: _Collected, place: Place, now: int) -> Place:
        """The entries after ``place.seq``, as room allows and up to a gap; where the page ends."""
        room = page.room
        items, last = writes.query_page(
            self._changes, page.owner, self._changes.seq > place.seq, count=room + 1, consistent=True
        )
        entries: list[_Entry] = []
        expected = place.seq + 1
        for item in items[:room]:
            seq, written = int(item.seq), int(item.writtenAt or 0) / 1000
            if seq != expected and self.clock() - written < GAP_SECONDS:
                break  # a place given out whose entry is not written yet: go no further
            entries.append(_Entry(seq, str(item.noteId), str(item.changedAt), written))
            expected = seq + 1
        else:
            page.more = len(items) > room or last is not None
        taken = page.add_entries(entries, self._read(page.owner, entries))
        if not page.more:
            # Every entry written is answered, but a place given out these last seconds.
            return Place(entries[taken - 1].seq if taken else place.seq, int(now - GAP_SECONDS))
        if not taken:
            return place
        # More wait: the next page's entries were written no earlier than the last one answered,
        # which the cursor's time says (the time to live removes them 31 days after it).
        answered = entries[taken - 1]
        return Place(answered.seq, int(min(now, answered.written)))

    def _read(self, owner: str, entries: list[_Entry]) -> dict[str, NoteModel]:
        """The notes ``entries`` name that exist, by id, read consistently."""
        note_ids = list(dict.fromkeys(entry.note_id for entry in entries))
        notes: dict[str, NoteModel] = {}
        for at in range(0, len(note_ids), NOTES_PER_READ):
            keys = [(owner, note_id) for note_id in note_ids[at : at + NOTES_PER_READ]]
            with writes.dynamodb():
                for note in self._notes.batch_get(keys, consistent_read=True):
                    notes[note.noteId] = note
        return notes

    def _now_iso(self) -> str:
        return iso_time(datetime.fromtimestamp(self.clock(), UTC))


class _Collected:
    """One answer's changes as they are gathered: each note once, at its last change, within
    ``limit`` changes and MAX_PAGE_BYTES."""

    def __init__(self, owner: str, limit: int) -> None:
        self.owner = owner
        self.limit = limit
        self.more = False
        self._changes: dict[str, tuple[dict[str, Any], int]] = {}
        self._bytes = 0

    @property
    def room(self) -> int:
        return 0 if self.more else self.limit - len(self._changes)

    def add(self, note_id: str, note: dict[str, Any] | None, changed_at: str) -> bool:
        """Add the change of one note (None: it is gone), in place of an earlier one of the same
        note; False, and the page full, when it would take the page past MAX_PAGE_BYTES."""
        change: dict[str, Any] = {"noteId": note_id, "changedAt": changed_at}
        if note is None:
            change["deleted"] = True
        else:
            change["note"] = note
        size = len(json.dumps(change, ensure_ascii=False).encode())
        replaced = self._changes[note_id][1] if note_id in self._changes else 0
        if self._changes and self._bytes - replaced + size > MAX_PAGE_BYTES:
            self.more = True
            return False
        self._changes.pop(note_id, None)  # at its last change
        self._changes[note_id] = (change, size)
        self._bytes += size - replaced
        return True

    def add_entries(self, entries: list[_Entry], notes: dict[str, NoteModel]) -> int:
        """Add the entries in order, each note in its state now (gone when not in ``notes``); how
        many were taken before the page was full."""
        for taken, entry in enumerate(entries):
            note = notes.get(entry.note_id)
            if not self.add(entry.note_id, to_public(note) if note is not None else None, entry.changed_at):
                return taken
        return len(entries)

    def public(self) -> list[dict[str, Any]]:
        return [change for change, _ in self._changes.values()]
