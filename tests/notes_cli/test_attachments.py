"""The attachment commands: attach, download and detach a note's file, through the bucket."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from notes_cli import files
from notes_cli.api import NotesApi
from tests.notes_cli.helpers import (
    HOST,
    Notes,
    api_call,
    assert_one_line_error,
    someone_else_writes_after_the_first_read,
    stored_note,
    write_file,
)
from tests.stack import Stack, free_port, send_to_s3


def bucket_keys(local_stack: Stack, prefix: str = "") -> list[str]:
    """Every key the bucket holds under ``prefix``."""
    listed = local_stack.client("s3").list_objects_v2(Bucket=local_stack.facts.bucket_name, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def note_keys(local_stack: Stack, notes: Notes, note_id: str) -> list[str]:
    """The keys of one note's files and uploads."""
    sub = api_call(notes, "GET", "/me").json()["userId"]
    return [key for key in bucket_keys(local_stack) if key.split("/")[1:3] == [sub, note_id]]


@pytest.fixture
def sent_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every request the CLI sends, in order."""
    urls: list[str] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        urls.append(f"{method} {url}")
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return urls


def test_attach_show_download_and_detach(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "my receipts", "--title", "Receipts").stdout.strip()
    data = write_file(tmp_path / "files" / "receipt 2024.pdf", 300_000)

    attached = notes("attach", note_id, str(tmp_path / "files" / "receipt 2024.pdf"))
    assert attached.exit_code == 0, attached.output
    assert attached.stderr == ""  # no progress bar when stderr is not a terminal
    stored = stored_note(notes, note_id)
    attachment = stored["attachment"]
    assert attachment == {
        "name": "receipt 2024.pdf",
        "size": 300_000,
        "contentType": "application/pdf",
        "uploadedAt": attachment["uploadedAt"],
    }
    assert stored["version"] == 2
    line = f"receipt 2024.pdf  300,000 bytes  application/pdf  uploaded {attachment['uploadedAt']}"
    assert attached.stdout == f"attached to {note_id} (version 2): {line}\n"
    assert len(note_keys(local_stack, notes, note_id)) == 1  # the file, and no upload left behind

    shown = notes("show", note_id)
    assert shown.exit_code == 0, shown.output
    assert f"  attachment  {line}\n" in shown.stdout

    # Saved under its own name in the current folder, with the same bytes.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    saved = notes("download", note_id)
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "saved receipt 2024.pdf (300,000 bytes)\n"
    assert (here / "receipt 2024.pdf").read_bytes() == data

    # Never over an existing file, unless --force (which leaves nothing else behind).
    (here / "receipt 2024.pdf").write_bytes(b"mine")
    assert_one_line_error(notes("download", note_id), "receipt 2024.pdf already exists", "--force", "-o")
    assert (here / "receipt 2024.pdf").read_bytes() == b"mine"
    forced = notes("download", note_id, "--force")
    assert forced.exit_code == 0, forced.output
    assert (here / "receipt 2024.pdf").read_bytes() == data
    assert sorted(path.name for path in here.iterdir()) == ["receipt 2024.pdf"]

    # -o: a file, or a folder to save it in under its own name.
    to_file = notes("download", note_id, "-o", str(tmp_path / "copy.bin"))
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == f"saved {tmp_path / 'copy.bin'} (300,000 bytes)\n"
    assert (tmp_path / "copy.bin").read_bytes() == data
    assert_one_line_error(notes("download", note_id, "-o", str(tmp_path / "copy.bin")), "already exists")
    folder = tmp_path / "folder"
    folder.mkdir()
    into_folder = notes("download", note_id, "--output", str(folder))
    assert into_folder.exit_code == 0, into_folder.output
    assert (folder / "receipt 2024.pdf").read_bytes() == data

    detached = notes("detach", note_id, "--yes")
    assert detached.exit_code == 0, detached.output
    assert detached.stdout == f"detached receipt 2024.pdf from {note_id}\n"
    assert stored_note(notes, note_id)["attachment"] is None
    assert note_keys(local_stack, notes, note_id) == []
    assert "attachment" not in notes("show", note_id).stdout
    assert_one_line_error(
        notes("download", note_id), f"note {note_id} has no file: attach one with notes attach {note_id} FILE"
    )
    assert_one_line_error(notes("detach", note_id, "--yes"), f"note {note_id} has no file to remove")
    assert (here / "receipt 2024.pdf").read_bytes() == data


def test_attach_guesses_the_type_and_replaces_the_file(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "notes.txt", 10)
    data = write_file(tmp_path / "blob", 2_000)

    assert notes("attach", note_id, str(tmp_path / "notes.txt")).exit_code == 0
    assert stored_note(notes, note_id)["attachment"]["contentType"] == "text/plain"
    replaced = notes("attach", note_id, str(tmp_path / "blob"))
    assert replaced.exit_code == 0, replaced.output
    stored = stored_note(notes, note_id)
    assert {key: stored["attachment"][key] for key in ("name", "size", "contentType")} == {
        "name": "blob",
        "size": 2_000,
        "contentType": "application/octet-stream",
    }
    assert stored["version"] == 3
    assert len(note_keys(local_stack, notes, note_id)) == 1  # the replaced file is gone
    assert notes("download", note_id, "-o", str(tmp_path / "back")).exit_code == 0
    assert (tmp_path / "back").read_bytes() == data


def test_attach_refuses_a_file_before_sending_it(
    notes: Notes, logged_in: str, tmp_path: Path, sent_urls: list[str]
) -> None:
    note_id = notes("add", "text").stdout.strip()
    sent_urls.clear()
    (tmp_path / "empty.txt").touch()
    (tmp_path / "folder").mkdir()
    huge = tmp_path / "huge.iso"
    with huge.open("wb") as sparse:
        sparse.truncate(5 * 1024**3 + 1)

    assert_one_line_error(notes("attach", note_id, str(tmp_path / "empty.txt")), "empty.txt is empty")
    assert_one_line_error(notes("attach", note_id, str(tmp_path / "folder")), "folder is not a regular file")
    assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "missing.txt")), "cannot read", "No such file or directory"
    )
    assert_one_line_error(notes("attach", note_id, str(huge)), "5,368,709,121 bytes", "no file over")
    assert sent_urls == []  # not even the API was asked

    # Over the stage's own limit: the API refuses the upload before a byte of it is sent.
    large = tmp_path / "large.bin"
    with large.open("wb") as sparse:
        sparse.truncate(10 * 1024**2 + 1)
    assert_one_line_error(
        notes("attach", note_id, str(large)),
        f"the file was not attached to note {note_id}: the file's size must be from 1 to 10,485,760",
    )
    assert [url.split()[0] for url in sent_urls] == ["POST"]
    assert stored_note(notes, note_id)["attachment"] is None


def test_attach_shows_the_api_refusing_the_upload(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    # The file never reaches the bucket: attaching it is a 400 from the API.
    monkeypatch.setattr(files.Upload, "send", lambda self, http, progress: None)
    assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "a.txt")),
        f"the file was not attached to note {note_id}: ",
        "holds no file",
    )
    assert stored_note(notes, note_id)["attachment"] is None
    missing = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
    assert_one_line_error(notes("attach", missing, str(tmp_path / "a.txt")), f"you have no note {missing}")


def spoil_upload_url(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """Every upload the API hands out goes to ``change(url)`` instead."""
    start = NotesApi.start_upload

    def spoiled(self: NotesApi, *args: Any) -> dict[str, Any]:
        form = start(self, *args)
        return {**form, "url": change(form["url"])}

    monkeypatch.setattr(NotesApi, "start_upload", spoiled)


def test_attach_shows_s3_refusing_the_upload(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    spoil_upload_url(monkeypatch, lambda url: url.replace(local_stack.facts.bucket_name, "no-such-bucket"))
    line = assert_one_line_error(notes("attach", note_id, str(tmp_path / "a.txt")))
    # S3's status, its code and its message (a bucket that is not the form's: missing, or refused by
    # the form's policy, depending on which S3 checks first).
    assert re.search(r"S3 refused the upload \(4\d\d [A-Za-z]+\): \w", line), line
    assert stored_note(notes, note_id)["attachment"] is None


def test_attach_and_download_say_when_s3_cannot_be_reached(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_http: None
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 100)
    dead = f"http://{HOST}:{free_port()}"

    def elsewhere(url: str) -> str:
        return dead + url[url.index("/", len("http://")) :]

    spoil_upload_url(monkeypatch, elsewhere)
    line = assert_one_line_error(
        notes("attach", note_id, str(tmp_path / "a.txt")), f"cannot reach S3 at {dead} (connection refused"
    )
    assert stored_note(notes, note_id)["attachment"] is None
    monkeypatch.undo()

    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    link = NotesApi.download_link

    def link_elsewhere(self: NotesApi, wanted: str) -> dict[str, Any]:
        found = link(self, wanted)
        return {**found, "url": elsewhere(found["url"])}

    monkeypatch.setattr(NotesApi, "download_link", link_elsewhere)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").unlink()
    line = assert_one_line_error(notes("download", note_id), f"cannot reach S3 at {dead} (connection refused")
    assert "Signature" not in line and "?" not in line  # the presigned URL is never shown
    assert not (tmp_path / "a.txt").exists()


def test_download_shows_s3_refusing_and_leaves_nothing_behind(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = note_with_file(notes, tmp_path / "a.txt", 100)
    for key in note_keys(local_stack, notes, note_id):  # the file vanishes behind the API's back
        local_stack.client("s3").delete_object(Bucket=local_stack.facts.bucket_name, Key=key)
    out = tmp_path / "out"
    out.mkdir()
    for force in ([], ["--force"]):
        line = assert_one_line_error(notes("download", note_id, "-o", str(out / "a.txt"), *force))
        # S3's status, its code and its message (which status depends on who may list the bucket).
        assert re.search(r"S3 refused the download \(4\d\d [A-Za-z]+\): \w", line), line
    assert list(out.iterdir()) == []


def test_download_checks_the_size(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = note_with_file(notes, tmp_path / "a.txt", 100)
    link = NotesApi.download_link
    monkeypatch.setattr(NotesApi, "download_link", lambda self, wanted: {**link(self, wanted), "size": 101})
    out = tmp_path / "out"
    out.mkdir()
    assert_one_line_error(
        notes("download", note_id, "-o", str(out / "a.txt")), "the download holds 100 bytes, not the 101"
    )
    assert list(out.iterdir()) == []


def test_download_never_replaces_a_folder(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = note_with_file(notes, tmp_path / "a.txt", 100)
    here = tmp_path / "here"
    (here / "a.txt").mkdir(parents=True)
    monkeypatch.chdir(here)
    assert_one_line_error(notes("download", note_id), "a.txt already exists", "--force")
    assert_one_line_error(notes("download", note_id, "--force"), "cannot write a.txt", "directory")
    assert [path.name for path in here.iterdir()] == ["a.txt"] and (here / "a.txt").is_dir()


def note_with_file(notes: Notes, path: Path, size: int) -> str:
    """A new note's id, with a file of ``size`` random bytes written at ``path`` attached to it."""
    note_id: str = notes("add", "text").stdout.strip()
    write_file(path, size)
    assert notes("attach", note_id, str(path)).exit_code == 0
    return note_id


