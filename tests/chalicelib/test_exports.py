"""Exports through the chalice test client: what the ZIP's names are, and one export at a time."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from chalice.test import Client

import app as notes_app
from chalicelib import exports, writes
from chalicelib.shapes import iso_time, parse_time, utc_now
from local_stack.streams import StreamFeeder
from tests.chalicelib.test_attachments import attach, uploaded
from tests.chalicelib.test_zip_names import unpacks_everywhere
from tests.conftest import ROOT, STAGE, ApiUser, indexed, new_user

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
    # Each name as the archive holds it, written out.
    made = {
        "é" * 255: "é" * 127,  # 254 bytes; 127 UTF-16 units, 254 once decomposed
        "𝄞" * 200 + ".pdf": "𝄞" * 62 + ".pdf",  # 252 bytes
        "C:evil.txt": "C_evil.txt",
        "CON": "_CON",
        "nul": "_nul",
        "com1.txt": "_com1.txt",
        "ends with a dot.": "ends with a dot",
        "ends with a space ": "ends with a space",
        'what?<>|"*.txt': "what______.txt",
    }
    assert sorted(made) == sorted(NAMES)
    for note_id, name in notes.items():
        folder = f"trash/{note_id}" if note_id == trashed else note_id
        assert f"{folder}/{made[name]}" in entries, name
    # Unpacked here, as unzip does: no name too long for the file system.
    archive.extractall(tmp_path)
    assert sum(1 for path in tmp_path.rglob("*") if path.is_file()) == len(entries)


@pytest.fixture
def waiting(feeder: StreamFeeder, jobs: StreamFeeder) -> ApiUser:
    """A user whose exports stay pending until ``jobs.deliver()``: the jobs function has not
    been given the account table's new items yet, as deployed in the seconds after a start."""
    http = indexed(Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http, feeder)
    return new_user(http)


def export_items(owner: str) -> list[str]:
    return [item.item for item in notes_app.services.account_model.query(owner, consistent_read=True)]


def test_while_an_export_is_pending_a_start_answers_it_and_makes_no_other(
    waiting: ApiUser, jobs: StreamFeeder
) -> None:
    waiting.create(content="one note")
    answers = [waiting.post("/exports") for _ in range(30)]
    assert {answer.status_code for answer in answers} == {202}
    first = answers[0].json_body["exportId"]
    assert [answer.json_body for answer in answers] == [{"exportId": first, "status": "pending"}] * 30
    assert {answer.headers["Location"] for answer in answers} == {f"/exports/{first}"}
    assert sorted(export_items(waiting.sub)) == [f"export#{first}", "exporting"]

    jobs.deliver()  # the one export made; from then on a start makes another
    assert waiting.get(f"/exports/{first}").json_body["status"] == "ready"
    assert export_items(waiting.sub) == [f"export#{first}"]
    again = waiting.post("/exports")
    assert again.status_code == 202
    second = again.json_body["exportId"]
    assert second != first
    assert waiting.post("/exports").json_body["exportId"] == second
    jobs.deliver()
    assert waiting.get(f"/exports/{second}").json_body["status"] == "ready"


def test_starts_racing_make_one_export(waiting: ApiUser, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another start lands between this start's look and its write: the write itself is
    conditional, so it is refused and answers the other's export."""
    commit = writes.Transaction.commit
    raced: list[dict[str, Any]] = []

    def racing_commit(self: writes.Transaction) -> list[Any]:
        if not raced:
            raced.append({})
            raced[0] = notes_app.services.exports.start(waiting.sub)  # the other start, all of it
        return commit(self)

    monkeypatch.setattr(writes.Transaction, "commit", racing_commit)
    answer = waiting.post("/exports")
    assert answer.status_code == 202, answer.body
    assert answer.json_body == raced[0]
    assert sorted(export_items(waiting.sub)) == [f"export#{raced[0]['exportId']}", "exporting"]


def test_a_failed_export_or_one_pending_too_long_holds_no_more(
    waiting: ApiUser, jobs: StreamFeeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting.create(content="one note")
    real_run = notes_app.services.jobs.run
    monkeypatch.setattr(
        notes_app.services.jobs, "run", lambda event, seconds_left=None: real_run(event, lambda: 10.0)
    )
    failed = waiting.post("/exports").json_body["exportId"]
    jobs.deliver()
    assert waiting.get(f"/exports/{failed}").json_body["status"] == "failed"
    lost = waiting.post("/exports").json_body["exportId"]
    assert lost != failed
    # Never made (its function gave up): past the hold, a start makes another.
    later = parse_time(utc_now()) + timedelta(seconds=exports.PENDING_HOLD_SECONDS + 1)
    monkeypatch.setattr(notes_app.services.exports, "_clock", lambda: iso_time(later))
    fresh = waiting.post("/exports").json_body["exportId"]
    assert fresh not in (failed, lost)
    assert waiting.post("/exports").json_body["exportId"] == fresh
