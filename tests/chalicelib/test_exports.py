"""Exports through the chalice test client: what the ZIP's names are, and one export at a time."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import requests

from tests.chalicelib.test_attachments import attach, uploaded
from tests.chalicelib.test_zip_names import unpacks_everywhere
from tests.conftest import ApiUser

NAMES = [
    "é" * 255,  # 255 characters, 510 bytes in UTF-8: "File name too long" for unzip
    "𝄞" * 200 + ".pdf",
    "C:evil.txt",
    "CON",
    "nul",
    "com1.txt",
    "ends with a dot.",
    "ends with a space ",
    'what?<>|"*.txt',
]


def ready_export(user: ApiUser) -> zipfile.ZipFile:
    started = user.post("/exports")
    assert started.status_code == 202, started.body
    status = user.get(f"/exports/{started.json_body['exportId']}").json_body
    assert status["status"] == "ready", status
    return zipfile.ZipFile(io.BytesIO(requests.get(status["url"], timeout=10).content))


def test_every_entry_unpacks_on_every_system_and_the_json_keeps_the_name(
    alice: ApiUser, tmp_path: Path
) -> None:
    notes: dict[str, str] = {}
    for number, name in enumerate(NAMES):
        note_id = alice.create(content=f"file {number}")["noteId"]
        data = f"bytes of {number}".encode()
        assert attach(alice, note_id, uploaded(alice, note_id, data, name=name)).status_code == 200
        notes[note_id] = name
    trashed = next(iter(notes))
    assert alice.delete(f"/notes/{trashed}").status_code == 204

    archive = ready_export(alice)
    entries = archive.namelist()
    for entry in entries:
        assert all(unpacks_everywhere(part) for part in entry.split("/")), entry
    # Distinct for a system that ignores case, as Windows and macOS do.
    assert len({unicodedata.normalize("NFC", entry.casefold()) for entry in entries}) == len(entries)
    for note_id, name in notes.items():
        folder = f"trash/{note_id}" if note_id == trashed else note_id
        (file_entry,) = [entry for entry in entries if entry.startswith(f"{folder}/")]
        number = list(notes).index(note_id)
        assert archive.read(file_entry) == f"bytes of {number}".encode()
        shown: dict[str, Any] = json.loads(archive.read(f"{folder}.json"))
        assert shown["attachment"]["name"] == name  # nothing lost
    assert f"{next(n for n in notes if notes[n] == 'com1.txt')}/_com1.txt" in entries
    assert f"{next(n for n in notes if notes[n] == 'C:evil.txt')}/C_evil.txt" in entries
    # Unpacked here, as unzip does: no name too long for the file system.
    archive.extractall(tmp_path)
    assert sum(1 for path in tmp_path.rglob("*") if path.is_file()) == len(entries)