def attach_named(notes: Notes, note_id: str, name: str, data: bytes) -> None:
    """Attach ``data`` under ``name`` straight through the API, as another client could."""
    upload = api_call(
        notes,
        "POST",
        f"/notes/{note_id}/attachment",
        {"name": name, "contentType": "text/plain", "size": len(data)},
    )
    assert upload.status_code == 201, upload.text
    form = upload.json()
    sent = send_to_s3(form, data)
    assert sent.status_code in (200, 201, 204), sent.text
    attached = api_call(notes, "PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
    assert attached.status_code == 200, attached.text


@pytest.mark.parametrize("name", [".", "..", "x" * 200 + "é" * 50])
def test_download_asks_for_a_path_when_the_name_is_not_safe_here(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    note_id = notes("add", "text").stdout.strip()
    attach_named(notes, note_id, name, b"some text")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert_one_line_error(notes("download", note_id), "-o PATH", "is not a safe file name here")
    assert_one_line_error(notes("download", note_id, "-o", str(here)), "-o PATH")
    assert list(here.iterdir()) == []
    saved = notes("download", note_id, "-o", "safe.txt")
    assert saved.exit_code == 0, saved.output
    assert (here / "safe.txt").read_bytes() == b"some text"


def test_detach_refuses_when_the_note_changed_meanwhile(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = note_with_file(notes, tmp_path / "a.txt", 100)
    someone_else_writes_after_the_first_read(notes, monkeypatch)
    # It names the version it found on reading the note again, not the one it had read first.
    assert_one_line_error(
        notes("detach", note_id, "--yes"),
        f"note {note_id} changed since it was read (it is now at version 3), so its file was not removed",
        "run notes detach again",
    )
    stored = stored_note(notes, note_id)
    assert (stored["attachment"]["name"], stored["version"]) == ("a.txt", 3)


class RecordingReader(io.BufferedReader):
    """A file that remembers how much each read asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(io.FileIO(path))
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.reads.append(len(data))
        return data


def test_an_upload_streams_the_file_and_reports_its_progress(
    notes: Notes, logged_in: str, tmp_path: Path, real_http: None
) -> None:
    note_id = notes("add", "text").stdout.strip()
    data = write_file(tmp_path / "big.bin", 3 * 1024**2)
    form = api_call(
        notes,
        "POST",
        f"/notes/{note_id}/attachment",
        {"name": "big.bin", "contentType": "x/y", "size": len(data)},
    ).json()
    progress: list[int] = []
    with RecordingReader(tmp_path / "big.bin") as file:
        upload = files.Upload(form, file, "big.bin", "x/y")
        upload.send(requests.Session(), progress.append)
    assert sum(file.reads) == len(data)
    assert max(file.reads) <= 1024**2  # read piece by piece as it is sent, never whole
    assert sum(progress) == upload.length > len(data)
    assert len(progress) > 10 and all(step >= 0 for step in progress)
    attached = api_call(notes, "PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
    assert attached.status_code == 200, attached.text
    assert notes("download", note_id, "-o", str(tmp_path / "back.bin")).exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == data


def test_download_never_writes_a_dot_file_without_being_told_to(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    attach_named(notes, note_id, ".bashrc", b"alias ls='rm -rf ~'\n")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for where in ([], ["-o", "."], ["-o", "sub/"]):
        assert_one_line_error(
            notes("download", note_id, *where),
            "'.bashrc'",
            "starts with a dot",
            "choose where to save it with -o PATH",
        )
    assert list(here.iterdir()) == []
    # Named explicitly, it is what the user asked for.
    saved = notes("download", note_id, "-o", ".bashrc-from-note")
    assert saved.exit_code == 0, saved.output
    assert (here / ".bashrc-from-note").read_bytes() == b"alias ls='rm -rf ~'\n"
    assert sorted(path.name for path in here.iterdir()) == [".bashrc-from-note"]


def test_download_to_a_path_ending_in_a_slash_saves_in_that_folder(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = note_with_file(notes, tmp_path / "a.txt", 100)
    data = (tmp_path / "a.txt").read_bytes()
    monkeypatch.chdir(tmp_path)
    saved = notes("download", note_id, "-o", "missing/dir/")
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "saved missing/dir/a.txt (100 bytes)\n"
    assert (tmp_path / "missing" / "dir" / "a.txt").read_bytes() == data
    assert [path.name for path in (tmp_path / "missing").iterdir()] == ["dir"]  # no file named dir
    # A file is no folder.
    assert_one_line_error(notes("download", note_id, "-o", "a.txt/"), "a.txt/ is not a folder")
    assert (tmp_path / "a.txt").read_bytes() == data
    # A download that fails leaves no folder behind either.
    spoil = NotesApi.download_link
    monkeypatch.setattr(NotesApi, "download_link", lambda self, wanted: {**spoil(self, wanted), "size": 101})
    assert_one_line_error(notes("download", note_id, "-o", "other/new/"), "the download holds 100 bytes")
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    ("name", "saved_as"),
    [
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # RIGHT-TO-LEFT OVERRIDE (Cf): shows as invoiceexe.pdf
        ("zero\u200bwidth.txt", "zero_width.txt"),  # ZERO WIDTH SPACE (Cf)
        ("two\u2028lines.txt", "two_lines.txt"),  # LINE SEPARATOR (Zl)
        ("two\u2029paragraphs.txt", "two_paragraphs.txt"),  # PARAGRAPH SEPARATOR (Zp)
        ("bell\x07.txt", "bell_.txt"),  # a control character (Cc)
    ],
)
def test_download_never_saves_a_name_with_hidden_characters(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, saved_as: str
) -> None:
    note_id = notes("add", "text").stdout.strip()
    data = write_file(tmp_path / "a.txt", 10)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    # A name the API takes no more, as a file attached before that (or another client) may hold.
    link = NotesApi.download_link
    monkeypatch.setattr(NotesApi, "download_link", lambda self, wanted: {**link(self, wanted), "name": name})
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    saved = notes("download", note_id)
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == f"saved {saved_as} (10 bytes; 1 hidden character of its name saved as _)\n"
    assert [path.name for path in here.iterdir()] == [saved_as]
    assert (here / saved_as).read_bytes() == data


def test_download_to_a_file_in_a_missing_folder_is_refused(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "text").stdout.strip()
    write_file(tmp_path / "a.txt", 10)
    assert notes("attach", note_id, str(tmp_path / "a.txt")).exit_code == 0
    monkeypatch.chdir(tmp_path)
    # Only a PATH ending in / asks for a folder to be made: a mistyped folder makes none.
    assert_one_line_error(
        notes("download", note_id, "-o", "mistyped/copy.txt"), "cannot write mistyped/copy.txt"
    )
    assert not (tmp_path / "mistyped").exists()
