"""``notes changes`` against the real local stack: what changed, from any device, after a cursor."""

from __future__ import annotations

import json
import re
import time

from tests.notes_cli.helpers import Notes, api_call, assert_one_line_error

# A write is in the feed of every request that starts this long after it answered.
IN_FEED_SECONDS = 2.0
CURSOR = re.compile(r"^cursor: (\S+) ", re.MULTILINE)


def cursor_of(stderr: str) -> str:
    found = CURSOR.search(stderr)
    assert found is not None, stderr
    return found.group(1)


def test_changes_shows_every_note_then_only_what_changed_after_the_cursor(
    notes: Notes, logged_in: str
) -> None:
    kept = notes("add", "milk and eggs", "--title", "Groceries").stdout.strip()
    going = notes("add", "old plan", "--title", "Plans").stdout.strip()
    first = notes("changes")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [kept[:13], going[:13]]
    assert lines[0].endswith("Groceries") and lines[1].endswith("Plans")
    cursor = cursor_of(first.stderr)

    # Another device changes one note and deletes the other.
    edited = api_call(notes, "PATCH", f"/notes/{kept}", {"title": "Shopping"})
    assert edited.status_code == 200, edited.text
    assert api_call(notes, "DELETE", f"/notes/{going}").status_code == 204
    time.sleep(IN_FEED_SECONDS)
    later = notes("changes", "--since", cursor)
    assert later.exit_code == 0, later.output
    assert [line.split()[1:] for line in later.stdout.splitlines()] == [
        [kept[:13], "Shopping"],
        [going[:13], "deleted"],
    ]

    nothing = notes("changes", "--since", cursor_of(later.stderr))
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert "nothing changed" in nothing.stderr


def test_changes_as_json(notes: Notes, logged_in: str) -> None:
    note_id = notes("add", "one").stdout.strip()
    shown = json.loads(notes("changes", "--json").stdout)
    assert set(shown) == {"changes", "cursor"}
    [change] = shown["changes"]
    assert change["noteId"] == note_id and change["note"]["content"] == "one"


def test_a_cursor_not_of_this_feed_is_one_line(notes: Notes, logged_in: str) -> None:
    assert_one_line_error(notes("changes", "--since", "not-a-cursor-at-all"), "since")
