"""Exports: everything a user has, as one ZIP in the bucket, made in the background.

``POST /exports`` only records the export (``export#<exportId>`` in the account table, pending),
and ``exporting`` beside it naming that export while it is pending: one conditional write makes
both, so while an export of the owner is pending another ``POST /exports`` answers it and makes
nothing. The table's stream starts the jobs function (``chalicelib.jobs``), which writes the ZIP straight
into the bucket as a multipart upload while it reads the notes, the trash and the files: nothing
passes through API Gateway, and the function holds a few parts in memory whatever the account
holds. ``GET /exports/{id}`` answers the status and, once ready, a presigned URL of the ZIP.

The ZIP holds, for each note (trashed ones under ``trash/``): ``<noteId>.md`` (a front matter of
title, tags and times, then the content), ``<noteId>.json`` (the note as the API answers it) and
its file, if any, as ``<noteId>/<file name>``, byte for byte, the name made one that unpacks on
every system (``chalicelib.zip_names``; the JSON keeps the name as it is). An export is deleted a
day after it is ready: its record by the table's TTL, its object by the bucket's lifecycle rule.
"""

from __future__ import annotations

import json
import logging
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from uuid6 import uuid7

from chalicelib import writes
from chalicelib.errors import ExportNotFound, StorageUnavailable
from chalicelib.files import FileStore, MultipartUpload
from chalicelib.models import AccountItemModel, NoteItemModel, NoteModel, TrashedNoteModel
from chalicelib.shapes import iso_time, parse_time, to_public, utc_now
from chalicelib.storage_layout import EXPORT_EXPIRY_DAYS, EXPORTS_PREFIX
from chalicelib.trash import trashed_public
from chalicelib.validation import UUID7
from chalicelib.zip_names import EntryNames

log = logging.getLogger(__name__)

EXPORT_ITEM = "export#"
# The owner's one pending export, by its id: it holds while the export is pending, and at most
# PENDING_HOLD_SECONDS. Past that the export is taken for lost (the jobs function gives a record
# up after 11 tries of at most 15 minutes), and another may start; the TTL then removes the item.
EXPORTING_ITEM = "exporting"
PENDING_HOLD_SECONDS = 3 * 60 * 60
# Starts tried when the pending export that refused one was done before it could be read.
START_ATTEMPTS = 3
DOWNLOAD_URL_SECONDS = 60 * 60
KEEP_SECONDS = EXPORT_EXPIRY_DAYS * 24 * 60 * 60
# Parts of the ZIP's multipart upload (S3 allows 10,000 parts of at least 5 MiB): 16 MiB parts
# hold 156 GiB, and at most PARTS_IN_FLIGHT are sent at once beside the one being filled.
PART_BYTES = 16 * 1024 * 1024
PARTS_IN_FLIGHT = 3
READ_CHUNK_BYTES = 1024 * 1024
# Files of the notes next in line are read while one is written: this many at most, each of at
# most FETCH_AHEAD_MAX_BYTES (a larger one is streamed when its turn comes).
FETCH_AHEAD = 4
FETCH_AHEAD_MAX_BYTES = 16 * 1024 * 1024
# How often the progress is written while an export is made.
PROGRESS_SECONDS = 2.0
# The export gives up (failed, nothing kept) when less than this is left of the function's time.
STOP_BEFORE_SECONDS = 30
FAILED_MESSAGE = "the export could not be made; start another"

_Note = TypeVar("_Note", bound=NoteItemModel)


def export_key(owner: str, export_id: str) -> str:
    return f"{EXPORTS_PREFIX}{owner}/{export_id}.zip"


