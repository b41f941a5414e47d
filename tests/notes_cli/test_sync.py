"""``notes changes`` against the real local stack: what changed, from any device, after a cursor."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from notes_cli.main import cli
from tests.notes_cli.helpers import Notes, api_call, as_a_process, assert_one_line_error

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


def test_follow_prints_each_change_as_it_happens_until_ctrl_c(notes: Notes, logged_in: str) -> None:
    """``notes changes --follow`` as a real process: every note first, then each change another
    device makes, within seconds, without asking; Ctrl-C stops it cleanly with the cursor."""
    first = notes("add", "already here", "--title", "Before").stdout.strip()
    env = {**os.environ, **notes.env, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        **as_a_process(
            ["changes", "--follow"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout or []:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        assert lines.get(timeout=15).split()[1:] == [first[:13], "Before"]
        time.sleep(1)  # connected by now: what follows comes through the live endpoint
        made = api_call(notes, "POST", "/notes", {"title": "From the phone", "content": "x"})
        assert made.status_code == 201, made.text
        started = time.monotonic()
        assert lines.get(timeout=5).split()[1:] == [made.json()["noteId"][:13], "From", "the", "phone"]
        assert time.monotonic() - started < 3
        assert api_call(notes, "DELETE", f"/notes/{first}").status_code == 204
        assert lines.get(timeout=5).split()[1:] == [first[:13], "deleted"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "stopped; cursor: " in stderr and "Traceback" not in stderr


def test_follow_needs_a_live_endpoint(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    facts = json.loads(notes.stack_file.read_text())
    del facts["wsUrl"]
    bare = tmp_path / "no-live.json"
    bare.write_text(json.dumps(facts))
    result = CliRunner().invoke(
        cli, ["changes", "--follow"], env={**notes.env, "NOTES_STACK_FILE": str(bare)}
    )
    assert_one_line_error(result, "no live endpoint to follow")
