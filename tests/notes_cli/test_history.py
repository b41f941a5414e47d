"""``notes history``, ``notes show --version`` and ``notes restore-version`` against the real local
stack: versions are kept by the stack's stream function a moment after each write."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.notes_cli.helpers import Notes, assert_one_line_error, stored_note
from tests.notes_cli.test_your_data import ok

# A version is listed within this long of the write that replaced it (the stream's delivery).
KEPT_WITHIN_SECONDS = 5.0


def listed(notes: Notes, note_id: str, count: int) -> dict[str, Any]:
    """``notes history --json`` once it lists ``count`` versions."""
    deadline = time.monotonic() + KEPT_WITHIN_SECONDS
    while True:
        page: dict[str, Any] = json.loads(ok(notes("history", note_id, "--all", "--json")).stdout)
        if len(page["versions"]) >= count or time.monotonic() > deadline:
            return page
        time.sleep(0.1)


def test_history_lists_shows_and_restores_a_version(notes: Notes, logged_in: str) -> None:
    note_id = ok(notes("add", "eggs", "--title", "Groceries", "--tag", "home")).stdout.strip()
    ok(notes("edit", note_id, "--content", "eggs, milk"))
    ok(notes("edit", note_id, "--title", "Shopping", "--tag", "shop"))
    page = listed(notes, note_id, 2)
    assert [version["version"] for version in page["versions"]] == [2, 1]
    assert page["nextCursor"] is None

    shown = ok(notes("history", note_id[:13]))
    header, *lines = shown.stdout.splitlines()
    assert header.split() == ["VERSION", "WRITTEN", "(UTC)", "SIZE", "TITLE"]
    assert [line.split()[0] for line in lines] == ["2", "1"]
    assert lines[1].split()[1:] == [page["versions"][1]["updatedAt"], "4", "Groceries"]

    old = ok(notes("show", note_id, "--version", "1"))
    assert old.stdout.splitlines()[0] == "Groceries"
    assert "  tags        home" in old.stdout and old.stdout.endswith("\neggs\n")
    as_json = json.loads(ok(notes("show", note_id, "--version", "1", "--json")).stdout)
    assert {field: as_json[field] for field in ("title", "content", "tags", "version")} == {
        "title": "Groceries",
        "content": "eggs",
        "tags": ["home"],
        "version": 1,
    }

    restored = ok(notes("restore-version", note_id, "1"))
    assert restored.stdout == f"restored version 1 of {note_id} as version 4: Groceries\n"
    now = stored_note(notes, note_id)
    assert (now["title"], now["content"], now["tags"], now["version"]) == ("Groceries", "eggs", ["home"], 4)
    # What the restore replaced is kept in turn.
    assert [version["version"] for version in listed(notes, note_id, 3)["versions"]] == [3, 2, 1]


def test_a_version_not_kept_is_refused_in_words(notes: Notes, logged_in: str) -> None:
    note_id = ok(notes("add", "only one")).stdout.strip()
    empty = ok(notes("history", note_id))
    assert (empty.stdout, empty.stderr) == ("", f"note {note_id} has no earlier version kept\n")
    for command in (("show", note_id, "--version", "1"), ("restore-version", note_id, "1")):
        assert_one_line_error(
            notes(*command), f"note {note_id} keeps no version 1", f"notes history {note_id}"
        )
    assert stored_note(notes, note_id)["version"] == 1  # nothing changed
    refused = notes("restore-version", note_id, "0")
    assert refused.exit_code == 2 and "N" in refused.output


def test_history_pages_like_ls(notes: Notes, logged_in: str) -> None:
    note_id = ok(notes("add", "v1")).stdout.strip()
    for number in range(2, 5):
        ok(notes("edit", note_id, "--content", f"v{number}"))
    listed(notes, note_id, 3)
    page = ok(notes("history", note_id, "--limit", "2"))
    assert [line.split()[0] for line in page.stdout.splitlines()[1:]] == ["3", "2"]
    assert page.stderr == f"more versions follow: notes history {note_id} --all (or a larger --limit)\n"
    every = ok(notes("history", note_id, "--all", "--limit", "1"))
    assert [line.split()[0] for line in every.stdout.splitlines()[1:]] == ["3", "2", "1"]