class Exports:
    """Start an owner's export, tell its status, and make it (the jobs function)."""

    def __init__(
        self,
        account: type[AccountItemModel],
        notes: type[NoteModel],
        trash: type[TrashedNoteModel],
        files: FileStore,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._account = account
        self._notes = notes
        self._trash = trash
        self._files = files
        self._clock = clock

    def start(self, owner: str) -> dict[str, Any]:
        """POST /exports: the owner's pending export if there is one, else a new one, which the
        stream starts. Raises StorageUnavailable.

        One TransactWriteItems puts the export and ``exporting`` naming it, on the condition
        that no pending export holds ``exporting``; refused, one GetItem reads the export that
        does. However many start at once, one export is made and every one answers it.
        """
        model = self._account
        for _ in range(START_ATTEMPTS):
            export_id = str(uuid7())
            now = self._clock()
            moment = parse_time(now)
            item = model(owner, EXPORT_ITEM + export_id, status="pending", createdAt=now)
            hold = model(
                owner,
                EXPORTING_ITEM,
                exportId=export_id,
                createdAt=now,
                expiresAtEpoch=moment + timedelta(seconds=PENDING_HOLD_SECONDS),
            )
            begin = writes.Transaction(model)
            begin.save(hold, model.item.does_not_exist() | (model.expiresAtEpoch <= moment))
            begin.save(item, model.item.does_not_exist())
            try:
                refused = begin.commit()
            except StorageUnavailable:
                # Also what a start at the same moment makes of this one (a transaction
                # conflict): its export is the answer once it is there.
                pending = self._pending(owner, moment)
                if pending is None:
                    raise
                return {"exportId": pending, "status": "pending"}
            if not refused:
                return {"exportId": export_id, "status": "pending"}
            pending = self._pending(owner, moment)
            if pending is not None:
                return {"exportId": pending, "status": "pending"}
        raise StorageUnavailable("account store")  # exports kept ending as they were read

    def status(self, owner: str, export_id: str) -> dict[str, Any]:
        """GET /exports/{id}: one GetItem; presigning makes no S3 call. Raises ExportNotFound (no
        such export of this owner, or deleted), StorageUnavailable."""
        item = self._item(owner, export_id)
        moment = parse_time(self._clock())
        if item is None or (item.expiresAtEpoch is not None and item.expiresAtEpoch <= moment):
            raise ExportNotFound(export_id)
        answer: dict[str, Any] = {
            "exportId": export_id,
            "status": item.status,
            "createdAt": item.createdAt,
            "progress": {
                "done": int(item.done or 0),
                "total": int(item.total) if item.total is not None else None,
            },
            "url": None,
            "expiresAt": None,
            "size": None,
            "availableUntil": None,
            "error": item.error if item.status == "failed" else None,
        }
        if item.status == "ready" and item.expiresAtEpoch is not None:
            lasts = int(min(DOWNLOAD_URL_SECONDS, (item.expiresAtEpoch - moment).total_seconds()))
            day = (item.createdAt or "")[:10]
            answer.update(
                url=self._files.download_url(
                    export_key(owner, export_id), f"notes-{day}.zip", "application/zip", lasts
                ),
                expiresAt=iso_time(moment + timedelta(seconds=lasts)),
                size=int(item.size or 0),
                availableUntil=iso_time(item.expiresAtEpoch),
            )
        return answer

    def make(self, owner: str, export_id: str, seconds_left: Callable[[], float] | None = None) -> None:
        """Write the export's ZIP, then mark it ready (or failed: nothing of it is kept)."""
        item = self._item(owner, export_id)
        if item is None or item.status != "pending":
            return  # a record given again after it was done
        upload = self._files.multipart(export_key(owner, export_id), "application/zip")
        try:
            size, done = self._write(owner, item, upload, seconds_left or (lambda: float("inf")))
            upload.complete()
        except Exception as error:
            upload.abort()
            log.exception("export %s of %s failed", export_id, owner)
            message = str(error) if isinstance(error, ExportTooLarge) else FAILED_MESSAGE
            kept_until = parse_time(self._clock()) + timedelta(seconds=KEEP_SECONDS)
            self._finish(item, export_id, status="failed", error=message, expiresAtEpoch=kept_until)
            return
        ready = self._clock()
        self._finish(
            item,
            export_id,
            status="ready",
            done=done,
            size=size,
            readyAt=ready,
            expiresAtEpoch=parse_time(ready) + timedelta(seconds=KEEP_SECONDS),
        )

    def _write(
        self, owner: str, item: AccountItemModel, upload: MultipartUpload, seconds_left: Callable[[], float]
    ) -> tuple[int, int]:
        """The ZIP written into ``upload``; its size and how many notes it holds."""
        total = self._count(self._notes, owner) + self._count(self._trash, owner)
        self._update(item, total=total, done=0)
        sink = PartSink(upload)
        done = 0
        reported = time.monotonic()
        names = EntryNames()
        with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
            for folder, note, shown, fetched in self._fetched_ahead(self._everything(owner)):
                if seconds_left() < STOP_BEFORE_SECONDS:
                    raise ExportTooLarge(
                        f"the export stopped after {done:,} of {total:,} notes: the account holds more "
                        "than one export can carry in its time"
                    )
                self._add_note(archive, names, folder, note, shown, fetched)
                done += 1
                if time.monotonic() - reported >= PROGRESS_SECONDS:
                    self._update(item, done=done)
                    reported = time.monotonic()
        sink.close()
        return sink.size, done

    def _everything(self, owner: str) -> Iterator[tuple[str, NoteItemModel, dict[str, Any]]]:
        for note in _walk(self._notes, owner):
            yield "", note, to_public(note)
        for trashed in _walk(self._trash, owner):
            yield "trash/", trashed, trashed_public(trashed)

    def _fetched_ahead(
        self, notes: Iterator[tuple[str, NoteItemModel, dict[str, Any]]]
    ) -> Iterator[tuple[str, NoteItemModel, dict[str, Any], Future[bytes | None] | None]]:
        """The notes, each with its file being read already when it is small enough: the next
        FETCH_AHEAD notes' files are read while one is written (what they hold is in memory)."""
        window: deque[tuple[str, NoteItemModel, dict[str, Any], Future[bytes | None] | None]] = deque()
        with ThreadPoolExecutor(max_workers=FETCH_AHEAD, thread_name_prefix="export-file") as pool:
            for folder, note, shown in notes:
                found = note.attachment
                small = found is not None and int(found.size) <= FETCH_AHEAD_MAX_BYTES
                fetched = pool.submit(self._fetch, found.key) if found is not None and small else None
                window.append((folder, note, shown, fetched))
                if len(window) > FETCH_AHEAD:
                    yield window.popleft()
            while window:
                yield window.popleft()

    def _fetch(self, key: str) -> bytes | None:
        body = self._files.read(key)
        return None if body is None else bytes(body.read())

    def _add_note(
        self,
        archive: zipfile.ZipFile,
        names: EntryNames,
        folder: str,
        note: NoteItemModel,
        shown: dict[str, Any],
        fetched: Future[bytes | None] | None = None,
    ) -> None:
        when = _zip_time(note.updatedAt)
        archive.writestr(
            _entry(names.name(folder, f"{note.noteId}.md"), when, zipfile.ZIP_DEFLATED), markdown(shown)
        )
        archive.writestr(
            _entry(names.name(folder, f"{note.noteId}.json"), when, zipfile.ZIP_DEFLATED),
            json.dumps(shown, ensure_ascii=False, indent=2) + "\n",
        )
        if note.attachment is None:
            return
        data = fetched.result() if fetched is not None else None
        body = None if fetched is not None else self._files.read(note.attachment.key)
        if data is None and body is None:
            log.warning("export: the file of note %s is missing from the bucket", note.noteId)
            return
        entry = _entry(names.name(f"{folder}{note.noteId}/", note.attachment.name), when, zipfile.ZIP_STORED)
        entry.file_size = len(data) if data is not None else int(note.attachment.size)
        with archive.open(entry, "w", force_zip64=entry.file_size >= zipfile.ZIP64_LIMIT) as out:
            if data is not None:
                out.write(data)
            elif body is not None:
                for chunk in body.iter_chunks(READ_CHUNK_BYTES):
                    out.write(chunk)

    def _count(self, model: type[NoteItemModel], owner: str) -> int:
        with writes.dynamodb():
            return int(model.count(owner))

    def _item(self, owner: str, export_id: str) -> AccountItemModel | None:
        if not UUID7.match(export_id):
            return None
        try:
            with writes.dynamodb():
                return self._account.get(owner, EXPORT_ITEM + export_id, consistent_read=True)
        except self._account.DoesNotExist:
            return None

    def _pending(self, owner: str, moment: datetime) -> str | None:
        """The id of the owner's pending export, if one holds ``exporting`` at ``moment``."""
        try:
            with writes.dynamodb():
                hold = self._account.get(owner, EXPORTING_ITEM, consistent_read=True)
        except self._account.DoesNotExist:
            return None
        if hold.exportId is None or hold.expiresAtEpoch is None or hold.expiresAtEpoch <= moment:
            return None
        return str(hold.exportId)

    def _finish(self, item: AccountItemModel, export_id: str, **changes: Any) -> None:
        """The export's last state written, and ``exporting`` deleted if it names this export, in
        one TransactWriteItems: another export can start from the moment this one is no longer
        pending, and not a moment before."""
        model = self._account
        for name, value in changes.items():
            setattr(item, name, value)
        hold = model(item.userId, EXPORTING_ITEM)
        finish = writes.Transaction(model)
        finish.save(item, model.item.exists())
        finish.delete(hold, model.exportId == export_id)
        refused = finish.commit()
        if hold in refused and item not in refused:  # this export's hold had lapsed: its state alone
            self._update(item, **changes)

    def _update(self, item: AccountItemModel, **changes: Any) -> None:
        model = self._account
        actions = [getattr(model, name).set(value) for name, value in changes.items()]
        with writes.dynamodb():
            item.update(actions=actions)


class ExportTooLarge(Exception):
    """The function's time ran out before the export was made."""


class PartSink:
    """What ``zipfile`` writes into, sent to S3 as the parts of one multipart upload.

    Holds at most one part being filled and ``PARTS_IN_FLIGHT`` being sent. Not seekable, so
    ``zipfile`` writes each entry's sizes after its data (a data descriptor).
    """

    def __init__(self, upload: MultipartUpload) -> None:
        self._upload = upload
        self._buffer = bytearray()
        self._number = 0
        self._sending: list[Future[None]] = []
        self._pool = ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="export-part")
        self.size = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= PART_BYTES:
            self._send(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: parts go when full (``zipfile`` calls this)."""

    def close(self) -> None:
        """The last part sent (an empty ZIP is still one part), every part's answer awaited."""
        if self._buffer or self._number == 0:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        for sending in self._sending:
            sending.result()
        self._pool.shutdown()

    def _send(self, data: bytes) -> None:
        while len(self._sending) >= PARTS_IN_FLIGHT:
            self._sending.pop(0).result()  # raises what the upload raised
        self._number += 1
        self._sending.append(self._pool.submit(self._upload.send, self._number, data))


def markdown(note: dict[str, Any]) -> str:
    """A note as Markdown: a YAML front matter (each value a JSON scalar or list, valid YAML)."""
    lines = ["---"]
    for field in ("title", "tags", "createdAt", "updatedAt", "deletedAt"):
        if field in note:
            lines.append(f"{field}: {json.dumps(note[field], ensure_ascii=False)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + str(note.get("content") or "")


def _walk(model: type[_Note], owner: str) -> Iterator[_Note]:
    for items in writes.query_pages(model, owner, count=1000):
        yield from items


def _entry(name: str, when: tuple[int, int, int, int, int, int], method: int) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, when)
    entry.compress_type = method
    entry.external_attr = 0o644 << 16
    return entry


def _zip_time(moment: str) -> tuple[int, int, int, int, int, int]:
    parsed = parse_time(moment)
    return (max(parsed.year, 1980), parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second)
