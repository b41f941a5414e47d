"""The export's ZIP writer itself (chalicelib.exports), without the API: what ``zipfile`` writes is
cut into the multipart upload's parts (``PartSink``), each note becomes its entries, and the
Markdown front matter, on chosen notes and bytes."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from concurrent.futures import Future
from typing import Any

import pytest

from chalicelib import exports
from chalicelib.exports import Exports, PartSink, markdown
from chalicelib.models import AccountItemModel, AttachmentAttribute, NoteModel, TrashedNoteModel
from chalicelib.zip_names import EntryNames

NOTE_ID = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"


class Upload:
    """A multipart upload that keeps each part it is sent, by number."""

    def __init__(self, fail_on: int | None = None, gate: threading.Event | None = None) -> None:
        self.parts: dict[int, bytes] = {}
        self.started = 0
        self._fail_on = fail_on
        self._gate = gate
        self._lock = threading.Lock()

    def send(self, number: int, data: bytes) -> None:
        with self._lock:
            self.started += 1
        if self._gate is not None:
            self._gate.wait(10)
        if number == self._fail_on:
            raise RuntimeError(f"part {number} refused")
        with self._lock:
            self.parts[number] = data

    def whole(self) -> bytes:
        assert sorted(self.parts) == list(range(1, len(self.parts) + 1))
        return b"".join(self.parts[number] for number in sorted(self.parts))


def sink(upload: Upload) -> PartSink:
    return PartSink(upload)  # type: ignore[arg-type]


def test_what_is_written_goes_in_parts_of_the_part_size_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 4)
    upload = Upload()
    parts = sink(upload)
    assert parts.write(b"abcdefghij") == 10
    assert parts.write(b"k") == 1
    parts.close()
    assert upload.parts == {1: b"abcd", 2: b"efgh", 3: b"ijk"}
    assert parts.size == 11


def test_an_exact_number_of_parts_sends_no_empty_last_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 4)
    upload = Upload()
    parts = sink(upload)
    parts.write(b"abcd")
    parts.write(b"efgh")
    parts.close()
    assert upload.parts == {1: b"abcd", 2: b"efgh"}


def test_nothing_written_is_still_one_empty_part() -> None:
    upload = Upload()
    parts = sink(upload)
    parts.close()
    assert upload.parts == {1: b""}
    assert parts.size == 0


def test_a_part_refused_fails_the_export(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 4)
    parts = sink(Upload(fail_on=2))
    parts.write(b"abcdefghij")
    with pytest.raises(RuntimeError, match="part 2 refused"):
        parts.close()


def test_at_most_three_parts_are_held_while_they_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 4)
    gate = threading.Event()
    upload = Upload(gate=gate)
    parts = sink(upload)
    writer = threading.Thread(target=parts.write, args=(b"x" * 4 * 6,))  # six parts' worth
    writer.start()
    deadline = time.monotonic() + 10
    while upload.started < exports.PARTS_IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # room for a fourth part, were it sent
    assert exports.PARTS_IN_FLIGHT == 3
    assert upload.started == 3
    assert writer.is_alive()  # the writer waits for a part's answer before it holds another
    gate.set()
    writer.join(10)
    parts.close()
    assert upload.parts == {number: b"xxxx" for number in range(1, 7)}


def test_a_zip_written_through_the_parts_is_one_whole_archive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 64)
    upload = Upload()
    parts = sink(upload)
    with zipfile.ZipFile(parts, "w") as archive:
        archive.writestr("a.txt", "first " * 50)
        archive.writestr("b/c.bin", bytes(range(256)))
    parts.close()
    assert len(upload.parts) > 3
    whole = upload.whole()
    assert parts.size == len(whole)
    read = zipfile.ZipFile(io.BytesIO(whole))
    assert read.testzip() is None
    assert read.namelist() == ["a.txt", "b/c.bin"]
    assert read.read("a.txt") == b"first " * 50
    assert read.read("b/c.bin") == bytes(range(256))


def test_the_markdown_is_a_front_matter_then_the_content() -> None:
    note = {
        "noteId": NOTE_ID,
        "title": 'Café "menu"',
        "tags": ["home", "été"],
        "createdAt": "2026-11-22T10:15:30.123Z",
        "updatedAt": "2026-11-23T08:00:00.000Z",
        "content": "# Soup\n\nLeeks: 3\n",
    }
    assert markdown(note) == (
        "---\n"
        'title: "Café \\"menu\\""\n'
        'tags: ["home", "été"]\n'
        'createdAt: "2026-11-22T10:15:30.123Z"\n'
        'updatedAt: "2026-11-23T08:00:00.000Z"\n'
        "---\n"
        "\n"
        "# Soup\n\nLeeks: 3\n"
    )
    trashed: dict[str, Any] = {
        "title": "",
        "tags": [],
        "deletedAt": "2026-11-24T00:00:00.000Z",
        "content": None,
    }
    assert markdown(trashed) == '---\ntitle: ""\ntags: []\ndeletedAt: "2026-11-24T00:00:00.000Z"\n---\n\n'


class Body:
    """An S3 object's body, read in chunks."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.chunk_sizes: list[int] = []

    def read(self) -> bytes:
        return self._data

    def iter_chunks(self, size: int) -> Any:
        self.chunk_sizes.append(size)
        for start in range(0, len(self._data), size):
            yield self._data[start : start + size]


class Files:
    """The bucket: its objects by key; a key it does not hold reads as None (gone)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.bodies = {key: Body(data) for key, data in objects.items()}

    def read(self, key: str) -> Body | None:
        return self.bodies.get(key)


def note(updated: str = "2026-11-22T10:15:30.123Z", attachment: dict[str, Any] | None = None) -> NoteModel:
    return NoteModel(
        "owner-1",
        NOTE_ID,
        title="Receipt",
        content="paid",
        tags=["home"],
        createdAt="2026-11-20T09:00:00.000Z",
        updatedAt=updated,
        attachment=AttachmentAttribute(**attachment) if attachment else None,
    )


def written(files: Files, notes: list[tuple[str, NoteModel, Future[bytes | None] | None]]) -> zipfile.ZipFile:
    """The archive ``_add_note`` makes of ``notes`` (folder, note, its file fetched ahead or not)."""
    maker = Exports(AccountItemModel, NoteModel, TrashedNoteModel, files)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    names = EntryNames()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, item, fetched in notes:
            shown = {"noteId": item.noteId, "title": item.title, "content": item.content}
            maker._add_note(archive, names, folder, item, shown, fetched)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


FILE_KEY = f"attachments/owner-1/{NOTE_ID}/upload-1"
FILE: dict[str, Any] = {
    "key": FILE_KEY,
    "name": "a:b?.txt",
    "size": 11,
    "contentType": "text/plain",
    "uploadedAt": "2026-11-22T10:15:30.123Z",
}


def test_a_note_is_its_markdown_its_json_and_its_file_byte_for_byte() -> None:
    files = Files({FILE_KEY: b"hello world"})
    archive = written(files, [("", note(attachment=FILE), None)])
    assert archive.namelist() == [f"{NOTE_ID}.md", f"{NOTE_ID}.json", f"{NOTE_ID}/a_b_.txt"]
    assert archive.read(f"{NOTE_ID}.md").decode() == '---\ntitle: "Receipt"\n---\n\npaid'
    assert json.loads(archive.read(f"{NOTE_ID}.json")) == {
        "noteId": NOTE_ID,
        "title": "Receipt",
        "content": "paid",
    }
    assert archive.read(f"{NOTE_ID}/a_b_.txt") == b"hello world"
    assert files.bodies[FILE_KEY].chunk_sizes == [1024 * 1024]  # streamed, a MiB at a time
    entries = {info.filename: info for info in archive.infolist()}
    assert [entries[name].compress_type for name in archive.namelist()] == [
        zipfile.ZIP_DEFLATED,
        zipfile.ZIP_DEFLATED,
        zipfile.ZIP_STORED,  # a file is stored as it is: most are compressed already
    ]
    for info in entries.values():
        assert info.date_time == (2026, 11, 22, 10, 15, 30)  # the note's last change
        assert info.external_attr == 0o644 << 16  # -rw-r--r-- when unpacked


def test_a_file_read_ahead_is_written_from_memory() -> None:
    fetched: Future[bytes | None] = Future()
    fetched.set_result(b"read before")
    files = Files({})  # the bucket is not read again
    archive = written(files, [("trash/", note(attachment={**FILE, "size": 11}), fetched)])
    assert archive.namelist() == [f"trash/{NOTE_ID}.md", f"trash/{NOTE_ID}.json", f"trash/{NOTE_ID}/a_b_.txt"]
    assert archive.read(f"trash/{NOTE_ID}/a_b_.txt") == b"read before"


def test_a_file_gone_from_the_bucket_leaves_the_note_without_it(caplog: pytest.LogCaptureFixture) -> None:
    archive = written(Files({}), [("", note(attachment=FILE), None)])
    assert archive.namelist() == [f"{NOTE_ID}.md", f"{NOTE_ID}.json"]
    assert f"the file of note {NOTE_ID} is missing from the bucket" in caplog.text


def test_a_time_before_1980_is_written_as_1980_the_first_a_zip_holds() -> None:
    archive = written(Files({}), [("", note(updated="1975-06-07T08:09:10.000Z"), None)])
    assert [info.date_time for info in archive.infolist()] == [(1980, 6, 7, 8, 9, 10)] * 2
